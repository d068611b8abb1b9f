"""Folder verbs: add, remove, pause/resume, list. The library makes the change; an indexing service, when
there is one, is then told about it (it watches, scans or forgets the photos at once — or when it starts, if
it has not yet). Without a service, removing folders also collects the embeddings nothing uses any more."""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from photosearch.library.library import Library
from photosearch.store.catalog import FolderRow


class FolderListener(Protocol):
    """What the folder verbs need of an indexing service (``IndexingService``)."""

    def editing(self) -> AbstractContextManager[None]: ...

    def folder_added(self, row: FolderRow) -> None: ...

    def folder_removed(self) -> None: ...

    def folder_paused(self, row: FolderRow | None, paused: bool) -> None: ...


def add_folder(lib: Library, path: str | Path, service: FolderListener | None = None) -> FolderRow:
    live = service
    if live is None:
        return lib.add_folder(path)
    with live.editing():
        row = lib.add_folder(path)
    live.folder_added(row)
    return row


def add_folders(lib: Library, paths: list[str], service: FolderListener | None = None) -> list[FolderRow]:
    return [add_folder(lib, p, service) for p in paths]


def remove_folders(lib: Library, paths: list[str], service: FolderListener | None = None) -> dict[str, int]:
    """Forget the folders and their photos; returns how many photos the catalog held under each."""
    live = service
    if live is not None:
        counts = {}
        for p in paths:
            with live.editing():
                counts[p] = lib.remove_folder(p)
            live.folder_removed()
        return counts
    counts = {p: lib.remove_folder(p) for p in paths}
    if lib.active_model_id():
        from photosearch.indexing.pipeline import Indexer

        Indexer(lib).collect_garbage()
    return counts


def remove_folder(lib: Library, path: str | Path, service: FolderListener | None = None) -> int:
    return remove_folders(lib, [str(path)], service)[str(path)]


def set_folder_paused(
    lib: Library, path: str | Path, paused: bool, service: FolderListener | None = None
) -> None:
    live = service
    if live is None:
        lib.set_folder_paused(path, paused)
        return
    with live.editing():
        lib.set_folder_paused(path, paused)
        row = lib.catalog.folder_by_path(os.path.normpath(os.path.abspath(os.path.expanduser(str(path)))))
    live.folder_paused(row, paused)


def list_folders(lib: Library) -> list[FolderRow]:
    return lib.folders()
