"""Walk added folders and reconcile the catalog with the disk.

New files become ``pending``; changed files (size or mtime) are re-hashed and re-embedded only if
their content changed; moved or renamed files (same content hash) keep their embedding; deleted
files leave the catalog. A folder whose root has disappeared goes ``offline`` (its rows are kept).
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from photosearch.library.folders import (
    DEFAULT_EXCLUDES,
    excluded_by,
    excludes_for,
    load_excludes,
    not_photos_reason,
    system_reason,
)
from photosearch.library.imaging import format_of, is_image_name, name_suffix
from photosearch.library.reasons import system_refused
from photosearch.paths import path_inside
from photosearch.store.catalog import Catalog, FileRow, FolderRow

log = logging.getLogger(__name__)

HASH_BLOCK = 64 * 1024
SCAN_CHUNK = 200  # files registered per transaction
# Folder names left out by default (each added folder's list starts from these and can be edited).
SYSTEM_DIRS = frozenset(DEFAULT_EXCLUDES)


# Errors that say nothing about the file itself: it vanished or could not be read for a moment (a folder
# renamed or a disk unplugged while it was being indexed). Such a row is tried again when it is seen again.
TRANSIENT_ERRORS = ("file disappeared", "cannot read")


def retry_error(row: FileRow) -> bool:
    """An error row worth another try: it could not be read at all (no hash), or it vanished or failed to
    read mid-way (e.g. renamed while being indexed)."""
    return row.status == "error" and (
        row.content_hash is None or (row.error or "").startswith(TRANSIENT_ERRORS)
    )


@dataclass(frozen=True)
class DiskEntry:
    path: str
    size: int
    mtime_ns: int


def skip_dir(name: str) -> bool:
    """Hidden folders: never descended into (other names: see the folder's exclusion list)."""
    return name.startswith(".")


def skip_file(name: str) -> bool:
    return name.startswith(".") or not is_image_name(name)


def walk(
    root: str,
    on_error: Callable[[str, str], None] | None = None,
    excludes: Sequence[str] | None = None,
    on_skip: Callable[[str, str], None] | None = None,
) -> Iterator[DiskEntry]:
    """Image files under ``root``: hidden and system folders skipped; symlinks followed only when they
    point inside ``root`` (and never into a loop). Folders that are not photos by their content (a
    PhotoSearch data folder, a virtual environment, a cache), the system's own trees and sub-folders
    matching ``excludes`` (default: ``DEFAULT_EXCLUDES``) are left out and reported to ``on_skip``."""
    root = os.path.normpath(os.path.abspath(root))
    real_root = os.path.realpath(root)
    if excludes is None:  # a sub-tree of an added folder: that folder's list, relative to its root
        root_of, patterns = excludes_for(root)
    else:
        root_of, patterns = root, tuple(excludes)
    seen_dirs: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        d = stack.pop()
        try:
            st = os.stat(d)
            key = (st.st_dev, st.st_ino)
            if key in seen_dirs:
                continue
            seen_dirs.add(key)
            entries = list(os.scandir(d))
        except FileNotFoundError:
            if on_error:  # a sub-folder moved or deleted since its parent was listed: not listed as
                # skipped, but its photos' rows are kept for this scan (a move keeps their embeddings)
                on_error(d, f"{CANNOT_LIST}: it is gone" if d == root else VANISHED)
            continue
        except OSError as e:
            if on_error:
                on_error(d, f"{CANNOT_LIST}: {system_refused(e)}")
            continue
        why = not_photos_reason(d, [e.name for e in entries]) or (system_reason(d) if d != root else None)
        if why:
            log.info("not scanning %s: %s", d, why)
            if on_skip:
                on_skip(d, why)
            continue
        for entry in entries:
            name = entry.name
            try:
                is_link = entry.is_symlink()
                if entry.is_dir(follow_symlinks=True):
                    if skip_dir(name):
                        continue
                    if not _valid_text(name):
                        if on_error:
                            on_error(printable_path(entry.path), UNDECODABLE_NAME)
                        continue
                    if is_link and not _inside(os.path.realpath(entry.path), real_root):
                        continue
                    if patterns:
                        hit = excluded_by(
                            os.path.relpath(entry.path, root_of).replace(os.sep, "/"), name, patterns
                        )
                        if hit:
                            if on_skip:
                                on_skip(entry.path, f"left out by the pattern '{hit}'")
                            continue
                    stack.append(entry.path)
                    continue
                if skip_file(name) or not entry.is_file(follow_symlinks=True):
                    continue
                if not _valid_text(name):
                    if on_error:
                        on_error(printable_path(entry.path), UNDECODABLE_NAME)
                    continue
                if is_link and not _inside(os.path.realpath(entry.path), real_root):
                    continue
                st = entry.stat(follow_symlinks=True)
                if not stat.S_ISREG(st.st_mode):
                    continue
                yield DiskEntry(os.path.normpath(entry.path), st.st_size, st.st_mtime_ns)
            except FileNotFoundError:
                # renamed, moved or deleted since the folder was listed: not a photo it failed to read;
                # its row is kept for this scan (a rename keeps its embedding)
                if on_error:
                    on_error(entry.path, VANISHED)
            except OSError as e:
                if on_error:
                    on_error(entry.path, system_refused(e))


UNDECODABLE_NAME = "the name is not valid text (UTF-8); rename it to index it"
CANNOT_LIST = "cannot list folder"
#: ``walk``'s word for a file or sub-folder gone since its folder was listed (its rows kept for this scan,
#: not listed as skipped)
VANISHED = "vanished while the scan was listing it"


def _valid_text(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable_path(path: str) -> str:
    """A path that can be stored and shown even when its bytes are not UTF-8 (undecodable bytes → \\xNN)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _inside(path: str, root: str) -> bool:
    return path_inside(path, root)


#: formats usually stored uncompressed (scans, exports): two different pictures of one size share their first
#: and last 64 KiB when those are the same margins (a flatbed's white bed), so these are hashed whole
WHOLE_HASH_SUFFIXES = frozenset({".tif", ".tiff", ".bmp"})
#: above this size they are hashed from this many evenly spaced 64 KiB samples instead (4 MiB read)
WHOLE_HASH_MAX = 256 * 1024 * 1024
WHOLE_HASH_SAMPLES = 64


def content_hash(path: str, size: int | None = None) -> str:
    """Content hash: size + first and last 64 KiB (whole file when small, or a TIFF or BMP up to 256 MiB;
    64 samples spread over a bigger one). Raises OSError."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        if size is None:
            size = os.fstat(f.fileno()).st_size
        h.update(size.to_bytes(8, "little"))
        if size <= 2 * HASH_BLOCK:
            h.update(f.read())
        elif name_suffix(path) in WHOLE_HASH_SUFFIXES:
            if size <= WHOLE_HASH_MAX:
                while chunk := f.read(1 << 20):
                    h.update(chunk)
            else:  # a GeoTIFF of gigabytes (refused from its header later): evenly spaced samples
                step = (size - HASH_BLOCK) // (WHOLE_HASH_SAMPLES - 1)
                for k in range(WHOLE_HASH_SAMPLES):
                    f.seek(k * step)
                    h.update(f.read(HASH_BLOCK))
        else:
            h.update(f.read(HASH_BLOCK))
            f.seek(size - HASH_BLOCK)
            h.update(f.read(HASH_BLOCK))
    return h.hexdigest()


@dataclass
class ScanReport:
    folders: int = 0
    seen: int = 0
    new: int = 0
    changed: int = 0
    moved: int = 0  # new paths whose content already had an embedding (no encoder run needed)
    deleted: int = 0
    unchanged: int = 0
    offline: list[str] = field(default_factory=list)
    errors: int = 0

    def merge(self, other: ScanReport) -> None:
        for k in ("folders", "seen", "new", "changed", "moved", "deleted", "unchanged", "errors"):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        self.offline += other.offline


def folder_root_present(folder: FolderRow) -> bool:
    return os.path.isdir(folder.path)


def reconcile_folder(
    catalog: Catalog, folder: FolderRow, model_id: str | None, cancelled: Callable[[], bool] = lambda: False
) -> ScanReport:
    """Bring one folder's rows in line with the disk. Returns counts; never runs the model."""
    report = ScanReport(folders=1)
    if folder.state == "paused":
        return report
    if not folder_root_present(folder):
        if folder.state != "offline":
            log.info("folder %s is offline (its root is missing); its photos are hidden", folder.path)
            catalog.set_folder_state(folder.id, "offline")
        report.offline.append(folder.path)
        return report
    if folder.state == "offline":
        log.info("folder %s is back online", folder.path)
        catalog.set_folder_state(folder.id, "online")

    known = catalog.files_in_folder(folder.id)
    errors: list[tuple[str, str]] = []
    on_disk: dict[str, DiskEntry] = {}
    excludes = load_excludes(catalog, folder.path)
    for e in walk(folder.path, on_error=lambda p, r: errors.append((p, r)), excludes=excludes):
        on_disk[e.path] = e
        if cancelled():
            return report
    report.seen = len(on_disk)
    # Paths the walk could not read are listed with their reason; files already known under a folder
    # that cannot be listed now are kept (a permission change must not drop a library's photos).
    protected: set[str] = set()
    for path, reason in errors:
        path = os.path.normpath(path)
        protected.add(path)
        if reason.startswith(CANNOT_LIST) or reason == VANISHED:
            protected.update(p for p in known if _inside(p, path))
        if reason == VANISHED:  # moved or deleted mid-scan: the next scan settles it
            continue
        old = known.get(path)
        if old is None or old.status != "error" or old.error != reason:
            catalog.upsert_file(
                folder.id, path, 0, 0, content_hash=None, status="error", error=reason, fmt=format_of(path)
            )
            report.errors += (
                1  # counted when first (or newly) turned away, as a damaged file is, not every run
            )
    # A file in a nested added folder belongs to the deepest one; leave it to that folder.
    nested = [f.path for f in catalog.folders() if f.id != folder.id and _inside(f.path, folder.path)]
    if nested:
        on_disk = {p: e for p, e in on_disk.items() if not any(_inside(p, n) for n in nested)}

    whole_hash_checked = catalog.get_meta(_WHOLE_HASH_KEY + str(folder.id)) is not None
    rehash = set() if whole_hash_checked else _hashed_by_head_and_tail(catalog, known)
    changed_entries: list[tuple[DiskEntry, FileRow | None]] = []
    for path, e in on_disk.items():
        row = known.get(path)
        if row is None:
            changed_entries.append((e, None))
        elif row.size != e.size or row.mtime_ns != e.mtime_ns or retry_error(row) or row.id in rehash:
            changed_entries.append((e, row))
        else:
            report.unchanged += 1
    # upsert new/changed first (so a move finds its old row's content), then delete what vanished
    # one transaction per chunk of files (not per file): far fewer commits and WAL growth
    for start in range(0, len(changed_entries), SCAN_CHUNK):
        if cancelled():
            return report
        with catalog.transaction():
            for e, row in changed_entries[start : start + SCAN_CHUNK]:
                kind = register_file(catalog, folder.id, e, model_id, row)
                if kind == "gone":
                    continue
                if kind == "moved":
                    report.moved += 1
                elif kind == "error":
                    report.errors += 1
                elif row is None:
                    report.new += 1
                else:
                    report.changed += 1
        log.debug(
            "registered %d changed files in %s", min(start + SCAN_CHUNK, len(changed_entries)), folder.path
        )
    gone = [r.id for p, r in known.items() if p not in on_disk and p not in protected]
    if gone:
        catalog.delete_files(gone)
        report.deleted = len(gone)
    catalog.set_folder_scanned(folder.id)
    if not whole_hash_checked:
        catalog.set_meta(_WHOLE_HASH_KEY + str(folder.id), "1")
    return report


_WHOLE_HASH_KEY = "whole_hash_checked:"


def _hashed_by_head_and_tail(catalog: Catalog, known: dict[str, FileRow]) -> set[int]:
    """Once per folder (catalogs from before TIFF and BMP were hashed whole): the TIFF and BMP rows whose
    head-and-tail hash another file shares — two different scans of one size may have been merged by it —
    are hashed again, the whole file. A true copy gets the same new hash as its original; the rest keep
    theirs (hashing them anew would re-embed and re-read the text of every scan for nothing)."""
    return {
        r.id
        for r in known.values()
        if r.content_hash
        and r.size > 2 * HASH_BLOCK
        and name_suffix(r.path) in WHOLE_HASH_SUFFIXES
        and len(catalog.files_by_hash(r.content_hash)) > 1
    }


def register_file(
    catalog: Catalog, folder_id: int, e: DiskEntry, model_id: str | None, old: FileRow | None = None
) -> str:
    """Hash one file and record it. Returns "moved" (content already embedded), "pending", "unchanged"
    (content identical to its old row), "error", or "gone" (renamed or deleted since it was listed: nothing
    recorded; the next scan, or the watcher's event, finds it where it went)."""
    try:
        digest = content_hash(e.path, e.size)
    except FileNotFoundError:
        return "gone"
    except OSError as err:
        reason = system_refused(err)
        catalog.upsert_file(
            folder_id,
            e.path,
            e.size,
            e.mtime_ns,
            content_hash=None,
            status="error",
            error=reason,
            fmt=format_of(e.path),
        )
        return "error"
    if e.size == 0:
        catalog.upsert_file(
            folder_id,
            e.path,
            e.size,
            e.mtime_ns,
            content_hash=digest,
            status="error",
            error="empty file (0 bytes)",
            fmt=format_of(e.path),
        )
        return "error"
    if old is not None and old.content_hash == digest and old.status == "indexed":
        catalog.upsert_file(folder_id, e.path, e.size, e.mtime_ns, content_hash=digest, status="indexed")
        return "unchanged"
    twin = next((r for r in catalog.files_by_hash(digest) if r.status == "indexed"), None)
    if model_id is not None and twin is not None and catalog.embedding_id(digest, model_id) is not None:
        catalog.upsert_file(
            folder_id,
            e.path,
            e.size,
            e.mtime_ns,
            content_hash=digest,
            status="indexed",
            fmt=twin.format,
            width=twin.width,
            height=twin.height,
            taken_at=twin.taken_at,
            phash=twin.phash,
        )
        return "moved"
    catalog.upsert_file(
        folder_id, e.path, e.size, e.mtime_ns, content_hash=digest, status="pending", fmt=format_of(e.path)
    )
    return "pending"


def path_in_folder(path: str | Path, folder: FolderRow) -> bool:
    return _inside(os.path.normpath(str(path)), folder.path)
