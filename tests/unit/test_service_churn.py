"""Churn: 1,000 files created, renamed, moved between folders and deleted in bursts; with no manual
rescan the catalog ends up matching the disk exactly."""

from __future__ import annotations

import time
from pathlib import Path

from photosearch.library.library import Library
from tests.support.photos import churn, disk_images
from tests.support.service import Running, catalog_paths, wait_until


def test_churn_catalog_matches_disk_within_30s(library: Library, tmp_path: Path) -> None:
    roots = [tmp_path / "one", tmp_path / "two"]
    for r in roots:
        r.mkdir()
        library.add_folder(r)
    with Running(library, debounce=0.5, gc_delay=1.0) as svc:
        assert svc.wait_idle(10)
        last = churn(roots, 1000, duration=8.0)
        try:
            took = wait_until(
                lambda: (
                    catalog_paths(library) == disk_images(*roots)
                    and svc.idle
                    and catalog_paths(library, None) == catalog_paths(library)
                ),
                30,
                "the catalog to match the disk after churn",
            )
        except AssertionError:
            disk, cat = disk_images(*roots), catalog_paths(library, None)
            raise AssertionError(
                f"only on disk: {sorted(disk - cat)[:5]} ({len(disk - cat)}); only in catalog: "
                f"{sorted(cat - disk)[:5]} ({len(cat - disk)}); counts "
                f"{library.catalog.counts_by_status()} {[(e.path[-30:], e.error, e.size) for e in library.catalog.errors()][:6]}; idle {svc.idle}; stats {svc.stats}"
            ) from None
        assert time.monotonic() - last <= 30
        print(f"churn: catalog matched the disk {took:.1f} s after the last change; stats {svc.stats}")
        assert svc.stats["scans"] >= 1
