"""An open library: the data directory, its catalog, the installed models and their vector indexes.

The CLI and the GUI both work through this one object (and the indexing service and search engine
built on it); neither touches SQLite or hnswlib directly.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import threading
from pathlib import Path

from photosearch.config import Paths
from photosearch.errors import CatalogError, DiskFull, ModelNotInstalled, PhotoSearchError, QueryError
from photosearch.library.thumbs import ThumbnailCache
from photosearch.models.encoders import ModelRuntime, RuntimeSettings
from photosearch.models.manifest import ModelPackage, load_package
from photosearch.store.catalog import Catalog, FolderRow
from photosearch.store.lock import WriterLock
from photosearch.store.vectors import VectorIndex

log = logging.getLogger(__name__)

ACTIVE_MODEL_KEY = "active_model"
FOLDERS_BACKUP = "folders.json"


def data_dir_error(data_dir: Path, e: OSError) -> PhotoSearchError:
    """A clear, typed error for an OS failure on the data directory (full disk, read-only, no access)."""
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFull(f"the disk holding {data_dir} is full: free some space and try again")
    if e.errno == errno.EROFS:
        return CatalogError(f"the data folder {data_dir} is on a read-only disk; choose another with --data-dir")
    if e.errno in (errno.EACCES, errno.EPERM):
        return CatalogError(f"no permission to write in the data folder {data_dir}")
    return CatalogError(f"cannot use the data folder {data_dir}: {e.strerror or e}")


class Library:
    """Opens the catalog; with ``write=True`` also takes the single-writer lock (or raises IndexLocked)."""

    def __init__(self, paths: Paths, *, write: bool = False, purpose: str | None = None,
                 settings: RuntimeSettings | None = None) -> None:
        self.paths = paths
        self.writable = write
        self.lock = WriterLock(paths.lock_file, purpose)
        try:
            if write:
                paths.ensure()
                self.lock.acquire()
            else:
                paths.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            self.lock.release()
            raise data_dir_error(paths.data_dir, e) from e
        try:
            self.catalog = Catalog(paths.catalog, check=write)
        except BaseException:
            self.lock.release()
            raise
        if write and not (paths.data_dir / FOLDERS_BACKUP).exists():
            self.backup_folders()
        self.settings = settings or RuntimeSettings.default()
        self.thumbs = ThumbnailCache(paths.thumbs_dir)
        self._runtimes: dict[str, ModelRuntime] = {}
        self._indexes: dict[str, VectorIndex] = {}
        self._mutex = threading.RLock()

    # -- lifetime ---------------------------------------------------------------------------------
    def close(self) -> None:
        with self._mutex:
            if self.writable:
                for vi in self._indexes.values():
                    if vi.dirty:
                        with contextlib.suppress(PhotoSearchError, OSError):
                            vi.save(self.catalog)
            self._indexes.clear()
            self._runtimes.clear()
            self.catalog.close()
            self.lock.release()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- models -----------------------------------------------------------------------------------
    def installed_models(self) -> list[ModelPackage]:
        out: list[ModelPackage] = []
        if not self.paths.models_dir.is_dir():
            return out
        for d in sorted(self.paths.models_dir.iterdir()):
            if d.is_dir() and not d.name.startswith(".") and (d / "manifest.json").is_file():
                try:
                    out.append(load_package(d, verify="none"))
                except PhotoSearchError as e:
                    log.warning("ignoring broken model package %s: %s", d, e)
        return out

    def active_model_id(self) -> str | None:
        chosen = self.catalog.get_meta(ACTIVE_MODEL_KEY)
        if chosen and (self.paths.models_dir / chosen / "manifest.json").is_file():
            return chosen
        installed = self.installed_models()
        return installed[0].id if installed else None

    def set_active_model(self, model_id: str) -> None:
        if not (self.paths.models_dir / model_id / "manifest.json").is_file():
            raise ModelNotInstalled(f"model '{model_id}' is not installed (see 'photosearch models list')")
        self.catalog.set_meta(ACTIVE_MODEL_KEY, model_id)

    def runtime(self, model_id: str | None = None) -> ModelRuntime:
        model_id = model_id or self.active_model_id()
        if model_id is None:
            raise ModelNotInstalled(
                "no model is installed: run 'photosearch models install' or 'photosearch models import PATH'"
            )
        with self._mutex:
            rt = self._runtimes.get(model_id)
            if rt is None:
                root = self.paths.models_dir / model_id
                if not (root / "manifest.json").is_file():
                    raise ModelNotInstalled(f"model '{model_id}' is not installed")
                rt = ModelRuntime(load_package(root, verify="size"), self.settings)
                self._runtimes[model_id] = rt
            return rt

    def vector_index(self, model_id: str | None = None) -> VectorIndex:
        rt = self.runtime(model_id)
        with self._mutex:
            vi = self._indexes.get(rt.id)
            if vi is None:
                vi = VectorIndex.open(self.catalog, self.paths.index_dir, rt.id, rt.dim, writer=self.writable)
                self._indexes[rt.id] = vi
            return vi

    def open_index_if_loaded(self, model_id: str) -> VectorIndex | None:
        return self._indexes.get(model_id)

    # -- folders ----------------------------------------------------------------------------------
    def add_folder(self, path: str | Path) -> FolderRow:
        p = os.path.abspath(os.path.expanduser(str(path)))
        if not os.path.isdir(p):
            raise QueryError(f"not a folder: {p}")
        existing = self.catalog.folder_by_path(p)
        if existing is not None:
            return existing
        row = self.catalog.add_folder(p)
        self.backup_folders()
        return row

    def remove_folder(self, path: str | Path) -> int:
        p = os.path.normpath(os.path.abspath(os.path.expanduser(str(path))))
        row = self.catalog.folder_by_path(p)
        if row is None:
            raise QueryError(f"not an added folder: {p}")
        n = self.catalog.remove_folder(row.id)
        self.backup_folders()
        return n

    def backup_folders(self) -> None:
        """Keep the list of added folders beside the catalog as well (``folders.json``, written
        atomically): if the catalog is ever damaged beyond reading, ``doctor --repair`` still knows
        which folders to rescan. Best effort."""
        try:
            rows = [{"path": f.path, "state": f.state, "watch_mode": f.watch_mode, "added_at": f.added_at}
                    for f in self.catalog.folders()]
            dest = self.paths.data_dir / FOLDERS_BACKUP
            tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(rows, indent=1), encoding="utf-8")
            os.replace(tmp, dest)
        except (OSError, PhotoSearchError) as e:
            log.warning("cannot write the folder list backup: %s", e)

    def set_folder_paused(self, path: str | Path, paused: bool) -> None:
        p = os.path.normpath(os.path.abspath(os.path.expanduser(str(path))))
        row = self.catalog.folder_by_path(p)
        if row is None:
            raise QueryError(f"not an added folder: {p}")
        self.catalog.set_folder_state(row.id, "paused" if paused else "online")

    def folders(self) -> list[FolderRow]:
        return self.catalog.folders()
