"""Encoders: lazy, thread-safe ONNX Runtime (or, for images, OpenVINO) sessions; backends, providers and
threads chosen in one place (:class:`RuntimeSettings`)."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from photosearch.config import setting, setting_int
from photosearch.errors import ManifestError, ModelLoadError
from photosearch.models.machine import cpuinfo, openvino_installed
from photosearch.models.manifest import ModelPackage, check_embedding_dim, load_package
from photosearch.models.onnx_ops import is_quantised_onnx
from photosearch.models.preprocess import Preprocessor
from photosearch.models.tokenize import TextTokenizer

if TYPE_CHECKING:
    import onnxruntime as ort
    from PIL import Image

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
        core = _openvino_core()
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


def _openvino_core() -> Any:
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


_NP_DTYPES = {"float32": np.float32, "float16": np.float16, "int32": np.int32, "int64": np.int64}


class _LazySession:
    """One inference session (ONNX Runtime, or OpenVINO for ``backend="auto"|"openvino"``), created on
    first use under a lock. ``run`` is safe to call from several threads."""

    def __init__(
        self,
        path: Path,
        settings: RuntimeSettings,
        backend: str = "onnxruntime",
        content_id: str | None = None,
        gpu: bool = False,
    ) -> None:
        self.path = path
        self.gpu = gpu
        self.note: str | None = None  # set when a GPU provider failed and the CPU took over
        # names the compile-cache folder: OpenVINO keys its cache by the file's path alone, so a model
        # replaced in place would load the old compiled blob; a folder per content can't
        self.content_id = content_id
        self.settings = settings
        self.requested_backend = backend
        self.backend: str | None = None  # what runs it, once loaded: "onnxruntime" or "openvino"
        self._session: Any = None
        self._ov_request: Any = None
        self._ov_lock = threading.Lock()
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._session is not None

    def get(self) -> Any:
        s = self._session
        if s is not None:
            return s
        with self._lock:
            if self._session is None:
                backend = self.requested_backend
                if backend == "auto":
                    backend = self.settings.resolve_image_backend(self.path)
                log.debug("loading model %s with %s", self.path, backend)
                try:
                    if backend == "openvino":
                        self._session = self._load_openvino()
                    else:
                        self._session = self._load_onnxruntime()
                except ModelLoadError:
                    raise
                except Exception as e:  # onnxruntime and OpenVINO raise their own types
                    raise ModelLoadError(f"cannot load model file {self.path.name}: {e}") from e
                self.backend = backend
            return self._session

    def _load_onnxruntime(self) -> Any:
        import onnxruntime as ort

        providers = self.settings.available_providers(gpu=self.gpu)
        options = self.settings.session_options()
        if providers[0] == "CPUExecutionProvider":
            return ort.InferenceSession(str(self.path), sess_options=options, providers=providers)
        try:  # a GPU provider: fall back to the CPU, with a message, when it does not start
            session = ort.InferenceSession(str(self.path), sess_options=options, providers=providers)
        except Exception as e:  # onnxruntime raises its own types (missing CUDA libraries, driver …)
            self.note = f"{providers[0]} failed to start ({str(e).splitlines()[0][:200]}); using the CPU"
        else:
            if providers[0] in session.get_providers():
                log.info("image encoder %s runs on %s", self.path.name, providers[0])
                return session
            self.note = f"{providers[0]} did not load (see ONNX Runtime's log); using the CPU"
        log.warning("%s", self.note)
        return ort.InferenceSession(str(self.path), sess_options=options, providers=["CPUExecutionProvider"])

    def _load_openvino(self) -> Any:
        core = _openvino_core()
        if core is None:
            raise ModelLoadError(
                "the image backend is set to OpenVINO, but the 'openvino' package isn't installed "
                f"(pip install openvino, or set {ENV_IMAGE_BACKEND}=onnxruntime)"
            )
        config = self.settings.openvino_config()
        if self.settings.openvino_cache and self.content_id:
            from photosearch.config import openvino_cache_dir

            cache = openvino_cache_dir(self.path.parent.name) / self.content_id
            try:
                cache.mkdir(parents=True, exist_ok=True)
                config["CACHE_DIR"] = str(cache)
            except OSError as e:
                log.info("no OpenVINO compile cache (%s): compiling every time", e)
        try:
            compiled = core.compile_model(str(self.path.resolve()), "CPU", config)
        except Exception:  # a damaged or unwritable cache must not stop encoding
            if "CACHE_DIR" not in config:
                raise
            log.warning(
                "OpenVINO failed with its compile cache %s; compiling without it",
                config["CACHE_DIR"],
                exc_info=True,
            )
            del config["CACHE_DIR"]
            compiled = core.compile_model(str(self.path.resolve()), "CPU", config)
        self._ov_request = compiled.create_infer_request()
        log.info(
            "image encoder %s runs on OpenVINO (%s)",
            self.path.name,
            compiled.get_property("INFERENCE_PRECISION_HINT"),
        )
        return compiled

    def run(self, output: str, feeds: dict[str, np.ndarray]) -> np.ndarray:
        s = self.get()
        if self.backend != "openvino":
            return np.asarray(s.run([output], feeds)[0])
        with self._ov_lock:  # one infer request: results live in its buffers until the next call
            result = self._ov_request.infer(feeds)
            return np.array(result[s.output(output)], copy=True)

    def input_names(self) -> list[str]:
        s = self.get()
        if self.backend == "openvino":
            return [name for port in s.inputs for name in port.get_names()]
        return [i.name for i in s.get_inputs()]


def l2_normalize(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(norm, 1e-12)


class ImageEncoder:
    """Batch image encoding (chunked when the model has a fixed batch of 1). Counts images encoded."""

    def __init__(self, package: ModelPackage, settings: RuntimeSettings, max_batch: int = 16) -> None:
        self.package = package
        self.spec = package.manifest.vision
        self.preprocessor = Preprocessor(self.spec)
        self.settings = settings
        self._session = self._new_session(self.spec.file)
        self.variant = "fp32" if not is_quantised_onnx(package.vision_path) else "int8"  # the model's own
        self.max_batch = max_batch if self.spec.dynamic_batch else 1
        self.calls = 0  # images encoded since creation (tests count re-embeds with it)
        self._count_lock = threading.Lock()

    def _new_session(self, file: str) -> _LazySession:
        entry = self.package.manifest.files.get(file)
        return _LazySession(
            self.package.root / file,
            self.settings,
            backend=self.settings.image_backend,
            content_id=entry.sha256[:16] if entry else None,
            gpu=True,
        )

    def use_variant(self, variant: str, file: str | None = None) -> None:
        """Run the ``"int8"`` tower in ``file`` (made by ``variants.make_int8``) or the published graph
        (``"fp32"``) from now on; the session loads again on next use when that changes the file."""
        file = file or self.spec.file
        if self._session.path != self.package.root / file:
            self._session = self._new_session(file)
        self.variant = variant

    @property
    def path(self) -> Path:
        return self._session.path

    @property
    def backend(self) -> str | None:
        """What runs the encoder once loaded: ``"onnxruntime"`` or ``"openvino"`` (None before)."""
        return self._session.backend

    @property
    def note(self) -> str | None:
        """Why the encoder runs on the CPU though a GPU provider was chosen (None when it didn't fail)."""
        return self._session.note

    def release(self) -> None:
        """Drop the loaded session (its memory) — it loads again on next use."""
        self._session = self._new_session(self._session.path.relative_to(self.package.root).as_posix())

    def load(self) -> None:
        names = self._session.input_names()
        if self.spec.input.name not in names:
            raise ManifestError(
                f"manifest field 'vision.input.name' is {self.spec.input.name!r}; the model's inputs are {names}"
            )

    def encode_tensors(self, batch: np.ndarray) -> np.ndarray:
        """(N,3,S,S) preprocessed tensors → (N, dim) L2-normalised embeddings."""
        if len(batch) == 0:
            return np.zeros((0, self.package.manifest.embedding_dim), np.float32)
        dtype = _NP_DTYPES[self.spec.input.dtype]
        outs = []
        for start in range(0, len(batch), self.max_batch):
            chunk = np.ascontiguousarray(batch[start : start + self.max_batch], dtype=dtype)
            out = self._session.run(self.spec.output.name, {self.spec.input.name: chunk})
            outs.append(out.reshape(len(chunk), -1))
        emb = np.concatenate(outs).astype(np.float32)
        check_embedding_dim(self.package.manifest, emb.shape[1], "image")
        with self._count_lock:
            self.calls += len(batch)
        return l2_normalize(emb)

    def encode_images(self, images: list[Image.Image]) -> np.ndarray:
        return self.encode_tensors(self.preprocessor.batch(images))

    def encode_paths(self, paths: list[str | Path], exact: bool = False) -> np.ndarray:
        pre = self.preprocessor
        tensors = [pre.exact(p) if exact else pre.fast(p) for p in paths]
        return self.encode_tensors(np.stack(tensors) if tensors else pre.batch([]))


class TextEncoder:
    """Text encoding; skips padding when the model's sequence axis is dynamic."""

    def __init__(self, package: ModelPackage, settings: RuntimeSettings, max_batch: int = 64) -> None:
        self.package = package
        self.spec = package.manifest.text
        self._session = _LazySession(package.text_path, settings)
        self._tokenizer: TextTokenizer | None = None
        self._tok_lock = threading.Lock()
        self.max_batch = max_batch if self.spec.dynamic_batch else 1
        self.calls = 0

    def release(self) -> None:
        """Drop the loaded session (its memory) — it loads again on next use."""
        self._session = _LazySession(self.package.text_path, self._session.settings)

    @property
    def tokenizer(self) -> TextTokenizer:
        if self._tokenizer is None:
            with self._tok_lock:
                if self._tokenizer is None:
                    self._tokenizer = TextTokenizer(self.spec, self.package.tokenizer_path)
        return self._tokenizer

    def load(self) -> None:
        names = self._session.input_names()
        if self.spec.input_ids.name not in names:
            raise ManifestError(
                f"manifest field 'text.input_ids.name' is {self.spec.input_ids.name!r}; "
                f"the model's inputs are {names}"
            )
        _ = self.tokenizer

    def encode(self, texts: list[str], pad_to_context: bool | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.package.manifest.embedding_dim), np.float32)
        outs = []
        for start in range(0, len(texts), self.max_batch):
            chunk = texts[start : start + self.max_batch]
            ids, mask = self.tokenizer.encode(chunk, pad_to_context=pad_to_context)
            feeds: dict[str, Any] = {
                self.spec.input_ids.name: ids.astype(_NP_DTYPES[self.spec.input_ids.dtype])
            }
            if self.spec.attention_mask is not None:
                feeds[self.spec.attention_mask.name] = mask.astype(_NP_DTYPES[self.spec.attention_mask.dtype])
            out = self._session.run(self.spec.output.name, feeds)
            outs.append(out.reshape(len(chunk), -1))
        emb = np.concatenate(outs).astype(np.float32)
        check_embedding_dim(self.package.manifest, emb.shape[1], "text")
        self.calls += len(texts)
        return l2_normalize(emb)


class ModelRuntime:
    """A model package with its two encoders, created lazily. What the rest of the app holds."""

    def __init__(self, package: ModelPackage, settings: RuntimeSettings | None = None) -> None:
        self.package = package
        self.settings = settings or RuntimeSettings.default()
        self.image = ImageEncoder(package, self.settings)
        self.text = TextEncoder(package, self.settings)

    @classmethod
    def from_path(cls, root: str | Path, settings: RuntimeSettings | None = None) -> ModelRuntime:
        return cls(load_package(root), settings)

    @property
    def id(self) -> str:
        return self.package.id

    @property
    def dim(self) -> int:
        return self.package.manifest.embedding_dim

    @property
    def preprocessor(self) -> Preprocessor:
        return self.image.preprocessor
