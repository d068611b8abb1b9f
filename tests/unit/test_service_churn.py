"""Churn: 1,000 files created, renamed, moved between folders and deleted in bursts; with no manual
rescan the catalog ends up matching the disk exactly."""

from __future__ import annotations

import os
import random
import shutil
import time
from pathlib import Path

from photosearch.library.library import Library
from tests.unit.test_service import Running, catalog_paths, disk_images, library, make_image, wait_until  # noqa: F401


def churn(roots: list[Path], n: int, seed: int = 0, duration: float = 10.0) -> float:
    """Create ``n`` photos across the roots in bursts, renaming, moving (files and folders, also between
    roots) and deleting some as it goes. Returns the monotonic time of the last change."""
    rnd = random.Random(seed)
    src = roots[0].parent / "churn-src"
    templates = [make_image(src / f"t{i}.png", size=(24, 16)) for i in range(n)]
    live: list[Path] = []
    bursts = 10
    per = n // bursts
    t0 = time.monotonic()
    for b in range(bursts):
        sub = rnd.choice(roots) / f"burst{b}"
        sub.mkdir(parents=True, exist_ok=True)
        for i in range(per):
            dest = sub / f"f{b}-{i}.png"
            shutil.copyfile(templates[b * per + i], dest)
            live.append(dest)
        for _ in range(per // 5):  # renames
            p = live.pop(rnd.randrange(len(live)))
            q = p.with_name("r-" + p.name)
            os.rename(p, q)
            live.append(q)
        for _ in range(per // 5):  # moves, often to another root
            p = live.pop(rnd.randrange(len(live)))
            d = rnd.choice(roots) / f"moved{b % 3}"
            d.mkdir(exist_ok=True)
            q = d / p.name
            os.rename(p, q)
            live.append(q)
        for _ in range(per // 10):  # deletions
            os.remove(live.pop(rnd.randrange(len(live))))
        if b % 4 == 3:  # a whole folder moved to the other root
            dirs = [d for r in roots for d in r.iterdir() if d.is_dir() and d.name.startswith("burst")]
            if dirs:
                d = rnd.choice(dirs)
                other = roots[1] if d.parent == roots[0] else roots[0]
                target = other / (d.name + "-m")
                if not target.exists():
                    os.rename(d, target)
                    live = [target / q.relative_to(d) if d in q.parents else q for q in live]
        time.sleep(max(0.0, t0 + (b + 1) * duration / bursts - time.monotonic()))  # pace the bursts over ~10 s
    shutil.rmtree(src)
    return time.monotonic()


def test_churn_catalog_matches_disk_within_30s(library: Library, tmp_path: Path) -> None:  # noqa: F811
    roots = [tmp_path / "one", tmp_path / "two"]
    for r in roots:
        r.mkdir()
        library.add_folder(r)
    with Running(library, debounce=0.5, gc_delay=1.0) as svc:
        assert svc.wait_idle(10)
        last = churn(roots, 1000, duration=8.0)
        try:
            took = wait_until(lambda: catalog_paths(library) == disk_images(*roots) and svc.idle
                              and catalog_paths(library, None) == catalog_paths(library), 30,
                          "the catalog to match the disk after churn")
        except AssertionError:
            disk, cat = disk_images(*roots), catalog_paths(library, None)
            raise AssertionError(f"only on disk: {sorted(disk - cat)[:5]} ({len(disk - cat)}); only in catalog: "
                                 f"{sorted(cat - disk)[:5]} ({len(cat - disk)}); counts "
                                 f"{library.catalog.counts_by_status()} {[(e.path[-30:], e.error, e.size) for e in library.catalog.errors()][:6]}; idle {svc.idle}; stats {svc.stats}") from None
        assert time.monotonic() - last <= 30
        print(f"churn: catalog matched the disk {took:.1f} s after the last change; stats {svc.stats}")
        assert svc.stats["scans"] >= 1
