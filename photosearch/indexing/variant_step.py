"""Which image tower embeds this library: decided once per model and library, before its first photo is
embedded, and kept (catalog meta ``image_variant:<model>``) so that an index never mixes variants.

At a model's first ``index`` in a library, on a machine where ``machine.wants_int8`` (no GPU, no AMX with
OpenVINO, the ``auto`` backend): the int8 tower is made from the first pending photos
(``models/variants.make_int8``) unless the installed model already has one, accepted or refused. Those
photos are then embedded by the normal loop like every other — with the int8 tower when it was accepted;
their fp32 embeddings served only to judge it and are never stored.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
from collections.abc import Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from photosearch.models.variants import (
    CALIBRATION_PHOTOS,
    CATALOG_KEY,
    FP32,
    INT8,
    MIN_PHOTOS,
    embed_fp32,
    int8_record,
    make_int8,
    probe_queries,
)
from photosearch.progress import Progress, WorkControl
from photosearch.store.grow import file_size_limit, free_bytes

if TYPE_CHECKING:
    from photosearch.library.library import Library
    from photosearch.models.encoders import ModelRuntime
    from photosearch.store.catalog import FileRow

log = logging.getLogger(__name__)

MAKING_MESSAGE = "making a faster int8 image encoder for this computer from your first photos (once)"
#: making the tower holds one copy of the fp32 model at a time (``quantize.quantize_image_tower``'s stages):
#: for ViT-B/32 the whole first ``index`` peaked at 789 MB RSS while making it (2.1-2.3 GB before); with less
#: memory free than this it is not made (the library stays fp32)
MAKE_INT8_MIN_AVAILABLE = 3 * 1024**3 // 2
#: said when making it failed (it writes a copy of the model beside it: a full disk, a file-size limit)
NOT_MADE = "the faster int8 image encoder could not be made"


def memory_available(meminfo: str = "/proc/meminfo") -> int | None:
    """Bytes of memory the system can give without swapping (``MemAvailable``); None when unknown."""
    try:
        with open(meminfo, encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def library_variant(library: Library, model_id: str) -> str | None:
    """``"int8"``/``"fp32"``: what embedded this library's photos with ``model_id``; None before the first."""
    return library.catalog.get_meta(CATALOG_KEY + model_id)


#: what making the int8 tower leaves beside the model when its process is killed (the OOM killer at the
#: memory peak, a power cut): ``quantize``'s working folder (``tempfile``'s name) and ONNX Runtime's
#: shape-inferred copy of the graph
_LEFTOVER = re.compile(r"tmp[a-z0-9_]{8}|.+-inferred\.onnx")


def sweep_leftovers(folder: Path, keep: frozenset[str] = frozenset()) -> int:
    """Remove what a killed attempt at making the int8 tower left in the model's folder (as large as the
    model: hundreds of MB for ViT-B/32), never removed otherwise. Only the library's writer makes the tower,
    so nothing else can be using them; ``keep``: the package's own files (never removed, whatever their
    names). Returns how many were removed."""
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for e in entries:
        if not _LEFTOVER.fullmatch(e.name) or e.name in keep or e.is_symlink():
            continue
        try:
            if e.is_dir():
                shutil.rmtree(e.path)
            else:
                os.unlink(e.path)
        except OSError as err:
            log.warning("cannot remove %s: %s", e.path, err)
            continue
        removed += 1
        log.info("removed %s, left by an interrupted making of the int8 image encoder", e.path)
    return removed


def prepare_variant(
    library: Library,
    rt: ModelRuntime,
    pending: list[FileRow],
    control: WorkControl,
    decode_threads: int = 2,
) -> Iterator[Progress]:
    """Set ``rt.image`` to this library's variant, making the int8 tower first when this is the model's
    first index here and the machine would run it."""
    catalog = library.catalog
    pkg = rt.package
    sweep_leftovers(pkg.root, frozenset(p.name for p in (pkg.vision_path, pkg.text_path, pkg.tokenizer_path)))
    chosen = library_variant(library, rt.id)
    if chosen is None:
        if rt.image.variant == INT8 or catalog.count_embeddings(rt.id) > 0:
            chosen = rt.image.variant if rt.image.variant == INT8 else FP32  # published int8, or made before
        else:
            chosen = yield from _first_index(rt, pending, control, decode_threads, len(pending))
            if chosen is None:  # cancelled while making it: decided again next time
                return
        if pending or catalog.count_embeddings(rt.id):  # nothing embedded yet: nothing to keep consistent
            catalog.set_meta(CATALOG_KEY + rt.id, chosen)
    rt.use_library_variant(chosen)  # the one place that decides (search encodes its photos the same way)


def _first_index(
    rt: ModelRuntime, pending: list[FileRow], control: WorkControl, threads: int, total: int
) -> Generator[Progress, None, str | None]:
    from photosearch.models.machine import MachineFacts, wants_int8

    facts = MachineFacts.probe()
    if not wants_int8(facts, rt.settings.image_backend):
        return FP32
    rec = int8_record(rt.package)
    if rec is not None:
        return INT8 if rec.accepted else FP32
    if len(pending) < MIN_PHOTOS:
        return FP32
    free = memory_available()
    if free is not None and free < MAKE_INT8_MIN_AVAILABLE:
        log.info("not making the int8 tower: %.1f GB of memory free, it needs about 1.5", free / 1024**3)
        return FP32
    yield Progress("embedding", 0, total, message=MAKING_MESSAGE)
    pre = rt.preprocessor

    def crop(f: FileRow) -> np.ndarray | None:
        try:  # the model's square input as 8-bit pixels: a quarter of its float tensor
            return np.asarray(
                pre.resize_crop(pre.decode_fast(f.path, min_short_side=pre.draft_short_side).image)
            )
        except Exception as e:  # an unreadable photo is left for the normal loop to record
            log.debug("calibration: %s skipped (%s)", f.path, e)
            return None

    with ThreadPoolExecutor(threads, thread_name_prefix="calibrate") as pool:
        crops = [c for c in pool.map(crop, pending[:CALIBRATION_PHOTOS]) if c is not None]
    if len(crops) < MIN_PHOTOS or control.cancelled:
        return None if control.cancelled else FP32

    def tensors(
        start: int, stop: int
    ) -> np.ndarray:  # exactly what the model is given: to_tensor of the crop
        return np.stack([pre.to_tensor(Image.fromarray(c)) for c in crops[start:stop]])

    text_loaded = rt.text.loaded
    queries = rt.text.encode(probe_queries(rt.package))
    if not text_loaded:  # indexing does not need it: its memory back before the tower is made
        rt.text.release()
    # the reference: the published graph in fp32 on the CPU, whatever runs later
    fp32 = embed_fp32(rt.package, tensors, len(crops))
    if control.cancelled:
        return None
    yield Progress("embedding", 0, total, message=MAKING_MESSAGE)
    folder = rt.package.root
    before = {p.name for p in folder.iterdir()}
    try:
        rec = make_int8(
            rt.package, tensors, len(crops), fp32, queries, made_on=f"{facts.cpu_model} ({facts.isa})"
        )
    except Exception as e:  # ONNX tools report a short write as a parse error, not as OSError
        for p in folder.iterdir():  # what the attempt left half-made beside the model (ONNX Runtime's
            if p.name not in before and p.is_file():  # shape-inferred copy is written next to its source)
                p.unlink(missing_ok=True)
        why = _why_not_made(folder, e)
        log.warning("%s (%s); this library is indexed in fp32", NOT_MADE, why)
        log.info("making the int8 image encoder failed: %s: %s", type(e).__name__, e)
        yield Progress("embedding", 0, total, message=f"{NOT_MADE} ({why}); this library is indexed in fp32")
        return FP32
    return INT8 if rec.accepted else FP32


def _why_not_made(folder: Path, e: Exception) -> str:
    """Plain words for a failure to write the int8 tower into the model's folder."""
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk holding {folder} is full"
    soft = file_size_limit()
    if soft is not None:
        return f"a file-size limit is set ({soft / 1e6:.1f} MB, 'ulimit -f')"
    free = free_bytes(folder)
    if free is not None and free < 256 * 1024 * 1024:
        return f"the disk holding {folder} is nearly full"
    return "it could not be written or checked"
