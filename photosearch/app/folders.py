"""Folder verbs: add, remove, pause/resume, list. The library makes the change; an indexing service, when
there is one, is then told about it (it watches, scans or forgets the photos at once — or when it starts, if
it has not yet). Without a service, removing folders also collects the embeddings nothing uses any more."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from photosearch.library.library import AddReport, Library
from photosearch.paths import path_inside
from photosearch.store.catalog import FolderRow


class FolderListener(Protocol):
    """What the folder verbs need of an indexing service (``IndexingService``)."""

    def editing(self) -> AbstractContextManager[None]: ...

    def folder_added(self, row: FolderRow) -> None: ...

    def folder_removed(self) -> None: ...

    def folder_paused(self, row: FolderRow | None, paused: bool) -> None: ...


def add_folder_report(
    lib: Library, path: str | Path, service: FolderListener | None = None, *, confirm: bool = False
) -> AddReport:
    """Add a folder (by its real path; refused with FolderRefused when it is an alias of an added folder, inside
    one, or not photos; a disk's root, a home or a system folder raises ConfirmationNeeded unless ``confirm``).
    Added folders inside it are absorbed with their embeddings."""
    live = service
    if live is None:
        return lib.add_folder_report(path, confirm=confirm)
    with live.editing():
        report = lib.add_folder_report(path, confirm=confirm)
    live.folder_added(report.row)
    if report.absorbed:
        live.folder_removed()  # the absorbed folders' own watches go; their photos stay with the new one
    return report


def add_folder(
    lib: Library, path: str | Path, service: FolderListener | None = None, *, confirm: bool = False
) -> FolderRow:
    return add_folder_report(lib, path, service, confirm=confirm).row


def add_folders(
    lib: Library, paths: list[str], service: FolderListener | None = None, *, confirm: bool = False
) -> list[FolderRow]:
    return [add_folder(lib, p, service, confirm=confirm) for p in paths]


def edit_exclusions(
    lib: Library,
    folder: str | Path,
    patterns: list[str],
    *,
    exclude: bool,
    service: FolderListener | None = None,
) -> tuple[str, ...]:
    """Leave sub-folders (names or patterns) of an added folder out (``exclude``) or take them back in; with
    no patterns, the folder's current list. The folder is scanned again so the change shows at once."""
    if not patterns:
        return lib.folder_excludes(folder)
    edit = lib.exclude if exclude else lib.include
    live = service
    if live is None:
        return edit(folder, patterns)
    with live.editing():
        result = edit(folder, patterns)
        row = lib.folder_row(folder)
    if row is not None:
        live.folder_added(row)  # watch and scan it again under the new rules
    return result


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
        row = lib.folder_row(path)
    live.folder_paused(row, paused)


def set_folder_read_text(
    lib: Library, path: str | Path, on: bool, service: FolderListener | None = None
) -> None:
    """Turn reading the text in a folder's photos on or off (stored with the folder). Text already read
    stays; a running service reads the folder's photos when it is turned back on."""
    live = service
    if live is None:
        lib.set_folder_read_text(path, on)
        return
    with live.editing():
        row = lib.set_folder_read_text(path, on)
    if on:
        live.folder_paused(row, False)  # wakes the service (and checks the folder)


def folder_reads_text(lib: Library, path: str | Path) -> bool:
    row = lib.folder_row(path)
    return row is not None and lib.catalog.folder_reads_text(row.id)


def list_folders(lib: Library) -> list[FolderRow]:
    return lib.folders()


# -- where photos usually are (the first run's suggestions) -------------------------------------------------


def _media_roots() -> list[Path]:
    """Where attached phones and cards appear: /media/USER/*, /run/media/USER/* (Linux), /Volumes/* (macOS),
    other drive letters (Windows)."""
    import getpass
    import os
    import string
    import sys

    if sys.platform == "win32":
        return [Path(f"{d}:\\") for d in string.ascii_uppercase[3:]]
    user = getpass.getuser()
    parents = [Path("/media") / user, Path("/run/media") / user, Path("/media"), Path("/Volumes")]
    roots: list[Path] = []
    for p in parents:
        try:
            roots += [p / name for name in sorted(os.listdir(p))]
        except OSError:
            continue
    return roots


def suggested_folders(
    lib: Library | None = None, *, pictures: Path | None = None, media_roots: list[Path] | None = None
) -> list[str]:
    """Folders where a person's photos usually are and that exist here: the Pictures folder, and DCIM on an
    attached phone or card. Folders an added folder already covers are left out. Only a few named places are
    looked at (never a walk)."""
    import os

    if pictures is None:
        from platformdirs import user_pictures_dir

        pictures = Path(user_pictures_dir())
    found = [pictures] if pictures.is_dir() else []
    for root in _media_roots() if media_roots is None else media_roots:
        for name in ("DCIM", "dcim"):
            d = root / name
            if d.is_dir():
                found.append(d)
                break
    added = [f.path for f in lib.folders()] if lib is not None else []
    out: list[str] = []
    for p in found:
        real = os.path.realpath(p)
        if real not in out and not any(path_inside(real, a) for a in added):
            out.append(real)
    return out
