"""Every test gets a fresh temporary data directory and never touches the real home."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PHOTOSEARCH_THREADS", "2")
# exact fp32 everywhere (results identical on every CPU); tests/unit/test_image_backend.py covers OpenVINO
os.environ.setdefault("PHOTOSEARCH_IMAGE_BACKEND", "onnxruntime")
# the text pass (OCR) is off unless a test turns it on (tests/*/test_text_*.py): it costs seconds per photo
os.environ.setdefault("PHOTOSEARCH_READ_TEXT", "0")
os.environ.setdefault("PHOTOSEARCH_PAUSE_ON_BATTERY", "0")  # a laptop on battery must not stall the tests

FIXTURES = Path(__file__).parent / "fixtures"
SHAPES_MODEL = FIXTURES / "shapes-model"


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    data = home / "photosearch-data"
    monkeypatch.setenv("PHOTOSEARCH_DATA_DIR", str(data))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local/share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    return data


@pytest.fixture
def data_dir(_isolated_data_dir: Path) -> Path:
    return _isolated_data_dir


@pytest.fixture
def fresh_roots(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test asks about the library's roots afresh (the process keeps answers for a moment)."""
    from photosearch.app import roots

    monkeypatch.setattr(roots, "ROOTS", roots.RootCheck())
    monkeypatch.setattr("photosearch.app.search.ROOTS", roots.ROOTS)


@pytest.fixture(autouse=True)
def _no_leaked_threads():
    """Fail a test that leaves a non-daemon thread running."""
    before = set(threading.enumerate())
    yield
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive() and not t.daemon]
    for t in leaked:
        t.join(timeout=5)
    leaked = [t for t in leaked if t.is_alive()]
    assert not leaked, f"threads left running: {[t.name for t in leaked]}"


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.tinymodel import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("models") / "tiny-random")


@pytest.fixture(scope="session")
def shapes_model() -> Path:
    if not (SHAPES_MODEL / "manifest.json").is_file():
        pytest.skip("the shapes test model has not been trained yet (models/tools/train_shapes_model.py)")
    return SHAPES_MODEL
