"""Catalog backups: rotating copies made with SQLite's online backup API, restored by ``doctor --repair``.

A backup reads the catalog through its own read-only connection: in WAL mode a reader never blocks the
writer, so indexing goes on while it runs (``benchmarks/bench_backup.py`` measures the writer's longest
wait). The copy is written beside the others as ``backups/catalog-<time>.sqlite3.tmp``, checked, then
renamed, so a kill leaves no half backup under a real name. ``KEEP`` copies are kept (disk cost: about
``KEEP`` × the catalog's size; the catalog holds ~2.1 KB per photo with a 512-d model).

When the catalog is lost or damaged, the newest backup that passes SQLite's check is the starting point of
the rebuild: its folders, files and embeddings come back as they were, and only the photos added since are
decoded and embedded again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from photosearch.config import setting

if TYPE_CHECKING:
    from photosearch.store.catalog import Catalog

log = logging.getLogger(__name__)

DIRNAME = "backups"
KEEP = 3
ENV_INTERVAL = "PHOTOSEARCH_BACKUP_INTERVAL"  # seconds between scheduled backups
DEFAULT_INTERVAL = 24 * 3600.0
_PREFIX, _SUFFIX = "catalog-", ".sqlite3"
#: checkpoint passes after the copy: until one takes less than this (what the writer committed during it
#: is then little enough for its own next checkpoint), at most this many
_CAUGHT_UP_S = 0.02
_CATCH_UP_PASSES = 20


def backups_dir(data_dir: Path) -> Path:
    return Path(data_dir) / DIRNAME


def list_backups(data_dir: Path) -> list[Path]:
    """Finished backups, newest first."""
    d = backups_dir(data_dir)
    try:
        found = [p for p in d.iterdir() if p.name.startswith(_PREFIX) and p.name.endswith(_SUFFIX)]
    except OSError:
        return []
    return sorted(found, key=lambda p: p.name, reverse=True)


def interval() -> float:
    try:
        return float(setting(ENV_INTERVAL) or DEFAULT_INTERVAL)
    except ValueError:
        return DEFAULT_INTERVAL


def backup_due(data_dir: Path, every: float | None = None) -> bool:
    newest = next(iter(list_backups(data_dir)), None)
    if newest is None:
        return True
    try:
        age = time.time() - newest.stat().st_mtime
    except OSError:
        return True
    return age >= (interval() if every is None else every)


@contextlib.contextmanager
def _writer_checkpoints_paused(writer: Catalog | None) -> Iterator[None]:
    """The writer's automatic checkpoints off while the backup holds its snapshot (restored after).

    While the copy reads one snapshot, nothing written after it can be checkpointed, so the WAL grows by
    everything committed meanwhile; the first of the writer's commits after the snapshot closes would then
    checkpoint all of it inside the commit (a multi-second stall with commits back to back, measured at
    100k photos). With the writer's automatic checkpoints off, the backup's own connection checkpoints
    that backlog (PASSIVE: the writer keeps committing meanwhile), and the writer takes over again."""
    if writer is None:
        yield
        return
    with writer.automatic_checkpoints_paused():
        yield


def backup_catalog(
    catalog: Path, data_dir: Path | None = None, keep: int = KEEP, writer: Catalog | None = None
) -> Path:
    """Copy the catalog now (online: the writer is not blocked) and drop all but the newest ``keep``.

    ``writer``: the open writing catalog, if this process has one — its automatic checkpoints pause while
    the copy is made, and the WAL that grew meanwhile is checkpointed from here instead of in one of its
    commits."""
    catalog = Path(catalog)
    d = backups_dir(data_dir or catalog.parent)
    d.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime()) + f"-{time.time_ns() % 1_000_000_000:09d}"
    dest = d / f"{_PREFIX}{stamp}{_SUFFIX}"
    tmp = dest.with_name(dest.name + ".tmp")
    with _writer_checkpoints_paused(writer):
        ok = _copy(catalog, tmp)
    if not ok:
        tmp.unlink(missing_ok=True)
        raise sqlite3.DatabaseError("the backup copy cannot be read")
    os.replace(tmp, dest)
    for old in list_backups(d.parent)[keep:]:
        with contextlib.suppress(OSError):
            old.unlink()
    for left in d.glob(f"{_PREFIX}*{_SUFFIX}.tmp"):  # interrupted earlier backups
        if left != tmp:
            with contextlib.suppress(OSError):
                left.unlink()
    log.info("catalog backed up to %s", dest)
    return dest


def _copy(catalog: Path, tmp: Path) -> bool:
    src = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True, timeout=30.0)
    try:
        target = sqlite3.connect(str(tmp))
        try:
            src.backup(target)  # one step: one consistent snapshot, read without blocking a WAL writer
            target.execute("PRAGMA journal_mode = DELETE")
            ok = target.execute("PRAGMA schema_version").fetchone() is not None  # a whole check reads it all
        finally:
            target.close()
        # while the copy held its snapshot, checkpoints could not pass it and the WAL grew: it is
        # checkpointed from here (PASSIVE never blocks the writer), not in one of the writer's commits
    finally:
        src.close()
    _checkpoint(catalog)
    return ok


def _checkpoint(catalog: Path) -> None:
    """Checkpoint the catalog's WAL from a connection of its own (a read-only one cannot: SQLite refuses
    with "disk I/O error"), pass after pass while a pass had much to do, since the writer goes on
    committing meanwhile. Best effort: the writer checkpoints whatever is left."""
    with contextlib.suppress(sqlite3.Error):
        conn = sqlite3.connect(str(catalog), timeout=30.0)
        try:
            for _ in range(_CATCH_UP_PASSES):
                t0 = time.perf_counter()
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                if time.perf_counter() - t0 < _CAUGHT_UP_S:
                    break
        finally:
            conn.close()


def maybe_backup(
    catalog: Path, data_dir: Path, every: float | None = None, writer: Catalog | None = None
) -> Path | None:
    """A scheduled backup when the newest is older than the interval; best effort (never raises)."""
    if not Path(catalog).exists() or not backup_due(data_dir, every):
        return None
    try:
        return backup_catalog(catalog, data_dir, writer=writer)
    except (OSError, sqlite3.Error) as e:
        log.warning("cannot back up the catalog: %s", e)
        return None


_running: dict[str, threading.Thread] = {}
_running_lock = threading.Lock()


def backup_in_background(
    catalog: Path, data_dir: Path, every: float | None = None, writer: Catalog | None = None
) -> threading.Thread | None:
    """:func:`maybe_backup` on a low-priority thread of its own, so the writer (indexing, watching) goes
    on while the catalog is copied; None when no backup is due or one is already running."""
    key = str(Path(catalog).resolve())
    with _running_lock:
        running = _running.get(key)
        if running is not None and running.is_alive():
            return None
        if not Path(catalog).exists() or not backup_due(data_dir, every):
            return None

        def work() -> None:
            with contextlib.suppress(OSError, AttributeError):  # Linux: a thread's own nice value
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
            maybe_backup(catalog, data_dir, every, writer)

        t = threading.Thread(target=work, name="catalog-backup", daemon=True)
        _running[key] = t
        t.start()
        return t


def wait_for_backup(catalog: Path) -> None:
    """Wait for a background backup of this catalog to finish (before the process exits)."""
    with _running_lock:
        t = _running.get(str(Path(catalog).resolve()))
    if t is not None:
        t.join()


def newest_good_backup(data_dir: Path) -> Path | None:
    """The newest backup that opens and passes SQLite's quick check."""
    for p in list_backups(data_dir):
        try:
            conn = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
            try:
                if conn.execute("PRAGMA quick_check").fetchone()[0] == "ok":
                    return p
            finally:
                conn.close()
        except sqlite3.Error as e:
            log.warning("backup %s is unusable: %s", p.name, e)
    return None
