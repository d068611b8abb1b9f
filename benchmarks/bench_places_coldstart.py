"""What reading place, time and camera words costs a cold ``photosearch search``: fresh processes, before
(the code at ``--base``, default the branch point) and after (this tree), alternating, median of N, on one
library: the small GPS library of the tests (real files, the shapes model) with ``--extra`` more catalog rows
(files + metadata spread over 300 places and 12 cameras, no embeddings: they cost the parser and the filter
resolution what real photos would, and nothing else).

    python benchmarks/bench_places_coldstart.py [--repeats 7] [--extra 100000] [--base COMMIT]

Also: whether ``scipy`` / ``reverse_geocode`` / the place data (``photosearch.places.geocode``) were imported
by a search (they must not be), and what loading the place data costs when the metadata pass needs it.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, cpu_header

sys.path.insert(0, str(ROOT))


def _cli(
    code: Path, data: Path, *args: str, extra_env: dict[str, str] | None = None
) -> tuple[float, str, str]:
    env = dict(os.environ, PYTHONPATH=str(code), PHOTOSEARCH_DATA_DIR=str(data), PHOTOSEARCH_READ_TEXT="0")
    env.update(extra_env or {})
    t0 = time.perf_counter()
    p = subprocess.run(
        [sys.executable, "-m", "photosearch", *args], env=env, capture_output=True, text=True, cwd=code
    )
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{args} failed: {p.stderr[-1500:]}")
    return dt, p.stdout, p.stderr


def _inflate(catalog: Path, extra: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    con = sqlite3.connect(catalog)
    folder = con.execute("SELECT id, path FROM folders").fetchone()
    places = [(f"C{i % 30:02d}", f"Region {i % 90}", f"Town {i}") for i in range(300)]
    cams = [("Make" + str(i % 5), f"Model {i}") for i in range(12)]
    now = time.time()
    files, metas = [], []
    for i in range(extra):
        h = f"synthetic{i:08d}"
        files.append(
            (folder[0], f"{folder[1]}/synthetic/{i}.jpg", 1000, 1, h, "jpeg", 96, 96, now - i * 600.0, now)
        )
        cc, rg, city = places[rng.randrange(len(places))] if rng.random() < 0.7 else (None, None, None)
        mk, md = cams[rng.randrange(len(cams))]
        metas.append(
            (h, "2020-01-01T10:00:00", 60, mk, md, None if cc is None else 45.0, 10.0, cc, rg, city, now)
        )
    con.executemany(
        "INSERT INTO files(folder_id, path, size, mtime_ns, content_hash, format, width, height, taken_at, status, "
        "updated_at) VALUES (?,?,?,?,?,?,?,?,?,'indexed',?)",
        files,
    )
    con.executemany(
        "INSERT INTO photo_meta(content_hash, taken_local, utc_offset_min, make, model, latitude, longitude, "
        "country_code, region, city, read_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        metas,
    )
    con.commit()
    con.close()
    from photosearch.store.catalog import Catalog

    c = Catalog(catalog)  # the summary of places and cameras the metadata pass keeps, as it would have
    c._store_vocabulary(*c._scan_vocabulary())
    c.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--extra", type=int, default=100_000)
    ap.add_argument("--base", default="e8e267797e543278d28c9e285782f0d8be3a7ce2")
    a = ap.parse_args()
    print(cpu_header())
    from tests.support.exif_photos import make_place_library

    work = Path(tempfile.mkdtemp(prefix="bench-places-"))
    try:
        base = work / "base"
        base.mkdir()
        archive = subprocess.run(["git", "archive", a.base], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
        make_place_library(work / "photos")
        new_data = work / "data-new"
        _cli(ROOT, new_data, "models", "import", str(ROOT / "tests/fixtures/shapes-model"))
        _cli(ROOT, new_data, "folders", "add", str(work / "photos"))
        _cli(ROOT, new_data, "index", "-q")
        _inflate(new_data / "catalog.sqlite3", a.extra)
        old_data = work / "data-old"
        shutil.copytree(new_data, old_data)
        con = sqlite3.connect(old_data / "catalog.sqlite3")
        con.executescript("DROP TABLE photo_meta; PRAGMA user_version = 2;")
        con.close()

        runs: dict[str, list[float]] = {}
        cases = [
            ("before: red circle", base, old_data, ["search", "red circle", "-k", "10"]),
            ("after: red circle", ROOT, new_data, ["search", "red circle", "-k", "10"]),
            (
                "after: red circle --literal",
                ROOT,
                new_data,
                ["search", "red circle", "-k", "10", "--literal"],
            ),
            ("after: red circle in Italy", ROOT, new_data, ["search", "red circle in Italy", "-k", "10"]),
            ("after: Helsinki (filters only)", ROOT, new_data, ["search", "Helsinki", "-k", "10"]),
        ]
        for _ in range(a.repeats):
            for name, code, data, args in cases:
                runs.setdefault(name, []).append(_cli(code, data, *args)[0])
        print(
            f"library: 17 real photos + {a.extra:,} catalog rows; {a.repeats} fresh processes each, alternating"
        )
        for name, vals in runs.items():
            print(
                f"  {name:34s} median {statistics.median(vals) * 1000:7.0f} ms  (min {min(vals) * 1000:.0f})"
            )
        grow = statistics.median(runs["after: red circle"]) - statistics.median(runs["before: red circle"])
        print(f"cold start growth (after − before, 'red circle'): {grow * 1000:+.0f} ms")

        probe = (
            "import statistics, sys, time; from photosearch.app.search import search; "
            "from photosearch.app.query import Query; from photosearch.store.catalog import Catalog; "
            "t0 = time.perf_counter(); from photosearch.app.understand import understand; "
            "from photosearch.app.places import results_meta; t1 = time.perf_counter(); "
            f"c = Catalog({str(new_data / 'catalog.sqlite3')!r}, readonly=True); ts = []\n"
            "for line in sys.argv[1:]:\n"
            "    for _ in range(5):\n"
            "        t = time.perf_counter(); understand(Query.of(line), c); ts.append((line, time.perf_counter() - t))\n"
            "print(f'import {(t1 - t0) * 1000:.1f}')\n"
            "for line in sys.argv[1:]:\n"
            "    print(line, round(statistics.median([x for l, x in ts if l == line]) * 1000, 1))"
        )
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                probe,
                "red circle",
                "red circle in Italy",
                "Helsinki",
                "beach last summer",
            ],
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        print(f"in-process: importing app.understand + app.places after app.search: {out[0].split()[1]} ms")
        for line in out[1:]:
            *words, ms = line.split()
            print(f"  understand({' '.join(words)!r}) on the 100k catalog: median {ms} ms")

        _, _, err = _cli(
            ROOT,
            new_data,
            "search",
            "red circle in Italy",
            "-k",
            "10",
            extra_env={"PYTHONPROFILEIMPORTTIME": "1"},
        )
        mods = {line.split("|")[-1].strip() for line in err.splitlines() if line.startswith("import time:")}
        for m in ("scipy", "reverse_geocode", "photosearch.places.geocode", "tzfpy"):
            print(f"  imported by a search: {m:28s} {'YES' if m in mods else 'no'}")
        t0 = time.perf_counter()
        code = "import time; t=time.perf_counter(); from photosearch.places.geocode import gazetteer; gazetteer(); print(time.perf_counter()-t)"
        out = subprocess.run(
            [sys.executable, "-c", code],
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
            capture_output=True,
            text=True,
            check=True,
        )
        print(
            f"place data load (metadata pass, first photo with GPS): {float(out.stdout) * 1000:.0f} ms "
            f"(process {time.perf_counter() - t0:.2f} s)"
        )
        per = (
            "import glob, statistics, sys, time; from photosearch.indexing.meta_steps import read_file_meta; "
            "from photosearch.places.geocode import gazetteer, locate; gazetteer(); fs = sorted(glob.glob(sys.argv[1]))\n"
            "def one(p):\n"
            "    m = read_file_meta(p)\n"
            "    return locate(m.latitude, m.longitude) if m.latitude is not None else None\n"
            "ts = []\n"
            "for _ in range(5):\n"
            "    t = time.perf_counter(); [one(p) for _ in range(20) for p in fs]; ts.append((time.perf_counter() - t) / (20 * len(fs)))\n"
            "print(statistics.median(ts) * 1000)"
        )
        out2 = subprocess.run(
            [sys.executable, "-c", per, str(work / "photos" / "*.jpg")],
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
            capture_output=True,
            text=True,
            check=True,
        )
        print(f"metadata pass: header read + place, per photo (JPEG, warm): {float(out2.stdout):.2f} ms")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
