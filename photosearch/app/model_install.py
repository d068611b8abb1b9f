"""Installing a model for a library as one step: the package installed and, where it should be, chosen —
or nothing. ``models import`` and ``models install`` used to install the package first and open the library
after: on a nearly full disk the package was installed, the library could not record it, and the command
failed (exit 6) with the model installed anyway. Here the library is open before anything is installed, and
when it cannot record the choice (a full disk, a catalog that cannot be written, an interruption) the new
package is removed again and the library's model choice is put back: the person sees one plain error, and
``models list`` shows what it showed before.

A download is not an install: ``download_model`` needs no library (a download takes minutes and must not
hold the writer lock); what it fetched stays in the downloads folder for the next attempt until it is
installed.
"""

from __future__ import annotations

import contextlib
import errno
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from photosearch.app import models as app_models
from photosearch.config import Paths
from photosearch.errors import Cancelled, DiskFull
from photosearch.indexing.switching import TARGET_MODEL_KEY
from photosearch.library.library import ACTIVE_MODEL_KEY, Library
from photosearch.models.download import CancelCheck, DownloadProgress, FileResult
from photosearch.models.install import (
    download_for_install,
    drop_compile_cache,
    install_downloaded,
    remove_package_dir,
)
from photosearch.models.manifest import ModelPackage
from photosearch.models.registry import Registry, RegistryEntry
from photosearch.models.text_reader_pkg import CHOICE_KEY, TextReaderPackage

__all__ = [
    "Downloaded",
    "Installed",
    "choose_installed",
    "download_model",
    "import_and_choose",
    "install_and_choose",
    "installed_already",
]


@dataclass(frozen=True)
class Installed:
    package: ModelPackage | TextReaderPackage
    layout: str
    chosen: bool  # it became (or is becoming) the model searches use, or the text reader


@dataclass(frozen=True)
class Downloaded:
    """A registry model's files, downloaded and verified, not installed yet."""

    entry: RegistryEntry
    files: dict[str, FileResult]


def download_model(
    model_id: str,
    paths: Paths,
    *,
    progress: Callable[[DownloadProgress], None] | None = None,
    cancel: CancelCheck | None = None,
    allow_unverified: bool = False,
    base_url: str | None = None,
    registry: Registry | None = None,
    discard_on_cancel: bool = False,
) -> Downloaded:
    """Download and verify a registry model's files (resuming a partial download); nothing is installed.
    ``cancel()`` stops it (``Cancelled``); the partial download is kept for resuming unless
    ``discard_on_cancel`` (the window's Cancel button: nothing of it stays)."""
    entry = app_models.registry_entry(model_id, registry)
    try:
        files = download_for_install(
            entry,
            paths,
            progress=progress,
            cancel=cancel,
            base_url=base_url,
            allow_unverified=allow_unverified,
        )
    except Cancelled:
        if discard_on_cancel:
            shutil.rmtree(paths.downloads_dir / entry.id, ignore_errors=True)
        raise
    return Downloaded(entry, files)


def installed_already(paths: Paths, model_id: str, registry: Registry | None = None) -> ModelPackage | None:
    """The installed package of registry model ``model_id`` (by any name the registry knows it by) when it
    can be used as it is — then ``models install`` downloads nothing; None when absent or damaged."""
    from photosearch.app.model_checks import installed_ids, package_problem
    from photosearch.models.manifest import load_package

    entry = app_models.registry_entry(model_id, registry)
    for folder, reg_id in installed_ids(paths).items():
        if entry.id in (reg_id, folder) and not package_problem(paths.models_dir / folder):
            return load_package(paths.models_dir / folder, verify="none")
    return None


def choose_installed(lib: Library, pkg: ModelPackage, *, use: bool = False) -> Installed:
    """``models install`` of a model installed already: nothing downloaded; chosen if it is the first (or
    ``use``)."""
    return Installed(pkg, "", app_models.activate_if_first(lib, pkg.id, use))


def install_and_choose(lib: Library, downloaded: Downloaded, *, use: bool = False) -> Installed:
    """Install a downloaded model into ``lib``'s data folder and choose it if it is the first (or ``use``);
    all of it or nothing (see the module's doc)."""
    entry = downloaded.entry

    def install() -> tuple[ModelPackage | TextReaderPackage, str]:
        return install_downloaded(entry, downloaded.files, lib.paths), entry.layout

    return _all_or_nothing(lib, install, use)


def import_and_choose(
    lib: Library, folder: str | Path, scripts: tuple[str, ...] | list[str] = (), *, use: bool = False
) -> Installed:
    """``models import``: a model folder of any supported layout (or a text reader) installed into ``lib``'s
    data folder and chosen if it is the first search model (or ``use``); all of it or nothing."""
    return _all_or_nothing(lib, lambda: app_models.import_model(folder, lib.paths, scripts), use)


def _all_or_nothing(
    lib: Library,
    install: Callable[[], tuple[ModelPackage | TextReaderPackage, str]],
    use: bool,
) -> Installed:
    before = _package_folders(lib.paths.models_dir)
    keys = (ACTIVE_MODEL_KEY, TARGET_MODEL_KEY, CHOICE_KEY)
    choice = {k: lib.catalog.get_meta(k) for k in keys}
    pkg, layout = install()
    try:
        chosen = app_models.activate_if_first(lib, pkg.id, use)
    except BaseException as e:
        if pkg.root.resolve() in before:  # it replaced a package of the same id: that install stands
            raise
        remove_package_dir(pkg.root, f"model '{pkg.id}'")
        drop_compile_cache(pkg.id)
        for k, v in choice.items():  # a choice half recorded before the failure is put back
            with contextlib.suppress(Exception):
                if lib.catalog.get_meta(k) != v:
                    lib.catalog.set_meta(k, v)
        if _disk_full(e):
            raise DiskFull(
                f"the disk holding {lib.paths.data_dir} is full: model {pkg.id} was not installed "
                "(nothing changed); free some space and try again"
            ) from e
        raise
    return Installed(pkg, layout, chosen)


def _package_folders(models_dir: Path) -> set[Path]:
    from photosearch.models.text_reader_pkg import readers_dir

    found: set[Path] = set()
    for d in (models_dir, readers_dir(models_dir)):
        with contextlib.suppress(OSError):
            found.update(p.resolve() for p in d.iterdir() if p.is_dir())
    return found


def _disk_full(e: BaseException | None) -> bool:
    """A full disk anywhere in the chain of causes (our DiskFull, ENOSPC/EDQUOT, SQLite's SQLITE_FULL)."""
    seen = 0
    while e is not None and seen < 10:
        if isinstance(e, DiskFull):
            return True
        if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if isinstance(e, sqlite3.OperationalError) and "full" in str(e).lower():
            return True
        e = e.__cause__ or e.__context__
        seen += 1
    return False
