"""Read the words in a photo, offline, with the PP-OCRv6 models that ship inside the ``rapidocr`` wheel
(detection, recognition, and a text-direction classifier; models by Baidu's PaddleOCR team, Apache-2.0).

Cost is kept down in two ways: detection runs on a reduced image (the caller decodes with JPEG draft mode to
about ``det_side`` px; most photos stop here, with nothing found), and recognition runs on full-resolution crops
of the found regions only. Each photo has a time budget in CPU seconds of the reading thread (so a machine busy with other work does not
cut reading short): lines read before it runs out are kept.

Privacy: only the bundled model files are used (each path is given explicitly, so rapidocr's downloader never
runs); its errors go to our log, never to the terminal, and recognised text is never
logged. rapidocr, OpenCV and the OCR ONNX sessions are imported on first use only, so a text search from a fresh
process never pays for them.

Scripts read: Latin and CJK (the shipped recognition model); not Cyrillic, Hangul or Arabic.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

log = logging.getLogger(__name__)

MODEL_FILES = {
    "Det": "PP-OCRv6_det_small.onnx",
    "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
    "Rec": "PP-OCRv6_rec_small.onnx",
}
CREDIT = "Text recognition: PP-OCRv6 models by the PaddleOCR team (Baidu), Apache-2.0, run through RapidOCR."
SCRIPTS = "Latin and CJK (Chinese, Japanese kana and kanji); not Cyrillic, Hangul or Arabic"


class OcrUnavailable(RuntimeError):
    """The OCR package or its bundled models are missing."""


class ReadInterrupted(Exception):
    """``TextReader.read`` was told to stop (more urgent work arrived); nothing of the photo is kept."""


Box = tuple[tuple[float, float], tuple[float, float], tuple[float, float], tuple[float, float]]


@dataclass(frozen=True)
class TextLine:
    text: str
    confidence: float
    box: Box  # four corners in the full image's pixels (after EXIF orientation), clockwise from top-left


@dataclass(frozen=True)
class OcrResult:
    lines: tuple[TextLine, ...]
    regions: int  # text regions detection found (0: the photo has no text)
    seconds: float
    complete: bool  # False when the time budget cut recognition short

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def available() -> bool:
    return importlib.util.find_spec("rapidocr") is not None


def model_dir() -> Path:
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        raise OcrUnavailable("reading text in photos needs the 'rapidocr' package")
    root = Path(next(iter(spec.submodule_search_locations))) / "models"
    missing = [name for name in MODEL_FILES.values() if not (root / name).is_file()]
    if missing:
        raise OcrUnavailable(f"the OCR models that ship with rapidocr are missing: {', '.join(missing)}")
    return root


class TextReader:
    """One OCR engine, loaded on first use and shared by threads (calls are serialised per engine)."""

    def __init__(
        self, det_side: int = 960, budget_s: float = 8.0, min_confidence: float = 0.5, threads: int = 1
    ) -> None:
        self.det_side = det_side
        self.budget_s = budget_s
        self.min_confidence = min_confidence
        self.threads = threads
        self._engine: Any = None
        self._lock = threading.Lock()

    def _get(self) -> Any:
        with self._lock:
            if self._engine is None:
                self._engine = _make_engine(self.threads, self.det_side)
            return self._engine

    def read(
        self,
        reduced: Image.Image,
        full: Callable[[], Image.Image] | Image.Image | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> OcrResult:
        """Detect on ``reduced`` (RGB, oriented; scaled so its long side is about ``det_side``), then recognise
        the regions found on crops of ``full`` (the same photo at full size, loaded only when text was found;
        ``reduced`` itself when None). ``stop`` is asked before detection, before loading ``full`` and
        between regions: when it says True, ``ReadInterrupted`` is raised (the indexer gives way to
        embedding at once)."""
        start = time.monotonic()
        cpu_start = (
            time.thread_time()
        )  # the budget counts this thread's CPU time: a busy machine is no reason to
        # stop reading (the ONNX sessions run on the calling thread, one intra-op thread each)
        engine = self._get()
        if stop is not None and stop():
            raise ReadInterrupted
        small = _fit(reduced.convert("RGB"), self.det_side)
        det = engine(np.asarray(small)[:, :, ::-1], use_det=True, use_cls=False, use_rec=False)
        boxes = [] if det.boxes is None else [np.asarray(b, dtype=np.float32) for b in det.boxes]
        boxes = [b for b in boxes if not _whole_frame(b, small.size)]
        if not boxes:
            return OcrResult((), 0, time.monotonic() - start, True)
        if stop is not None and stop():
            raise ReadInterrupted
        big = full() if callable(full) else (full if full is not None else reduced)
        big = big.convert("RGB")
        sx, sy = big.width / small.width, big.height / small.height
        pixels = np.asarray(big)[:, :, ::-1]
        lines: list[TextLine] = []
        complete = True
        for box in _reading_order(boxes):
            if stop is not None and stop():
                raise ReadInterrupted
            if time.thread_time() - cpu_start > self.budget_s:
                complete = False
                break
            corners = box * np.array([sx, sy], dtype=np.float32)
            crop = _crop(pixels, corners)
            if crop is None:
                continue
            rec = engine(crop, use_det=False, use_cls=True, use_rec=True)
            txts = rec.txts or ()
            scores = rec.scores or ()
            for text, score in zip(txts, scores, strict=False):
                text = " ".join(str(text).split())
                if text and float(score) >= self.min_confidence:
                    c = [(round(float(x), 1), round(float(y), 1)) for x, y in corners]
                    lines.append(TextLine(text, round(float(score), 4), (c[0], c[1], c[2], c[3])))
        return OcrResult(tuple(lines), len(boxes), time.monotonic() - start, complete)


def _make_engine(threads: int, det_side: int) -> Any:
    root = model_dir()
    try:
        from rapidocr import RapidOCR
    except ImportError as e:  # a broken install: say so plainly
        raise OcrUnavailable(f"the OCR package could not be loaded ({e})") from e
    _quiet_rapidocr_logs()
    params: dict[str, Any] = {
        "Global.log_level": "error",
        "Global.model_root_dir": str(root),
        "EngineConfig.onnxruntime.intra_op_num_threads": threads,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        # the detector sees the reduced image as it is (its default scales every image UP to a 736 px short side)
        "Det.limit_type": "max",
        "Det.limit_side_len": det_side,
        "Global.max_side_len": max(2000, det_side),
    }
    for part, name in MODEL_FILES.items():
        params[f"{part}.model_path"] = str(root / name)  # an explicit file: rapidocr's downloader never runs
    engine = RapidOCR(params=params)
    _quiet_rapidocr_logs()
    return engine


def _quiet_rapidocr_logs() -> None:
    """rapidocr logs to the terminal through its own colour handler: send it to our log file instead."""
    rlog = logging.getLogger("RapidOCR")
    for handler in list(rlog.handlers):
        rlog.removeHandler(handler)
    rlog.setLevel(logging.ERROR)  # its warnings are routine ("the text detection result is empty")
    rlog.propagate = True


def _fit(img: Image.Image, side: int) -> Image.Image:
    scale = side / max(img.size)
    if scale >= 1.0:
        return img
    return img.resize(
        (max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.Resampling.BILINEAR
    )


def _whole_frame(box: np.ndarray, size: tuple[int, int]) -> bool:
    """The detector answers a smooth, featureless photo (a clear sky) with one box around the whole frame."""
    w = float(box[:, 0].max() - box[:, 0].min())
    h = float(box[:, 1].max() - box[:, 1].min())
    return w >= 0.9 * size[0] and h >= 0.9 * size[1]


def _reading_order(boxes: list[np.ndarray]) -> list[np.ndarray]:
    return sorted(boxes, key=lambda b: (round(float(b[:, 1].min()) / 10), float(b[:, 0].min())))


def _crop(pixels: np.ndarray, corners: np.ndarray) -> np.ndarray | None:
    """The region inside ``corners`` straightened into an upright strip (as PaddleOCR crops it)."""
    import cv2  # OpenCV headless, pulled in by rapidocr: only imported once there is text to read

    w = int(max(np.linalg.norm(corners[0] - corners[1]), np.linalg.norm(corners[2] - corners[3])))
    h = int(max(np.linalg.norm(corners[0] - corners[3]), np.linalg.norm(corners[1] - corners[2])))
    if w < 2 or h < 2:
        return None
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), dst)
    out = cv2.warpPerspective(pixels, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC)
    if out.shape[0] / max(out.shape[1], 1) >= 1.5:
        out = np.rot90(out)
    return np.ascontiguousarray(out)
