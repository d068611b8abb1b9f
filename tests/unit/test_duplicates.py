"""Near-duplicates: perceptual hash properties, and grouping on a real indexed library (copies among
look-alikes), including hashes computed lazily for a library indexed without them, and the CLI."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models.tools import shapes
from photosearch.config import Paths
from photosearch.indexing.pipeline import Indexer
from photosearch.library.fingerprint import hamming, phash
from photosearch.library.library import Library
from photosearch.models.install import install_package_dir
from photosearch.search.duplicates import (
    DEFAULT_MAX_DISTANCE,
    DEFAULT_PIXEL_MAX,
    find_duplicates,
    pixel_distance,
    pixels,
)
from photosearch.search.engine import SearchEngine


def _jpeg(img: Image.Image, q: int = 70) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=q)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def _crop(img: Image.Image, frac: float) -> Image.Image:
    w, h = img.size
    d = int(w * frac)
    return img.crop((d, d // 2, w - d // 2, h - d))


def test_phash_survives_copies_and_separates_different_pictures() -> None:
    rng = np.random.default_rng(0)
    specs = [shapes.random_spec(rng) for _ in range(30)]
    imgs = [shapes.render(s, 128) for s in specs]
    hashes = [phash(im) for im in imgs]
    assert all(-(1 << 63) <= h < (1 << 63) for h in hashes)  # fits SQLite's signed INTEGER
    for im, h in zip(imgs, hashes, strict=True):
        assert phash(im) == h
        assert hamming(h, phash(im.resize((80, 80), Image.Resampling.LANCZOS))) <= 6
        assert hamming(h, phash(_jpeg(im))) <= 6
        assert hamming(h, phash(_crop(im, 0.05))) <= DEFAULT_MAX_DISTANCE
    diff = [hamming(a, b) for i, a in enumerate(hashes) for b in hashes[i + 1 :]]
    assert np.median(diff) >= 20
    assert hamming(5, 5) == 0 and hamming(-1, 0) == 64 and hamming(3, 0) == hamming(0, 3) == 2


def test_pixel_check_tells_copies_from_another_shot() -> None:
    rng = np.random.default_rng(2)
    for _ in range(20):
        spec = shapes.random_spec(rng)
        im = shapes.render(spec, 128)
        p = pixels(im)
        for copy in (
            im.resize((70, 70), Image.Resampling.LANCZOS),
            _jpeg(im, 75),
            _crop(im, 0.05),
            _jpeg(_crop(im, 0.04), 80),
        ):
            assert pixel_distance(p, pixels(copy)) <= DEFAULT_PIXEL_MAX
        other = shapes.Spec(*spec.combo, bg_style=spec.bg_style, bg_seed=spec.bg_seed + 7)
        assert pixel_distance(p, pixels(shapes.render(other, 128))) > DEFAULT_PIXEL_MAX


@pytest.fixture
def dup_library(tmp_path: Path, tiny_model: Path) -> tuple[Library, dict[str, int]]:
    """12 originals; 4 of them with planted copies (byte copy, resized, re-encoded, cropped);
    4 look-alikes (same attributes, another background)."""
    rng = np.random.default_rng(1)
    root = tmp_path / "photos"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    group: dict[str, int] = {}
    for i in range(12):
        spec = shapes.random_spec(rng)
        img = shapes.render(spec, 96)
        p = root / "a" / f"o{i}.png"
        img.save(p)
        group[str(p)] = i
        if i < 4:
            if i == 0:
                shutil.copyfile(p, root / "b" / "o0_copy.png")
            elif i == 1:
                img.resize((64, 64), Image.Resampling.LANCZOS).save(root / "b" / "o1_small.png")
            elif i == 2:
                _jpeg(img, 75).save(root / "b" / "o2_re.jpg", quality=75)
            else:
                _crop(img, 0.04).save(root / "b" / "o3_crop.png")
        if 4 <= i < 8:
            look = shapes.Spec(*spec.combo, bg_style=spec.bg_style, bg_seed=spec.bg_seed + 1)
            shapes.render(look, 96).save(root / "b" / f"o{i}_look.png")
            group[str(root / "b" / f"o{i}_look.png")] = 100 + i
    for q in (root / "b").iterdir():
        if str(q) not in group:
            group[str(q)] = int(q.name[1:].split("_")[0])
    paths = Paths.resolve(tmp_path / "data")
    lib = Library(paths, write=True)
    install_package_dir(tiny_model, paths.models_dir)
    lib.add_folder(root)
    for _ in Indexer(lib).run():
        pass
    return lib, group


def _pairs(groups) -> set[frozenset[str]]:
    return {frozenset((a.path, b.path)) for g in groups for a in g.files for b in g.files if a.path < b.path}


def test_groups_copies_and_not_lookalikes(dup_library: tuple[Library, dict[str, int]]) -> None:
    lib, group = dup_library
    rt = lib.runtime()
    eng = SearchEngine(lib.catalog, rt, lib.vector_index(rt.id))
    assert all(f.phash is not None for f in lib.catalog.all_files("indexed"))  # computed while indexing
    truth = {frozenset((a, b)) for a in group for b in group if a < b and group[a] == group[b]}
    assert len(truth) == 4
    groups = find_duplicates(eng)
    assert _pairs(groups) == truth
    identical = [g for g in groups if g.identical]
    assert len(identical) == 1 and {Path(f.path).name for f in identical[0].files} == {
        "o0.png",
        "o0_copy.png",
    }
    # embeddings alone would also join the look-alikes (the tiny random model can't tell them apart
    # reliably): the perceptual hash is what confirms a copy
    loose = find_duplicates(eng, threshold=-1.0, max_distance=64, pixel_max=None)
    assert truth <= _pairs(loose)


def test_hashes_are_computed_lazily_for_an_older_library(dup_library: tuple[Library, dict[str, int]]) -> None:
    lib, group = dup_library
    with lib.catalog.transaction() as c:  # a library indexed before perceptual hashes existed
        c.execute("UPDATE files SET phash = NULL")
    rt = lib.runtime()
    eng = SearchEngine(lib.catalog, rt, lib.vector_index(rt.id))
    truth = {frozenset((a, b)) for a in group for b in group if a < b and group[a] == group[b]}
    assert _pairs(find_duplicates(eng)) == truth
    assert all(f.phash is not None for f in lib.catalog.all_files("indexed"))


def test_duplicates_command(
    dup_library: tuple[Library, dict[str, int]], capsys: pytest.CaptureFixture[str]
) -> None:
    from photosearch.cli import main

    lib, group = dup_library
    data_dir = str(lib.paths.data_dir)
    lib.close()
    assert main(["duplicates", "--data-dir", data_dir, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["groups"]) == 4
    assert all(len(g["files"]) == 2 for g in out["groups"])
    assert main(["duplicates", "--data-dir", data_dir]) == 0
    text = capsys.readouterr().out
    assert text.count("group ") == 4 and "(identical files)" in text
