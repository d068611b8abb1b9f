"""Encoders: the image and text towers of a model package (:class:`ModelRuntime` holds both), each on a
lazily loaded :class:`~photosearch.models.session.LazySession`; where and how they run is chosen by
:class:`~photosearch.models.runtime_settings.RuntimeSettings`."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from photosearch.errors import ManifestError
from photosearch.models.manifest import ModelPackage, check_embedding_dim, load_package
from photosearch.models.onnx_ops import is_quantised_onnx
from photosearch.models.preprocess import Preprocessor
from photosearch.models.runtime_settings import RuntimeSettings, describe_image_backend
from photosearch.models.session import LazySession
from photosearch.models.tokenize import TextTokenizer

if TYPE_CHECKING:
    from PIL import Image

# RuntimeSettings and describe_image_backend are imported from here by the library, status and benchmarks
__all__ = [
    "ImageEncoder",
    "ModelRuntime",
    "RuntimeSettings",
    "TextEncoder",
    "describe_image_backend",
    "l2_normalize",
]

log = logging.getLogger(__name__)

_NP_DTYPES = {"float32": np.float32, "float16": np.float16, "int32": np.int32, "int64": np.int64}


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

    def _new_session(self, file: str) -> LazySession:
        entry = self.package.manifest.files.get(file)
        return LazySession(
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
    def loaded(self) -> bool:
        """Whether the session is loaded (holds its memory) — False before first use and after release."""
        return self._session.loaded

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
        self._session = LazySession(package.text_path, settings)
        self._tokenizer: TextTokenizer | None = None
        self._tok_lock = threading.Lock()
        self.max_batch = max_batch if self.spec.dynamic_batch else 1
        self.calls = 0

    def release(self) -> None:
        """Drop the loaded session (its memory) — it loads again on next use."""
        self._session = LazySession(self.package.text_path, self._session.settings)

    @property
    def loaded(self) -> bool:
        """Whether the session is loaded (holds its memory) — False before first use and after release."""
        return self._session.loaded

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
        self._variant_lock = threading.Lock()
        self._gone_warned = False

    def use_library_variant(self, library_variant: str | None) -> None:
        """Run the image tower that embedded the library's photos — ``library_variant`` is the library's record
        (catalog meta ``variants.CATALOG_KEY`` + model id; None before its first index: left as it is).
        The one place that decides which tower, and so which backend (``RuntimeSettings``, from the file), encodes
        a library's images: its photos at ``index``, a query's outside photo and a composed query's views at
        search — so query vectors come from the tower the index holds. An int8 library whose int8 file is gone
        (the model reinstalled) falls back to the published graph, with a warning, as the indexer always has."""
        from photosearch.models.variants import FP32, INT8, int8_path

        own = self.package.vision_path
        with self._variant_lock:
            # not decided yet: the first index decides (a search must not undo it)
            if library_variant is None:
                return
            if library_variant != INT8:  # fp32: the model's own graph
                if self.image.path != own:
                    self.image.use_variant(INT8 if is_quantised_onnx(own) else FP32)
                return
            # int8 runs already, or its file is known gone
            if self.image.variant == INT8 or self._gone_warned:
                return
            # the manifest may have changed since this runtime loaded it (the tower made by this process)
            path = int8_path(self.package) or int8_path(load_package(self.package.root, verify="none"))
            if path is None:
                log.warning(
                    "this library was embedded with the int8 tower of %s, which is gone; using fp32", self.id
                )
                self._gone_warned = True
                return
            self.image.use_variant(INT8, path.relative_to(self.package.root).as_posix())

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
