"""ONNX Runtime encoders: lazy, thread-safe sessions; providers and threads chosen in one place."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from photosearch.errors import ManifestError, ModelLoadError
from photosearch.models.manifest import ModelPackage, check_embedding_dim, load_package
from photosearch.models.preprocess import Preprocessor
from photosearch.models.tokenize import TextTokenizer

if TYPE_CHECKING:
    import onnxruntime as ort
    from PIL import Image

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RuntimeSettings:
    """Where and how ONNX Runtime runs. The only place providers and thread counts are chosen."""

    intra_op_threads: int
    inter_op_threads: int = 1
    providers: tuple[str, ...] = ("CPUExecutionProvider",)

    @classmethod
    def default(cls) -> RuntimeSettings:
        env = os.environ.get("PHOTOSEARCH_THREADS")
        threads = int(env) if env and env.isdigit() and int(env) > 0 else max(1, os.cpu_count() or 1)
        return cls(intra_op_threads=threads)

    def session_options(self) -> ort.SessionOptions:
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = self.intra_op_threads
        so.inter_op_num_threads = self.inter_op_threads
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.log_severity_level = 3
        return so

    def available_providers(self) -> list[str]:
        import onnxruntime as ort

        have = set(ort.get_available_providers())
        chosen = [p for p in self.providers if p in have]
        return chosen or ["CPUExecutionProvider"]


_NP_DTYPES = {"float32": np.float32, "float16": np.float16, "int32": np.int32, "int64": np.int64}


class _LazySession:
    """One ONNX Runtime session, created on first use under a lock."""

    def __init__(self, path: Path, settings: RuntimeSettings) -> None:
        self.path = path
        self.settings = settings
        self._session: ort.InferenceSession | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._session is not None

    def get(self) -> ort.InferenceSession:
        s = self._session
        if s is not None:
            return s
        with self._lock:
            if self._session is None:
                import onnxruntime as ort

                log.debug("loading ONNX model %s", self.path)
                try:
                    self._session = ort.InferenceSession(
                        str(self.path),
                        sess_options=self.settings.session_options(),
                        providers=self.settings.available_providers(),
                    )
                except Exception as e:  # noqa: BLE001 - onnxruntime raises its own types
                    raise ModelLoadError(f"cannot load model file {self.path.name}: {e}") from e
            return self._session

    def run(self, output: str, feeds: dict[str, np.ndarray]) -> np.ndarray:
        return np.asarray(self.get().run([output], feeds)[0])

    def input_names(self) -> list[str]:
        return [i.name for i in self.get().get_inputs()]


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
        self._session = _LazySession(package.vision_path, settings)
        self.max_batch = max_batch if self.spec.dynamic_batch else 1
        self.calls = 0  # images encoded since creation (tests count re-embeds with it)
        self._count_lock = threading.Lock()

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
            feeds: dict[str, Any] = {self.spec.input_ids.name: ids.astype(_NP_DTYPES[self.spec.input_ids.dtype])}
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
