"""A composed query's reference seen in several views (mirrored, moved, magnified, shrunk): the views are the
reference's own pixels transformed, made in one batch through the image tower; a candidate looks like the reference
by the best of its cosines to the photo and (discounted) to a view; the candidate pool's bound still holds; and on
the shapes model "this, but <colour>" finds the same thing moved or resized, while the exact change still comes
first."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.tools import shapes
from models.tools.shapes import Spec
from photosearch.config import Paths
from photosearch.indexing.pipeline import Indexer
from photosearch.library.library import Library
from photosearch.models.install import install_package_dir
from photosearch.search import fusion
from photosearch.search.engine import SearchEngine


def _unit(rng: np.random.Generator, n: int, d: int = 32) -> np.ndarray:
    return fusion.normalize(rng.standard_normal((n, d)))


def test_the_views_are_the_pixels_mirrored_moved_and_zoomed() -> None:
    rng = np.random.default_rng(0)
    s = 64
    t = rng.standard_normal((3, s, s)).astype(np.float32)
    v = fusion.view_tensors(t)
    assert v.shape == (fusion.N_VIEWS, 3, s, s) and fusion.N_VIEWS <= 8  # one small batch
    np.testing.assert_array_equal(v[0], t[:, :, ::-1])
    d = round(fusion.VIEW_SHIFT * s)
    # down-right: pixel (y, x) goes to (y + d, x + d); what came in is 0, the preprocessor's mean colour
    np.testing.assert_array_equal(v[1][:, d:, d:], t[:, : s - d, : s - d])
    assert not v[1][:, :d, :].any() and not v[1][:, :, :d].any()
    np.testing.assert_array_equal(v[4][:, : s - d, : s - d], t[:, d:, d:])  # up-left
    # magnified: the centre stays the centre; shrunk: a border of the mean colour around the whole picture
    flat = np.ones((3, s, s), np.float32)
    assert np.allclose(fusion.view_tensors(flat)[5], 1.0)
    shrunk = fusion.view_tensors(flat)[6]
    n = round(s * fusion.VIEW_ZOOM_OUT)
    o = (s - n) // 2
    assert np.allclose(shrunk[:, o : o + n, o : o + n], 1.0) and not shrunk[:, :o].any()


def test_views_are_one_batch_through_the_image_tower(shapes_model: Path, tmp_path: Path) -> None:
    from photosearch.models.encoders import ModelRuntime

    rt = ModelRuntime.from_path(shapes_model)
    img = shapes.render(Spec("star", "red", "medium", "top left", "plain", 1), 128)
    img.save(tmp_path / "s.png")
    calls: list[int] = []
    encode = rt.image.encode_tensors

    def counting(batch: np.ndarray) -> np.ndarray:
        calls.append(len(batch))
        return encode(batch)

    rt.image.encode_tensors = counting  # type: ignore[method-assign]
    vv = fusion.views(rt.image, tmp_path / "s.png")
    assert calls == [fusion.N_VIEWS] and vv is not None and vv.shape == (fusion.N_VIEWS, rt.dim)
    # the first view is the mirror image, as fusion.mirrored makes it
    m = fusion.mirrored(rt.image, img)
    assert m is not None and float(fusion.normalize(vv[0]) @ fusion.normalize(m)) > 0.999
    assert fusion.views(rt.image, tmp_path / "missing.png") is None


def test_likeness_is_the_best_of_the_photo_and_its_discounted_views() -> None:
    rng = np.random.default_rng(1)
    v = _unit(rng, 1)[0]
    vv = _unit(rng, fusion.N_VIEWS)
    x = _unit(rng, 200)
    like = fusion.likeness(v, vv, x)
    np.testing.assert_allclose(like, np.maximum(x @ v, fusion.VIEW_DISCOUNT * (x @ vv.T).max(axis=1)))
    np.testing.assert_allclose(fusion.likeness(v, None, x), x @ v)
    # a candidate equal to a view scores the discount, one equal to the photo scores 1
    assert fusion.likeness(v, vv, vv[2:3])[0] == pytest.approx(max(fusion.VIEW_DISCOUNT, float(vv[2] @ v)))
    assert fusion.likeness(v, vv, v[None])[0] == pytest.approx(1.0)


@pytest.mark.parametrize("w", [0.2, 0.5, 0.9])
def test_the_bound_holds_with_views(w: float) -> None:
    """No photo outside the union of the P nearest neighbours of every query vector (reference, t, fused, the
    photo, each view) scores above the bound."""
    rng = np.random.default_rng(5)
    x = _unit(rng, 3000)
    v, t = _unit(rng, 2)
    vv = fusion.normalize(v + 0.8 * _unit(rng, fusion.N_VIEWS))
    qs = fusion.query_vectors(v, t, w, "product", vv)
    assert len(qs) == 4 + fusion.N_VIEWS
    np.testing.assert_allclose(qs[0], fusion.with_mirror(v, vv[0]))  # what the line measures likeness to
    sims = x @ qs.T
    p = 40
    pool: set[int] = set()
    last = np.empty(len(qs))
    for j in range(len(qs)):
        order = np.argsort(-sims[:, j])[:p]
        pool.update(order.tolist())
        last[j] = sims[order[-1], j]
    outside = np.array(sorted(set(range(len(x))) - pool))
    s = fusion.score(v, t, x[outside], w, "product", vv)
    assert s.max() <= fusion.bound(last, w, "product") + 1e-9


def test_slerp_and_sum_keep_the_mirrored_reference() -> None:
    rng = np.random.default_rng(2)
    v, t = _unit(rng, 2)
    vv = _unit(rng, fusion.N_VIEWS)
    x = _unit(rng, 50)
    for name in ("slerp", "sum"):
        ref = fusion.with_mirror(v, vv[0])
        np.testing.assert_allclose(
            fusion.score(v, t, x, 0.4, name, vv), fusion.score(ref, t, x, 0.4, name), rtol=1e-5
        )
        assert len(fusion.query_vectors(v, t, 0.4, name, vv)) == 3


# (reference, change, the reference's shape in that colour moved or resized, another shape in the reference's
# size and place): pairs from the calibration library of benchmarks/eval_relevance.py where the reference counted
# with its mirror image still ranked the other shape first
VIEW_CASES = [
    (
        Spec("star", "orange", "medium", "centre", "noise", 10021),
        "blue",
        Spec("star", "blue", "medium", "top left", "gradient", 10029),
        Spec("square", "blue", "medium", "centre", "texture", 10131),
    ),
    (
        Spec("square", "blue", "large", "bottom left", "gradient", 10022),
        "orange",
        Spec("square", "orange", "large", "centre", "noise", 10193),
        Spec("triangle", "orange", "large", "bottom left", "noise", 10214),
    ),
    (
        Spec("square", "blue", "medium", "top right", "noise", 10124),
        "green",
        Spec("square", "green", "large", "top right", "plain", 10073),
        Spec("star", "green", "medium", "top right", "plain", 10229),
    ),
    (
        Spec("triangle", "orange", "small", "top left", "noise", 10206),
        "blue",
        Spec("triangle", "blue", "small", "centre", "plain", 10031),
        Spec("star", "blue", "small", "top left", "gradient", 10167),
    ),
]


def _exact_change(ref: Spec, colour: str) -> Spec:
    return Spec(ref.shape, colour, ref.size, ref.position, "plain", ref.bg_seed + 1)


def _library(tmp_path: Path, shapes_model: Path, specs: list[Spec]) -> tuple[Library, dict[Spec, Path]]:
    photos = tmp_path / "photos"
    photos.mkdir()
    extras = [
        Spec(s, c, "small", "centre", "plain", 7 * i)
        for i, (s, c) in enumerate(zip(shapes.SHAPES, shapes.COLOURS, strict=True))
    ]
    files: dict[Spec, Path] = {}
    for spec in specs + extras:
        files[spec] = photos / f"p{len(files):02d}.png"
        shapes.render(spec, 128).save(files[spec])
    paths = Paths.resolve(tmp_path / "data")
    lib = Library(paths, write=True, purpose="test")
    lib.set_active_model(install_package_dir(shapes_model, paths.models_dir).id)
    lib.add_folder(photos)
    assert list(Indexer(lib).run())[-1].encoded == len(files)
    return lib, files


def test_this_but_another_colour_finds_the_thing_moved_or_resized(shapes_model: Path, tmp_path: Path) -> None:
    lib, files = _library(
        tmp_path, shapes_model, [x for case in VIEW_CASES for x in (case[0], case[2], case[3])]
    )
    try:
        eng = SearchEngine(lib.catalog, lib.runtime(), lib.vector_index())
        spec_of = {path: spec for spec, path in files.items()}
        for ref, words, same_thing, same_place in VIEW_CASES:
            first = spec_of[Path(eng.search_composed(files[ref], words, 3, cutoff=False).results[0].path)]
            # the same thing moved or resized (or another of the reference's shape in that colour)
            assert (first.shape, first.colour) == (same_thing.shape, words), (ref, words, first)
            # by the photo's own vector, the other shape in the reference's size and place wins
            v, label = eng.image_vector(files[ref])
            alone = eng.search_composed_vector(v, words, 3, cutoff=False, exclude={label} if label else set())
            assert Path(alone.results[0].path) == files[same_place]
            # and so does the photo counted with its mirror image alone (the search before the views)
            mirror = fusion.with_mirror(v, fusion.mirrored(eng.runtime.image, files[ref]))
            before = eng.search_composed_vector(
                mirror, words, 3, cutoff=False, exclude={label} if label else set()
            )
            assert spec_of[Path(before.results[0].path)].shape != ref.shape
    finally:
        lib.close()


def test_the_exact_change_still_comes_first(shapes_model: Path, tmp_path: Path) -> None:
    specs = [x for case in VIEW_CASES for x in (case[0], case[2], case[3], _exact_change(case[0], case[1]))]
    lib, files = _library(tmp_path, shapes_model, specs)
    try:
        eng = SearchEngine(lib.catalog, lib.runtime(), lib.vector_index())
        for ref, words, _, _ in VIEW_CASES:
            first = eng.search_composed(files[ref], words, 3, cutoff=False).results[0].path
            assert Path(first) == files[_exact_change(ref, words)], (ref, words)
    finally:
        lib.close()


def test_a_reference_is_seen_in_its_views_once_until_it_changes(shapes_model: Path, tmp_path: Path) -> None:
    """Moving the image/text balance or changing the words re-runs the query without encoding the views again;
    an edited reference is seen afresh."""
    case = VIEW_CASES[0]
    lib, files = _library(tmp_path, shapes_model, [case[0], case[2], case[3]])
    try:
        eng = SearchEngine(lib.catalog, lib.runtime(), lib.vector_index())
        enc = eng.runtime.image
        ref = files[case[0]]
        first = eng.search_composed(ref, "blue", 3, cutoff=False)
        before = enc.calls
        again = eng.search_composed(ref, "blue", 3, weight=0.3, cutoff=False)
        eng.search_composed(ref, "green", 3, cutoff=False)
        assert enc.calls == before  # the stored embedding and the kept views: no image-tower call
        assert [r.label for r in again.results] and first.results
        kept = eng.reference_views(ref)
        assert kept is not None and enc.calls == before
        np.testing.assert_allclose(kept, fusion.views(enc, ref), rtol=1e-5, atol=1e-6)
        shapes.render(Spec("circle", "red", "large", "centre", "plain", 3), 128).save(ref)  # edited in place
        before = enc.calls
        changed = eng.reference_views(ref)
        assert changed is not None and enc.calls == before + fusion.N_VIEWS
        assert not np.allclose(changed, kept, atol=1e-3)
        np.testing.assert_allclose(changed, fusion.views(enc, ref), rtol=1e-5, atol=1e-6)
    finally:
        lib.close()
