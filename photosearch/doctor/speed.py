"""``photosearch doctor``'s speed lines: what runs the image encoder on this machine and why, and
``doctor --speed``: a 10-second self-test of the indexing path (12 MP JPEG decode on the decode threads ∥
the image encoder as this library runs it), in photos per second.

The self-test's photos are made in a temporary folder inside the data folder and deleted after; nothing of
the library changes.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from photosearch.models.machine import BackendChoice, MachineFacts
from photosearch.models.variants import FP32, INT8, choice_for, int8_path

if TYPE_CHECKING:
    from photosearch.library.library import Library
    from photosearch.models.preprocess import Preprocessor

SELF_TEST_PHOTOS = 8  # distinct 12 MP JPEGs, decoded over and over
SELF_TEST_SIZE = (4000, 3000)


@dataclass(frozen=True)
class SpeedReport:
    machine: MachineFacts  # the CPU, its flags and cores, ONNX Runtime's providers
    model: str | None
    choice: BackendChoice | None
    photos_per_s: float | None = None
    photos: int = 0
    seconds: float = 0.0
    ran: str = ""  # what actually ran in the self-test: "int8 on onnxruntime", …
    note: str | None = None  # a GPU that failed to start, …
    load_average: float | None = None

    def lines(self) -> list[str]:
        m = self.machine
        out = [
            f"CPU: {m.cpu_model}, {m.cores} core{'' if m.cores == 1 else 's'} ({m.isa})",
            f"ONNX Runtime providers: {', '.join(m.providers)}",
        ]
        if self.choice is None:
            out.append("image encoder: no model installed")
        else:
            out.append(f"image encoder ({self.model}): {self.choice.line()}")
        if self.photos_per_s is not None:
            load = f", load average {self.load_average:.1f}" if self.load_average is not None else ""
            out.append(
                f"speed self-test: {self.photos_per_s:.1f} photos/s ({self.photos} 12 MP JPEGs decoded and "
                f"embedded in {self.seconds:.1f} s, {self.ran}{load})"
            )
        if self.note:
            out.append(f"note: {self.note}")
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "cpu": self.machine.cpu_model,
            "isa": self.machine.isa,
            "cores": self.machine.cores,
            "providers": list(self.machine.providers),
            "model": self.model,
            "choice": self.choice.to_json() if self.choice else None,
            "photos_per_s": self.photos_per_s,
            "photos": self.photos,
            "seconds": self.seconds,
            "ran": self.ran,
            "note": self.note,
            "load_average": self.load_average,
        }


def describe(library: Library) -> SpeedReport:
    """The machine and the image encoder's choice for the library's active model (loads no model)."""
    from photosearch.indexing.variant_step import library_variant

    facts = MachineFacts.probe()
    model_id = library.active_model_id()
    choice = None
    if model_id is not None:
        from photosearch.models.manifest import load_package

        pkg = load_package(library.paths.models_dir / model_id, verify="none")
        choice = choice_for(
            pkg,
            library_variant(library, model_id),
            setting=library.settings.image_backend,
            threads=library.settings.intra_op_threads,
            facts=facts,
        )
    return SpeedReport(facts, model_id, choice)


def self_test(library: Library, seconds: float = 10.0, decode_threads: int = 2) -> SpeedReport:
    """Decode and embed 12 MP JPEGs for ``seconds`` the way ``index`` does, with the variant this library
    uses (or would use at its first index); photos/s over the timed part (the model is loaded first)."""
    from photosearch.indexing.variant_step import library_variant

    base = describe(library)
    if base.model is None or base.choice is None:
        return base
    rt = library.runtime(base.model)
    variant = library_variant(library, base.model)
    from photosearch.models.manifest import load_package

    path = int8_path(load_package(rt.package.root, verify="none"))
    if path is not None and variant in (None, INT8) and rt.image.variant == FP32:
        rt.image.use_variant(INT8, path.relative_to(rt.package.root).as_posix())
    pre = rt.preprocessor
    batch = base.choice.batch_size
    with tempfile.TemporaryDirectory(prefix=".speed-test-", dir=library.paths.data_dir) as tmp:
        files = _photos(Path(tmp))
        rt.image.load()
        rt.image.encode_tensors(np.stack([pre.to_tensor(pre.decode_fast(files[0]).image)] * 2))  # warm-up
        done = 0
        t0 = time.perf_counter()
        with ThreadPoolExecutor(decode_threads, thread_name_prefix="speed-decode") as pool:
            window: deque[Future[np.ndarray]] = deque()
            k = 0

            def fill() -> None:
                nonlocal k
                while len(window) < 2 * batch:
                    f = files[k % len(files)]
                    k += 1
                    window.append(pool.submit(_tensor, pre, f))

            fill()
            while time.perf_counter() - t0 < seconds:
                tensors = [window.popleft().result() for _ in range(batch)]
                fill()
                rt.image.encode_tensors(np.stack(tensors))
                done += len(tensors)
            took = time.perf_counter() - t0
            for fut in window:
                fut.cancel()
    ran = _what_ran(rt.image.variant, rt.image.backend)
    note = rt.image.note
    if base.choice.backend.value != rt.image.backend or not ran.startswith(f"{base.choice.precision.value} "):
        # the line above is a prediction made without loading the model; say so when the run differed
        differs = f"the self-test ran {ran}, not {base.choice.precision.value} on {base.choice.backend.value}"
        note = f"{note}; {differs}" if note else differs
    try:
        load = os.getloadavg()[0]
    except (OSError, AttributeError):  # AttributeError: Windows has no load average
        load = None
    return replace(
        base,
        photos_per_s=done / took,
        photos=done,
        seconds=took,
        ran=ran,
        note=note,
        load_average=load,
    )


# OpenVINO's element type names as this app writes precisions
_OV_PRECISIONS = {"bf16": "bf16", "f32": "fp32", "f16": "fp16"}


def _what_ran(variant: str, backend: str | None) -> str:
    """The precision the encoder computed in and what ran it: ``"bf16 on openvino"``. OpenVINO runs the fp32
    model file in its CPU plugin's inference precision (bf16 on a CPU with AVX512-BF16 or AMX; the session
    sets no precision hint, models/runtime_settings.openvino_config), so the file's variant alone said
    "fp32 on openvino" under a line that rightly said bf16."""
    precision = variant
    if backend == "openvino" and variant == FP32:
        from photosearch.models.runtime_settings import openvino_core

        core = openvino_core()
        try:
            hint = core.get_property("CPU", "INFERENCE_PRECISION_HINT") if core is not None else None
            name = hint.get_type_name() if hint is not None else None
        except Exception:  # OpenVINO raises RuntimeError subclasses of its own
            name = None
        precision = _OV_PRECISIONS.get(str(name), precision)
    return f"{precision} on {backend}"


def _tensor(pre: Preprocessor, path: Path) -> np.ndarray:
    return pre.to_tensor(pre.decode_fast(path).image)


def _photos(folder: Path) -> list[Path]:
    """Photo-like 12 MP JPEGs (smooth gradients, shapes and grain; quality 90, 4:2:0 like a phone)."""
    from PIL import Image

    rng = np.random.default_rng(0)
    out = []
    w, h = SELF_TEST_SIZE
    for i in range(SELF_TEST_PHOTOS):
        small = Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8))
        img = np.asarray(small.resize((w, h), Image.Resampling.BICUBIC), dtype=np.int16)
        img = np.clip(img + rng.integers(-10, 11, (h, w, 1), dtype=np.int16), 0, 255).astype(np.uint8)
        path = folder / f"self-test-{i}.jpg"
        Image.fromarray(img).save(path, "JPEG", quality=90, subsampling="4:2:0")
        out.append(path)
    return out
