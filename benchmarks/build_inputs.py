"""Build (and cache) every input the benchmark suite needs, under ``benchmarks/_inputs/`` (git-ignored).

    python benchmarks/build_inputs.py [--jpegs 96] [--heics 12] [--skip-1m]

* ``corpus/jpeg/``: N distinct 12-megapixel JPEGs (4000×3000, quality 90, 4:2:0) with photo-like
  content (sky/ground scene, objects, sensor grain) and camera EXIF (make, model, date taken and
  orientation: mostly 1, some 6/8/3). ``corpus/heic/``: a HEIC subset (pillow-heif, with an
  iPhone-like 320 px embedded thumbnail).
* ``models/``: random-weight exports (``models/tools/export.py``): ViT-B-32-256 fp32 + int8,
  ViT-B/32-224 fp32 + int8; ``rclip-data/``: the same B-32-256 fp32 weights laid out where rclip
  3.3.0 reads its model (``RCLIP_DATADIR``).
* ``vectors/``: 1M clustered, L2-normalised 512-d vectors (the first 100k are the 100k set) and
  query vectors offset from the clusters (text and image embeddings sit apart: cosine ≈ 0.3).
* ``lib100k/``, ``lib1m/``: PhotoSearch data dirs whose catalog holds those vectors (inserted with
  ``Catalog.put_embedding`` in transactions, plus file rows) and a saved hnswlib index.

Each step is skipped when its stamp file says it was built with the same parameters. The time of
every step is printed and written to ``_inputs/build_times.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from _common import synthetic_root  # noqa: E402  (after the path set-up above)

INPUTS = ROOT / "benchmarks" / "_inputs"
CORPUS = INPUTS / "corpus"
MODELS = INPUTS / "models"
VECTORS = INPUTS / "vectors"
RCLIP_DATA = INPUTS / "rclip-data"
DIM = 512
N_CLUSTERS = 2000
N_QUERIES = 1000
MODEL_256 = "vit-b-32-256-random"
MODEL_256_INT8 = "vit-b-32-256-random-int8"
MODEL_224 = "vit-b-32-224-random"
MODEL_224_INT8 = "vit-b-32-224-random-int8"
WIDTH, HEIGHT = 4000, 3000

log = logging.getLogger("build_inputs")


# ---------------------------------------------------------------------------------------------------
# stamps


def _stamp_ok(path: Path, params: dict) -> bool:
    try:
        return json.loads(path.read_text()) == params
    except (OSError, ValueError):
        return False


def _reuse_or_wipe(d: Path, params: dict) -> bool:
    """True when ``d`` was built with ``params`` (its stamp says so); otherwise remove it and return False."""
    if _stamp_ok(d / ".stamp", params):
        return True
    if d.exists():
        shutil.rmtree(d)
    return False


def _stamp(path: Path, params: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(params))


def _link(link: Path, target: Path) -> None:
    """``link`` → ``target``, both inside ``_inputs``, as a *relative* link (``../../models/<id>``): it resolves
    from every worktree, whose ``benchmarks/_inputs`` is a symlink to the shared folder. (An absolute link made
    through one worktree's path broke when that worktree was removed.) An existing link is replaced atomically,
    so a benchmark running meanwhile never finds it missing."""
    rel = os.path.relpath(target.resolve(), link.parent.resolve())
    if link.is_symlink() and os.readlink(link) == rel:
        return
    tmp = link.with_name(f".{link.name}.relink")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(rel, target_is_directory=target.is_dir())
    os.replace(tmp, link)


def relink(d: Path) -> None:
    """Point a built library's model links (``models/<id>``) and an rclip data dir's links at this ``_inputs``'s
    ``models/`` and ``rclip-data/``, relatively (see ``_link``): repairs a library built with absolute links."""
    for folder, source in ((d / "models", MODELS), (d, RCLIP_DATA)):
        if not folder.is_dir():
            continue
        for link in folder.iterdir():
            if link.is_symlink() and (source / link.name).exists():
                _link(link, source / link.name)


# ---------------------------------------------------------------------------------------------------
# photos


def make_photo(seed: int, width: int = WIDTH, height: int = HEIGHT):  # PIL Image
    """A deterministic photo-like RGB image: sky gradient, horizon, ground, objects, sensor grain."""
    from PIL import Image, ImageDraw, ImageFilter

    rng = np.random.default_rng(seed)
    lw, lh = width // 4, height // 4
    yy = np.linspace(0, 1, lh, dtype=np.float32)[:, None, None]
    sky_top, sky_bottom = rng.uniform(20, 255, 3), rng.uniform(60, 255, 3)
    ground_top, ground_bottom = rng.uniform(10, 200, 3), rng.uniform(0, 150, 3)
    horizon = rng.uniform(0.3, 0.7)
    t_sky = np.clip(yy / horizon, 0, 1)
    t_ground = np.clip((yy - horizon) / (1 - horizon), 0, 1)
    img = np.where(
        yy < horizon,
        sky_top * (1 - t_sky) + sky_bottom * t_sky,
        ground_top * (1 - t_ground) + ground_bottom * t_ground,
    )
    img = np.broadcast_to(img, (lh, lw, 3)).astype(np.float32)
    # low-frequency structure (clouds, terrain)
    coarse = rng.normal(0, 18, (lh // 80 + 2, lw // 80 + 2, 1)) + rng.normal(
        0, 6, (lh // 80 + 2, lw // 80 + 2, 3)
    )
    coarse_img = Image.fromarray(np.clip(coarse + 128, 0, 255).astype(np.uint8)).resize(
        (lw, lh), Image.BICUBIC
    )
    fine = rng.normal(0, 10, (lh // 6 + 1, lw // 6 + 1, 1)) + rng.normal(0, 3, (lh // 6 + 1, lw // 6 + 1, 3))
    fine_img = Image.fromarray(np.clip(fine + 128, 0, 255).astype(np.uint8)).resize((lw, lh), Image.BICUBIC)
    img = img + (np.asarray(coarse_img, np.float32) - 128) + (np.asarray(fine_img, np.float32) - 128)
    base = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(base)
    for _ in range(int(rng.integers(4, 14))):  # objects: people, trees, buildings, balls…
        x, y = rng.uniform(0, lw), rng.uniform(lh * 0.2, lh)
        w, h = rng.uniform(lw * 0.03, lw * 0.3), rng.uniform(lh * 0.05, lh * 0.45)
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse([x - w / 2, y - h / 2, x + w / 2, y + h / 2], fill=colour)
        else:
            draw.rectangle([x - w / 2, y - h, x + w / 2, y], fill=colour)
    base = base.filter(ImageFilter.GaussianBlur(1.2))
    full = base.resize((width, height), Image.BICUBIC)
    # mid-frequency texture + fine sensor grain (what makes real 12 MP JPEGs several MB)
    arr = np.asarray(full, dtype=np.int16)
    tex = rng.normal(0, 7, (height // 2, width // 2)).astype(np.float32)
    tex_img = Image.fromarray(np.clip(tex + 128, 0, 255).astype(np.uint8)).resize(
        (width, height), Image.BILINEAR
    )
    arr = arr + (np.asarray(tex_img, np.int16) - 128)[:, :, None]
    arr += rng.integers(-7, 8, (height, width, 3), dtype=np.int16)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


_ORIENTATIONS = [1, 1, 1, 1, 6, 1, 8, 3]


def _exif(seed: int, orientation: int) -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "BenchCam"
    exif[0x0110] = "Model 12"
    exif[0x0112] = orientation
    day = seed % 28 + 1
    exif[0x0132] = f"2021:06:{day:02d} 12:{seed % 60:02d}:00"
    exif.get_ifd(0x8769)[0x9003] = f"2021:06:{day:02d} 12:{seed % 60:02d}:00"
    return exif.tobytes()


def _write_jpeg(args: tuple[int, str]) -> str:
    seed, dest = args
    img = make_photo(seed)
    tmp = dest + ".tmp"
    img.save(
        tmp,
        "JPEG",
        quality=90,
        subsampling="4:2:0",
        exif=_exif(seed, _ORIENTATIONS[seed % len(_ORIENTATIONS)]),
    )
    os.replace(tmp, dest)
    return dest


def _write_heic(args: tuple[int, str]) -> str:
    from build_heic import save_heic

    seed, dest = args
    return save_heic(make_photo(seed), dest, _exif(seed, 1))


def build_corpus(n_jpeg: int, n_heic: int, procs: int = 2) -> None:
    params = {"n_jpeg": n_jpeg, "n_heic": n_heic, "v": 1}
    stamp = CORPUS / ".stamp"
    if _stamp_ok(stamp, params):
        log.info("corpus: cached (%d JPEG, %d HEIC)", n_jpeg, n_heic)
        return
    jdir, hdir = CORPUS / "jpeg", CORPUS / "heic"
    jdir.mkdir(parents=True, exist_ok=True)
    hdir.mkdir(parents=True, exist_ok=True)
    jobs = [(i, str(jdir / f"IMG_{i:04d}.jpg")) for i in range(n_jpeg)]
    jobs = [j for j in jobs if not os.path.exists(j[1])]
    hjobs = [(100_000 + i, str(hdir / f"IMG_{i:04d}.heic")) for i in range(n_heic)]
    hjobs = [j for j in hjobs if not os.path.exists(j[1])]
    with Pool(procs) as pool:
        for k, _ in enumerate(pool.imap_unordered(_write_jpeg, jobs), 1):
            if k % 16 == 0:
                log.info("  jpeg %d/%d", k, len(jobs))
        for k, _ in enumerate(pool.imap_unordered(_write_heic, hjobs), 1):
            if k % 4 == 0:
                log.info("  heic %d/%d", k, len(hjobs))
    _stamp(stamp, params)


# ---------------------------------------------------------------------------------------------------
# models


def build_models() -> None:
    from models.tools.export import CONFIGS, export_clip, package_to_rclip, quantize_package

    params = {"v": 1, "models": [MODEL_256, MODEL_256_INT8, MODEL_224, MODEL_224_INT8]}
    stamp = MODELS / ".stamp"
    if _stamp_ok(stamp, params):
        log.info("models: cached")
        return
    MODELS.mkdir(parents=True, exist_ok=True)
    for arch, fp32_id, int8_id in (
        ("vit-b-32-256", MODEL_256, MODEL_256_INT8),
        ("vit-b-32-224", MODEL_224, MODEL_224_INT8),
    ):
        fp32 = MODELS / fp32_id
        if fp32.exists():
            shutil.rmtree(fp32)
        export_clip(CONFIGS[arch](), fp32, model_id=fp32_id)
        q = MODELS / int8_id
        if q.exists():
            shutil.rmtree(q)
        quantize_package(fp32, q, model_id=int8_id)
    if RCLIP_DATA.exists():
        shutil.rmtree(RCLIP_DATA)
    package_to_rclip(MODELS / MODEL_256, RCLIP_DATA)
    _stamp(stamp, params)


# ---------------------------------------------------------------------------------------------------
# vectors


def _normalize(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def build_vectors(n: int = 1_000_000, seed: int = 7) -> None:
    params = {"n": n, "dim": DIM, "clusters": N_CLUSTERS, "queries": N_QUERIES, "seed": seed, "v": 1}
    stamp = VECTORS / ".stamp"
    if _stamp_ok(stamp, params):
        log.info("vectors: cached")
        return
    VECTORS.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    centres = _normalize(rng.standard_normal((N_CLUSTERS, DIM)).astype(np.float32))
    # cluster sizes vary (some events have many photos); members sit at cosine ≈ 0.6-0.8 from the centre
    weights = rng.pareto(1.5, N_CLUSTERS) + 1
    weights /= weights.sum()
    out = np.lib.format.open_memmap(VECTORS / "vectors.npy", mode="w+", dtype=np.float32, shape=(n, DIM))
    chunk = 100_000
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        which = rng.choice(N_CLUSTERS, size=m, p=weights)
        spread = rng.uniform(0.035, 0.06, (m, 1)).astype(np.float32)
        x = centres[which] + rng.standard_normal((m, DIM)).astype(np.float32) * spread
        out[start : start + m] = _normalize(x)
    out.flush()
    del out
    # queries: aimed at a cluster but far off it (cosine ≈ 0.3 to the cluster, like text vs image)
    which = rng.choice(N_CLUSTERS, size=N_QUERIES, p=weights)
    noise = _normalize(rng.standard_normal((N_QUERIES, DIM)).astype(np.float32))
    q = _normalize(0.32 * centres[which] + 0.95 * noise)
    np.save(VECTORS / "queries.npy", q.astype(np.float32))
    _stamp(stamp, params)


def query_strings(n: int, seed: int = 0) -> list[str]:
    """Distinct natural-ish query strings (no cache can answer them twice)."""
    import random

    from models.tools.export import _WORDS

    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        q = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(2, 7)))
        if q not in seen:
            seen.add(q)
            out.append(q)
    return out


# ---------------------------------------------------------------------------------------------------
# libraries


def library_dir(n: int) -> Path:
    return INPUTS / ("lib1m" if n >= 1_000_000 else f"lib{n // 1000}k")


def build_library(n: int, model_ids: list[str], ef_construction: int | None = None) -> Path:
    """A PhotoSearch data dir with ``n`` photos' embeddings (for each model id) and a saved index.

    ``ef_construction``: build the index with this instead of the product's ``EF_CONSTRUCTION`` (for
    experiments; it is recorded in the stamp and the results). Every library is built with the product's."""
    from photosearch.config import Paths
    from photosearch.library.library import ACTIVE_MODEL_KEY
    from photosearch.store import vectors as vmod
    from photosearch.store.catalog import Catalog
    from photosearch.store.vectors import VectorIndex

    d = library_dir(n)
    params = {
        "n": n,
        "models": model_ids,
        "v": 2,
        "ef_construction": ef_construction or vmod.EF_CONSTRUCTION,
        "M": vmod.M,
        "vectors": json.loads((VECTORS / ".stamp").read_text()),
    }
    stamp = d / ".stamp"
    if _reuse_or_wipe(d, params):
        relink(d)
        synthetic_root(d)
        log.info("library %s: cached", d.name)
        return d
    paths = Paths.resolve(d)
    paths.ensure()
    for mid in set(model_ids) | {MODEL_256_INT8}:
        _link(paths.models_dir / mid, MODELS / mid)
    vecs = np.load(VECTORS / "vectors.npy", mmap_mode="r")
    cat = Catalog(paths.catalog)
    root = synthetic_root(d)  # a real, empty folder: searches leave out the photos of a folder not there
    folder = cat.add_folder(str(root))
    t0 = time.monotonic()
    chunk = 50_000
    now = time.time()
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        block = np.asarray(vecs[start : start + m], dtype=np.float32)
        with cat.transaction() as conn:
            conn.executemany(
                "INSERT INTO files(folder_id, path, size, mtime_ns, content_hash, format, width, height, taken_at,"
                " status, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    (
                        folder.id,
                        f"{root}/{(start + i) // 1000:04d}/IMG_{start + i:07d}.jpg",
                        4_000_000 + i,
                        1_600_000_000_000_000_000 + i,
                        f"h{start + i:09d}",
                        "jpeg",
                        4000 if i % 5 else 3000,
                        3000 if i % 5 else 4000,
                        1.5e9 + (start + i) * 3600.0,
                        "indexed",
                        now,
                    )
                    for i in range(m)
                ),
            )
            for mid in model_ids:
                for i in range(m):
                    cat.put_embedding(f"h{start + i:09d}", mid, block[i])
        log.info("  %s: %d/%d rows (%.0f s)", d.name, start + m, n, time.monotonic() - t0)
    cat.set_meta(ACTIVE_MODEL_KEY, model_ids[0])
    if ef_construction:
        vmod.EF_CONSTRUCTION = ef_construction
    for mid in model_ids:
        t1 = time.monotonic()
        VectorIndex.open(cat, paths.index_dir, mid, DIM, writer=True)
        log.info("  %s: index for %s built and saved in %.0f s", d.name, mid, time.monotonic() - t1)
    cat.close()
    _stamp(stamp, params)
    return d


def rclip_library_dir(n: int) -> Path:
    return INPUTS / f"rclip{n // 1000}k"


def build_rclip_library(n: int) -> Path:
    """An ``RCLIP_DATADIR`` whose rclip 3.3.0 database holds the same ``n`` vectors, for its CLI's cold start.

    The photos' paths are under ``<dir>/photos`` (an empty folder: ``rclip -n`` searches the database
    rows under the current directory without touching the files)."""
    from rclip import db

    d = rclip_library_dir(n)
    params = {"n": n, "v": 1, "vectors": json.loads((VECTORS / ".stamp").read_text())}
    stamp = d / ".stamp"
    if _reuse_or_wipe(d, params):
        relink(d)
        log.info("rclip library %s: cached", d.name)
        return d
    (d / "photos").mkdir(parents=True)
    for item in RCLIP_DATA.iterdir():
        _link(d / item.name, item)
    vecs = np.load(VECTORS / "vectors.npy", mmap_mode="r")
    database = db.DB(d / "db.sqlite3")
    photos = d / "photos"
    for i in range(n):
        database.upsert_image(
            db.NewImage(
                filepath=str(photos / f"{i // 1000:04d}" / f"IMG_{i:07d}.jpg"),
                modified_at=1.6e9 + i,
                size=4_000_000 + i,
                vector=np.asarray(vecs[i], np.float32).tobytes(),
                hash=f"h{i:09d}",
            ),
            commit=False,
        )
    database.commit()
    database.close()
    _stamp(stamp, params)
    return d


# ---------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jpegs", type=int, default=96)
    ap.add_argument("--heics", type=int, default=12)
    ap.add_argument("--skip-1m", action="store_true", help="don't build the 1M library (slow)")
    ap.add_argument(
        "--only",
        choices=("corpus", "models", "vectors", "lib100k", "rclip100k", "lib1m", "lib10k", "rclip10k"),
        action="append",
    )
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    INPUTS.mkdir(parents=True, exist_ok=True)
    times_path = INPUTS / "build_times.json"
    steps = [
        ("corpus", lambda: build_corpus(args.jpegs, args.heics)),
        ("models", build_models),
        ("vectors", build_vectors),
        ("lib100k", lambda: build_library(100_000, [MODEL_256, MODEL_256_INT8])),
        ("rclip100k", lambda: build_rclip_library(100_000)),
        ("lib1m", lambda: build_library(1_000_000, [MODEL_256])),
        # the 10k pair for bench_coldstart.py --n 10000 (issue 21: cold query ≤ 1.0 s at 10k): only with --only
        ("lib10k", lambda: build_library(10_000, [MODEL_256, MODEL_256_INT8])),
        ("rclip10k", lambda: build_rclip_library(10_000)),
    ]
    total = time.monotonic()
    for name, fn in steps:
        if args.only and name not in args.only:
            continue
        if name == "lib1m" and args.skip_1m:
            continue
        if name in ("lib10k", "rclip10k") and not args.only:
            continue
        t0 = time.monotonic()
        fn()
        dt = time.monotonic() - t0
        if dt > 1.0:  # a cached step takes well under a second; keep the time it took to build
            try:  # re-read: another build process may have recorded other steps meanwhile
                times = json.loads(times_path.read_text())
            except (OSError, ValueError):
                times = {}
            times[name] = round(dt, 1)
            times_path.write_text(json.dumps(times, indent=2))
        print(f"{name:8} {dt:8.1f} s" + ("" if dt > 1.0 else "  (cached)"), flush=True)
    print(f"total    {time.monotonic() - total:8.1f} s (build times of each step: {times_path})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
