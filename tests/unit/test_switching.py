"""Switching models: each model keeps its own vectors; the switch re-embeds in batches with progress while
searches keep using the old model, survives cancellation, completes from 'photosearch index', and
switching back is immediate."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photosearch.app.index import run_index
from photosearch.config import Paths
from photosearch.indexing.pipeline import Indexer
from photosearch.indexing.switching import begin_switch, continue_switch, switch_target
from photosearch.library.library import Library
from photosearch.models.install import install_package_dir
from photosearch.progress import Progress, WorkControl
from photosearch.search.engine import SearchEngine
from tests.tinymodel import build_tiny_model

N = 10


@pytest.fixture
def library_folder(tmp_path: Path) -> Path:
    d = tmp_path / "photos"
    d.mkdir()
    rng = np.random.default_rng(0)
    for i in range(N):
        Image.fromarray(rng.integers(0, 256, (40 + i, 48, 3), dtype=np.uint8)).save(d / f"p{i}.png")
    return d


@pytest.fixture(scope="module")
def model_b(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("mb") / "tiny-b", model_id="tiny-b", seed=1, dim=8)


def test_switch_in_background_keeps_old_model_searchable(
    data_dir: Path, tiny_model: Path, model_b: Path, library_folder: Path
) -> None:
    paths = Paths.resolve(data_dir)
    with Library(paths, write=True) as lib:
        install_package_dir(tiny_model, paths.models_dir)
        install_package_dir(model_b, paths.models_dir)
        assert begin_switch(lib, "tiny-random") == 0  # first model: active at once
        lib.add_folder(library_folder)
        list(Indexer(lib, batch_size=4).run())
        assert lib.catalog.count_embeddings("tiny-random") == N

        assert begin_switch(lib, "tiny-b") == N
        assert lib.active_model_id() == "tiny-random" and switch_target(lib) == "tiny-b"
        control = WorkControl()
        gen = continue_switch(lib, control, batch_size=4)
        start = next(gen)
        after_one = next(gen)
        assert start.phase == after_one.phase == "switching" and after_one.total == N and after_one.done == 4
        assert after_one.extra["model"] == "tiny-b"

        # meanwhile a reader (the GUI, another 'photosearch search') still searches with the old model
        with Library(paths) as reader:
            assert reader.active_model_id() == "tiny-random"
            rt = reader.runtime()
            resp = SearchEngine(reader.catalog, rt, reader.vector_index(rt.id)).search_text("red circle", 5)
            assert rt.id == "tiny-random" and len(resp.results) == 5

        control.cancel()
        rest = list(gen)
        assert rest[-1].phase == "cancelled"
        assert lib.active_model_id() == "tiny-random" and switch_target(lib) == "tiny-b"
        done_b = lib.catalog.count_embeddings("tiny-b")
        assert 4 <= done_b < N

        # 'photosearch index' (app.index.run_index) finishes the switch, embedding only what is missing
        calls = lib.runtime("tiny-b").image.calls
        events: list[Progress] = []
        run_index(lib, batch_size=4, on_progress=events.append)
        assert any(e.phase == "switched" for e in events)
        assert lib.active_model_id() == "tiny-b" and switch_target(lib) is None
        assert lib.runtime("tiny-b").image.calls - calls == N - done_b
        assert lib.catalog.count_embeddings("tiny-b") == N
        assert lib.catalog.count_embeddings("tiny-random") == N  # the old model keeps its vectors

        # switching back is immediate: nothing to embed
        a_calls = lib.runtime("tiny-random").image.calls
        assert begin_switch(lib, "tiny-random") == 0
        assert lib.active_model_id() == "tiny-random" and lib.runtime("tiny-random").image.calls == a_calls
        rt = lib.runtime()
        assert len(SearchEngine(lib.catalog, rt, lib.vector_index(rt.id)).search_text("blue", 3).results) == 3


def test_cli_models_use(
    tiny_model: Path, model_b: Path, library_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from photosearch.cli import main

    def run(*args: str) -> dict:
        assert main([*args, "--json"]) == 0, capsys.readouterr().err
        return json.loads(capsys.readouterr().out)

    run("models", "import", str(tiny_model))
    run("models", "import", str(model_b))
    run("folders", "add", str(library_folder))
    run("index", "-q")
    out = run("models", "use", "tiny-b", "--later")
    assert out["active"] == "tiny-random" and out["to_embed"] == N
    listing = run("models", "list")
    assert listing["active"] == "tiny-random" and listing["switching_to"] == "tiny-b"
    out = run("models", "use", "tiny-b")
    assert out["active"] == "tiny-b" and out["switched"] and out["to_embed"] == 0
    res = run("search", "red", "-k", "3")
    assert len(res["results"]) == 3
    out = run("models", "use", "tiny-random")
    assert out["active"] == "tiny-random"
    run("models", "remove", "tiny-b")
    assert [m["id"] for m in run("models", "list")["installed"]] == ["tiny-random"]
