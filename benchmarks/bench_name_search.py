"""Search by file and folder name at 100,000 photos (issue 20, "search a person can trust"): what finding photos by
name adds to a text search, in process and to a cold ``photosearch search``, and whether a date-like query swamps
the results.

    python benchmarks/bench_name_search.py [--repeats 30] [--cold 5] [--before COMMIT]

The library: a copy of ``benchmarks/_inputs/lib100k``'s catalog (its vector index and models linked, not copied)
whose 100,000 files are renamed as cameras name them — in 500 event folders ``YYYY/YYYY-MM-DD Event`` (2012–2024),
a third Android-style ``IMG_20190512_143000.jpg``, a third Nikon-style ``DSC_0042.JPG``, a third iPhone-style
``IMG_1234.JPG`` (counters wrap at 9999, so a name recurs in several folders, as in a real library) — under a
root that exists (the copy's temporary folder). Deleted at the end.

In process (the library opened read-only, as ``photosearch search`` opens it; warmed up on 5 queries), per query,
alternating which goes first:

* *today*: the text search as it was before names were searched — ``engine.search_text`` then
  ``text_match.blend`` with the name step switched off;
* *with names*: ``photosearch.app.search.search`` (the folder-root check, the name step, the blend);
* *name step*: ``name_match.name_hits`` alone (candidates from the ``file_names`` index, then the rule);
* *LIKE scan*: what the index replaces — the candidates alone by a ``LIKE`` scan of the paths below the root.

Queries: names that match (``IMG_1234``, ``DSC_0042.JPG``, ``holiday``, ``2019-03-19 beach``, ``snow day``) and
queries that match no name (everyday words). Swamping: how many photos a query's name matches, for ``2019``,
``img``, ``dsc`` — with this rule (numbers whole) and with a plain substring rule, for comparison.

``--cold N``: N rounds of fresh ``photosearch search`` processes on the copy, a name-matching and a non-matching
query, this code against ``--before`` (default: the commit before name search, extracted with ``git archive`` into
a temporary folder), alternating which goes first; and, in a fresh process each round, the two steps this change
adds to a search (the folder-root check, the name step) timed as the first thing it does. The cold wall times
spread by seconds on a loaded machine; the steps' own times say what the change adds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import INPUTS, ROOT, cpu_header, load_avg, require_inputs, stats, write_result

LIB = INPUTS / "lib100k"
BEFORE = "31bc4f8"  # the branch's base: no name search, no folder-root check
EVENTS = (
    "Holiday",
    "Birthday",
    "Beach",
    "Wedding",
    "Christmas",
    "Hiking",
    "Garden",
    "Zoo",
    "Paris trip",
    "Ski week",
    "Concert",
    "Graduation",
    "Camping",
    "Road trip",
    "Museum",
    "Family visit",
    "Picnic",
    "New Year",
    "Lake house",
    "Snow day",
)
NAMED = ("IMG_1234", "DSC_0042.JPG", "holiday", "2019-03-19 beach", "snow day")
UNNAMED = (
    "a dog on a beach",
    "kids playing in the snow",
    "sunset over the sea",
    "a red car",
    "birthday cake with candles",
)
SWAMP = ("2019", "img", "dsc")


def camera_roll(i: int) -> str:
    """The relative path photo ``i`` of 100,000 gets."""
    e = i // 200  # 500 events of 200 photos
    y = 2012 + e * 13 // 500
    m, d = (e * 7) % 12 + 1, (e * 11) % 28 + 1
    folder = f"{y}/{y}-{m:02d}-{d:02d} {EVENTS[e % len(EVENTS)]}"
    j = i % 200
    if e % 3 == 0:
        name = f"IMG_{y}{m:02d}{d:02d}_{9 + j // 60:02d}{j % 60:02d}{(j * 7) % 60:02d}.jpg"
    elif e % 3 == 1:
        name = f"DSC_{i % 9999 + 1:04d}.JPG"
    else:
        name = f"IMG_{(i * 3) % 9999 + 1:04d}.JPG"
    return f"{folder}/{name}"


def make_copy(tmp: Path, migrate: bool = True) -> Path:
    """The renamed copy's data folder (``tmp/data``), its root ``tmp/photos`` (exists, empty); ``migrate``: brought
    to this code's schema (the file-name table filled), timed."""
    data, root = tmp / "data", tmp / "photos"
    data.mkdir(parents=True)
    root.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    shutil.copyfile(LIB / "catalog.sqlite3", data / "catalog.sqlite3")
    for name in ("index", "models"):
        (data / name).symlink_to((LIB / name).resolve(), target_is_directory=True)
    con = sqlite3.connect(data / "catalog.sqlite3")
    with con:
        (fid,) = con.execute("SELECT id FROM folders").fetchone()
        con.execute("UPDATE folders SET path = ? WHERE id = ?", (str(root), fid))
        ids = [r[0] for r in con.execute("SELECT id FROM files ORDER BY id")]
        con.executemany(
            "UPDATE files SET path = ? WHERE id = ?",
            [(f"{root}/{camera_roll(n)}", file_id) for n, file_id in enumerate(ids)],
        )
    con.close()
    print(
        f"copy of lib100k's catalog renamed in {time.perf_counter() - t0:.1f} s: {len(ids):,} files",
        flush=True,
    )
    if migrate:
        from photosearch.store.catalog import Catalog

        t0 = time.perf_counter()
        Catalog(data / "catalog.sqlite3").close()
        took = time.perf_counter() - t0
        size = (
            sum(
                r[0]
                for r in sqlite3.connect(data / "catalog.sqlite3").execute(
                    "SELECT pgsize FROM dbstat WHERE name LIKE 'file_names%'"
                )
            )
            if _has_dbstat()
            else None
        )
        print(
            f"migrated to this code's schema (the file-name table filled for {len(ids):,} files) in {took:.1f} s"
            + (f"; the table takes {size / 1e6:.1f} MB" if size else ""),
            flush=True,
        )
    return data


def _has_dbstat() -> bool:
    try:
        sqlite3.connect(":memory:").execute("SELECT * FROM dbstat LIMIT 1")
    except sqlite3.DatabaseError:
        return False
    return True


def in_process(data: Path, repeats: int) -> dict:
    from photosearch.app.query import Query
    from photosearch.app.search import open_engine, search
    from photosearch.config import Paths
    from photosearch.library.library import Library
    from photosearch.search import name_match, text_match

    lib = Library(Paths.resolve(data))
    engine = open_engine(lib)
    real = text_match.name_hits

    def today(q: str) -> int:
        text_match.name_hits = lambda *a, **kw: []  # type: ignore[assignment]
        try:
            resp = text_match.blend(engine.search_text(q, 20), lib.catalog, q, 20)
        finally:
            text_match.name_hits = real
        return len(resp.results)

    def with_names(q: str) -> int:
        resp = search(Query.of(q, k=20), engine)
        return sum(1 for r in resp.results if r.matched_name)

    def step(q: str) -> int:
        return len(name_match.name_hits(lib.catalog, q, None, engine.runtime.id))

    def like_scan(q: str) -> int:
        """The alternative to the index: the candidates by a LIKE scan of the paths below the root (as the first
        version of this change read them)."""
        nq = name_match.NameQuery.of(q)
        words = nq.words if nq else ()
        conds = " AND ".join("substr(f.path, length(d.path) + 2) LIKE ?" for _ in words) or "1"
        rows = lib.catalog._q(
            f"SELECT f.id FROM files f JOIN folders d ON d.id = f.folder_id WHERE f.status = 'indexed' "
            f"AND d.state != 'offline' AND {conds} LIMIT ?",
            [*(f"%{w}%" for w in words), name_match.SCAN_MAX],
        )
        return len(rows)

    for q in UNNAMED[:3] + NAMED[:2]:  # warm up: sessions, caches, the caption bank
        today(q)
        with_names(q)
    out: dict = {"queries": {}}
    for q in NAMED + UNNAMED:
        t: dict[str, list[float]] = {"today": [], "with_names": [], "name_step": [], "like_scan": []}
        hits = {"name_hits": step(q), "named_in_top20": with_names(q)}
        for i in range(repeats):
            order = [("today", today), ("with_names", with_names)]
            for name, fn in order if i % 2 == 0 else reversed(order):
                t0 = time.perf_counter()
                fn(q)
                t[name].append((time.perf_counter() - t0) * 1000)
            for name, fn in (("name_step", step), ("like_scan", like_scan)):
                t0 = time.perf_counter()
                fn(q)
                t[name].append((time.perf_counter() - t0) * 1000)
        row = {k: stats(v) for k, v in t.items()} | hits
        out["queries"][q] = row
        print(
            f"{q!r:32} today {row['today']['median']:6.1f} ms | with names {row['with_names']['median']:6.1f} ms"
            f" | name step {row['name_step']['median']:5.1f} ms (a LIKE scan's candidates alone: "
            f"{row['like_scan']['median']:5.1f} ms) | {hits['name_hits']:5} by name"
            f" ({hits['named_in_top20']} of the top 20)",
            flush=True,
        )
    for kind, qs in (("matching", NAMED), ("not matching", UNNAMED)):
        added = [out["queries"][q]["with_names"]["median"] - out["queries"][q]["today"]["median"] for q in qs]
        step_ms = [out["queries"][q]["name_step"]["median"] for q in qs]
        out[f"added_ms_{kind.replace(' ', '_')}"] = statistics.median(added)
        print(
            f"queries {kind} a name: median added {statistics.median(added):.1f} ms per query "
            f"(name step alone {statistics.median(step_ms):.1f} ms)",
            flush=True,
        )
    out["swamp"] = swamp(lib)
    lib.close()
    return out


def swamp(lib: object) -> dict:
    """Photos a date-like or everyday name word matches: this rule against a plain substring of the path below
    the root."""
    from photosearch.search import name_match

    catalog = lib.catalog  # type: ignore[attr-defined]
    (root,) = [f.path for f in catalog.folders()]
    rels = [r[0][len(root) + 1 :].lower() for r in catalog._q("SELECT path FROM files")]
    out = {}
    name_match_max = name_match.SCAN_MAX
    name_match.SCAN_MAX = 200_000  # count them all here (a search reads at most SCAN_MAX candidates)
    try:
        for q in SWAMP:
            hits = name_match.name_hits(catalog, q)
            ours, ours_files = len(hits), sum(1 for h in hits if h.name == os.path.basename(h.file.path))
            substring = sum(1 for r in rels if q in r)
            in_names = sum(1 for r in rels if q in r.rsplit("/", 1)[-1])
            out[q] = {
                "rule": ours,
                "rule_by_file_name": ours_files,
                "substring": substring,
                "substring_in_file_names": in_names,
            }
            print(
                f"swamp {q!r}: {ours:,} photos by this rule ({ours_files:,} of them by a file name); a substring "
                f"rule: {substring:,} ({in_names:,} by a file name)",
                flush=True,
            )
    finally:
        name_match.SCAN_MAX = name_match_max
    return out


def cold(data: Path, rounds: int, before: str, tmp: Path) -> dict:
    old = tmp / "before"
    old.mkdir()
    old_data = make_copy(tmp / "before-copy", migrate=False)  # the code before reads the schema before
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", before], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
    trees = {"this": ROOT, "before": old}
    env = dict(os.environ, PHOTOSEARCH_THREADS=os.environ.get("PHOTOSEARCH_THREADS", "2"))
    queries = {"matching": "IMG_1234", "not matching": "a dog on a beach"}
    times: dict[str, dict[str, list[float]]] = {q: {t: [] for t in trees} for q in queries}

    def run(tree: Path, q: str) -> float:
        where = data if tree == ROOT else old_data
        cmd = [sys.executable, "-m", "photosearch", "search", "--data-dir", str(where), q, "-k", "10"]
        t0 = time.perf_counter()
        p = subprocess.run(
            cmd, cwd=str(tree), env=dict(env, PYTHONPATH=str(tree)), capture_output=True, text=True
        )
        dt = time.perf_counter() - t0
        if p.returncode != 0 or not p.stdout.strip():
            raise RuntimeError(f"{cmd} in {tree} failed: {p.stderr[-2000:]}")
        return dt

    steps: dict[str, dict[str, list[float]]] = {q: {"roots": [], "names": []} for q in queries}
    probe = (
        "import json, sys, time\n"
        "from photosearch.app.search import unreachable_roots\n"
        "from photosearch.search.name_match import name_hits\n"
        "from photosearch.store.catalog import Catalog\n"
        "c = Catalog(sys.argv[1], readonly=True)\n"
        "t0 = time.perf_counter(); unreachable_roots(c); t1 = time.perf_counter()\n"
        "n = len(name_hits(c, sys.argv[2], None, c.get_meta('active_model'))); t2 = time.perf_counter()\n"
        "print(json.dumps({'roots': (t1 - t0) * 1000, 'names': (t2 - t1) * 1000, 'hits': n}))\n"
    )

    def first_steps(q: str) -> dict:
        """The two steps this change adds, timed as the first of a fresh process (nothing cached in it)."""
        p = subprocess.run(
            [sys.executable, "-c", probe, str(data / "catalog.sqlite3"), q],
            cwd=str(ROOT),
            env=dict(env, PYTHONPATH=str(ROOT)),
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(p.stdout.strip().splitlines()[-1])

    for q in queries.values():  # once each, untimed: files in the page cache
        for tree in trees.values():
            run(tree, q)
    for i in range(rounds):
        for kind, q in queries.items():
            order = list(trees) if i % 2 == 0 else list(reversed(trees))
            for name in order:
                times[kind][name].append(run(trees[name], q))
            first = first_steps(q)
            steps[kind]["roots"].append(first["roots"])
            steps[kind]["names"].append(first["names"])
        print(
            f"[{i + 1}/{rounds}] "
            + " | ".join(
                f"{k}: this {times[k]['this'][-1]:.2f} s, before {times[k]['before'][-1]:.2f} s"
                for k in queries
            )
            + f" | load {load_avg():.1f}",
            flush=True,
        )
    out = {}
    for kind in queries:
        s_this, s_before = stats(times[kind]["this"]), stats(times[kind]["before"])
        out[kind] = {
            "this_s": s_this,
            "before_s": s_before,
            "added_s": s_this["median"] - s_before["median"],
            "first_root_check_ms": stats(steps[kind]["roots"]),
            "first_name_step_ms": stats(steps[kind]["names"]),
        }
        print(
            f"cold photosearch search, query {kind} a name ({queries[kind]!r}): this {s_this['median']:.2f} s "
            f"(range {s_this['min']:.2f}–{s_this['max']:.2f}), before {s_before['median']:.2f} s "
            f"(range {s_before['min']:.2f}–{s_before['max']:.2f}): {out[kind]['added_s'] * 1000:+.0f} ms; "
            f"the added steps, first in a fresh process: folder roots "
            f"{out[kind]['first_root_check_ms']['median']:.2f} ms, names {out[kind]['first_name_step_ms']['median']:.2f} ms "
            f"(max {out[kind]['first_root_check_ms']['max']:.2f} / {out[kind]['first_name_step_ms']['max']:.2f})",
            flush=True,
        )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument(
        "--cold", type=int, default=0, help="rounds of fresh photosearch search processes (0: none)"
    )
    ap.add_argument("--before", default=BEFORE, help="the commit to time cold searches against")
    args = ap.parse_args(argv)
    require_inputs(LIB / "catalog.sqlite3", LIB / "index")
    print(cpu_header(), flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench-names-"))
    try:
        data = make_copy(tmp)
        result = {"in_process": in_process(data, args.repeats)}
        if args.cold:
            result["cold"] = cold(data, args.cold, args.before, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    write_result("bench_name_search", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
