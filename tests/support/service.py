"""Waiting for a running indexing service, and reading what it left in the catalog. Conditions with a
deadline, never sleeps as synchronisation."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from photosearch.config import Paths
from photosearch.indexing.service import IndexingService
from photosearch.library.library import Library
from photosearch.progress import Progress
from photosearch.search.engine import SearchEngine
from tests.support.photos import disk_images


def wait_until(pred: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> float:
    """Poll a condition with a deadline; returns the seconds it took."""
    t0 = time.monotonic()
    while not pred():
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)
    return time.monotonic() - t0


def open_test_library(model: Path, data_dir: Path) -> Library:
    """A writable library in ``data_dir`` with ``model`` installed (not yet active)."""
    from photosearch.models.install import install_package_dir

    paths = Paths.resolve(data_dir)
    paths.ensure()
    install_package_dir(model, paths.models_dir)
    return Library(paths, write=True, purpose="test")


def library_fixture(tiny_model: Path, data_dir: Path) -> Iterator[Library]:
    lib = open_test_library(tiny_model, data_dir)
    yield lib
    lib.close()


def catalog_paths(lib: Library, status: str | None = "indexed") -> set[str]:
    return {f.path for f in lib.catalog.all_files(status)}


class Running:
    """A started service that is always stopped (threads joined) at the end of the ``with`` block; records
    its progress events and counts its change notifications."""

    def __init__(self, lib: Library, **kw: Any) -> None:
        self.events: list[Progress] = []
        self.changes = 0
        kw.setdefault("debounce", 0.2)
        kw.setdefault("offline_check_interval", 0.3)
        kw.setdefault("gc_delay", 0.3)
        self.svc = IndexingService(lib, on_progress=self.events.append, on_change=self._on_change, **kw)

    def _on_change(self) -> None:
        self.changes += 1

    def __enter__(self) -> IndexingService:
        self.svc.start()
        return self.svc

    def __exit__(self, *exc: object) -> None:
        self.svc.stop()


def search_first(lib: Library, path: Path) -> str | None:
    rt = lib.runtime()
    eng = SearchEngine(lib.catalog, rt, lib.vector_index(rt.id))
    res = eng.search_image(str(path), 1).results
    return res[0].path if res else None


def visible(lib: Library) -> set[str]:
    rt = lib.runtime()
    eng = SearchEngine(lib.catalog, rt, lib.vector_index(rt.id))
    return {r.path for r in eng.search_text("a photo", 1000).results}


def settle(svc: IndexingService, lib: Library, roots: list[Path], timeout: float = 20.0) -> None:
    """Wait until the catalog's files are exactly the image files on disk and the service is idle."""
    wait_until(
        lambda: (
            catalog_paths(lib, None) == disk_images(*roots)
            and svc.idle
            and not lib.catalog.counts_by_status()["pending"]
        ),
        timeout,
        "the catalog to match the disk",
    )
