"""Read the words in a photo, offline, with the PP-OCRv6 models that ship inside the ``rapidocr`` wheel
(detection, recognition, and a text-direction classifier; models by Baidu's PaddleOCR team, Apache-2.0).

Cost is kept down in two ways: detection runs on a reduced image (the caller decodes with JPEG draft mode to
about ``first_side`` px, 1000×750 for a 12 MP JPEG; photos where it finds nothing stop there), and recognition
runs on full-resolution crops of the found regions only. In bench_ocr one look at 960 px both costs less and
finds more than one at 1600 px: at 1600 the detector misses lines 8–13 px tall there (20–32 px on the
12 MP photo) that it finds at 960. Lines 20–30 px tall on the 12 MP photo (5–7 px at 960), often tilted,
show in the first look's map as strong but thin, broken spots that yield no box: those spots alone get a
second look at 1920 px, on tiles around them (benchmarks/README.md: it lifts search success for text
≥ 20 px from 0.88 to 0.92 for 2–7 % more CPU of the reading thread on photos without text, whose spots —
sky, glare, foliage — are mostly broad and faint). Each photo has a time budget in CPU seconds of the reading thread (so a machine
busy with other work does not cut reading short): lines read before it runs out are kept.

Privacy: only the bundled model files are used, or a recognition model added with ``photosearch models
import`` (``photosearch.models.text_reader_pkg``; each path is given explicitly, so rapidocr's downloader never
runs); its errors go to our log, never to the terminal, and recognised text is never
logged. rapidocr, OpenCV and the OCR ONNX sessions are imported on first use only, so a text search from a fresh
process never pays for them.

Scripts read: Latin and CJK (the shipped recognition model); not Cyrillic, Hangul or Arabic.
Another script: a text reader added with ``models import FOLDER --script …`` and chosen with ``models use``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from photosearch.text.runs import ModelRun, ReadInterrupted, Stopper, StopWatcher

__all__ = ["ReadInterrupted"]  # re-exported: callers catch it from here

log = logging.getLogger(__name__)

MODEL_FILES = {
    "Det": "PP-OCRv6_det_small.onnx",
    "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
    "Rec": "PP-OCRv6_rec_small.onnx",
}
CREDIT = "Text recognition: PP-OCRv6 models by the PaddleOCR team (Baidu), Apache-2.0, run through RapidOCR."
SCRIPTS = "Latin and CJK (Chinese, Japanese kana and kanji); not Cyrillic, Hangul or Arabic"


FIRST_SIDE = 960  # long side of the first look (the whole photo, for every photo)
DET_SIDE = 1920  # long side of the second look (as if on the whole photo); at most 1.2 × FIRST_SIDE: one look
WEAK_RESPONSE = 0.15  # a spot of the first look's map: where it is at least this
MIN_SPOT = 4  # map pixels a spot needs to be looked at again
# a spot is looked at again when it is text-shaped: a strong response somewhere, and thin (the short side of
# its rotated bounding rectangle, in map pixels: 12 at 960 px is ~50 px on a 12 MP photo). In bench_ocr's
# "tune" half any STRONG 0.4–0.9 with THIN 6–24 gives the same search success as looking at every spot
# again; these are mid-plateau values. Few photos without text have such a spot (6 of bench_ocr's first 40),
# and its tile is small.
STRONG_RESPONSE = 0.6
THIN_SPOT = 12.0
TILE_MARGIN = 2.0  # a spot's tile reaches this many of its heights beyond it (a line seen only in part)
WHOLE_PHOTO = 0.5  # tiles covering more of the photo than this: the second look takes the whole photo
BOX_THRESHOLD = 0.4  # a region's mean detection score from which it is read (rapidocr: 0.5; 0.4 finds more
# of the small, thin-lettered and tilted lines in bench_ocr at no cost in false returns)
RECOGNITION_BATCH = 6  # crops per recognition call (the budget and ``stop`` are checked between calls)


class OcrUnavailable(RuntimeError):
    """The OCR package or its bundled models are missing."""


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
    """One OCR engine, loaded on first use and shared by threads (calls are serialised per engine).

    Detection looks once or twice. The first look runs on the whole ``reduced`` image at ``first_side`` px
    (long side): a photo whose detection map shows nothing there has no text and costs only that look. When
    ``det_side`` is larger, the text-shaped spots of that map (strong, thin) that yielded no box — lines too
    small for the first look — get a second look at ``det_side`` px (as if the whole photo were that size),
    on tiles of the full image around them only (the whole photo when those cover most of it). The boxes
    found are recognised on full-resolution crops."""

    def __init__(
        self,
        det_side: int = DET_SIDE,
        budget_s: float = 8.0,
        min_confidence: float = 0.5,
        threads: int = 1,
        first_side: int = FIRST_SIDE,
        weak: float = WEAK_RESPONSE,
        recognition: tuple[Path, Path | None] | None = None,
    ) -> None:
        self.det_side = det_side
        self.recognition = recognition  # an added text reader's (ONNX, dictionary or None); None: the bundled
        self.first_side = min(first_side, det_side)
        self.weak = weak
        self.budget_s = budget_s
        self.min_confidence = min_confidence
        self.threads = threads
        self._engine: _Engine | None = None
        self._lock = threading.Lock()
        self._stopper: Stopper | None = None  # the read in progress (for ``interrupt``)
        self.watcher = StopWatcher()  # asks the reads' ``stop`` while a model runs: one thread for many reads

    def _get(self) -> _Engine:
        with self._lock:
            if self._engine is None:
                self._engine = _Engine(self.threads, self.recognition)
            return self._engine

    def read(
        self,
        reduced: Image.Image,
        full: Callable[[], Image.Image] | Image.Image | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> OcrResult:
        """Detect on ``reduced`` (RGB, oriented; its long side at least ``first_side`` when the photo is that
        big), then on tiles of ``full`` (the same photo at full size, loaded only when the first look saw
        something; ``reduced`` itself when None), and recognise the regions found on crops of ``full``.
        ``stop`` is asked before each look, before loading ``full`` and between batches of regions, and every
        ``runs.STOP_POLL_S`` by the reader's watcher thread while a model runs (so it must be safe to call
        from another thread), which then aborts that run (ONNX Runtime's ``RunOptions.terminate``): when it
        says True, ``ReadInterrupted`` is raised (the indexer gives way to embedding at once).
        ``interrupt()`` does the same from any thread."""
        engine = self._get()
        with self.watcher.watching(Stopper(stop)) as stopper, engine.running(stopper.options):
            self._stopper = stopper
            try:
                return self._read(engine, reduced, full, stopper.asked)
            finally:
                self._stopper = None

    def interrupt(self) -> None:
        """Stop the read in progress now (from any thread; it raises ``ReadInterrupted``). Never waits."""
        stopper = self._stopper
        if stopper is not None:
            stopper.fire()

    def _read(
        self,
        engine: _Engine,
        reduced: Image.Image,
        full: Callable[[], Image.Image] | Image.Image | None,
        stop: Callable[[], bool],
    ) -> OcrResult:
        start = time.monotonic()
        # the budget counts this thread's CPU time: a busy machine is no reason to stop reading
        cpu_start = time.thread_time()
        if stop():
            raise ReadInterrupted
        small = np.asarray(reduced.convert("RGB"))[:, :, ::-1]
        prob, _ = engine.detect(small, self.first_side)
        seen = [b for b in engine.boxes(prob, prob.shape) if not _whole_frame(b, prob.shape)]
        closer = full is not None and self.det_side > self.first_side * 1.2
        spots = []
        if closer:
            shaped = _weak_regions(prob, self.weak, STRONG_RESPONSE, THIN_SPOT)
            spots = [s for s in shaped if not _covered(s, seen)]
        if not seen and not spots:
            return OcrResult((), 0, time.monotonic() - start, True)
        if stop():
            raise ReadInterrupted
        big = full() if callable(full) else (full if full is not None else reduced)
        pixels = np.asarray(big.convert("RGB"))[:, :, ::-1]
        fh, fw = pixels.shape[:2]
        per = np.array(
            [fw / prob.shape[1], fh / prob.shape[0]], dtype=np.float32
        )  # full pixels per map pixel
        boxes = [b * per for b in seen]
        fine = min(1.0, self.det_side / max(fw, fh))
        for x0, y0, x1, y1 in _tiles(spots, float(per[0]), float(per[1]), fw, fh):
            if stop():
                raise ReadInterrupted
            tile = pixels[y0:y1, x0:x1]
            tprob, _ = engine.detect(tile, max(32, round(max(x1 - x0, y1 - y0) * fine)))
            for b in engine.boxes(tprob, tile.shape[:2]):
                if not _whole_frame(b, tile.shape[:2]):
                    box = b + np.array([x0, y0], dtype=np.float32)
                    if not any(_inside(box.mean(axis=0), other) for other in boxes):
                        boxes.append(box)
        if not boxes:
            return OcrResult((), 0, time.monotonic() - start, True)
        lines: list[TextLine] = []
        complete = True
        ordered = _reading_order(boxes)
        for i in range(0, len(ordered), RECOGNITION_BATCH):
            if stop():
                raise ReadInterrupted
            if time.thread_time() - cpu_start > self.budget_s:
                complete = False
                break
            batch = [
                (c, crop)
                for c in ordered[i : i + RECOGNITION_BATCH]
                if (crop := _crop(pixels, c)) is not None
            ]
            if not batch:
                continue
            for (corners, _), (text, score) in zip(
                batch, engine.recognise([c for _, c in batch]), strict=True
            ):
                text = " ".join(str(text).split())
                if text and float(score) >= self.min_confidence:
                    c = [(round(float(x), 1), round(float(y), 1)) for x, y in corners]
                    lines.append(TextLine(text, round(float(score), 4), (c[0], c[1], c[2], c[3])))
        return OcrResult(tuple(lines), len(boxes), time.monotonic() - start, complete)


class _Engine:
    """rapidocr's three models, called step by step: detection on an image we scale ourselves (in float32,
    to a size divisible by 32), the direction classifier and recognition on batches of crops."""

    def __init__(self, threads: int, recognition: tuple[Path, Path | None] | None = None) -> None:
        ocr = _make_engine(threads, 2000, recognition)
        self._local = threading.local()  # .options: the RunOptions of the read on this thread
        try:
            self.det = ocr._load_det_model()
            self.cls = ocr._load_cls_model()
            self.rec = ocr._load_rec_model()
            self.det.postprocess_op.box_thresh = BOX_THRESHOLD
            for model in (self.det, self.cls, self.rec):  # every model run can be stopped midway
                model.session = ModelRun(model.session, self._local)
            from rapidocr.ch_ppocr_rec import TextRecInput
        except (AttributeError, ImportError) as e:  # a rapidocr whose insides moved: say so plainly
            raise OcrUnavailable(f"this version of the OCR package is not supported ({e})") from e
        self._rec_input = TextRecInput

    @contextlib.contextmanager
    def running(self, options: Any) -> Iterator[None]:
        """Model runs on this thread use ``options`` (an ``onnxruntime.RunOptions``) until the block ends."""
        self._local.options = options
        try:
            yield
        finally:
            self._local.options = None

    def detect(self, bgr: np.ndarray, side: int) -> tuple[np.ndarray, float]:
        """The detector's text probability map for ``bgr`` scaled so its long side is about ``side``, and
        that scale."""
        import cv2

        h, w = bgr.shape[:2]
        scale = min(1.0, side / max(h, w))
        rh, rw = max(32, round(h * scale / 32) * 32), max(32, round(w * scale / 32) * 32)
        x = cv2.resize(bgr, (rw, rh), interpolation=cv2.INTER_AREA) if (rh, rw) != (h, w) else bgr
        x = x.astype(np.float32)
        x *= 1 / 127.5
        x -= 1.0
        prob = self.det.session(np.ascontiguousarray(x.transpose(2, 0, 1)[None]))  # a ModelRun
        return prob[0, 0], scale

    def boxes(self, prob: np.ndarray, shape: tuple[int, ...]) -> list[np.ndarray]:
        """Text boxes (four corners each) from a probability map, in the pixels of an image of ``shape``."""
        found, _ = self.det.postprocess_op(prob[None, None], (int(shape[0]), int(shape[1])))
        return [np.asarray(b, dtype=np.float32) for b in found]

    def recognise(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        upright = self.cls(crops).img_list
        out = self.rec(self._rec_input(img=upright))
        return list(zip(out.txts, out.scores, strict=True))


def _make_engine(threads: int, det_side: int, recognition: tuple[Path, Path | None] | None = None) -> Any:
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
    if recognition is not None:  # an added text reader (photosearch.models.text_reader_pkg), checked at load
        params["Rec.model_path"] = str(recognition[0])
        if recognition[1] is not None:
            params["Rec.rec_keys_path"] = str(recognition[1])
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


def _whole_frame(box: np.ndarray, shape: tuple[int, ...]) -> bool:
    """The detector answers a smooth, featureless photo (a clear sky) with one box around the whole frame
    (``shape``: the image's height and width)."""
    w = float(box[:, 0].max() - box[:, 0].min())
    h = float(box[:, 1].max() - box[:, 1].min())
    return w >= 0.9 * shape[1] and h >= 0.9 * shape[0]


def _weak_regions(
    prob: np.ndarray, weak: float, strong: float = 0.0, thin: float = math.inf
) -> list[tuple[int, int, int, int]]:
    """Spots of the first look's map at or above ``weak`` (x0, y0, x1, y1 in map pixels), the small specks
    left out; with ``strong`` and ``thin``, only the text-shaped ones: reaching ``strong`` somewhere and at
    most ``thin`` map pixels across (the short side of their rotated bounding rectangle)."""
    import cv2

    mask = (prob >= weak).astype(np.uint8)
    if not mask.any():
        return []
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    keep = stats[:, 4] >= MIN_SPOT
    keep[0] = False  # the background
    if strong > 0:
        reached = np.zeros(n, dtype=bool)
        reached[np.unique(labels[prob >= strong])] = True
        keep &= reached
    out = []
    for k in np.flatnonzero(keep):
        x, y, w, h, area = (int(v) for v in stats[k])
        if thin < math.inf:
            if area > thin * (w + h):  # too much area for a strip at most ``thin`` across: broad
                continue
            pts = np.argwhere(labels[y : y + h, x : x + w] == k)[:, ::-1].astype(np.float32)
            if min(cv2.minAreaRect(pts)[1]) > thin:
                continue
        out.append((x, y, x + w, y + h))
    return out


def _covered(spot: tuple[int, int, int, int], boxes: list[np.ndarray]) -> bool:
    """A spot of the first look holds one of the boxes it found (it was read already)."""
    return any(_inside(b.mean(axis=0), spot) for b in boxes)


def _inside(point: np.ndarray, area: np.ndarray | tuple[int, int, int, int]) -> bool:
    """``point`` (x, y) within ``area``: a box's corners (its bounding rectangle) or (x0, y0, x1, y1)."""
    if isinstance(area, np.ndarray):
        x0, y0 = area.min(axis=0)
        x1, y1 = area.max(axis=0)
    else:
        x0, y0, x1, y1 = area
    return bool(x0 <= point[0] <= x1 and y0 <= point[1] <= y1)


def _tiles(
    spots: list[tuple[int, int, int, int]], per_x: float, per_y: float, fw: int, fh: int
) -> list[tuple[int, int, int, int]]:
    """The full image's tiles for the second look: each spot with a margin of ``TILE_MARGIN`` of its height
    (at least 8 map pixels), overlapping tiles merged; the whole photo when they cover most of it."""
    rects = []
    for x0, y0, x1, y1 in spots:
        m = max(8.0, TILE_MARGIN * (y1 - y0))
        rects.append([
            max(0, int((x0 - m) * per_x)), max(0, int((y0 - m) * per_y)),
            min(fw, int((x1 + m) * per_x) + 1), min(fh, int((y1 + m) * per_y) + 1),
        ])  # fmt: skip
    merged = True
    while merged:
        merged = False
        out: list[list[int]] = []
        for r in rects:
            for o in out:
                if r[0] < o[2] and o[0] < r[2] and r[1] < o[3] and o[1] < r[3]:
                    o[:] = [min(o[0], r[0]), min(o[1], r[1]), max(o[2], r[2]), max(o[3], r[3])]
                    merged = True
                    break
            else:
                out.append(r)
        rects = out
    if sum((r[2] - r[0]) * (r[3] - r[1]) for r in rects) > WHOLE_PHOTO * fw * fh:
        return [(0, 0, fw, fh)]
    return [(r[0], r[1], r[2], r[3]) for r in rects]


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
