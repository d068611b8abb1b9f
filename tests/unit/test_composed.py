"""Composed queries ("this photo, but …") and photos judged after re-ranking, on a real catalog and index holding
synthetic embeddings: each result is judged by its own stored vector, whatever order the catalog returns rows in.
And, on the shapes model, the reference counted with its mirror image."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from models.tools import shapes
from models.tools.shapes import Spec
from photosearch.config import Paths
from photosearch.indexing.pipeline import Indexer
from photosearch.library.library import Library
from photosearch.models.install import install_package_dir
from photosearch.search import fusion
from photosearch.search.cutoff import CutoffRule, QueryStats
from photosearch.search.engine import SearchEngine
from photosearch.search.line import bank_margin
from photosearch.search.relevance import cosine_scorer
from tests.unit.test_search_engine import DIM, build_lib, model64  # noqa: F401  (model64: a fixture)


def test_a_composed_result_is_judged_by_its_own_vector(tmp_path: Path, model64: Path) -> None:  # noqa: F811
    rng = np.random.default_rng(3)
    lib = build_lib(
        tmp_path,
        model64,
        rng.standard_normal((400, DIM)),
        cutoff=CutoffRule({"text": 0.0, "image": 3.0, "composed": 0.0}, calibrated=True),
    )
    eng = lib.engine
    v = lib.vecs[0]
    resp = eng.search_composed_vector(v, "red", 30, exclude={lib.label(0)})
    labels = [r.label for r in resp.results]
    assert labels != sorted(labels)  # ranked otherwise than the catalog's row order
    t = eng.text_vector("red")
    caps = eng._caption_vectors()
    x = lib.vecs[[lab - 1 for lab in labels]]
    want = bank_margin(x @ t, x @ caps.T)
    np.testing.assert_allclose([r.z for r in resp.results], want, rtol=1e-4, atol=1e-4)


def test_judged_results_are_scored_by_their_own_vectors(tmp_path: Path, model64: Path) -> None:  # noqa: F811
    rng = np.random.default_rng(4)
    lib = build_lib(tmp_path, model64, rng.standard_normal((400, DIM)), cutoff=CutoffRule({"image": 1.0}))
    eng = lib.engine
    base = lib.vecs[5]
    resp = eng.search_vector(fusion.normalize(lib.vecs[9] + lib.vecs[11]), 40, kind="image", cutoff=False)
    labels = [r.label for r in resp.results]
    assert labels != sorted(labels)
    eng.judge(resp.results, cosine_scorer(base), "image")
    stats = QueryStats.of(eng.background().vecs @ base)
    for r in resp.results:
        assert r.z is not None and abs(r.z - stats.z(float(lib.vecs[r.label - 1] @ base))) < 1e-4


# (reference, change, the reference's shape in the asked colour on the other side, another shape in its place):
# pairs from the calibration library of benchmarks/eval_relevance.py where the photo's own vector ranks the
# other shape first
MIRROR_CASES = [
    (
        Spec("star", "yellow", "medium", "top left", "texture", 10132),
        "green",
        Spec("star", "green", "medium", "top right", "plain", 10229),
        Spec("square", "green", "medium", "top left", "noise", 10113),
    ),
    (
        Spec("circle", "orange", "medium", "bottom left", "plain", 10210),
        "blue",
        Spec("circle", "blue", "medium", "bottom right", "plain", 10094),
        Spec("triangle", "blue", "medium", "bottom left", "noise", 10010),
    ),
    (
        Spec("hexagon", "green", "large", "bottom left", "texture", 10203),
        "red",
        Spec("hexagon", "red", "large", "bottom right", "gradient", 10050),
        Spec("circle", "red", "medium", "bottom left", "plain", 10212),
    ),
]


def test_this_but_another_colour_keeps_the_thing_wherever_it_sits(shapes_model: Path, tmp_path: Path) -> None:
    """The reference counts with its mirror image: "this, but green" finds the same shape in green on the other
    side before another shape in green in the reference's place (which the photo's own vector ranks first)."""
    photos = tmp_path / "photos"
    photos.mkdir()
    names: dict[Spec, str] = {}
    extras = [
        Spec(s, c, "small", "centre", "plain", 7 * i)
        for i, (s, c) in enumerate(zip(shapes.SHAPES, shapes.COLOURS, strict=True))
    ]
    for spec in [x for case in MIRROR_CASES for x in (case[0], case[2], case[3])] + extras:
        names[spec] = f"p{len(names):02d}.png"
        shapes.render(spec, 128).save(photos / names[spec])
    paths = Paths.resolve(tmp_path / "data")
    lib = Library(paths, write=True, purpose="test")
    try:
        lib.set_active_model(install_package_dir(shapes_model, paths.models_dir).id)
        lib.add_folder(photos)
        assert list(Indexer(lib).run())[-1].encoded == len(names)
        eng = SearchEngine(lib.catalog, lib.runtime(), lib.vector_index())
        for ref, words, same_thing, same_place in MIRROR_CASES:
            path = photos / names[ref]
            first = Path(eng.search_composed(path, words, 3, cutoff=False).results[0].path).name
            assert first == names[same_thing], (ref, words)
            # without the mirror image (the photo's own vector), the other shape in the reference's place wins
            v, label = eng.image_vector(path)
            alone = eng.search_composed_vector(v, words, 3, cutoff=False, exclude={label} if label else set())
            assert Path(alone.results[0].path).name == names[same_place]
    finally:
        lib.close()


def test_the_mirror_of_a_photo_is_its_flipped_pixels(shapes_model: Path, tmp_path: Path) -> None:
    from photosearch.models.encoders import ModelRuntime

    rt = ModelRuntime.from_path(shapes_model)
    img = shapes.render(Spec("triangle", "red", "large", "top left", "plain", 1), 128)
    img.save(tmp_path / "t.png")
    flipped = rt.image.encode_images([img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)])[0]
    for source in (img, tmp_path / "t.png"):
        m = fusion.mirrored(rt.image, source)
        assert m is not None and float(fusion.normalize(m) @ fusion.normalize(flipped)) > 0.999
    assert fusion.mirrored(rt.image, tmp_path / "missing.png") is None
    v = rt.image.encode_images([img])[0]
    assert np.allclose(fusion.with_mirror(v, None), fusion.normalize(v))
