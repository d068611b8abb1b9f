"""OCR benchmark on real photographs with text rendered onto them (issue "Find photos by the words in them").

Corpus (built once under benchmarks/_inputs/ocr-corpus, never committed): distinct 4:3 crops of the ~60 real
photographs of ``real_photos.py`` at 4000×3000 (12 MP JPEG, quality 90); half get 1–3 blocks of 1–3 words
(several fonts, text height 10–80 px at that size, rotation up to ±20°, dark-on-light and light-on-dark, on a
plate or straight on the photo, and one block in five partly covered by a patch of the photo), half stay as
they are. Then, as the product's text pass does it: a reduced JPEG decode (draft mode) for detection, a full
decode only when text was found, recognition on full-size crops; the text goes into SQLite FTS5 (trigram)
and queries of 1–3 of a photo's words are answered with ``photosearch.text.match``.

Prints: word recall by text height (occluded words apart), search success (the photo in the top 3), how often a
photo without text comes back, and the pass's photos/s on photos with and without text, with the CPU.

    python benchmarks/bench_ocr.py [--text 320 --plain 320] [--det-side 1920 --first-side 960]

By default it reads as the product's text pass does (``TextPass``'s reader: one reader with every core, up
to 4, the product's looks and budget), so its throughput is the product's; ``--workers``/``--threads``/
``--det-side``/``--first-side`` change that. The whole-corpus read for recall and search success uses
``--read-workers`` readers of one thread each (what is read does not depend on it; it only goes faster).
Throughput is printed with the process's CPU seconds per photo, which the load of a shared machine barely
changes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import sqlite3
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import cpu_header

from benchmarks.real_photos import dictionary, ensure  # after the path line, as the other benchmarks do
from photosearch.indexing.text_steps import BUDGET_S, text_threads
from photosearch.library.imaging import open_image
from photosearch.text.match import TextQuery, index_form
from photosearch.text.ocr import DET_SIDE, FIRST_SIDE, TextReader

CORPUS = Path(__file__).resolve().parent / "_inputs" / "ocr-corpus"
SIZE = (4000, 3000)
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSansMono.ttf",
         "DejaVuSansCondensed-Oblique.ttf"]  # fmt: skip
BUCKETS = [(10, 20), (20, 40), (40, 81)]


def words_list() -> list[str]:
    words = dictionary().read_text(encoding="utf-8", errors="ignore").splitlines()
    words = [w.strip() for w in words]
    return sorted({w for w in words if w.isascii() and w.isalpha() and w.islower() and 4 <= len(w) <= 10})


def _font(name: str, px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = FONT_DIR / name
    if path.exists():
        return ImageFont.truetype(str(path), px)
    return ImageFont.load_default(size=px)


def _crop(photo: Image.Image, rng: random.Random) -> Image.Image:
    w, h = photo.size
    cw = min(w, int(h * 4 / 3))
    cw = int(cw * rng.uniform(0.6, 1.0))
    ch = int(cw * 3 / 4)
    x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
    return photo.crop((x, y, x + cw, y + ch)).resize(SIZE, Image.Resampling.BICUBIC)


def _word_text(rng: random.Random, vocab: list[str]) -> str:
    w = rng.choice(vocab)
    style = rng.random()
    return w.upper() if style < 0.4 else w.capitalize() if style < 0.8 else w


def render_block(
    img: Image.Image, rng: random.Random, vocab: list[str], taken: list[tuple[int, int, int, int]]
):
    n_words = rng.randint(1, 3)
    words = [_word_text(rng, vocab) for _ in range(n_words)]
    px = int(round(math.exp(rng.uniform(math.log(10), math.log(80)))))
    font = _font(rng.choice(FONTS), px)
    text = " ".join(words)
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    x0, y0, x1, y1 = probe.textbbox((0, 0), text, font=font)
    pad = max(4, px // 3)
    layer = Image.new("RGBA", (x1 - x0 + 2 * pad, y1 - y0 + 2 * pad), (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    dark_on_light = rng.random() < 0.5
    ink = (rng.randint(0, 50),) * 3 if dark_on_light else (rng.randint(215, 255),) * 3
    plate = rng.random() < 0.7
    if plate:
        paper = (rng.randint(215, 250), rng.randint(210, 245), rng.randint(200, 240)) if dark_on_light else (
            rng.randint(10, 60), rng.randint(20, 70), rng.randint(30, 90))  # fmt: skip
        d.rectangle((0, 0, layer.width - 1, layer.height - 1), fill=(*paper, 255))
    else:  # straight on the photo: outline in the other tone, as captions and stickers often are
        other = (255, 255, 255) if dark_on_light else (0, 0, 0)
        d.text((pad - x0, pad - y0), text, font=font, fill=(*other, 255), stroke_width=max(1, px // 12),
               stroke_fill=(*other, 255))  # fmt: skip
    d.text((pad - x0, pad - y0), text, font=font, fill=(*ink, 255))
    angle = rng.uniform(-20, 20)
    rotated = layer.rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
    for _ in range(50):
        x = rng.randint(0, max(0, img.width - rotated.width))
        y = rng.randint(0, max(0, img.height - rotated.height))
        box = (x, y, x + rotated.width, y + rotated.height)
        if all(box[2] < t[0] or box[0] > t[2] or box[3] < t[1] or box[1] > t[3] for t in taken):
            break
    else:
        return None
    img.paste(rotated, (x, y), rotated)
    taken.append(box)
    occluded: set[int] = set()
    if rng.random() < 0.2:  # a patch of the photo over one end of the block
        frac = rng.uniform(0.1, 0.25)
        pw = max(2, int(rotated.width * frac))
        px0 = x if rng.random() < 0.5 else x + rotated.width - pw
        src_x = rng.randint(0, img.width - pw)
        src_y = rng.randint(0, max(0, img.height - rotated.height))
        img.paste(img.crop((src_x, src_y, src_x + pw, src_y + rotated.height)), (px0, y))
        occluded.add(0 if px0 == x else n_words - 1)
    return [{"word": w, "px": px, "occluded": i in occluded, "angle": round(angle, 1), "plate": plate}
            for i, w in enumerate(words)]  # fmt: skip


def build(n_text: int, n_plain: int, seed: int = 7) -> list[dict]:
    manifest = CORPUS / f"manifest-{n_text}-{n_plain}-{seed}.json"
    if manifest.exists():
        return json.loads(manifest.read_text())
    CORPUS.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    photos = ensure()
    vocab = words_list()
    items = []
    for i in range(n_text + n_plain):
        src = photos[i % len(photos)]
        with Image.open(src, formats=["JPEG", "PNG"]) as im:
            base = _crop(im.convert("RGB"), rng)
        words: list[dict] = []
        if i < n_text:
            taken: list[tuple[int, int, int, int]] = []
            for _ in range(rng.randint(1, 3)):
                got = render_block(base, rng, vocab, taken)
                words += got or []
        path = CORPUS / f"{'text' if i < n_text else 'plain'}_{i:04d}.jpg"
        base.save(path, quality=90)
        items.append({"path": str(path), "source": src.name, "words": words})
        if (i + 1) % 50 == 0:
            print(f"  built {i + 1}/{n_text + n_plain}", flush=True)
    manifest.write_text(json.dumps(items))
    return items


def read_all(
    items: list[dict], workers: int, det_side: int, threads: int = 1, first_side: int = FIRST_SIDE
) -> tuple[dict[str, str], dict[str, float]]:
    local = threading.local()

    def reader() -> TextReader:
        if not hasattr(local, "r"):
            local.r = TextReader(det_side=det_side, budget_s=BUDGET_S, threads=threads, first_side=first_side)
        return local.r

    def one(item: dict) -> tuple[str, str, float]:
        # as the product's text pass reads a photo (TextPass.read_one): a draft-mode decode for the first
        # look, the full decode only when it saw something
        t = time.perf_counter()
        r = reader()
        reduced = open_image(item["path"], draft_short_side=r.first_side * 3 // 4).image
        result = r.read(reduced, lambda: open_image(item["path"]).image)
        return item["path"], result.text, time.perf_counter() - t

    texts: dict[str, str] = {}
    times: dict[str, float] = {}
    with ThreadPoolExecutor(workers) as pool:
        for path, text, secs in pool.map(one, items):
            texts[path], times[path] = text, secs
    return texts, times


def throughput(
    items: list[dict], workers: int, det_side: int, threads: int = 1, first_side: int = FIRST_SIDE
) -> tuple[float, float]:
    """Photos/s, and the process's CPU seconds per photo."""
    start, cpu = time.perf_counter(), _cpu()
    read_all(items, workers, det_side, threads, first_side)
    return len(items) / (time.perf_counter() - start), (_cpu() - cpu) / len(items)


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def profile(items: list[dict], first_side: int, threads: int) -> dict[str, float]:
    """Milliseconds per photo in each step of the product's one-look reading (as ``TextReader.read`` does it):
    the draft decode, the detector's input, its run, its boxes, and — for photos where it found some — the
    full decode, the crops and recognition (direction classifier + recogniser, batched)."""
    from photosearch.text.ocr import _crop, _whole_frame

    reader = TextReader(det_side=first_side, first_side=first_side, threads=threads)
    engine = reader._get()
    engine.detect(
        np.asarray(open_image(items[0]["path"], draft_short_side=first_side * 3 // 4).image), first_side
    )
    acc: dict[str, float] = {}
    clock = [time.perf_counter()]

    def lap(step: str) -> None:
        now = time.perf_counter()
        acc[step] = acc.get(step, 0.0) + now - clock[0]
        clock[0] = now

    for it in items:
        path = it["path"]
        clock[0] = time.perf_counter()
        small = np.asarray(open_image(path, draft_short_side=first_side * 3 // 4).image)[:, :, ::-1]
        lap("decode (draft)")
        prob, _ = engine.detect(small, first_side)
        lap("detection (scale + run)")
        seen = [b for b in engine.boxes(prob, prob.shape) if not _whole_frame(b, prob.shape)]
        lap("detection boxes")
        if not seen:
            continue
        pixels = np.asarray(open_image(path).image)[:, :, ::-1]
        lap("decode (full, text found)")
        per = np.array([pixels.shape[1] / prob.shape[1], pixels.shape[0] / prob.shape[0]], dtype=np.float32)
        crops = [c for b in seen if (c := _crop(pixels, b * per)) is not None]
        lap("crops")
        if crops:
            engine.recognise(crops)
            lap("recognition")
    return {k: 1000 * v / len(items) for k, v in acc.items()}


def part_of(item: dict) -> str:
    """ "tune" or "report": the corpus split in two by background photograph (every other source photo), so
    a threshold tuned on one part is reported on photos whose backgrounds it never saw."""
    return "tune" if SOURCES.index(item["source"]) % 2 == 0 else "report"


SOURCES: list[str] = []  # the corpus's source photographs, sorted (filled by evaluate)


def evaluate(items: list[dict], texts: dict[str, str]) -> dict[str, dict]:
    """Word recall by height and search success for ``texts`` (photo path → what was read), over the whole
    corpus ("all") and each of its two parts ("tune", "report"; queries always run against every photo)."""
    SOURCES[:] = sorted({it["source"] for it in items})
    text_items = [it for it in items if it["words"]]
    plain_set = {it["path"] for it in items if not it["words"]}
    parts = ("all", "tune", "report")
    out: dict[str, dict] = {k: {} for k in parts}
    tokens = {p: set(index_form(t).replace("\n", " ").split()) for p, t in texts.items()}
    for part in parts:
        mine = [it for it in text_items if part == "all" or part_of(it) == part]
        rows = []
        for lo, hi in BUCKETS:
            clear = [(it, w) for it in mine for w in it["words"] if lo <= w["px"] < hi and not w["occluded"]]
            hit = sum(index_form(w["word"]) in tokens[it["path"]] for it, w in clear)
            rows.append((f"{lo}-{min(hi, 80)} px", hit, len(clear)))
        occ = [(it, w) for it in mine for w in it["words"] if w["occluded"]]
        out[part]["recall"] = rows
        out[part]["occluded"] = (sum(index_form(w["word"]) in tokens[it["path"]] for it, w in occ), len(occ))
        out[part].update(success={True: [0, 0], False: [0, 0]}, plain_in_top3=0, queries=0, misses=[])

    # search: queries of 1-3 words of a photo; success = that photo in the top 3
    con = sqlite3.connect(":memory:")
    con.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='trigram')")
    paths = [it["path"] for it in items]
    for rowid, p in enumerate(paths):
        con.execute("INSERT INTO t(rowid, body) VALUES (?, ?)", (rowid, index_form(texts[p])))
    rng = random.Random(11)
    for it in text_items:
        clear = [w for w in it["words"] if not w["occluded"]]
        if not clear:
            continue
        chosen = rng.sample(clear, rng.randint(1, min(3, len(clear))))
        tq = TextQuery.parse(" ".join(w["word"] for w in chosen))
        expr = tq.fts_expression()
        cands = {r for (r,) in con.execute("SELECT rowid FROM t WHERE t MATCH ?", (expr,))} if expr else set()
        scored = sorted(((tq.score(texts[paths[r]]), paths[r]) for r in cands), reverse=True)
        passing = [(s, p) for s, p in scored if tq.matches(texts[p])]
        own = next((s for s, p in passing if p == it["path"]), None)
        ok = own is not None and sum(1 for s, p in passing if s > own) < 3
        tall = all(w["px"] >= 20 for w in chosen)
        for part in ("all", part_of(it)):
            ev = out[part]
            ev["success"][tall][0] += ok
            ev["success"][tall][1] += 1
            ev["plain_in_top3"] += sum(1 for _, p in passing[:3] if p in plain_set)
            ev["queries"] += 1
            if tall and not ok:
                ev["misses"].append((it["path"], [w["word"] for w in chosen]))
    return out


def cpu_compare(groups: dict[str, list[dict]], other: int, first_side: int, rounds: int = 2) -> None:
    """The reading thread's CPU seconds per photo (``time.thread_time``; ONNX Runtime on one thread, so no
    helper threads and no spinning) of the product's reader and of one whose second look is at ``other`` px
    (960: one look only), alternated photo set by photo set: a shared machine's load barely changes it."""
    readers = {
        "product": TextReader(det_side=DET_SIDE, budget_s=BUDGET_S, threads=1, first_side=first_side),
        f"second look at {other} px": TextReader(det_side=other, budget_s=BUDGET_S, threads=1, first_side=first_side),
    }  # fmt: skip
    warm = next(iter(groups.values()))[0]["path"]
    for r in readers.values():
        r.read(open_image(warm, draft_short_side=r.first_side * 3 // 4).image, lambda: open_image(warm).image)
    for rnd in range(rounds):
        for kind, group in groups.items():
            for name, r in readers.items():
                c0, t0 = time.thread_time(), time.perf_counter()
                for it in group:
                    reduced = open_image(it["path"], draft_short_side=r.first_side * 3 // 4).image
                    r.read(reduced, lambda it=it: open_image(it["path"]).image)
                print(f"round {rnd + 1}, {kind}, {name}: {(time.thread_time() - c0) / len(group):.3f} CPU s/photo "
                      f"(wall {(time.perf_counter() - t0) / len(group):.3f} s/photo; load {os.getloadavg()[0]:.1f})",
                      flush=True)  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--text", type=int, default=320)
    ap.add_argument("--plain", type=int, default=320)
    ap.add_argument("--workers", type=int, default=1, help="readers side by side (the product: 1)")
    ap.add_argument("--read-workers", type=int, default=2, help="readers for the whole-corpus read")
    ap.add_argument("--det-side", type=int, default=DET_SIDE, help="long side of the second (closer) look")
    ap.add_argument("--first-side", type=int, default=FIRST_SIDE, help="long side of the first look")
    ap.add_argument(
        "--threads",
        type=int,
        default=text_threads(),
        help="ONNX threads per reader (the product: every core)",
    )
    ap.add_argument("--speed-only", action="store_true", help="only the throughput figures")
    ap.add_argument("--profile", action="store_true", help="only the time per step (one reader, the sample)")
    ap.add_argument("--speed-sample", type=int, default=40, help="photos of each kind timed on their own")
    ap.add_argument(
        "--cpu-compare",
        type=int,
        metavar="DET_SIDE",
        help="only the reading thread's CPU s/photo, the product's reader vs a second look at DET_SIDE px",
    )
    args = ap.parse_args()
    print(
        f"{cpu_header()}; workers {args.workers} × {args.threads} threads; first look at {args.first_side} px, "
        f"second at {args.det_side} px; load average {os.getloadavg()}",
        flush=True,
    )
    items = build(args.text, args.plain)
    text_items = [it for it in items if it["words"]]
    plain_items = [it for it in items if not it["words"]]

    if args.cpu_compare:
        cpu_compare(
            {"no text": plain_items[: args.speed_sample], "with text": text_items[: args.speed_sample]},
            args.cpu_compare,
            args.first_side,
        )
        return
    if args.profile:
        for kind, group in (("no text", plain_items), ("with text", text_items)):
            steps = profile(group[: args.speed_sample], args.first_side, args.threads)
            print(f"{kind}: " + ", ".join(f"{k} {v:.0f} ms" for k, v in steps.items())
                  + f" per photo; load average {os.getloadavg()}")  # fmt: skip
        return

    # throughput first, on their own, each kind separately
    sides = (args.det_side, args.threads, args.first_side)
    tp_plain, cpu_plain = throughput(plain_items[: args.speed_sample], args.workers, *sides)
    tp_text, cpu_text = throughput(text_items[: args.speed_sample], args.workers, *sides)
    speed = (f"throughput ({args.workers} readers × {args.threads} threads): no text {tp_plain:.2f} photos/s "
             f"(goal >= 2; CPU {cpu_plain:.2f} s/photo), with text {tp_text:.2f} photos/s (goal >= 0.5; CPU "
             f"{cpu_text:.2f} s/photo); load average {os.getloadavg()}")  # fmt: skip
    if args.speed_only:
        print(speed)
        return

    t0 = time.perf_counter()
    texts, _ = read_all(items, args.read_workers, args.det_side, 1, args.first_side)
    read_s = time.perf_counter() - t0

    scores = evaluate(items, texts)
    ev = scores["all"]
    rows, (occ_hit, occ_n), success = ev["recall"], ev["occluded"], ev["success"]
    plain_returned, queries = ev["plain_in_top3"], ev["queries"]

    print()
    print(
        f"corpus: {len(text_items)} photos with text, {len(plain_items)} without, 12 MP, from 62 real photographs"
    )
    print("| text height (at 4000×3000) | words read | recall |")
    print("|---|---|---|")
    for label, hit, n in rows:
        print(f"| {label} | {hit}/{n} | {hit / max(n, 1):.3f} |")
    print(f"| partly covered (any height) | {occ_hit}/{occ_n} | {occ_hit / max(occ_n, 1):.3f} |")
    tall_hit, tall_n = success[True]
    print(
        f"search success, words >= 20 px: {tall_hit}/{tall_n} = {tall_hit / max(tall_n, 1):.3f} (goal >= 0.9)"
    )
    for part in ("tune", "report"):
        hit, n = scores[part]["success"][True]
        print(f"  {part} part (every other background photograph): {hit}/{n} = {hit / max(n, 1):.3f}; photos "
              f"without text in a top 3: {scores[part]['plain_in_top3']} over {scores[part]['queries']} queries")  # fmt: skip
    all_hit = success[True][0] + success[False][0]
    print(f"search success, all queries: {all_hit}/{queries} = {all_hit / max(queries, 1):.3f}")
    print(f"photos without text in a query's top 3: {plain_returned} over {queries} queries "
          f"= {plain_returned / max(queries * 3, 1):.4f} of the top-3 slots (goal <= 0.01)")  # fmt: skip
    print(f"{speed}; whole corpus read in {read_s:.0f} s")
    out = Path(__file__).resolve().parent / "_out"
    out.mkdir(exist_ok=True)
    (out / "bench_ocr.json").write_text(json.dumps({
        "cpu": cpu_header(), "recall": rows, "occluded": [occ_hit, occ_n], "search_tall": success[True],
        "search_short": success[False], "plain_in_top3": plain_returned, "queries": queries,
        "photos_per_s_plain": tp_plain, "photos_per_s_text": tp_text, "cpu_s_plain": cpu_plain,
        "cpu_s_text": cpu_text, "readers": args.workers, "threads": args.threads, "det_side": args.det_side,
        "first_side": args.first_side,
    }, indent=1))  # fmt: skip
    (out / "bench_ocr_texts.json").write_text(json.dumps(texts))  # what was read, for looking into misses


if __name__ == "__main__":
    main()
