"""What this machine has, and what runs the image encoder on it: the one place that picks the execution
provider, the precision and the number of threads.

:meth:`MachineFacts.probe` reads the CPU's model and flags (``/proc/cpuinfo`` on Linux, ``platform``
elsewhere) and asks ONNX Runtime — which runs every model anyway — which execution providers it has. It never
imports a backend that may not be used: OpenVINO is only *found* (``importlib.util.find_spec``), never
imported, because its import sends an analytics event (issue 17).

:func:`choose` turns the facts into a :class:`BackendChoice` with a reason a person can read:

* a GPU provider that ONNX Runtime reports (CUDA from ``onnxruntime-gpu``, DirectML on Windows, CoreML on
  macOS) runs the model in its own precision with larger batches, the CPU provider behind it as fallback;
* a CPU with bf16 matrix units (Intel AMX) runs the fp32 model in bf16 on OpenVINO when it is installed
  (measured ≈ 4.9× rclip, ``benchmarks/README.md``);
* any other CPU (AVX2, AVX-512, VNNI, ARM NEON) runs an int8 image tower on ONNX Runtime: made on this
  machine from the model's fp32 graph and the library's own first photos, kept only when its retrieval
  quality against fp32 passes (``photosearch/models/variants.py``); fp32 until it exists or when it failed.

The text encoder always runs on ONNX Runtime in fp32 (one short query at a time).
"""

from __future__ import annotations

import importlib.util
import os
import platform
from dataclasses import dataclass, field
from enum import Enum

CPU_PROVIDER = "CPUExecutionProvider"


class Precision(str, Enum):
    FP32 = "fp32"
    INT8 = "int8"
    BF16 = "bf16"


class Accelerator(str, Enum):
    CPU = "cpu"
    CUDA = "cuda"
    DIRECTML = "directml"
    COREML = "coreml"


class Backend(str, Enum):
    ONNXRUNTIME = "onnxruntime"
    OPENVINO = "openvino"


# the GPU providers ONNX Runtime may report, in the order they are preferred, and what they are
GPU_PROVIDERS: tuple[tuple[str, Accelerator], ...] = (
    ("CUDAExecutionProvider", Accelerator.CUDA),
    ("DmlExecutionProvider", Accelerator.DIRECTML),
    ("CoreMLExecutionProvider", Accelerator.COREML),
)
# images per encoder call: a GPU wants more work per launch; a CPU gains nothing past ~16
BATCH_SIZES = {Accelerator.CPU: 16, Accelerator.CUDA: 64, Accelerator.DIRECTML: 32, Accelerator.COREML: 32}
GPU_NAMES = {
    Accelerator.CUDA: "an NVIDIA GPU (CUDA, onnxruntime-gpu)",
    Accelerator.DIRECTML: "a GPU through DirectML",
    Accelerator.COREML: "the Apple GPU/Neural Engine through CoreML",
}

# the CPU flags that matter here (Linux names); ARM's int8 dot product is "asimddp"
_FLAGS = (
    "avx2",
    "fma",
    "avx512f",
    "avx512_vnni",
    "avx_vnni",
    "avx512_bf16",
    "amx_bf16",
    "amx_int8",
    "asimddp",
)


@dataclass(frozen=True)
class MachineFacts:
    cpu_model: str
    flags: frozenset[str]
    cores: int
    providers: tuple[str, ...] = (CPU_PROVIDER,)
    openvino_installed: bool = False
    arch: str = field(default_factory=platform.machine)

    @property
    def amx(self) -> bool:
        return "amx_bf16" in self.flags

    @property
    def vnni(self) -> bool:
        return bool(self.flags & {"avx512_vnni", "avx_vnni"})

    @property
    def arm(self) -> bool:
        return self.arch.lower() in ("arm64", "aarch64") or self.arch.lower().startswith("arm")

    @property
    def isa(self) -> str:
        """The instruction sets that decide the speed, in words: ``AVX2 AVX-512 VNNI AVX512-BF16, no AMX``."""
        if self.arm:
            return "ARM" + (" NEON dot product" if "asimddp" in self.flags else " NEON")
        names = [
            ("avx2", "AVX2"),
            ("avx512f", "AVX-512"),
            ("avx512_vnni", "VNNI"),
            ("avx_vnni", "AVX-VNNI"),
            ("avx512_bf16", "AVX512-BF16"),
            ("amx_bf16", "AMX"),
        ]
        have = [label for flag, label in names if flag in self.flags]
        if not self.flags:
            return "flags unknown"
        return " ".join(have or ["no AVX2"]) + ("" if self.amx else ", no AMX")

    @classmethod
    def probe(cls) -> MachineFacts:
        model, flags = cpuinfo()
        try:
            cores = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            cores = os.cpu_count() or 1
        return cls(
            cpu_model=model or platform.processor() or platform.machine() or "unknown CPU",
            flags=flags,
            cores=max(1, cores),
            providers=ort_providers(),
            openvino_installed=openvino_installed(),
        )


def cpuinfo() -> tuple[str, frozenset[str]]:
    model, flags = "", frozenset[str]()
    try:
        with open("/proc/cpuinfo", "rb") as f:  # bytes: no codec lookup (it fails in odd environments)
            for raw in f:
                key, _, value = raw.partition(b":")
                key = key.strip()
                if key in (b"model name", b"Model") and not model:
                    model = value.strip().decode("utf-8", "replace")
                elif key in (b"flags", b"Features") and not flags:
                    flags = frozenset(v.decode("ascii", "replace") for v in value.split())
                if model and flags:
                    break
    except OSError:
        pass
    return model, frozenset(f for f in flags if f in _FLAGS)


def ort_providers() -> tuple[str, ...]:
    """The execution providers this ONNX Runtime build reports (it runs every model, so importing it is no
    extra cost; nothing else is imported)."""
    try:
        import onnxruntime as ort

        return tuple(ort.get_available_providers())
    except Exception:  # a broken install: the CPU provider is what is left
        return (CPU_PROVIDER,)


def openvino_installed() -> bool:
    """Whether the optional ``openvino`` package is installed (found, not imported)."""
    try:
        return importlib.util.find_spec("openvino") is not None
    except (ImportError, ValueError):
        return False


@dataclass(frozen=True)
class BackendChoice:
    """What runs the image encoder, and why."""

    accelerator: Accelerator
    backend: Backend
    precision: Precision
    providers: tuple[str, ...]
    threads: int
    batch_size: int
    reason: str

    @property
    def device(self) -> str:
        return "CPU" if self.accelerator is Accelerator.CPU else self.accelerator.value.upper()

    def line(self) -> str:
        """One line for ``doctor``, ``models list`` and the model manager."""
        engine = "OpenVINO" if self.backend is Backend.OPENVINO else "ONNX Runtime"
        return (
            f"{self.precision.value} on {self.device} ({engine}, {self.threads} thread"
            f"{'' if self.threads == 1 else 's'}, batches of {self.batch_size}): {self.reason}"
        )

    def to_json(self) -> dict[str, object]:
        return {
            "accelerator": self.accelerator.value,
            "backend": self.backend.value,
            "precision": self.precision.value,
            "providers": list(self.providers),
            "threads": self.threads,
            "batch_size": self.batch_size,
            "reason": self.reason,
        }


def choose(
    facts: MachineFacts,
    *,
    setting: str = "auto",
    threads: int | None = None,
    int8: bool | None = None,
    int8_note: str = "",
    quantised_model: bool = False,
) -> BackendChoice:
    """The image encoder's provider, precision and threads for ``facts``.

    ``setting`` is ``PHOTOSEARCH_IMAGE_BACKEND`` (``auto``, ``onnxruntime`` = ONNX Runtime in the model's own
    precision, ``openvino``); ``int8`` whether the model's int8 tower can be used in this library (True),
    is refused or can't be used here (False, ``int8_note`` says why) or is not made yet (None: it is made at
    the first ``index``); ``quantised_model`` a model published already quantised (it runs as it is)."""
    n = threads or facts.cores
    cpu = (CPU_PROVIDER,)
    own = Precision.INT8 if quantised_model else Precision.FP32

    def cpu_choice(backend: Backend, precision: Precision, reason: str) -> BackendChoice:
        return BackendChoice(
            Accelerator.CPU, backend, precision, cpu, n, BATCH_SIZES[Accelerator.CPU], reason
        )

    if setting == Backend.OPENVINO.value:
        precision = Precision.BF16 if facts.amx or "avx512_bf16" in facts.flags else own
        return cpu_choice(Backend.OPENVINO, precision, "OpenVINO asked for (PHOTOSEARCH_IMAGE_BACKEND)")
    if setting == Backend.ONNXRUNTIME.value:
        gpu = gpu_provider(facts)
        if gpu is None:
            return cpu_choice(
                Backend.ONNXRUNTIME,
                own,
                "the model's own precision asked for (PHOTOSEARCH_IMAGE_BACKEND=onnxruntime)",
            )
    gpu = gpu_provider(facts)
    if gpu is not None:
        provider, acc = gpu
        return BackendChoice(
            acc,
            Backend.ONNXRUNTIME,
            own,
            (provider, CPU_PROVIDER),
            n,
            BATCH_SIZES[acc],
            f"ONNX Runtime reports {GPU_NAMES[acc]}; the CPU takes over if it fails to start",
        )
    if quantised_model:
        return cpu_choice(Backend.ONNXRUNTIME, own, "the model is published quantised")
    if facts.amx and facts.openvino_installed:
        return cpu_choice(
            Backend.OPENVINO, Precision.BF16, "this CPU has bf16 matrix units (AMX); OpenVINO uses them"
        )
    kernels = (
        "ARM NEON dot product"
        if facts.arm and "asimddp" in facts.flags
        else "VNNI"
        if facts.vnni
        else "AVX2 integer kernels"
        if "avx2" in facts.flags
        else "integer kernels"
    )
    if int8 is True:
        return cpu_choice(
            Backend.ONNXRUNTIME,
            Precision.INT8,
            f"no bf16 matrix units; the int8 image tower made on this machine runs on {kernels}",
        )
    why = int8_note or (
        "the int8 image tower is made from your first photos at the first index"
        if int8 is None
        else "no int8 image tower"
    )
    if facts.amx:
        why = "this CPU has AMX, but OpenVINO isn't installed (pip install openvino); " + why
    elif "avx512_bf16" in facts.flags and facts.openvino_installed:
        # measured on an AVX512-BF16 CPU without AMX (ViT-B-32-256, 2 threads): OpenVINO bf16 ≈ 2× ONNX
        # Runtime fp32, int8 on ONNX Runtime ≈ 2.5× (benchmarks/README.md)
        return cpu_choice(
            Backend.OPENVINO, Precision.BF16, why + "; meanwhile OpenVINO computes in bf16 (AVX512-BF16)"
        )
    return cpu_choice(Backend.ONNXRUNTIME, Precision.FP32, why)


def wants_int8(facts: MachineFacts, setting: str = "auto") -> bool:
    """Whether an int8 tower would be chosen here once made (so it is worth making at the first index):
    ``auto`` on a CPU without AMX+OpenVINO, and no GPU."""
    if setting != "auto" or gpu_provider(facts) is not None:
        return False
    return not (facts.amx and facts.openvino_installed)


def gpu_provider(facts: MachineFacts) -> tuple[str, Accelerator] | None:
    for provider, acc in GPU_PROVIDERS:
        if provider in facts.providers:
            return provider, acc
    return None
