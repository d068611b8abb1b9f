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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from photosearch.config import Paths, default_cache_dir
from photosearch.errors import (
    CatalogError,
    ConfirmationNeeded,
    DiskFull,
    FolderRefused,
    ModelNotInstalled,
    PhotoSearchError,
    QueryError,
)
from photosearch.library.folders import (
    CACHE_SUBFOLDERS,
    DEFAULT_EXCLUDES,
    ancestors,
    broad_reason,
    check_pattern,
    estimate,
    foreign_contents,
    identity,
    load_excludes,
    not_photos_reason,
    real_folder,
    save_excludes,
    write_markers,
)
from photosearch.library.scan import printable_path
from photosearch.library.thumbs import ThumbnailCache
from photosearch.models.encoders import ModelRuntime, RuntimeSettings
from photosearch.models.manifest import ModelPackage, load_package
from photosearch.paths import path_inside
from photosearch.store.catalog import Catalog, FolderRow
from photosearch.store.grow import file_too_big
from photosearch.store.lock import WriterLock
from photosearch.store.vectors import VectorIndex

log = logging.getLogger(__name__)

ACTIVE_MODEL_KEY = "active_model"
BROAD_ESTIMATE_SECONDS = 1.0  # how long adding a broad folder may look before asking


@dataclass(frozen=True)
class AddReport:
    row: FolderRow
    absorbed: list[str]  # added folders inside it, now part of it (their photos kept, not re-embedded)
    existed: bool  # it was already added under this very name


def _inside(path: str, root: str) -> bool:
    return path_inside(path, root)


def _alias_kind(typed: str, real: str) -> str:
    if os.path.realpath(typed) != typed:
        return "a link to"
    if typed.casefold() == real.casefold():
        return "another spelling (upper/lower case) of"
    return "the same folder as (mounted or linked at another place)"


FOLDERS_BACKUP = "folders.json"


def data_dir_error(data_dir: Path, e: OSError) -> PhotoSearchError:
    """A clear, typed error for an OS failure on the data directory (full disk, a file-size limit, read-only,
    no access)."""
    if e.errno in (errno.EFBIG, errno.ENOSPC):  # a short write past a file-size limit looks like a full disk
        limit = file_too_big(data_dir, "a file in the data folder (the search index, a thumbnail)")
        if limit is not None:
            return limit
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFull(f"the disk holding {data_dir} is full: free some space and try again")
    if e.errno == errno.EROFS:
        return CatalogError(
            f"the data folder {data_dir} is on a read-only disk; choose another with --data-dir"
        )
    if e.errno in (errno.EACCES, errno.EPERM):
        return CatalogError(f"no permission to write in the data folder {data_dir}")
    return CatalogError(f"cannot use the data folder {data_dir}: {e.strerror or e}")


class Library:
    """Opens the catalog; with ``write=True`` also takes the single-writer lock (or raises IndexLocked)."""

    def __init__(
        self,
        paths: Paths,
        *,
        write: bool = False,
        purpose: str | None = None,
        settings: RuntimeSettings | None = None,
    ) -> None:
        self.paths = paths
        self.writable = write
        self.read_only_reason: str | None = None  # why a front end opened it read-only (shown to the person)
        self.lock = WriterLock(paths.lock_file, purpose)
        foreign = None if paths.catalog.exists() else foreign_contents(paths.data_dir)
        if foreign is not None:
            raise CatalogError(
                f"{paths.data_dir} is not a PhotoSearch data folder and holds files of its own ({foreign}); "
                "PhotoSearch writes nothing there: choose an empty or new folder for --data-dir "
                "(or PHOTOSEARCH_DATA_DIR)"
            )
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
        if write and (self._adopt_real_paths() or not (paths.data_dir / FOLDERS_BACKUP).exists()):
            self.backup_folders()
        if write:  # recognised by content by every library: never catalogued, whatever its name
            caches = [paths.thumbs_dir]
            with contextlib.suppress(ImportError, OSError):  # the user cache folder, when known and present
                cache = default_cache_dir()
                foreign = foreign_contents(cache, CACHE_SUBFOLDERS)
                if foreign is None:
                    caches.append(cache)
                else:  # PHOTOSEARCH_CACHE_DIR set to a photo folder: never marked (its photos would go)
                    log.warning(
                        "the cache folder %s holds files of its own (%s): not marked as a cache",
                        cache,
                        foreign,
                    )
            write_markers(paths.data_dir, caches)
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
                "no model is installed: pick one in 'photosearch models list', then run "
                "'photosearch models install NAME' (or 'photosearch models import PATH')"
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
    def add_folder(self, path: str | Path, *, confirm: bool = False) -> FolderRow:
        """Add a folder by its real path (see ``add_folder_report``); returns its row."""
        return self.add_folder_report(path, confirm=confirm).row

    def add_folder_report(self, path: str | Path, *, confirm: bool = False) -> AddReport:
        """Add a folder. Refused (FolderRefused, nothing changed) when it is another name for an added folder,
        inside one, or not photos; a disk's root, a home or a system folder raises ConfirmationNeeded (with a
        time-bounded estimate) unless ``confirm``. Added folders inside it are absorbed: their files move
        to it with their embeddings (nothing is re-embedded)."""
        typed = os.path.normpath(os.path.abspath(os.path.expanduser(str(path))))
        if not os.path.isdir(typed):
            raise QueryError(f"not a folder: {typed}")
        real = real_folder(typed)
        try:
            real.encode("utf-8")
        except UnicodeEncodeError:  # a name from another encoding: the catalog stores text
            raise FolderRefused(
                f"{printable_path(typed)}: the folder's name is not valid text (UTF-8); rename it to add it; "
                "nothing was added"
            ) from None
        folders = self.catalog.folders()
        ident = identity(real)
        ids = {f.id: identity(f.path) for f in folders}
        for f in folders:
            if f.path == real or (ident is not None and ids[f.id] == ident):
                if typed == f.path:
                    return AddReport(f, [], existed=True)
                raise FolderRefused(
                    f"{typed} is {_alias_kind(typed, f.path)} the added folder {f.path}; nothing was added"
                )
        by_path = {f.path: f for f in folders}
        by_ident = {ids[f.id]: f for f in folders if ids[f.id] is not None}
        for a in ancestors(real)[1:]:
            cover = by_path.get(a) or by_ident.get(identity(a))
            if cover is not None:
                raise FolderRefused(
                    f"{typed} is inside the added folder {cover.path}, so it is already covered; "
                    "nothing was added"
                )
        data_dir = real_folder(self.paths.data_dir)
        found: list[tuple[str, str]] = []
        for a in ancestors(real):
            why = "it is this library's data folder" if a == data_dir else not_photos_reason(a)
            if why:
                found.append((a, why))
        found.sort(key=lambda f: "data folder" not in f[1])
        if found:  # a data folder (ours or another library's) is named first: it is the reason that matters
            a, why = found[0]
            where = "" if a == real else f" (inside {a})"
            raise FolderRefused(f"{typed} is not a photo folder{where}: {why}; nothing was added")
        why = broad_reason(real)
        if why and not confirm:
            est = estimate(real, seconds=BROAD_ESTIMATE_SECONDS)
            raise ConfirmationNeeded(
                f"{typed}: {why}. Adding it would scan {est.text()}. Add it only if you "
                "mean to (on the command line: folders add --yes)",
                est,
            )
        children = [f for f in folders if _inside(f.path, real) or _inside(os.path.realpath(f.path), real)]
        row = self.catalog.add_folder(real)
        absorbed: list[str] = []
        for child in children:
            moved = self.catalog.move_tree(child.path, child.path, row.id)
            own = load_excludes(self.catalog, child.path)
            if own != DEFAULT_EXCLUDES:
                rel = os.path.relpath(os.path.realpath(child.path), real).replace(os.sep, "/")
                mine = list(load_excludes(self.catalog, real))
                mine += [f"{rel}/{p}" for p in own if p not in DEFAULT_EXCLUDES]
                mine += [f"{rel}/*/{p}" for p in own if p not in DEFAULT_EXCLUDES and "/" not in p]
                save_excludes(self.catalog, real, mine)
            save_excludes(self.catalog, child.path, None)
            self.catalog.remove_folder(child.id)
            absorbed.append(child.path)
            log.info("folder %s absorbed %s (%d photos kept with their embeddings)", real, child.path, moved)
        self.backup_folders()
        return AddReport(row, absorbed, existed=False)

    def _find_folder(self, path: str | Path) -> tuple[str, FolderRow | None]:
        typed = os.path.normpath(os.path.abspath(os.path.expanduser(str(path))))
        row = self.catalog.folder_by_path(typed)
        if row is None and os.path.exists(typed):
            real = real_folder(typed)
            row = self.catalog.folder_by_path(real)
            if row is None:
                ident = identity(real)
                row = next(
                    (f for f in self.catalog.folders() if ident is not None and identity(f.path) == ident),
                    None,
                )
        return typed, row

    def folder_row(self, path: str | Path) -> FolderRow | None:
        """The added folder ``path`` names (by its real path), or None."""
        return self._find_folder(path)[1]

    def remove_folder(self, path: str | Path) -> int:
        """Remove an added folder and its photos from the library (never from the disk); returns how many
        photos left. A folder that another added folder covers removes nothing: its photos move to that one."""
        typed, row = self._find_folder(path)
        if row is None:
            cover = self.catalog.folder_containing(real_folder(typed) if os.path.exists(typed) else typed)
            if cover is not None:
                rel = os.path.relpath(typed, cover.path) if _inside(typed, cover.path) else typed
                raise FolderRefused(
                    f"{typed} is not an added folder: it is part of the added folder {cover.path}, "
                    f"so nothing was removed. To leave it out: photosearch folders exclude "
                    f"{cover.path} {rel}"
                )
            raise QueryError(f"not an added folder: {typed}")
        parent = next(
            (
                f
                for f in sorted(self.catalog.folders(), key=lambda f: -len(f.path))
                if f.id != row.id and _inside(row.path, f.path)
            ),
            None,
        )
        save_excludes(self.catalog, row.path, None)
        if parent is not None:
            moved = self.catalog.move_tree(row.path, row.path, parent.id)
            self.catalog.remove_folder(row.id)
            log.info("removed %s; its %d photos stay in %s, which covers it", row.path, moved, parent.path)
            self.backup_folders()
            return 0
        n = self.catalog.remove_folder(row.id)
        self.backup_folders()
        return n

    # -- exclusions per folder -----------------------------------------------------------------------
    def folder_excludes(self, path: str | Path) -> tuple[str, ...]:
        """The sub-folder names/patterns left out of an added folder (starts as DEFAULT_EXCLUDES)."""
        return load_excludes(self.catalog, self._added(path).path)

    def set_folder_excludes(self, path: str | Path, patterns: Sequence[str] | None) -> tuple[str, ...]:
        """Replace an added folder's list (None: back to the defaults); the next scan follows it."""
        row = self._added(path)
        kept = set(load_excludes(self.catalog, row.path))  # stored before: kept as they are, not re-judged
        try:
            clean = (
                None
                if patterns is None
                else list(dict.fromkeys(p if p in kept else check_pattern(p) for p in patterns))
            )
        except ValueError as e:
            raise QueryError(str(e)) from None
        save_excludes(self.catalog, row.path, clean)
        self.backup_folders()
        return load_excludes(self.catalog, row.path)

    def exclude(self, path: str | Path, patterns: Sequence[str]) -> tuple[str, ...]:
        return self.set_folder_excludes(path, [*self.folder_excludes(path), *patterns])

    def include(self, path: str | Path, patterns: Sequence[str]) -> tuple[str, ...]:
        drop = {p.casefold().strip("/") for p in patterns}
        return self.set_folder_excludes(
            path, [p for p in self.folder_excludes(path) if p.casefold().strip("/") not in drop]
        )

    def _added(self, path: str | Path) -> FolderRow:
        typed, row = self._find_folder(path)
        if row is None:
            raise QueryError(f"not an added folder: {typed}")
        return row

    def _adopt_real_paths(self) -> int:
        """Folders added by an older version under another name for their place (a symlink, ``..``, the
        wrong case) take their real path, their files with them; an alias of a folder that is also added
        under its real path is dropped (its photos stay, under the real one). Returns how many changed."""
        changed = 0
        for row in self.catalog.folders():
            try:
                real = real_folder(row.path)
            except OSError:
                continue
            if real == row.path or not os.path.isdir(real):
                continue  # already its one name, or offline (kept as it is until it comes back)
            if self.catalog.folder_by_path(real) is not None:
                self.catalog.remove_folder(row.id)
                log.info("dropped %s: the same folder as %s", row.path, real)
            else:
                self.catalog.rename_folder(row.id, real)
                log.info("the folder %s is now known by its real path %s", row.path, real)
            changed += 1
        return changed

    def backup_folders(self) -> None:
        """Keep the list of added folders beside the catalog as well (``folders.json``, written
        atomically): if the catalog is ever damaged beyond reading, ``doctor --repair`` still knows
        which folders to rescan. Best effort."""
        try:
            rows: list[dict[str, object]] = []
            for f in self.catalog.folders():
                row: dict[str, object] = {
                    "path": f.path,
                    "state": f.state,
                    "watch_mode": f.watch_mode,
                    "added_at": f.added_at,
                }
                if not self.catalog.folder_reads_text(f.id):
                    row["read_text"] = False
                excludes = load_excludes(self.catalog, f.path)
                if excludes != DEFAULT_EXCLUDES:
                    row["exclude"] = list(excludes)
                rows.append(row)
            dest = self.paths.data_dir / FOLDERS_BACKUP
            tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(rows, indent=1), encoding="utf-8")
            os.replace(tmp, dest)
        except (OSError, PhotoSearchError) as e:
            log.warning("cannot write the folder list backup: %s", e)

    def set_folder_read_text(self, path: str | Path, on: bool) -> FolderRow:
        """Turn reading the text in this folder's photos (the second indexing pass) on or off."""
        row = self._added(path)
        self.catalog.set_folder_read_text(row.id, on)
        self.backup_folders()
        return row

    def set_folder_paused(self, path: str | Path, paused: bool) -> None:
        row = self._added(path)
        self.catalog.set_folder_state(row.id, "paused" if paused else "online")

    def folders(self) -> list[FolderRow]:
        return self.catalog.folders()
