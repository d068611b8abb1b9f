"""The image tower's variants in an installed model: the published fp32 graph, and an int8 copy made on
this machine from the library's own first photos (``quantize.py``), kept only when it is as good as fp32
for retrieval. Its file and measured quality are recorded in the installed manifest
(``extra.variants.int8``); which variant embedded a library's photos is recorded in that library's
catalog, so an index never mixes variants.

How it is made (``make_int8``, called by the indexer at a model's first ``index`` in a library): the first
photos (up to :data:`CALIBRATION_PHOTOS`) are embedded in fp32; the first 200 calibrate a static QDQ int8
tower (per-channel weights; patch embedding, projection and attention's activation×activation MatMuls kept
fp32); over all of them — the library's retrieval corpus so far — each photo's 10 nearest neighbours and the
top 10 of :data:`PROBE_QUERIES` under int8 are compared with fp32 (and, for the record, on the photos past
the 200th, which calibration never saw). Accepted (≥ :data:`GOAL_OVERLAP` and ≥ :data:`GOAL_RECALL`): the
library is embedded with it, those photos included (their fp32 vectors are never stored). Refused: the file is deleted, the
figures stay in the manifest and the library runs fp32.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from photosearch.models.machine import Precision
from photosearch.models.manifest import FileEntry, ModelPackage, file_entries, load_package, write_manifest

if TYPE_CHECKING:
    from photosearch.models.machine import BackendChoice, MachineFacts

log = logging.getLogger(__name__)

INT8 = "int8"
FP32 = "fp32"
CALIBRATION_PHOTOS = 300  # photos sampled: up to 200 calibrate, the rest (at least half) judge
CALIBRATION_MAX = 200
MIN_PHOTOS = 48  # fewer pending photos at the first index: no int8 tower (too few to judge it by)
GOAL_OVERLAP = 0.95
GOAL_RECALL = 0.97
CATALOG_KEY = "image_variant:"  # + model id → "int8" | "fp32": what embedded this library's photos

PROBE_QUERIES = [
    "a photo of a dog", "a cat sleeping", "children playing on a beach", "sunset over the sea", "a red car",
    "snow in the mountains", "a city street at night", "a bowl of soup", "a birthday cake with candles",
    "flowers in a garden", "a forest path", "a bridge over a river", "people at a wedding", "a boat on a lake",
    "a plate of pasta", "an old church", "a bicycle", "a green field with cows", "a selfie", "a crowded market",
    "a window with rain", "a train station", "a portrait of an old man", "a baby laughing", "a bird on a branch",
    "a waterfall", "a desert road", "fireworks", "a cup of coffee", "a mountain lake", "a document", "a screenshot",
    "a house with a garden", "a family dinner", "a football match", "autumn leaves", "a dog in the snow",
    "a night sky with stars", "an airplane wing above clouds", "a horse", "a concert", "a kitchen",
]  # fmt: skip


def probe_queries(package: ModelPackage) -> list[str]:
    """The text queries the int8 tower is judged by: the model's own (``extra.probe_queries``: a model
    trained on a narrow domain names queries it understands) or everyday photo searches."""
    own = package.manifest.extra.get("probe_queries")
    if isinstance(own, list) and len(own) >= 10 and all(isinstance(q, str) for q in own):
        return own
    return PROBE_QUERIES


@dataclass(frozen=True)
class Int8Record:
    accepted: bool
    neighbour_overlap_10: float
    text_recall_10: float
    calibration_photos: int
    judged_photos: int  # the library's first photos, the calibration ones included: the retrieval corpus
    held_out_photos: int
    held_out_overlap_10: float | None  # the same figures on the photos calibration never saw (≥ 20 of them)
    held_out_recall_10: float | None
    made_on: str  # the CPU it was made and measured on
    made_at: str
    seconds: float
    file: str | None = None
    kept_fp32: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        verdict = "in use" if self.accepted else "refused"
        return (
            f"int8 tower {verdict}: 10-NN overlap {self.neighbour_overlap_10:.3f} (goal ≥ {GOAL_OVERLAP}), "
            f"text recall@10 {self.text_recall_10:.3f} (goal ≥ {GOAL_RECALL}) vs fp32 over your first "
            f"{self.judged_photos} photos"
        ) + (
            f" ({self.held_out_overlap_10:.3f} / {self.held_out_recall_10:.3f} on the {self.held_out_photos} "
            "calibration never saw)"
            if self.held_out_overlap_10 is not None and self.held_out_recall_10 is not None
            else ""
        )

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["kept_fp32"] = list(self.kept_fp32)
        return d


def int8_record(package: ModelPackage) -> Int8Record | None:
    raw = (package.manifest.extra.get("variants") or {}).get(INT8)
    if not isinstance(raw, dict):
        return None
    try:
        rec = Int8Record(**{**raw, "kept_fp32": tuple(raw.get("kept_fp32") or ())})
    except TypeError:
        return None
    if rec.accepted and (rec.file is None or not (package.root / rec.file).is_file()):
        return None  # the file went away (the model was reinstalled): as if never made
    return rec


def int8_path(package: ModelPackage) -> Path | None:
    rec = int8_record(package)
    return package.root / rec.file if rec is not None and rec.accepted and rec.file else None


def _int8_name(package: ModelPackage) -> str:
    return str(Path(package.manifest.vision.file).with_suffix(".int8.onnx"))


#: preprocessed photos ``start:stop`` of the ones the tower is made from (N×3×S×S float32), made on demand
TensorSlices = Callable[[int, int], np.ndarray]


def _embed(path: Path, package: ModelPackage, tensors: TensorSlices, n: int, batch: int = 16) -> np.ndarray:
    """L2-normalised embeddings of the ``n`` photos by the image graph at ``path``, in a lean session."""
    from photosearch.models.quantize import lean_session, release_memory

    spec = package.manifest.vision
    sess = lean_session(path)
    outs = []
    for i in range(0, n, batch):
        chunk = np.ascontiguousarray(tensors(i, min(n, i + batch)), np.float32)
        outs.append(
            np.asarray(sess.run([spec.output.name], {spec.input.name: chunk})[0]).reshape(len(chunk), -1)
        )
    del sess
    release_memory()
    q = np.concatenate(outs).astype(np.float32)
    return q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)


def embed_fp32(package: ModelPackage, tensors: TensorSlices, n: int) -> np.ndarray:
    """The reference the int8 tower is judged against: the published fp32 graph on ONNX Runtime's CPU."""
    return _embed(package.vision_path, package, tensors, n)


def make_int8(
    package: ModelPackage,
    tensors: TensorSlices,
    n: int,
    fp32: np.ndarray,
    queries: np.ndarray,
    made_on: str,
) -> Int8Record:
    """Make, measure and record the int8 tower from ``n`` photos (``tensors``: preprocessed, made a batch at a
    time) whose exact fp32 embeddings are ``fp32``; ``queries`` are text embeddings of the probe queries."""
    from photosearch.models.quantize import neighbour_overlap, quantize_image_tower, query_recall

    t0 = time.monotonic()
    n_cal = max(1, min(CALIBRATION_MAX, n))
    name = _int8_name(package)
    out = package.root / name
    report = quantize_image_tower(
        package.vision_path, out, package.manifest.vision.input.name, _calibration_batches(tensors, n_cal)
    )
    q = _embed(out, package, tensors, n)
    overlap = neighbour_overlap(fp32, q)
    recall = query_recall(fp32, q, queries)
    held = n - n_cal
    held_overlap: float | None = None
    held_recall: float | None = None
    if held >= 20:  # and on the photos calibration never saw, for the record
        held_overlap = round(neighbour_overlap(fp32[n_cal:], q[n_cal:]), 4)
        held_recall = round(query_recall(fp32[n_cal:], q[n_cal:], queries), 4)
    accepted = overlap >= GOAL_OVERLAP and recall >= GOAL_RECALL
    rec = Int8Record(
        accepted=accepted,
        neighbour_overlap_10=round(overlap, 4),
        text_recall_10=round(recall, 4),
        calibration_photos=report.calibration_photos,
        judged_photos=n,
        held_out_photos=held,
        held_out_overlap_10=held_overlap,
        held_out_recall_10=held_recall,
        made_on=made_on,
        made_at=time.strftime("%Y-%m-%d %H:%M:%S"),
        seconds=round(time.monotonic() - t0, 1),
        file=name if accepted else None,
        kept_fp32=report.kept_fp32,
    )
    if not accepted:
        out.unlink(missing_ok=True)
    record(package, rec)
    log.info("%s: %s", package.id, rec.summary)
    return rec


def _calibration_batches(tensors: TensorSlices, n: int, size: int = 4) -> Iterator[np.ndarray]:
    """Equal batches of ``size`` (a short last batch is dropped unless it is the only one), made lazily, their
    pixels rounded to float16 as the calibration has always read them (the ranges, and so the tower, are the
    ones measured in ``benchmarks/README.md``)."""
    full = n - n % size if n >= size else n
    for i in range(0, full, size):
        yield tensors(i, min(full, i + size)).astype(np.float16)


def record(package: ModelPackage, rec: Int8Record) -> None:
    """Write ``rec`` into the installed manifest (and the int8 file into its file list, when kept)."""
    m = package.manifest
    extra = dict(m.extra)
    variants = dict(extra.get("variants") or {})
    variants[INT8] = rec.to_json()
    extra["variants"] = variants
    files = {k: v for k, v in m.files.items() if not k.endswith(".int8.onnx")}
    if rec.accepted and rec.file:
        files.update(_entries(package.root, rec.file))
    write_manifest(package.root, replace(m, extra=extra, files=files))


def _entries(root: Path, name: str) -> dict[str, FileEntry]:
    return {name: FileEntry(**file_entries(root, [name])[name])}


def reload(package: ModelPackage) -> ModelPackage:
    return load_package(package.root, verify="size")


def choice_for(
    package: ModelPackage | None,
    library_variant: str | None,
    *,
    setting: str = "auto",
    threads: int | None = None,
    facts: MachineFacts | None = None,
) -> BackendChoice:
    """What runs (or, before the first index, would run) ``package``'s image tower in a library whose photos
    were embedded with ``library_variant`` (catalog meta; None before the first), and why."""
    from photosearch.models.machine import MachineFacts, choose
    from photosearch.models.onnx_ops import is_quantised_onnx

    facts = facts or MachineFacts.probe()
    quantised = package is not None and is_quantised_onnx(package.vision_path)
    rec = int8_record(package) if package is not None else None
    int8: bool | None
    note = ""
    if rec is not None and not rec.accepted:
        int8, note = False, rec.summary
    elif library_variant == FP32:
        int8 = False
        note = (
            "this library was embedded in fp32 before an int8 tower existed (kept: an index never mixes variants)"
            if rec is None or rec.accepted
            else rec.summary
        )
    elif rec is not None:
        int8, note = True, ""
    else:
        int8 = None
    made = choose(
        facts, setting=setting, threads=threads, int8=int8, int8_note=note, quantised_model=quantised
    )
    if made.precision is Precision.INT8 and rec is not None and rec.accepted:
        made = replace(made, reason=f"{made.reason}; {rec.summary}")
    return made
