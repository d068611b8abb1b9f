"""What watched file-system changes mean for the catalog, without threads: renames and moves re-point rows
(no encoder run), a file still being written waits until it is finished (written and closed, or its size
and mtime unchanged for ``debounce`` seconds), files that vanish leave the catalog, a vanished row and a new
file with the same content are one move, unreadable files are retried. The indexing service feeds it
debounced batches on its worker thread and acts on the ``Outcome``; tests drive it directly with a clock.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from photosearch.library.scan import DiskEntry, content_hash, register_file, retry_error, walk
from photosearch.library.watch import Change, relevant_path
from photosearch.paths import path_inside as _inside
from photosearch.states import FileStatus, FolderState
from photosearch.store.catalog import Catalog, FileRow, FolderRow

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What the last changes did: the catalog changed (tell listeners), rows were deleted (collect garbage
    soon), a watched root itself went away (check the roots now)."""

    changed: bool = False
    deleted: bool = False
    check_roots: bool = False


class ChangeEvents:
    """The change-event logic of the indexing service (see the module docstring). ``retry`` maps paths to
    the time they are looked at again; ``reembed`` holds ids of indexed files whose content changed;
    ``verify`` folder ids to re-scan after heavy churn, with their due time."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        debounce: float,
        model_id: Callable[[], str | None],
        clock: Callable[[], float] = time.monotonic,
        stats: dict[str, int] | None = None,
    ) -> None:
        self.catalog = catalog
        self.debounce = debounce
        self.model_id = model_id
        self.clock = clock
        self.stats = stats if stats is not None else {"changes": 0, "moved": 0, "registered": 0, "deleted": 0}
        self.folders: list[FolderRow] = []
        self.retry: dict[
            str, float
        ] = {}  # path → due time (file still being written, or unreadable just now)
        # path → (size, mtime_ns, since) of a file seen while possibly still being written
        self.observed: dict[str, tuple[int, int, float]] = {}
        self.reembed: set[int] = set()
        self.verify: dict[int, float] = {}
        self.changed_any = False
        self.deleted_any = False
        self.roots_to_check = False

    def take_outcome(self) -> Outcome:
        out = Outcome(self.changed_any, self.deleted_any, self.roots_to_check)
        self.changed_any = self.deleted_any = self.roots_to_check = False
        return out

    def retries_due(self, now: float) -> list[str]:
        """Paths whose retry time has come (removed from ``retry``)."""
        due = [p for p, t in self.retry.items() if t <= now]
        for p in due:
            del self.retry[p]
        return due

    def forget(self, path: str) -> None:
        self.observed.pop(path, None)
        self.retry.pop(path, None)

    def folder_for(self, path: str) -> FolderRow | None:
        """The deepest online folder holding ``path``."""
        best = None
        for f in self.folders:
            if (
                f.state == FolderState.ONLINE
                and _inside(path, f.path)
                and (best is None or len(f.path) > len(best.path))
            ):
                best = f
        return best

    def apply(self, changes: list[Change]) -> None:
        self.stats["changes"] += len(changes)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("applying %d changes: %s", len(changes), changes[:20])
        dirty: dict[str, bool] = {}  # path → a "written and closed" event was seen
        trees: list[str] = []
        complete: set[str] = set()  # trees whose files arrived whole (moved, not written)
        moved_any: set[str] = set()
        roots = {f.path for f in self.folders}
        for ch in changes:
            if ch.is_dir and ch.path in roots and ch.kind in ("deleted", "moved"):
                self.roots_to_check = True  # the folder itself went away: check now, touch nothing
                continue
            if ch.kind == "moved" and ch.dest is not None:
                dest_f = self.folder_for(ch.dest)
                dest_ok = (
                    dest_f is not None
                    and relevant_path(ch.dest, dest_f.path, ch.is_dir)
                    and os.path.isdir(dest_f.path)
                )
                if ch.is_dir:
                    if dest_ok and dest_f is not None:
                        n = self.catalog.move_tree(ch.path, ch.dest, dest_f.id)
                        self.stats["moved"] += n
                        if n:
                            moved_any.add(ch.dest)
                        trees.append(ch.dest)
                        complete.add(ch.dest)
                    trees.append(ch.path)
                else:
                    if dest_ok and dest_f is not None and self.catalog.file_by_path(ch.path) is not None:
                        self.catalog.move_file(ch.path, ch.dest, dest_f.id)
                        self.stats["moved"] += 1
                        moved_any.add(ch.dest)
                    else:
                        dirty[ch.path] = dirty.get(ch.path, False)
                    if dest_ok:
                        dirty[ch.dest] = True  # a rename is the writer's "finished" signal
            elif ch.kind == "moved_in":
                if ch.is_dir:
                    trees.append(ch.path)
                    complete.add(ch.path)
                else:
                    dirty[ch.path] = True
            elif ch.is_dir:
                trees.append(ch.path)
            else:
                dirty[ch.path] = dirty.get(ch.path, False) or ch.kind == "closed"
        if len(changes) > 200:
            # after heavy churn, double-check the touched folders with a scan once things calm down
            for fid in {c.folder_id for c in changes}:
                self.verify[fid] = self.clock() + max(2.0, 4 * self.debounce)
        self.resolve(dirty, trees, moved_any, complete)

    def _prune_trees(self, trees: list[str]) -> list[str]:
        out: list[str] = []
        for t in sorted(set(trees), key=len):
            if not any(_inside(t, o) for o in out):
                out.append(t)
        return out

    def resolve(
        self, dirty: dict[str, bool], trees: list[str], moved: set[str], complete: set[str] | None = None
    ) -> None:
        """Compare the touched paths with the disk: register new/changed, then delete what vanished."""
        now = self.clock()
        candidates: dict[str, tuple[DiskEntry, FolderRow, bool]] = {}
        gone: dict[int, FileRow] = {}
        for t in self._prune_trees(trees):
            folder = self.folder_for(t)
            on_disk: set[str] = set()
            if folder is not None and os.path.isdir(folder.path) and os.path.isdir(t):
                whole = bool(complete) and t in complete  # type: ignore[operator]
                for e in walk(t):
                    if relevant_path(e.path, folder.path, False):
                        on_disk.add(e.path)
                        f2 = self.folder_for(e.path) or folder
                        candidates[e.path] = (e, f2, whole)
            elif folder is not None and not os.path.isdir(folder.path):
                self.roots_to_check = True
                continue
            for r in self.catalog.files_under(t):
                if r.path not in on_disk:
                    gone[r.id] = r
        for path, closed in dirty.items():
            if path in candidates:
                e, f, c = candidates[path]
                candidates[path] = (e, f, c or closed)
                continue
            folder = self.folder_for(path)
            if folder is not None and not os.path.isdir(folder.path):
                self.roots_to_check = True
                continue
            st = None
            if folder is not None and relevant_path(path, folder.path, False):
                with contextlib.suppress(OSError):
                    s = os.stat(path)
                    if os.path.isfile(path):
                        st = s
            if st is None or folder is None:
                row = self.catalog.file_by_path(path)
                if row is not None:
                    gone[row.id] = row
                self.observed.pop(path, None)
                continue
            candidates[path] = (DiskEntry(os.path.normpath(path), st.st_size, st.st_mtime_ns), folder, closed)

        model_id = self.model_id()
        registered = 0
        gone_paths = {r.path: i for i, r in gone.items()}
        with self.catalog.transaction():
            if gone:
                moved_n = self._match_moves(candidates, gone)
                self.stats["moved"] += moved_n
                if moved_n:
                    moved = moved | {"*"}
            for path, (e, folder, closed) in candidates.items():
                if path in gone_paths:
                    gone.pop(gone_paths[path], None)
                row = self.catalog.file_by_path(path)
                if (
                    row is not None
                    and row.size == e.size
                    and row.mtime_ns == e.mtime_ns
                    and row.folder_id == folder.id
                    and not retry_error(row)
                ):
                    self.observed.pop(path, None)
                    continue
                seen = self.observed.get(path)
                same = seen is not None and seen[:2] == (e.size, e.mtime_ns)
                # stable: written and closed, or unchanged for at least `debounce` seconds
                if not closed and not (same and seen is not None and now - seen[2] >= self.debounce):
                    if not same:
                        self.observed[path] = (e.size, e.mtime_ns, now)
                    since = self.observed[path][2]
                    self.retry[path] = max(now + 0.05, since + self.debounce)
                    continue
                self.observed.pop(path, None)
                self.retry.pop(path, None)
                kind = register_file(self.catalog, folder.id, e, model_id, row)
                log.debug("registered %s: %s", path, kind)
                if kind == FileStatus.ERROR and os.path.exists(path):
                    # could not be read just now (renamed or replaced mid-read): look again shortly
                    self.observed.pop(path, None)
                    self.retry[path] = now + self.debounce
                registered += 1
                if row is not None and kind == FileStatus.PENDING and row.status == FileStatus.INDEXED:
                    self.reembed.add(row.id)
            if gone:
                self.catalog.delete_files(list(gone))
        self.stats["registered"] += registered
        self.stats["deleted"] += len(gone)
        if gone:
            self.deleted_any = True
            for r in gone.values():
                self.observed.pop(r.path, None)
                self.retry.pop(r.path, None)
        if registered or gone or moved:
            self.changed_any = True

    def _match_moves(
        self, candidates: dict[str, tuple[DiskEntry, FolderRow, bool]], gone: dict[int, FileRow]
    ) -> int:
        """A vanished row and a new path with the same size, mtime and content is a move whose two halves
        were reported separately (e.g. into a folder too new to be watched yet, or across two watched
        folders): re-point the row instead of deleting one and embedding the other."""
        by_sig: dict[tuple[int, int], list[FileRow]] = {}
        for r in gone.values():
            if r.content_hash:
                by_sig.setdefault((r.size, r.mtime_ns), []).append(r)
        if not by_sig:
            return 0
        pool = dict(candidates)
        for path in list(self.retry):  # new files still waiting for their stability check
            if path not in pool:
                folder = self.folder_for(path)
                with contextlib.suppress(OSError):
                    st = os.stat(path)
                    if folder is not None:
                        pool[path] = (DiskEntry(path, st.st_size, st.st_mtime_ns), folder, False)
        n = 0
        for path, (e, folder, _closed) in pool.items():
            olds = by_sig.get((e.size, e.mtime_ns))
            if not olds or self.catalog.file_by_path(path) is not None:
                continue
            try:
                digest = content_hash(path, e.size)
            except OSError:
                continue
            old = next((r for r in olds if r.content_hash == digest and r.id in gone), None)
            if old is None:
                continue
            self.catalog.move_file(old.path, path, folder.id)
            del gone[old.id]
            olds.remove(old)
            self.retry.pop(path, None)
            self.observed.pop(path, None)
            n += 1
        return n
