"""``doctor --speed`` says one thing about what runs the image encoder: the choice line and the self-test's
result name the same precision and engine (before: "bf16 on CPU (OpenVINO …)" above "fp32 on openvino")."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.helpers import run_cli, run_json


def test_the_self_test_names_the_precision_the_choice_line_names(
    tmp_path: Path, data_dir: Path, shapes_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from photosearch.models.runtime_settings import cpu_has_native_bf16, openvino_installed

    if not openvino_installed() or not cpu_has_native_bf16():
        pytest.skip("needs OpenVINO and a CPU that computes bf16 natively (AVX512-BF16 or AMX)")
    monkeypatch.setenv("PHOTOSEARCH_IMAGE_BACKEND", "auto")  # tests pin ONNX Runtime; a person's default
    run_cli(data_dir, "models", "import", str(shapes_model))
    out = run_json(data_dir, "doctor", "--speed")["machine"]
    choice = out["choice"]
    assert (choice["precision"], choice["backend"]) == ("bf16", "openvino"), choice
    assert out["ran"] == "bf16 on openvino", out
    assert out["note"] is None, out
    text = run_cli(data_dir, "doctor", "--speed", check=False).stdout
    encoder = next(ln for ln in text.splitlines() if ln.startswith("image encoder"))
    self_test = next(ln for ln in text.splitlines() if ln.startswith("speed self-test"))
    assert "bf16 on CPU (OpenVINO" in encoder and "bf16 on openvino" in self_test, text
    assert "fp32" not in self_test, text
