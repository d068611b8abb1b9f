"""The indexing service's folder steps: which folders are watched (events or polling), roots that go
offline and come back, scans that reconcile folders with the disk, and what the application layer tells the
service when it changes the folder list (``editing``, ``folder_added``, ``folder_removed``, ``folder_paused``)."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator

from photosearch.indexing.state import ServiceState
from photosearch.library.scan import ScanReport, reconcile_folder
from photosearch.progress import Progress, ProgressPhase
from photosearch.states import FileStatus, FolderState, WatchMode
from photosearch.store.catalog import FolderRow

log = logging.getLogger("photosearch.indexing.service")


class FolderSteps(ServiceState):
    # -- told about changes made by the application layer (photosearch.app.folders) ----------------------
    @contextlib.contextmanager
    def editing(self) -> Iterator[None]:
        """Hold the worker off the catalog while the caller changes the folder list."""
        with self._work_lock:
            yield

    def folder_added(self, row: FolderRow) -> None:
        """A folder was added: watch it and scan it soon."""
        with self._cv:
            self._folders_dirty = True
        self.request_scan(row.id)

    def folder_removed(self) -> None:
        """A folder was removed: stop watching it and collect what only it used."""
        with self._cv:
            self._folders_dirty = True
            self._gc_due = time.monotonic()
            self._idle = False
            self._cv.notify_all()
        self._changed()

    def folder_paused(self, row: FolderRow | None, paused: bool) -> None:
        """A folder was paused (not watched, not indexed) or resumed (scanned again soon)."""
        with self._cv:
            self._folders_dirty = True
        if not paused and row is not None:
            self.request_scan(row.id)
        else:
            self._wake()

    def watch_modes(self) -> dict[str, tuple[str, str | None]]:
        """{folder path: (mode "events" | "polling", note)} for the folders being watched."""
        return {s.folder.path: (s.mode, s.note) for s in list(self.watcher.states.values())}

    def _sync_folders(self) -> None:
        rows = self.catalog.folders()
        self.events.folders = rows
        ids = {f.id for f in rows}
        for fid in list(self.watcher.states):
            st = self.watcher.states[fid]
            row = next((f for f in rows if f.id == fid), None)
            if row is None or row.state != FolderState.ONLINE or row.path != st.folder.path:
                self.watcher.unwatch(fid)
                self._next_poll.pop(fid, None)
        for fid in list(self._next_poll):
            if fid not in ids:
                del self._next_poll[fid]
        if not self.watch_enabled:
            return
        for f in rows:
            if f.state == FolderState.ONLINE and f.id not in self.watcher.states and os.path.isdir(f.path):
                self._watch(f)

    def _watch(self, f: FolderRow) -> None:
        st = self.watcher.watch(f)
        if st.mode == WatchMode.POLLING:
            self._next_poll[f.id] = time.monotonic() + self.poll_interval
        else:
            self._next_poll.pop(f.id, None)
        if (f.watch_mode, f.watch_note) != (st.mode, st.note):
            self.catalog.set_folder_watch(f.id, st.mode, st.note)

    def _check_roots(self) -> bool:
        """Mark folders whose root vanished offline; bring back the ones whose root returned."""
        changed = False
        for f in self.catalog.folders():
            if f.state == FolderState.PAUSED:
                continue
            present = os.path.isdir(f.path)
            if f.state == FolderState.ONLINE and not present:
                log.info("folder %s is offline (its root is missing); its photos are hidden", f.path)
                self.watcher.unwatch(f.id)
                self._next_poll.pop(f.id, None)
                self.catalog.set_folder_state(f.id, FolderState.OFFLINE)
                changed = True
            elif f.state == FolderState.OFFLINE and present:
                log.info("folder %s is back", f.path)
                if self.watch_enabled:
                    self._watch(f)  # watch first, so nothing that happens during the scan is missed
                self._reconcile(f)  # marks it online; unchanged files keep their embeddings
                changed = True
        if changed:
            self.events.folders = self.catalog.folders()
            self._folders_dirty = True
            self._changed()
        return changed

    # -- scans --------------------------------------------------------------------------------------
    def _reconcile(self, folder: FolderRow, cancelled: Callable[[], bool] = lambda: False) -> ScanReport:
        before = {
            r.id for r in self.catalog.files_in_folder(folder.id).values() if r.status == FileStatus.INDEXED
        }
        report = reconcile_folder(self.catalog, folder, self._model_id(), cancelled=cancelled)
        if report.changed:
            for r in self.catalog.files_in_folder(folder.id).values():
                if r.status == FileStatus.PENDING and r.id in before:
                    self._reembed.add(r.id)
        return report

    def _scan(self, folder_ids: set[int] | None, quiet: bool = False) -> None:
        folders = [f for f in self.catalog.folders() if folder_ids is None or f.id in folder_ids]
        if not quiet:
            self._emit(
                Progress(
                    ProgressPhase.SCANNING,
                    message="looking for new, changed and removed photos",
                    errors=self.errors,
                    encoded=self.encoded,
                )
            )
        total = ScanReport()
        self._busy = True
        try:
            for f in folders:
                if self._stopping.is_set() or self._cancel:
                    break
                with self._work_lock:
                    total.merge(self._reconcile(f, cancelled=lambda: self._stopping.is_set() or self._cancel))
        finally:
            self._busy = False
        self.stats["scans"] += 1
        self.events.folders = self.catalog.folders()
        with self._cv:
            self._folders_dirty = True
        if total.new or total.changed or total.moved or total.deleted or total.offline:
            if total.deleted:
                self._gc_due = time.monotonic() + self.gc_delay
            self._changed()
        if not quiet:
            self._emit(
                Progress(
                    ProgressPhase.SCANNING,
                    total.seen,
                    total.seen,
                    errors=self.errors,
                    encoded=self.encoded,
                    extra={"scan": dict(total.__dict__)},
                )
            )
