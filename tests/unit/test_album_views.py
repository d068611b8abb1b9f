"""An album's liked examples count in its fit with their views (``steer.ALBUM_VIEWS``, today the mirror image:
"this subject wherever it sits in the frame"). The views' vectors are made once per example and model — at save, or at the first
listing under a model — and kept in the catalog by (content hash, model id): a listing decodes and encodes nothing;
a model switch makes them again with the new model; an example whose photo is gone or unreadable has none and the
album still lists; an older catalog gains the table by its migration step. Real files, a real SQLite catalog, the
shapes model. Also the one rule for an album's name (one line), through the application layer."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from models.tools import shapes
from photosearch.app import albums as app_albums
from photosearch.app.models import finish_switch, use_model
from photosearch.config import Paths
from photosearch.errors import QueryError
from photosearch.library.library import Library
from photosearch.models.install import install_package_dir
from photosearch.search import steer
from photosearch.search import views as views_mod
from photosearch.store import catalog as catalog_mod
from photosearch.store import catalog_albums
from photosearch.store.catalog import VERSION, Catalog
from tests.support.library import prepare_library
from tests.support.uncalibrated import MODEL_ID as OTHER_MODEL
from tests.support.uncalibrated import uncalibrated_model


def _photos(folder: Path) -> tuple[list[str], list[str]]:
    """40 drawn shapes: 10 red circles (sizes and places vary), the rest no red circle → (reds, others)."""
    folder.mkdir()
    rng = np.random.default_rng(21)
    reds, others = [], []
    for i in range(40):
        if i < 10:
            spec = shapes.Spec("circle", "red", shapes.SIZES[i % 3], shapes.POSITIONS[i % 5], bg_seed=300 + i)
        else:
            c = shapes.all_combos()[int(rng.integers(len(shapes.all_combos())))]
            spec = shapes.Spec(*(("square", *c[1:]) if c[:2] == ("circle", "red") else c), bg_seed=300 + i)
        path = folder / f"v{i:03d}.png"
        shapes.render(spec, 96).save(path)
        (reds if i < 10 else others).append(str(path))
    return reds, others


@pytest.fixture
def library(shapes_model: Path, tmp_path: Path) -> tuple[Paths, list[str], list[str]]:
    reds, others = _photos(tmp_path / "photos")
    return (
        prepare_library(tmp_path / "data", model=shapes_model, photos=tmp_path / "photos", index=True),
        reds,
        others,
    )


class Counting:
    """``views.views_of_many`` that counts the photos it is asked for (the albums code reaches it by its module)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.photos: list[str] = []
        real = views_mod.views_of_many

        def counted(encoder, images, which=None):  # type: ignore[no-untyped-def]
            self.photos += [str(i) for i in images]
            return real(encoder, images, which)

        monkeypatch.setattr(views_mod, "views_of_many", counted)


KINDS = ",".join(map(str, steer.ALBUM_VIEWS))  # the views the album's fit uses, as the cache names them


def _hash(lib: Library, path: str) -> str:
    f = lib.catalog.file_by_path(path)
    assert f is not None and f.content_hash
    return f.content_hash


def test_the_shipped_album_fit_uses_views() -> None:
    assert float(np.max(steer.VIEW_WEIGHT)) > 0 and steer.ALBUM_VIEWS
    assert set(steer.ALBUM_VIEWS) <= set(range(views_mod.N_VIEWS))


def test_views_are_made_at_save_kept_by_hash_and_model_and_not_made_again_at_listing(
    library: tuple[Paths, list[str], list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    paths, reds, others = library
    count = Counting(monkeypatch)
    with Library(paths, write=True) as lib:
        saved = app_albums.save_album(lib, "red circles", reds[:5], others[:1])
        assert saved.liked == 5 and saved.members >= 5
        # at save: the 5 liked examples' views, in one batch (the 👎 have none unless the fit uses theirs)
        assert sorted(count.photos) == sorted(reds[:5] if not steer.DISLIKED_VIEWS else reds[:5] + others[:1])
        model = lib.active_model_id()
        assert model is not None
        kept = catalog_albums.example_views(lib.catalog, [_hash(lib, p) for p in reds[:5]], model, KINDS)
        assert len(kept) == 5
        rt = lib.runtime()
        for p in reds[:5]:
            v = kept[_hash(lib, p)]
            assert v is not None and v.shape == (
                len(steer.ALBUM_VIEWS),
                rt.dim,
            )  # only the views the fit uses
            every = views_mod.views(rt.image, p)
            assert every is not None
            np.testing.assert_allclose(v, every[list(steer.ALBUM_VIEWS)], rtol=1e-4, atol=1e-5)
        members = [r.path for r in app_albums.album_members(lib, "red circles").results]
    # listing, showing and exporting (new processes' worth of opens) decode and encode nothing
    count.photos.clear()
    with Library(paths) as lib:
        assert [a.name for a in app_albums.list_albums(lib)] == ["red circles"]
        again = [r.path for r in app_albums.album_members(lib, "red circles").results]
    assert count.photos == [] and again == members
    assert set(reds[:5]) <= set(members) and others[0] not in members
    assert len(set(members) & set(reds[5:])) >= 4  # the album finds the other red circles


def test_a_model_switch_makes_the_views_again_under_the_new_model(
    library: tuple[Paths, list[str], list[str]],
    monkeypatch: pytest.MonkeyPatch,
    shapes_model: Path,
    tmp_path: Path,
) -> None:
    paths, reds, _ = library
    with Library(paths, write=True) as lib:
        app_albums.save_album(lib, "red circles", reds[:5])
        first = lib.active_model_id()
        pkg = install_package_dir(uncalibrated_model(shapes_model, tmp_path / "other"), paths.models_dir)
        assert pkg.id == OTHER_MODEL != first
        assert (
            use_model(lib, pkg.id) > 0
        )  # the real switch: every photo embedded under the new model, then it
        for _ in finish_switch(lib):  # takes over
            pass
        assert lib.active_model_id() == OTHER_MODEL
    count = Counting(monkeypatch)
    with Library(paths) as lib:
        hashes = [_hash(lib, p) for p in reds[:5]]
        assert catalog_albums.example_views(lib.catalog, hashes, OTHER_MODEL, KINDS) == {}
        listed = app_albums.list_albums(lib)  # the first listing under the new model makes them (one batch)
        assert listed[0].liked == 5 and listed[0].members >= 5
        assert sorted(count.photos) == sorted(reds[:5])
        kept = catalog_albums.example_views(lib.catalog, hashes, OTHER_MODEL, KINDS)
        assert len(kept) == 5 and all(v is not None for v in kept.values())
        assert (
            len(catalog_albums.example_views(lib.catalog, hashes, str(first), KINDS)) == 5
        )  # the old model's stay
        count.photos.clear()
        app_albums.album_members(lib, "red circles")
        assert count.photos == []  # and the next listing reads them


def test_an_example_whose_photo_is_gone_or_unreadable_has_no_views_and_the_album_still_lists(
    library: tuple[Paths, list[str], list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    paths, reds, _ = library
    gone, broken = reds[0], reds[1]
    os.unlink(gone)  # not indexed again: the catalog still has it, the disk does not
    st = os.stat(broken)  # the same size and time as when indexed, but no longer a picture
    Path(broken).write_bytes(b"\0" * st.st_size)
    os.utime(broken, ns=(st.st_atime_ns, st.st_mtime_ns))
    with Library(paths, write=True) as lib:
        saved = app_albums.save_album(lib, "red circles", reds[:5])
        model = lib.active_model_id()
        assert model is not None
        kept = catalog_albums.example_views(lib.catalog, [_hash(lib, p) for p in reds[:5]], model, KINDS)
        assert kept[_hash(lib, gone)] is None and kept[_hash(lib, broken)] is None
        assert all(kept[_hash(lib, p)] is not None for p in reds[2:5])
        count = Counting(monkeypatch)
        members = [r.path for r in app_albums.album_members(lib, "red circles").results]
        assert count.photos == []  # "could not be read" is kept too: not tried at every listing
    assert saved.liked == 5 and set(reds[2:5]) <= set(members)
    assert len(set(members) & set(reds[5:])) >= 3


def test_the_migration_step_gives_an_older_catalog_the_views_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    step = next(k for k, script in catalog_mod.MIGRATIONS.items() if "album_example_views" in script)
    path = tmp_path / "c.sqlite3"
    with monkeypatch.context() as m:
        m.setattr(catalog_mod, "VERSION", step)  # the catalog as it was before the step
        with Catalog(path) as old:
            catalog_albums.save_album(old, "kept", ["h1", "h2"], ["h3"])
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == step
    assert not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'album_example_views'").fetchall()
    con.close()
    with Catalog(path) as c:
        assert c.schema_version == VERSION
        row = catalog_albums.album(c, "kept")  # the albums made before survive the upgrade
        assert row is not None and row.liked == ("h1", "h2") and row.disliked == ("h3",)
        v = np.arange(14, dtype=np.float32).reshape(7, 2)
        catalog_albums.put_example_views(c, "m", "0,1", {"h1": v, "h2": None})
        got = catalog_albums.example_views(c, ["h1", "h2", "h3"], "m", "0,1")
        assert set(got) == {"h1", "h2"} and got["h2"] is None
        np.testing.assert_array_equal(got["h1"], v)
        assert catalog_albums.example_views(c, ["h1"], "another model", "0,1") == {}
        assert catalog_albums.example_views(c, ["h1"], "m", "0") == {}  # other views: not made yet
        catalog_albums.delete_album(c, "kept")  # no album has them now: their views go too
        assert catalog_albums.example_views(c, ["h1", "h2"], "m", "0,1") == {}


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("beach\nday", "beach day"),
        ("  beach \r\n\t day  ", "beach day"),
        ("beach\x00\x1b[31mday", "beach [31mday"),
        ("beach\u2028day", "beach day"),
        ("Strand 🏖 日本", "Strand 🏖 日本"),
    ],
)
def test_an_albums_name_is_one_line(typed: str, name: str) -> None:
    assert app_albums.album_name(typed) == name


def test_a_name_of_nothing_but_control_characters_is_refused() -> None:
    for typed in ("", "  ", "\n\t", "\x00\x07"):
        with pytest.raises(QueryError, match="needs a name"):
            app_albums.album_name(typed)


def test_an_album_saved_with_a_line_break_before_the_rule_is_listed_and_found_on_one_line(
    library: tuple[Paths, list[str], list[str]],
) -> None:
    paths, reds, _ = library
    with Library(paths, write=True) as lib:
        hashes = [_hash(lib, p) for p in reds[:3]]
        catalog_albums.save_album(lib.catalog, "old\nname", hashes, [])  # as an older version stored it
        assert [a.name for a in app_albums.list_albums(lib)] == ["old name"]
        assert len(app_albums.album_members(lib, "old name").results) >= 3
        app_albums.save_album(lib, "old  name", reds[3:4])  # adds to that album, not a second one
        assert [(a.name, a.liked) for a in app_albums.list_albums(lib)] == [("old name", 4)]
        assert app_albums.delete_album(lib, "old\tname") == "old name"
        assert app_albums.list_albums(lib) == []


def test_when_the_image_tower_cannot_run_the_album_still_lists_and_makes_its_views_later(
    library: tuple[Paths, list[str], list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    paths, reds, _ = library

    def broken(encoder, images, which=None):  # type: ignore[no-untyped-def]
        raise RuntimeError("the image tower would not load")

    with monkeypatch.context() as m:
        m.setattr(views_mod, "views_of_many", broken)
        with Library(paths, write=True) as lib:
            saved = app_albums.save_album(lib, "red circles", reds[:5])
            assert saved.liked == 5 and saved.members >= 5
            model = lib.active_model_id()
            assert model is not None
            hashes = [_hash(lib, p) for p in reds[:5]]
            assert catalog_albums.example_views(lib.catalog, hashes, model, KINDS) == {}  # nothing kept
    count = Counting(monkeypatch)
    with Library(paths) as lib:
        app_albums.list_albums(lib)
        assert sorted(count.photos) == sorted(reds[:5])  # made at the next listing, and kept
        assert len(catalog_albums.example_views(lib.catalog, hashes, model, KINDS)) == 5
