"""What the library holds and how healthy it is (``photosearch status``)."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import Any

from photosearch.errors import PhotoSearchError
from photosearch.library.library import Library
from photosearch.library.scan import folder_root_present
from photosearch.states import FileStatus, FolderState
from photosearch.store.catalog import FileRow, FolderRow
from photosearch.store.lock import WriterLock


def index_health(lib: Library, model_id: str) -> dict[str, Any]:
    """The active model's vector index: embeddings in the catalog, and whether the saved file matches."""
    cat = lib.catalog
    meta = cat.index_meta(model_id)
    n_emb = cat.count_embeddings(model_id)
    if meta is None:
        health = "not built yet" if n_emb else "empty"
    else:
        p = lib.paths.index_dir / meta.file
        ok = p.is_file() and p.stat().st_size == meta.size
        health = "ok" if ok else "needs rebuild (file missing or damaged)"
    return {
        "model": model_id,
        "embeddings": n_emb,
        "health": health,
        "saved_generation": meta.generation if meta else None,
        "saved_count": meta.count if meta else 0,
        "unsaved": cat.max_embedding_id(model_id) > (meta.high_water if meta else 0),
    }


def why_counts_differ(
    lib: Library, model_id: str | None, counts: dict[str, int], embeddings: int
) -> list[str]:
    """Why "N photos indexed" and "M embeddings" differ, in words (empty when they agree): identical files
    share one embedding, photos still to embed with this model, embeddings of photos that left the library."""
    from photosearch.progress import plural

    indexed = int(counts.get(FileStatus.INDEXED, 0))
    if model_id is None or indexed == embeddings:
        return []
    cat = lib.catalog
    orphans = sum(1 for _id, m in cat.orphan_embeddings() if m == model_id)
    missing = len(cat.hashes_missing_embedding(model_id))
    copies = max(0, indexed - (embeddings - orphans) - missing)
    why = []
    if copies:
        why.append(
            f"{plural(copies, 'photo')} {'is a copy' if copies == 1 else 'are copies'} of another "
            "(identical files share one embedding)"
        )
    if missing:
        why.append(f"{plural(missing, 'photo')} still to be embedded with this model")
    if orphans:
        why.append(
            f"{plural(orphans, 'embedding')} of photos no longer in the library (dropped at the next "
            "clean-up)"
        )
    return why


def text_counts(lib: Library) -> dict[str, int]:
    """Photos whose text is read, of the photos whose text is to be read: files, like every count ``status``
    shows (a photo and its copy are two photos to the person who sees both), so the text line never reads
    more or fewer photos than the photos line. ``index`` reports it the same way."""
    read, total = lib.catalog.text_counts_by_file()
    return {"read": read, "total": total}


def state_now(folder: FolderRow) -> str:
    """The folder's state as it is now: one recorded online whose root is gone (a disk unplugged since the
    last scan) is offline, as the next scan will record it."""
    if folder.state == FolderState.ONLINE and not folder_root_present(folder):
        return FolderState.OFFLINE.value
    return str(folder.state)


def status(lib: Library) -> dict[str, Any]:
    """Folders (with photo counts and how each is watched), file counts by status, the model and its
    index, skipped files with reasons, the process holding the writer lock, the image encoder."""
    from photosearch.models.encoders import describe_image_backend

    paths = lib.paths
    cat = lib.catalog
    model_id = lib.active_model_id()
    counts = cat.counts_by_status()
    folders = [
        {
            "path": f.path,
            "state": state_now(f),
            "watch": f.watch_mode,
            "watch_note": f.watch_note,
            "photos": len(cat.files_in_folder(f.id)),
            "last_scan": f.last_scan_at,
        }
        for f in lib.folders()
    ]
    index = index_health(lib, model_id) if model_id else {}
    if index:
        index["why_counts_differ"] = why_counts_differ(
            lib, model_id, cat.counts_by_status(), index["embeddings"]
        )
    vision = None
    if model_id:
        with contextlib.suppress(PhotoSearchError, OSError):
            vision = lib.runtime(model_id).package.vision_path
    encoder = describe_image_backend(lib.settings, vision)
    skipped = [{"path": f.path, "reason": f.error} for f in cat.errors()]
    lock = WriterLock(paths.lock_file)
    holder = lock.holder() if lock.is_locked_elsewhere() else None
    return {
        "data_dir": str(paths.data_dir),
        "model": model_id,
        "models_installed": [m.id for m in lib.installed_models()],
        "folders": folders,
        "counts": counts,
        "index": index,
        "skipped": skipped,
        "writer": holder,
        "image_encoder": encoder,
        "text": text_counts(lib),
    }


@dataclass(frozen=True)
class LibrarySummary:
    """What a front end shows about the library at a glance: read on a worker thread after each change
    notification, so the UI thread never waits on the catalog."""

    folders: tuple[FolderRow, ...] = ()
    counts: dict[str, int] = field(default_factory=lambda: {str(s): 0 for s in FileStatus})
    visible: int = 0  # photos that can appear in results
    active_model: str | None = None
    skipped: tuple[FileRow, ...] = ()  # files that could not be indexed (at most SKIPPED_SHOWN)


SKIPPED_SHOWN = 5000


def summary(lib: Library) -> LibrarySummary:
    cat = lib.catalog
    return LibrarySummary(
        tuple(lib.folders()),
        cat.counts_by_status(),
        cat.visible_count(),
        lib.active_model_id(),
        tuple(cat.errors(limit=SKIPPED_SHOWN)),
    )


def change_stamp(lib: Library) -> tuple[object, ...]:
    """A cheap signature of what another process may change behind a front end's back — the catalog's files
    (a commit by any process changes the write-ahead log's size or time) and the installed models (a model
    folder copied into ``models/``). A few ``stat`` calls: a window polls it off the UI thread and reads a new
    ``summary`` only when it differs."""
    paths = lib.paths
    stamp: list[object] = []
    for f in (paths.catalog, paths.catalog.with_name(paths.catalog.name + "-wal")):
        try:
            st = f.stat()
        except OSError:
            stamp.append(None)
        else:
            stamp.append((st.st_size, st.st_mtime_ns))
    try:
        with os.scandir(paths.models_dir) as it:
            models = sorted((e.name, _mtime(os.path.join(e.path, "manifest.json"))) for e in it if e.is_dir())
    except OSError:
        models = []
    stamp.append(tuple(models))
    return tuple(stamp)


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def empty_library_words(lib: Library) -> str:
    """Why a library has no photo to search yet, and the next step: no folder, folders that can't be reached
    (an unplugged disk), folders not indexed yet, or folders that hold nothing PhotoSearch reads (a camera
    folder of RAW files)."""
    folders = lib.folders()
    if not folders:
        return "the library is empty: add a folder ('photosearch folders add PATH'), then run 'photosearch index'"
    if all(f.state == FolderState.OFFLINE for f in folders):  # photos hidden, not deleted
        names = ", ".join(f.path for f in folders)
        return f"the added folders can't be reached now ({names}); their photos come back when they can be"
    counts = lib.catalog.counts_by_status()
    if counts.get(FileStatus.PENDING, 0) or any(f.last_scan_at is None for f in folders):
        return "no photo is indexed yet: run 'photosearch index'"
    skipped = counts.get(FileStatus.ERROR, 0)
    return (
        "no photos PhotoSearch can read in the added folders (it reads JPEG, PNG, WebP, HEIC/HEIF, AVIF, TIFF, "
        "GIF and BMP)" + (f"; {skipped:,} skipped: 'photosearch status' says why" if skipped else "")
    )
