"""How long a catalog backup blocks the writer, at 100k photos (``photosearch.store.backup``).

    python benchmarks/bench_backup.py [--photos 100000] [--dim 512]

Builds (once, under ``benchmarks/_inputs/backup<N>/``) a catalog of N photos with a ``--dim`` embedding
each, like a real library's. Then a writer thread commits one small transaction after another (a file
batch committed as the pipeline does: 16 embeddings and 16 file rows), first alone, then while the app's
scheduled backup (``backup_in_background``: its own connection, its own low-priority thread) copies the
catalog; the writer's longest wait for a commit is reported for both, with the backup's duration and the
disk cost (catalog and backup sizes).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import INPUTS, write_result

from photosearch.store import backup
from photosearch.store.catalog import Catalog


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
                c.execute(
                    "INSERT INTO files(folder_id, path, size, mtime_ns, content_hash, format, width, height, "
                    "taken_at, status, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        folder.id,
                        f"/photos/{i // 1000:03d}/IMG_{i:06d}.jpg",
                        3_500_000 + i,
                        1_700_000_000 + i,
                        h,
                        "jpeg",
                        4000,
                        3000,
                        1.6e9 + i,
                        "indexed",
                        time.time(),
                    ),
                )
                v = rng.standard_normal(dim).astype("<f4")
                c.execute(
                    "INSERT INTO embeddings(content_hash, model_id, vector, created_at) VALUES (?,?,?,?)",
                    (h, "model", (v / np.linalg.norm(v)).astype("<f4").tobytes(), time.time()),
                )
                c.execute(
                    "INSERT INTO thumbnails(content_hash, width, height, bytes, created_at) VALUES (?,?,?,?,?)",
                    (h, 320, 240, 18_000, time.time()),
                )
    tmp.rename(path)


stamps: list[float] = []


def writer_waits(cat: Catalog, stop: threading.Event, ids: list[int], pause: float) -> list[float]:
    """Commit one indexing batch after another until ``stop`` — 16 new embeddings and 16 file rows marked
    indexed in one transaction, as the pipeline commits a batch — ``pause`` seconds apart; each commit's
    duration (s)."""
    waits: list[float] = []
    stamps.clear()
    rng = np.random.default_rng(1)
    i = 0
    while not stop.is_set():
        vecs = rng.standard_normal((16, 512)).astype("<f4")
        t = time.perf_counter()
        with cat.transaction():
            for k in range(16):
                fid = ids[(i * 16 + k) % len(ids)]
                cat.put_embedding(f"bench{i:08d}{k:02d}", "model", vecs[k])
                cat.set_file_indexed(fid, fmt="jpeg", width=4000, height=3000, taken_at=None)
        waits.append(time.perf_counter() - t)
        stamps.append(t)
        i += 1
        if pause:
            time.sleep(pause)  # the writer's pace (an indexer encodes between commits), not synchronisation
    return waits


def measure(path: Path, pause: float, seconds_alone: float = 3.0) -> dict:
    with Catalog(path) as cat:
        ids = [r[0] for r in cat._q("SELECT id FROM files LIMIT 1000")]
        stop = threading.Event()
        out: dict[str, list[float]] = {}
        t = threading.Thread(target=lambda: out.setdefault("alone", writer_waits(cat, stop, ids, pause)))
        t.start()
        time.sleep(seconds_alone)  # a fixed measuring window, not synchronisation
        stop.set()
        t.join()
        stop = threading.Event()
        t = threading.Thread(target=lambda: out.setdefault("during", writer_waits(cat, stop, ids, pause)))
        t.start()
        t0 = time.perf_counter()
        before = set(backup.list_backups(path.parent))
        # as the app does it: on its own low-priority thread (backup_in_background), due now (every=0)
        started = backup.backup_in_background(path, path.parent, every=0, writer=cat)
        assert started is not None
        backup.wait_for_backup(path)
        took = time.perf_counter() - t0
        dest = next(p for p in backup.list_backups(path.parent) if p not in before)
        time.sleep(1.0)  # keep writing a second after the backup: the writer's next checkpoint counts too
        stop.set()
        t.join()
    alone, during = out["alone"], out["during"]
    worst = int(np.argmax(during))
    when = stamps[worst] - t0
    return {
        "writer_pause_s": pause,
        "catalog_mb": round(path.stat().st_size / 1e6, 1),
        "backup_mb": round(dest.stat().st_size / 1e6, 1),
        "backup_s": round(took, 2),
        "writer_commits_during_backup": len(during),
        "writer_max_wait_ms_alone": round(1000 * max(alone), 1),
        "writer_max_wait_ms_during_backup": round(1000 * max(during), 1),
        "writer_p99_wait_ms_during_backup": round(1000 * float(np.percentile(during, 99)), 1),
        "worst_wait_at_s_after_backup_start": round(when, 2),
        "keep": backup.KEEP,
        "disk_cost_mb": round(backup.KEEP * dest.stat().st_size / 1e6, 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--photos", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=512)
    a = ap.parse_args()
    path = INPUTS / f"backup{a.photos}" / "catalog.sqlite3"
    t = time.perf_counter()
    build(path, a.photos, a.dim)
    print(f"catalog of {a.photos} photos ready ({time.perf_counter() - t:.0f} s)", file=sys.stderr)
    # 20 ms between batches: ~800 photos/s, 10-40× faster than CPU indexing; 0: commits back to back
    runs = []
    for pause in (0.02, 0.0):
        work = path.parent / "work"  # a fresh copy each run: the writer adds rows
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        shutil.copyfile(path, work / path.name)
        runs.append({"photos": a.photos, "dim": a.dim, **measure(work / path.name, pause)})
        shutil.rmtree(work, ignore_errors=True)
    for r in runs:
        print(r)
    write_result("backup", {"runs": runs})
    return 0 if runs[0]["writer_max_wait_ms_during_backup"] <= 100 else 1


if __name__ == "__main__":
    sys.exit(main())
