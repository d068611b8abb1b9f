"""Kill harness: SIGKILL ``photosearch index`` at random moments, check nothing committed is lost.

    python benchmarks/kill_harness.py --photos 500 --kills 20 --seed 1

Generates ``--photos`` small distinct JPEGs and a tiny random model package, then repeatedly starts
``photosearch index`` (the real CLI, in a subprocess, with the vector index saved every 0.2 s —
``PHOTOSEARCH_SAVE_INTERVAL=0.2`` — so saves are frequent) and SIGKILLs it at a random moment,
chosen by one of three modes:

* ``time``  — a random delay after the start (lands in start-up, scanning, embedding or saving);
* ``count`` — when a random number of new embeddings has been committed;
* ``save``  — as soon as an index save has begun (its temporary file exists).

While the indexer runs, the harness follows the catalog read-only and keeps every committed
embedding (id, content hash, vector). After each kill it checks: ``photosearch doctor`` reports no
errors, and every embedding seen committed before the kill is still there, identical. With ``--churn N``
(default 5), before each trial N photos are deleted and N new ones added, so photos disappear while the
indexer is killed. After the
kills, one last run must finish; then every photo must be indexed exactly once (one file row each,
one embedding per content, all in the saved index), no thumbnail may be left whose photo is gone (file or
row: the orphans are counted after every kill and at the end) and search must work. A trial that breaks any of
this is a failure; the script prints trials, kills (how many during saves) and failures, and exits
non-zero when any failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def _env(data_dir: Path, save_interval: float) -> dict[str, str]:
    env = dict(os.environ)
    env["PHOTOSEARCH_DATA_DIR"] = str(data_dir)
    env["PHOTOSEARCH_SAVE_INTERVAL"] = str(save_interval)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("PHOTOSEARCH_THREADS", "2")
    return env


def _cli(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "photosearch", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(REPO),
    )


def make_photos(folder: Path, n: int, start: int = 0, seed: int = 0) -> None:
    """``n`` small distinct JPEGs (smooth random colour fields, 160×120)."""
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed + start)
    for i in range(start, start + n):
        small = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
        img = Image.fromarray(small, "RGB").resize((160, 120), Image.Resampling.BILINEAR)
        sub = folder / f"set{i // 100:02d}"
        sub.mkdir(exist_ok=True)
        img.save(sub / f"img_{i:05d}.jpg", quality=88)


class CatalogFollower:
    """Follows committed embeddings through a read-only connection (what a crash must never lose)."""

    def __init__(self, catalog: Path) -> None:
        self.catalog = catalog
        self.seen: dict[int, tuple[str, str, bytes]] = {}
        self.last = 0

    def poll(self) -> int:
        if not self.catalog.exists():
            return len(self.seen)
        try:
            conn = sqlite3.connect(f"file:{self.catalog}?mode=ro", uri=True, timeout=5)
            try:
                rows = conn.execute(
                    "SELECT id, content_hash, model_id, vector FROM embeddings WHERE id > ? ORDER BY id",
                    (self.last,),
                ).fetchall()
            finally:
                conn.close()
        except sqlite3.Error:
            return len(self.seen)  # the catalog is being created: nothing committed yet
        for i, h, m, v in rows:
            self.seen[int(i)] = (h, m, bytes(v))
            self.last = max(self.last, int(i))
        return len(self.seen)

    def lost(self) -> list[str]:
        """Committed embeddings (seen before the kill) that are now missing or changed."""
        conn = sqlite3.connect(f"file:{self.catalog}?mode=ro", uri=True, timeout=5)
        try:
            now = {
                int(i): (h, m, bytes(v))
                for i, h, m, v in conn.execute("SELECT id, content_hash, model_id, vector FROM embeddings")
            }
            live = {r[0] for r in conn.execute("SELECT DISTINCT content_hash FROM files")}
        finally:
            conn.close()
        out = []
        for i, row in self.seen.items():
            if i not in now and row[0] not in live:
                continue  # its photos were deleted (churn): collected as garbage, rightly
            if i not in now:
                out.append(f"embedding {i} ({row[0]}) committed before the kill is gone")
            elif now[i] != row:
                out.append(f"embedding {i} ({row[0]}) changed after the kill")
        return out


def _tmp_files(index_dir: Path) -> dict[str, tuple[int, int]]:
    """Temporary index files (name → size, mtime): an index save in progress, or one a kill interrupted."""
    out = {}
    try:
        for e in os.scandir(index_dir):
            if e.name.endswith(".tmp"):
                with contextlib.suppress(OSError):
                    st = e.stat()
                    out[e.name] = (st.st_size, st.st_mtime_ns)
    except OSError:
        pass
    return out


def _saving(index_dir: Path, leftovers: dict[str, tuple[int, int]]) -> bool:
    """A save is being written now: a temporary file that is not an unchanged leftover of an earlier kill."""
    return any(leftovers.get(name) != state for name, state in _tmp_files(index_dir).items())


def _pending(catalog: Path) -> int:
    conn = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True, timeout=5)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM files WHERE status='pending'").fetchone()[0])
    finally:
        conn.close()


def orphan_thumbnails(data: Path) -> tuple[int, int]:
    """(thumbnail files, thumbnail rows) whose content hash no photo in the catalog has."""
    conn = sqlite3.connect(f"file:{data / 'catalog.sqlite3'}?mode=ro", uri=True, timeout=5)
    try:
        known = {
            r[0]
            for r in conn.execute("SELECT DISTINCT content_hash FROM files WHERE content_hash IS NOT NULL")
        }
        rows = [r[0] for r in conn.execute("SELECT content_hash FROM thumbnails")]
    finally:
        conn.close()
    files = [p for p in (data / "thumbs").glob("*/*.jpg")]
    return sum(1 for p in files if p.name.split(".")[0] not in known), sum(1 for h in rows if h not in known)


def churn(lib: Path, rng: random.Random, n: int, next_index: int, seed: int) -> tuple[int, int]:
    """Delete ``n`` random photos and add ``n`` new ones; returns (the next free photo number, deleted)."""
    existing = sorted(lib.glob("set*/img_*.jpg"))
    gone = rng.sample(existing, min(n, len(existing)))
    for p in gone:
        p.unlink()
    make_photos(lib, n, start=next_index, seed=seed)
    return next_index + n, len(gone)


def run_harness(
    work: Path,
    *,
    photos: int = 500,
    kills: int = 20,
    seed: int = 0,
    batch_size: int = 8,
    save_interval: float = 0.2,
    churn_per_trial: int = 5,
    log=print,
) -> dict:
    from tests.tinymodel import build_tiny_model

    rng = random.Random(seed)
    work.mkdir(parents=True, exist_ok=True)
    data = work / "data"
    lib = work / "photos"
    model = build_tiny_model(work / "model", size=64, dim=32, seed=seed)
    make_photos(lib, photos, seed=seed)
    total_photos = photos
    env = _env(data, save_interval)
    for args in (("models", "import", str(model)), ("folders", "add", str(lib))):
        r = _cli(env, *args)
        if r.returncode != 0:
            raise RuntimeError(f"setup failed: {args}: {r.stderr}")
    catalog = data / "catalog.sqlite3"
    index_dir = data / "index"
    follower = CatalogFollower(catalog)
    failures: list[str] = []
    modes = {"time": 0, "count": 0, "save": 0}
    during_save = 0
    done_kills = 0
    trials = 0
    next_photo = photos
    deleted = 0
    orphans_after_kills: list[int] = []
    t0 = time.monotonic()
    while done_kills < kills:
        trials += 1
        if churn_per_trial and trials > 1:
            next_photo, n_gone = churn(lib, rng, churn_per_trial, next_photo, seed)
            deleted += n_gone
        if catalog.exists() and follower.poll() and _pending(catalog) == 0:
            # everything got indexed before enough kills: give the indexer more work
            make_photos(lib, 100, start=next_photo, seed=seed)
            next_photo += 100
            log("  (added 100 more photos)")
        mode = rng.choice(["time", "count", "save"])
        target_time = rng.uniform(0.05, 5.0)
        base = follower.poll()
        target_count = base + rng.randint(1, max(2, photos // kills))
        out = open(work / "index.log", "ab")
        p = subprocess.Popen(
            [sys.executable, "-m", "photosearch", "index", "-q", "--batch-size", str(batch_size)],
            env=env,
            stdout=out,
            stderr=out,
            cwd=str(REPO),
        )
        leftovers = _tmp_files(index_dir)
        start = time.monotonic()
        deadline = start + 30.0
        fired = False
        while p.poll() is None and time.monotonic() < deadline:
            if mode == "save":
                if _saving(index_dir, leftovers):
                    fired = True
                    break
                follower.poll()
                continue  # poll as fast as possible: saves are short
            n = follower.poll()
            if (mode == "time" and time.monotonic() - start >= target_time) or (
                mode == "count" and n >= target_count
            ):
                fired = True
                break
            time.sleep(0.002)  # pacing the poll loop, not synchronisation
        if p.poll() is not None:
            out.close()
            follower.poll()
            if p.returncode != 0:
                failures.append(f"trial {trials}: index exited with {p.returncode} before the kill")
            log(f"trial {trials:3}: finished before the kill ({mode}); rc={p.returncode}")
            continue
        os.kill(p.pid, signal.SIGKILL)
        in_save = _saving(index_dir, leftovers)
        p.wait()
        out.close()
        done_kills += 1
        modes[mode] += 1
        during_save += int(in_save)
        # checks after the kill
        problems = follower.lost()
        r = _cli(env, "doctor", "--json")
        try:
            report = json.loads(r.stdout)
        except ValueError:
            report = {"clean": False, "findings": [{"message": r.stderr.strip()}]}
        if r.returncode != 0 or not report.get("clean"):
            problems.append(
                "doctor: "
                + "; ".join(
                    f.get("message", "")
                    for f in report.get("findings", [])
                    if f.get("severity", "error") == "error"
                )
            )
        follower.poll()
        orphan_files, orphan_rows = orphan_thumbnails(data) if catalog.exists() else (0, 0)
        orphans_after_kills.append(orphan_files + orphan_rows)
        log(
            f"trial {trials:3}: kill {done_kills:2} ({mode:5}{', during a save' if in_save else ''}, "
            f"{'fired' if fired else 'deadline'}) after {time.monotonic() - start:.2f} s; "
            f"{len(follower.seen)} embeddings committed; doctor warnings {report.get('warnings', '?')}; "
            f"orphaned thumbnails now {orphan_files} files, {orphan_rows} rows (swept by the next completed run)"
            + (f"; FAILED: {problems}" if problems else "")
        )
        if problems:
            failures.append(f"trial {trials}: " + "; ".join(problems))
    # the last run completes
    r = _cli(env, "index", "-q", "--json", "--batch-size", str(batch_size), timeout=600)
    final: dict = {}
    if r.returncode != 0:
        failures.append(f"final index run failed: rc={r.returncode} {r.stderr.strip()[-500:]}")
    else:
        final = json.loads(r.stdout)
    lost = follower.lost()
    failures += [f"final: {x}" for x in lost]
    # embeddings of deleted photos are garbage-collected, so "lost" counts only those whose content is still here
    total_photos = len(list(lib.glob("set*/img_*.jpg")))
    final_orphans = orphan_thumbnails(data)
    if sum(final_orphans):
        failures.append(f"final: orphaned thumbnails {final_orphans[0]} files, {final_orphans[1]} rows")
    conn = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True)
    try:
        n_files = conn.execute("SELECT COUNT(*) FROM files").fetchone()[0]
        status = dict(conn.execute("SELECT status, COUNT(*) FROM files GROUP BY status").fetchall())
        n_emb = conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
        n_hash = conn.execute("SELECT COUNT(DISTINCT content_hash) FROM files").fetchone()[0]
        dup_paths = conn.execute("SELECT COUNT(*) - COUNT(DISTINCT path) FROM files").fetchone()[0]
        meta = conn.execute("SELECT count, high_water FROM vector_indexes").fetchone()
        max_id = conn.execute("SELECT max(id) FROM embeddings").fetchone()[0]
    finally:
        conn.close()
    if n_files != total_photos or status.get("indexed", 0) != total_photos or dup_paths:
        failures.append(
            f"final: {n_files} file rows, {status} for {total_photos} photos ({dup_paths} duplicates)"
        )
    if n_emb != total_photos or n_hash != total_photos:
        failures.append(f"final: {n_emb} embeddings and {n_hash} distinct contents for {total_photos} photos")
    # with churn, the saved index also counts the entries of deleted photos (marked deleted in hnswlib);
    # that it holds every live embedding is doctor's check below
    count_ok = meta is not None and (meta[0] >= n_emb if churn_per_trial else meta[0] == n_emb)
    if meta is None or not count_ok or meta[1] != max_id:
        failures.append(
            f"final: saved index holds {meta} (count, high water), catalog {n_emb} embeddings, max id {max_id}"
        )
    r = _cli(env, "doctor", "--json")
    if r.returncode != 0 or not json.loads(r.stdout).get("clean"):
        failures.append(f"final doctor: {r.stdout[-800:]} {r.stderr[-300:]}")
    r = _cli(env, "search", "--json", "-k", "5", "a red circle")
    if r.returncode != 0 or len(json.loads(r.stdout)["results"]) != 5:
        failures.append(f"final search failed: {r.stderr[-300:]}")
    result = {
        "photos": total_photos,
        "photos_deleted_by_churn": deleted,
        "orphaned_thumbnails_final": sum(final_orphans),
        "orphaned_thumbnails_after_kills_max": max(orphans_after_kills, default=0),
        "trials": trials,
        "kills": done_kills,
        "kills_by_mode": modes,
        "kills_during_save": during_save,
        "failures": len(failures),
        "failure_details": failures,
        "embeddings_committed_seen": len(follower.seen),
        "final": final.get("counts"),
        "seconds": round(time.monotonic() - t0, 1),
    }
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--photos", type=int, default=500)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--churn", type=int, default=5, help="photos deleted and added before each trial")
    ap.add_argument("--work", help="working folder (default: a temporary one, removed after)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    if a.work:
        res = run_harness(
            Path(a.work),
            photos=a.photos,
            kills=a.kills,
            seed=a.seed,
            batch_size=a.batch_size,
            churn_per_trial=a.churn,
        )
    else:
        with tempfile.TemporaryDirectory(prefix="kill-harness-") as d:
            res = run_harness(
                Path(d),
                photos=a.photos,
                kills=a.kills,
                seed=a.seed,
                batch_size=a.batch_size,
                churn_per_trial=a.churn,
            )
    if a.json:
        print(json.dumps(res, indent=2))
    else:
        print(
            f"photos {res['photos']}, trials {res['trials']}, SIGKILLs {res['kills']} "
            f"(by mode {res['kills_by_mode']}, {res['kills_during_save']} during an index save), "
            f"failures {res['failures']}, {res['seconds']} s; churn deleted {res['photos_deleted_by_churn']} photos; "
            f"orphaned thumbnails at the end {res['orphaned_thumbnails_final']} "
            f"(at most {res['orphaned_thumbnails_after_kills_max']} right after a kill)"
        )
        for f in res["failure_details"]:
            print("  FAILURE:", f)
    return 0 if res["failures"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
