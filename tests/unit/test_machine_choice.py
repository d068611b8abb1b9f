"""The one place that picks provider, precision and threads: what it picks for the machines people have,
from the CPU flags and the execution providers ONNX Runtime reports — and that finding out never imports
OpenVINO."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from photosearch.models.machine import (
    CPU_PROVIDER,
    Accelerator,
    Backend,
    MachineFacts,
    Precision,
    choose,
    wants_int8,
)

AVX2 = frozenset({"avx2", "fma"})
AVX512_VNNI = frozenset({"avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16"})  # e.g. AMD Zen 4
AMX = AVX512_VNNI | {"amx_bf16", "amx_int8"}  # Intel Sapphire Rapids
ARM = frozenset({"asimddp"})


def facts(flags: frozenset[str], providers: tuple[str, ...] = (CPU_PROVIDER,), **kw: object) -> MachineFacts:
    args: dict = {
        "cpu_model": "test CPU",
        "flags": flags,
        "cores": 4,
        "providers": providers,
        "arch": "x86_64",
    }
    args.update(kw)
    return MachineFacts(**args)


@pytest.mark.parametrize(
    ("flags", "arch", "words"),
    [(AVX2, "x86_64", "AVX2 integer kernels"), (AVX512_VNNI, "x86_64", "VNNI"), (ARM, "aarch64", "NEON")],
)
def test_ordinary_cpus_run_the_int8_tower_once_it_exists(
    flags: frozenset[str], arch: str, words: str
) -> None:
    made = choose(facts(flags, arch=arch), int8=True)
    assert (made.accelerator, made.backend, made.precision) == (
        Accelerator.CPU,
        Backend.ONNXRUNTIME,
        Precision.INT8,
    )
    assert made.providers == (CPU_PROVIDER,) and made.threads == 4 and made.batch_size == 16
    assert words in made.reason
    not_yet = choose(facts(flags, arch=arch), int8=None)
    assert not_yet.precision is Precision.FP32 and "first index" in not_yet.reason
    refused = choose(facts(flags, arch=arch), int8=False, int8_note="int8 refused: 10-NN overlap 0.91 < 0.95")
    assert refused.precision is Precision.FP32 and "0.91" in refused.line()


def test_amx_uses_openvino_bf16_only_when_installed() -> None:
    with_ov = choose(facts(AMX, openvino_installed=True), int8=True)
    assert (with_ov.backend, with_ov.precision) == (Backend.OPENVINO, Precision.BF16)
    without = choose(facts(AMX, openvino_installed=False), int8=True)
    assert (without.backend, without.precision) == (Backend.ONNXRUNTIME, Precision.INT8)
    fp32 = choose(facts(AMX, openvino_installed=False), int8=None)
    assert "pip install openvino" in fp32.reason


def test_avx512_bf16_without_amx_prefers_int8_and_uses_openvino_bf16_only_until_then() -> None:
    made = choose(facts(AVX512_VNNI, openvino_installed=True), int8=True)
    assert (made.backend, made.precision) == (Backend.ONNXRUNTIME, Precision.INT8)
    before = choose(facts(AVX512_VNNI, openvino_installed=True), int8=None)
    assert (before.backend, before.precision) == (Backend.OPENVINO, Precision.BF16)
    assert "first index" in before.reason
    assert choose(facts(AVX512_VNNI, openvino_installed=False), int8=None).precision is Precision.FP32
    assert wants_int8(facts(AVX512_VNNI, openvino_installed=True))
    assert not wants_int8(facts(AMX, openvino_installed=True))
    assert wants_int8(facts(AMX, openvino_installed=False))
    assert not wants_int8(facts(AVX2, ("CUDAExecutionProvider", CPU_PROVIDER)))
    assert not wants_int8(facts(AVX2), setting="onnxruntime")


@pytest.mark.parametrize(
    ("providers", "accelerator", "batch"),
    [
        (("CUDAExecutionProvider", CPU_PROVIDER), Accelerator.CUDA, 64),
        (("TensorrtExecutionProvider", "CUDAExecutionProvider", CPU_PROVIDER), Accelerator.CUDA, 64),
        (("DmlExecutionProvider", CPU_PROVIDER), Accelerator.DIRECTML, 32),
        (("CoreMLExecutionProvider", CPU_PROVIDER), Accelerator.COREML, 32),
        (("CoreMLExecutionProvider", "CUDAExecutionProvider", CPU_PROVIDER), Accelerator.CUDA, 64),
    ],
)
def test_a_gpu_provider_is_used_with_the_cpu_behind_it(
    providers: tuple[str, ...], accelerator: Accelerator, batch: int
) -> None:
    made = choose(facts(AVX2, providers), int8=True)
    assert made.accelerator is accelerator and made.batch_size == batch
    assert made.providers[-1] == CPU_PROVIDER and len(made.providers) == 2
    assert made.precision is Precision.FP32  # a GPU runs the model in its own precision
    assert "CPU takes over" in made.reason


@pytest.mark.parametrize(
    "providers",
    [(CPU_PROVIDER,), ("AzureExecutionProvider", CPU_PROVIDER), ("OpenVINOExecutionProvider", CPU_PROVIDER)],
)
def test_no_gpu_provider_means_the_cpu(providers: tuple[str, ...]) -> None:
    made = choose(facts(AVX2, providers), int8=True)
    assert made.accelerator is Accelerator.CPU and made.providers == (CPU_PROVIDER,)


def test_settings_override_and_threads() -> None:
    exact = choose(facts(AVX512_VNNI), setting="onnxruntime", int8=True)
    assert exact.precision is Precision.FP32 and "PHOTOSEARCH_IMAGE_BACKEND" in exact.reason
    ov = choose(facts(AVX512_VNNI, openvino_installed=True), setting="openvino")
    assert ov.backend is Backend.OPENVINO
    assert choose(facts(AVX2), threads=1, int8=True).threads == 1
    published = choose(facts(AVX2), quantised_model=True)
    assert published.precision is Precision.INT8 and "published" in published.reason


def test_isa_words() -> None:
    assert facts(AVX512_VNNI).isa == "AVX2 AVX-512 VNNI AVX512-BF16, no AMX"
    assert facts(AMX).isa.endswith("AMX") and "no AMX" not in facts(AMX).isa
    assert facts(ARM, arch="aarch64").isa == "ARM NEON dot product"


def test_probe_reads_this_machine_without_importing_openvino() -> None:
    code = (
        "import sys; from photosearch.models.machine import MachineFacts, choose\n"
        "f = MachineFacts.probe(); c = choose(f)\n"
        "assert f.cores >= 1 and 'CPUExecutionProvider' in f.providers, f\n"
        "assert not any(m == 'openvino' or m.startswith('openvino.') for m in sys.modules), 'openvino imported'\n"
        "print(c.line())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert " on CPU " in out.stdout or " on CUDA " in out.stdout


def test_a_gpu_provider_that_does_not_load_falls_back_to_the_cpu_with_a_message(
    tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ONNX Runtime said CUDA (as onnxruntime-gpu does without a working CUDA): the image encoder still runs,
    on the CPU, and says why; the text encoder never tries the GPU."""
    import numpy as np

    from photosearch.models import machine
    from photosearch.models.encoders import ModelRuntime, RuntimeSettings

    cuda = facts(AVX2, ("CUDAExecutionProvider", CPU_PROVIDER))
    monkeypatch.setattr(machine.MachineFacts, "probe", classmethod(lambda cls: cuda))
    settings = RuntimeSettings(intra_op_threads=1, providers=(), image_backend="auto")
    assert settings.available_providers() == ["CUDAExecutionProvider", CPU_PROVIDER]
    assert settings.available_providers(gpu=False) == [CPU_PROVIDER]
    rt = ModelRuntime.from_path(tiny_model, settings)
    out = rt.image.encode_tensors(np.zeros((2, 3, 32, 32), np.float32))
    assert out.shape[0] == 2 and rt.image.backend == "onnxruntime"
    assert rt.image.note is not None and "CUDAExecutionProvider" in rt.image.note and "CPU" in rt.image.note
    rt.text.encode(["a photo"])
    assert rt.text._session.note is None
