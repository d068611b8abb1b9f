"""Where and how the encoders run: :class:`RuntimeSettings` chooses the backend, providers and threads
(the only place they are chosen), from the CPU's bf16 flags and whether OpenVINO is installed; the
process's one OpenVINO ``Core``."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from photosearch.config import setting, setting_int
from photosearch.models.machine import cpuinfo, openvino_installed
from photosearch.models.onnx_ops import is_quantised_onnx

if TYPE_CHECKING:
    import onnxruntime as ort

log = logging.getLogger(__name__)


ENV_THREADS = "PHOTOSEARCH_THREADS"
ENV_IMAGE_BACKEND = "PHOTOSEARCH_IMAGE_BACKEND"
IMAGE_BACKENDS = ("auto", "onnxruntime", "openvino")


@dataclass(frozen=True)
class RuntimeSettings:
    """Where and how the encoders run. The only place backends, providers and thread counts are chosen.

    ``image_backend`` picks what runs the image encoder (the text encoder always runs on ONNX Runtime):

    * ``"onnxruntime"`` — the model in its own precision (fp32 for fp32 models);
    * ``"openvino"`` — OpenVINO (the optional ``openvino`` package) with its default precision for this
      CPU: bf16 matrix units (Intel AMX) where the CPU has them, fp32 elsewhere;
    * ``"auto"`` — OpenVINO when it is installed, the CPU computes bf16 natively and the model is not
      quantised; ONNX Runtime otherwise. On a CPU with AMX the image encoder runs ≈ 2.5× faster than fp32,
      at an embedding cosine to fp32 ≥ 0.99 (``benchmarks/bench_index.py`` reports both).

    :meth:`default` (what the app uses) takes ``auto`` unless ``PHOTOSEARCH_IMAGE_BACKEND`` says otherwise;
    settings built by hand are exact (``onnxruntime``) unless asked.
    """

    intra_op_threads: int
    inter_op_threads: int = 1
    # empty: chosen from what ONNX Runtime reports (``machine.choose``: a GPU provider first, the CPU behind it)
    providers: tuple[str, ...] = ("CPUExecutionProvider",)
    image_backend: str = "onnxruntime"
    # OpenVINO keeps compiled models here (one folder per model package): a fp32 ViT-B/32 compiles in
    # 1–2.5 s, and loads from the cache in ≈ 0.3 s (the cache holds ≈ the model's size). False: no cache.
    openvino_cache: bool = False

    def __post_init__(self) -> None:
        if self.image_backend not in IMAGE_BACKENDS:
            raise ValueError(
                f"image backend must be one of {', '.join(IMAGE_BACKENDS)}, not {self.image_backend!r}"
            )

    @classmethod
    def default(cls) -> RuntimeSettings:
        wanted = setting_int(ENV_THREADS)
        threads = wanted if wanted else max(1, os.cpu_count() or 1)
        backend = (setting(ENV_IMAGE_BACKEND) or "auto").strip().lower() or "auto"
        if backend not in IMAGE_BACKENDS:
            log.warning(
                "%s=%r is not one of %s; using auto", ENV_IMAGE_BACKEND, backend, ", ".join(IMAGE_BACKENDS)
            )
            backend = "auto"
        return cls(intra_op_threads=threads, providers=(), image_backend=backend, openvino_cache=True)

    def session_options(self) -> ort.SessionOptions:
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = self.intra_op_threads
        so.inter_op_num_threads = self.inter_op_threads
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.log_severity_level = 3
        return so

    def available_providers(self, gpu: bool = True) -> list[str]:
        """The providers a session is created with. ``gpu=False``: the CPU only (the text encoder: one short
        query at a time, where starting a GPU costs more than it saves)."""
        if not self.providers:
            if not gpu:  # (no import: a search's text session loads on this path)
                return ["CPUExecutionProvider"]
            from photosearch.models.machine import MachineFacts, choose

            facts = MachineFacts.probe()
            return list(choose(facts, setting=self.image_backend, threads=self.intra_op_threads).providers)
        import onnxruntime as ort

        have = set(ort.get_available_providers())
        chosen = [p for p in self.providers if p in have and (gpu or p == "CPUExecutionProvider")]
        return chosen or ["CPUExecutionProvider"]

    def openvino_config(self) -> dict[str, Any]:
        return {"INFERENCE_NUM_THREADS": self.intra_op_threads, "PERFORMANCE_HINT": "LATENCY"}

    def resolve_image_backend(self, model_file: Path, *, confirm: bool = True) -> str:
        """``"onnxruntime"`` or ``"openvino"`` for this model file (see the class docstring).

        ``auto`` decides from what can be known without importing OpenVINO (whether the model is
        quantised, whether the package is installed, the CPU's bf16 flags); OpenVINO is imported only
        when it will run the model (``confirm``: then it is asked whether it really computes in bf16).
        ``confirm=False`` predicts without importing anything (``photosearch status``)."""
        if self.image_backend != "auto":
            return self.image_backend
        if is_quantised_onnx(model_file):  # first: it takes ms, and spares loading OpenVINO (≈ 60 MB RSS)
            return "onnxruntime"
        if not self.providers:  # a GPU that ONNX Runtime reports runs it (machine.choose), never OpenVINO
            from photosearch.models.machine import MachineFacts, gpu_provider

            if gpu_provider(MachineFacts.probe()) is not None:
                return "onnxruntime"
        if not openvino_installed():
            return "onnxruntime"
        native = cpu_has_native_bf16()
        if native is False:  # OpenVINO would compute in fp32: ONNX Runtime runs it, OpenVINO never loads
            return "onnxruntime"
        if not confirm:
            return "openvino" if native else "onnxruntime"
        core = openvino_core()
        if core is None:
            return "onnxruntime"
        import openvino

        try:
            native_bf16 = core.get_property("CPU", "INFERENCE_PRECISION_HINT") == openvino.Type.bf16
        except Exception as e:  # OpenVINO raises RuntimeError subclasses of its own
            log.info("OpenVINO can't describe the CPU (%s); using ONNX Runtime", e)
            return "onnxruntime"
        return "openvino" if native_bf16 else "onnxruntime"


def _cpu_flags() -> set[bytes] | None:
    """The CPU's speed-deciding flags as ``models.machine`` reads them; None where it cannot tell."""
    model, flags = cpuinfo()
    return {f.encode() for f in flags} if model or flags else None


def cpu_has_amx_bf16() -> bool | None:
    """Whether the CPU has Intel AMX bf16 units (Linux: /proc/cpuinfo flags; None where unknown)."""
    flags = _cpu_flags()
    return None if flags is None else b"amx_bf16" in flags


def cpu_has_native_bf16() -> bool | None:
    """Whether the CPU computes bf16 natively (AMX or AVX-512 BF16, where OpenVINO's CPU plugin defaults to
    bf16); None where unknown (no /proc/cpuinfo), and then OpenVINO itself is asked."""
    flags = _cpu_flags()
    return None if flags is None else bool(flags & {b"amx_bf16", b"avx512_bf16"})


def describe_image_backend(settings: RuntimeSettings, vision_file: Path | None = None) -> dict[str, Any]:
    """What would run the image encoder, and how to make it faster where that is possible (for
    ``photosearch status``). Loads no model."""
    installed = openvino_installed()
    amx = cpu_has_amx_bf16()
    backend = settings.image_backend
    if vision_file is not None and backend == "auto":
        backend = settings.resolve_image_backend(vision_file, confirm=False)  # never imports OpenVINO
    hint = None
    if amx and not installed and settings.image_backend != "onnxruntime":
        hint = (
            "this CPU has bf16 matrix units (Intel AMX): installing OpenVINO (pip install openvino, or "
            "the 'accel' extra) makes indexing ≈ 1.8× faster"
        )
    return {
        "setting": settings.image_backend,
        "backend": backend,
        "openvino_installed": installed,
        "cpu_amx_bf16": amx,
        "hint": hint,
    }


_ov_core_lock = threading.Lock()
_ov_core: Any = None


def openvino_core() -> Any:
    """The process's OpenVINO ``Core``, or None when the optional ``openvino`` package isn't installed."""
    global _ov_core
    with _ov_core_lock:
        if _ov_core is None:
            try:
                import openvino

                _ov_core = openvino.Core()
            except ImportError:
                _ov_core = False
            except Exception as e:  # a broken install (missing libraries …) means: not there
                log.warning("OpenVINO is installed but can't start (%s); using ONNX Runtime", e)
                _ov_core = False
        return _ov_core or None
