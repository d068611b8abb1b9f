"""``models calibrate`` before the library is large enough says where the model's text line comes from until
then (before: 'until then the model is uncalibrated' also of a model that carries its own calibration, as
the shapes model does), and a model name that is not installed gets the command that helps (before: 'model
X is not installed', nothing more)."""

from __future__ import annotations

from pathlib import Path

import pytest

from photosearch.errors import LibraryTooSmall, ModelNotInstalled
from tests.conftest import SHAPES_MODEL
from tests.unit._cli import cli_main as _cli


def test_too_few_photos_says_the_line_in_force(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli(capsys, "models", "import", str(SHAPES_MODEL))[0] == 0
    rc, _, err = _cli(capsys, "models", "calibrate")
    assert rc == LibraryTooSmall.exit_code
    assert "at least 40 photos" in err and "this library has 0" in err, err
    assert "until then its text line is the one calibrated for this model" in err, err
    assert "uncalibrated" not in err, err


def test_a_model_not_installed(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli(capsys, "models", "import", str(SHAPES_MODEL))[0] == 0
    rc, _, err = _cli(capsys, "models", "calibrate", "--model", "ViT-B-32__openai")
    assert rc == ModelNotInstalled.exit_code
    assert "install it first: photosearch models install openai-clip-vit-b-32" in err, err
    rc, _, err = _cli(capsys, "models", "calibrate", "--forget", "--model", "shapes-tiy")
    assert rc == ModelNotInstalled.exit_code and "did you mean 'shapes-tiny'?" in err, err
