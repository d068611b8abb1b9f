"""One model file's inference session (ONNX Runtime, or OpenVINO for the image tower), loaded lazily
and thread-safely, with its GPU → CPU fallback and OpenVINO's compile cache."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np

from photosearch.errors import ModelLoadError
from photosearch.models import runtime_settings
from photosearch.models.runtime_settings import RuntimeSettings

log = logging.getLogger(__name__)


class LazySession:
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
        core = runtime_settings.openvino_core()
        if core is None:
            raise ModelLoadError(
                "the image backend is set to OpenVINO, but the 'openvino' package isn't installed "
                f"(pip install openvino, or set {runtime_settings.ENV_IMAGE_BACKEND}=onnxruntime)"
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
