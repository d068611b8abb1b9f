"""How long a catalog backup blocks the writer, at 100k photos (``photosearch.store.backup``).

    python benchmarks/bench_backup.py [--photos 100000] [--dim 512]

Builds (once, under ``benchmarks/_inputs/backup<N>/``) a catalog of N photos with a ``--dim`` embedding
each, like a real library's. Then a writer thread commits one small transaction after another (a file
row updated — what indexing does per photo), first alone, then while ``backup_catalog`` copies the
catalog; the writer's longest wait for a commit is reported for both, with the backup's duration and the
disk cost (catalog and backup sizes).
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import INPUTS, write_result  # noqa: E402

from photosearch.store import backup  # noqa: E402
from photosearch.store.catalog import Catalog  # noqa: E402


def build(path: Path, n: int, dim: int) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".building")
    tmp.unlink(missing_ok=True)
    rng = np.random.default_rng(0)
    with Catalog(tmp, create=True) as cat:
        folder = cat.add_folder("/photos")
        with cat.transaction() as c:
            for i in range(n):
                h = f"{i:032x}"
                c.execute("INSERT INTO files(folder_id, path, size, mtime_ns, content_hash, format, width, height, "
                          "taken_at, status, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                          (folder.id, f"/photos/{i // 1000:03d}/IMG_{i:06d}.jpg", 3_500_000 + i, 1_700_000_000 + i,
                           h, "jpeg", 4000, 3000, 1.6e9 + i, "indexed", time.time()))
                v = rng.standard_normal(dim).astype("<f4")
                c.execute("INSERT INTO embeddings(content_hash, model_id, vector, created_at) VALUES (?,?,?,?)",
                          (h, "model", (v / np.linalg.norm(v)).astype("<f4").tobytes(), time.time()))
                c.execute("INSERT INTO thumbnails(content_hash, width, height, bytes, created_at) VALUES (?,?,?,?,?)",
                          (h, 320, 240, 18_000, time.time()))
    tmp.rename(path)


stamps: list[float] = []


def writer_waits(cat: Catalog, stop: threading.Event, ids: list[int]) -> list[float]:
    """Commit one small transaction after another until ``stop``; each commit's duration (s)."""
    waits: list[float] = []
    stamps.clear()
    i = 0
    while not stop.is_set():
        t = time.perf_counter()
        cat.set_file_error(ids[i % len(ids)], "bench") if i % 2 else cat.set_file_indexed(
            ids[i % len(ids)], fmt="jpeg", width=4000, height=3000, taken_at=None)
        waits.append(time.perf_counter() - t)
        stamps.append(t)
        i += 1
    return waits


def measure(path: Path, seconds_alone: float = 3.0) -> dict:
    with Catalog(path) as cat:
        ids = [r[0] for r in cat._q("SELECT id FROM files LIMIT 1000")]  # noqa: SLF001
        stop = threading.Event()
        out: dict[str, list[float]] = {}
        t = threading.Thread(target=lambda: out.setdefault("alone", writer_waits(cat, stop, ids)))
        t.start()
        time.sleep(seconds_alone)  # a fixed measuring window, not synchronisation
        stop.set()
        t.join()
        stop = threading.Event()
        t = threading.Thread(target=lambda: out.setdefault("during", writer_waits(cat, stop, ids)))
        t.start()
        t0 = time.perf_counter()
        dest = backup.backup_catalog(path, path.parent)
        took = time.perf_counter() - t0
        time.sleep(1.0)  # keep writing a second after the backup: the writer's next checkpoint counts too
        stop.set()
        t.join()
    alone, during = out["alone"], out["during"]
    worst = int(np.argmax(during))
    when = stamps[worst] - t0
    return {"catalog_mb": round(path.stat().st_size / 1e6, 1), "backup_mb": round(dest.stat().st_size / 1e6, 1),
            "backup_s": round(took, 2), "writer_commits_during_backup": len(during),
            "writer_max_wait_ms_alone": round(1000 * max(alone), 1),
            "writer_max_wait_ms_during_backup": round(1000 * max(during), 1),
            "writer_p99_wait_ms_during_backup": round(1000 * float(np.percentile(during, 99)), 1),
            "worst_wait_at_s_after_backup_start": round(when, 2),
            "keep": backup.KEEP, "disk_cost_mb": round(backup.KEEP * dest.stat().st_size / 1e6, 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--photos", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=512)
    a = ap.parse_args()
    path = INPUTS / f"backup{a.photos}" / "catalog.sqlite3"
    t = time.perf_counter()
    build(path, a.photos, a.dim)
    print(f"catalog of {a.photos} photos ready ({time.perf_counter() - t:.0f} s)", file=sys.stderr)
    res = {"photos": a.photos, "dim": a.dim, **measure(path)}
    print(res)
    write_result("backup", res)
    return 0 if res["writer_max_wait_ms_during_backup"] <= 100 else 1


if __name__ == "__main__":
    sys.exit(main())
