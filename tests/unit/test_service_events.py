"""The change-event logic of the indexing service (photosearch.indexing.events) on a real catalog and real
files, with no threads and a clock the test moves by hand."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from photosearch.indexing.events import ChangeEvents
from photosearch.library.watch import Change
from photosearch.store.catalog import Catalog, FolderRow
from tests.support.photos import make_image


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


Setup = tuple[Catalog, Path, FolderRow, Clock, ChangeEvents]


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    cat = Catalog(tmp_path / "catalog.sqlite3")
    root = tmp_path / "pics"
    root.mkdir()
    folder = cat.add_folder(str(root))
    clock = Clock()
    ev = ChangeEvents(cat, debounce=0.5, model_id=lambda: None, clock=clock)
    ev.folders = cat.folders()
    yield cat, root, folder, clock, ev
    cat.close()


def test_a_closed_file_is_registered_at_once(setup: Setup) -> None:
    cat, root, folder, _clock, ev = setup
    p = make_image(root / "a.jpg")
    ev.apply([Change("closed", str(p), False, folder.id)])
    assert cat.file_by_path(str(p)) is not None
    assert ev.take_outcome().changed and not ev.retry


def test_a_file_still_being_written_waits_until_its_size_is_stable(setup: Setup) -> None:
    cat, root, folder, clock, ev = setup
    p = make_image(root / "b.jpg")
    ev.apply([Change("created", str(p), False, folder.id)])
    assert cat.file_by_path(str(p)) is None and str(p) in ev.retry  # not finished yet: looked at again later
    clock.t += 0.2
    with open(p, "ab") as fh:  # still growing
        fh.write(b"\0" * 10)
    ev.resolve({str(p): False}, [], set())
    assert cat.file_by_path(str(p)) is None
    clock.t += 0.6  # unchanged for longer than the debounce: finished
    assert ev.retries_due(clock.t) == [str(p)]
    ev.resolve({str(p): False}, [], set())
    assert cat.file_by_path(str(p)) is not None and not ev.retry


def test_a_rename_repoints_the_row_and_a_deletion_removes_it(setup: Setup) -> None:
    cat, root, folder, _clock, ev = setup
    p = make_image(root / "c.jpg")
    ev.apply([Change("closed", str(p), False, folder.id)])
    row = cat.file_by_path(str(p))
    q = root / "renamed.jpg"
    os.rename(p, q)
    ev.apply([Change("moved", str(p), False, folder.id, dest=str(q))])
    moved = cat.file_by_path(str(q))
    assert moved is not None and moved.id == row.id and cat.file_by_path(str(p)) is None
    os.remove(q)
    ev.apply([Change("deleted", str(q), False, folder.id)])
    assert cat.file_by_path(str(q)) is None
    out = ev.take_outcome()
    assert out.deleted and out.changed


def test_a_move_reported_as_delete_plus_create_keeps_the_row(setup: Setup) -> None:
    cat, root, folder, _clock, ev = setup
    p = make_image(root / "d.jpg")
    ev.apply([Change("closed", str(p), False, folder.id)])
    row = cat.file_by_path(str(p))
    (root / "sub").mkdir()
    q = root / "sub" / "d.jpg"
    os.rename(p, q)
    ev.apply([Change("deleted", str(p), False, folder.id), Change("moved_in", str(q), False, folder.id)])
    after = cat.file_by_path(str(q))
    assert after is not None and after.id == row.id
    assert ev.stats["moved"] >= 1


def test_the_root_going_away_asks_for_a_root_check_and_touches_nothing(setup: Setup) -> None:
    cat, root, folder, _clock, ev = setup
    p = make_image(root / "e.jpg")
    ev.apply([Change("closed", str(p), False, folder.id)])
    ev.take_outcome()
    ev.apply([Change("deleted", str(root), True, folder.id)])
    assert ev.take_outcome().check_roots
    assert cat.file_by_path(str(p)) is not None
