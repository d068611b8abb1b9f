"""Rebuilding a damaged or missing catalog (``photosearch doctor --repair``): from the newest good backup,
what can be salvaged from the damaged file, the folder list kept beside the catalog (``folders.json``) and
a rescan of the folders; thumbnails and embeddings are re-attached by content hash, not thrown away."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from photosearch.config import Paths
from photosearch.store.catalog import Catalog, set_aside_damaged


def _salvage(damaged: Path) -> tuple[list[tuple], list[tuple], list[tuple], int | None]:
    """What can still be read from a damaged catalog: (folders, meta, embeddings, how many embeddings
    it held — None when even that cannot be read)."""
    folders: list[tuple] = []
    meta: list[tuple] = []
    embeddings: list[tuple] = []
    expected: int | None = None
    try:
        conn = sqlite3.connect(f"file:{damaged}?mode=ro", uri=True)
    except sqlite3.Error:
        return folders, meta, embeddings, expected
    try:
        for sql, sink in (
            ("SELECT path, state, watch_mode, added_at FROM folders", folders),
            ("SELECT key, value FROM meta", meta),
        ):
            with contextlib.suppress(sqlite3.Error):
                for row in conn.execute(sql):
                    sink.append(tuple(row))
        with contextlib.suppress(sqlite3.Error):
            expected = int(conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0] or 0)
        with contextlib.suppress(sqlite3.Error):
            for row in conn.execute(
                "SELECT content_hash, model_id, vector, created_at FROM embeddings ORDER BY id"
            ):
                embeddings.append(tuple(row))
    finally:
        conn.close()
    return folders, meta, embeddings, expected


def _folders_backup(paths: Paths) -> list[tuple]:
    """The folder list the library keeps beside the catalog (``folders.json``), when the catalog's own
    cannot be read."""
    from photosearch.library.library import FOLDERS_BACKUP

    try:
        rows = json.loads((paths.data_dir / FOLDERS_BACKUP).read_text(encoding="utf-8"))
        return [
            (r["path"], r.get("state", "online"), r.get("watch_mode", "events"), r.get("added_at"))
            for r in rows
            if isinstance(r, dict) and isinstance(r.get("path"), str)
        ]
    except (OSError, ValueError, TypeError, KeyError):
        return []


def _folder_settings(paths: Paths) -> dict[str, tuple[bool, list[str] | None]]:
    """Per folder, the settings ``folders.json`` keeps (reading text on or off, its own exclusions —
    None for the defaults); newer than any backup, so they win."""
    from photosearch.library.library import FOLDERS_BACKUP

    try:
        rows = json.loads((paths.data_dir / FOLDERS_BACKUP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out: dict[str, tuple[bool, list[str] | None]] = {}
    for r in rows if isinstance(rows, list) else []:
        if isinstance(r, dict) and isinstance(r.get("path"), str):
            excl = r.get("exclude")
            ok = isinstance(excl, list) and all(isinstance(x, str) for x in excl)
            out[os.path.normpath(r["path"])] = (r.get("read_text", True) is not False, excl if ok else None)
    return out


def rebuild_catalog(paths: Paths, say: Callable[[str], None] = lambda _m: None) -> str:
    """Rebuild a damaged or missing catalog: start from the newest good backup (``store.backup``) when
    there is one, add what can be salvaged from the damaged file (folders, settings, embeddings) and the
    folder list beside it (``folders.json``), rescan the folders, re-attach the thumbnails on disk. Only
    photos added since the backup (and not salvaged) are embedded again. The caller holds the writer lock.
    Returns what was done, in plain words."""
    from photosearch.doctor.checks import _installed
    from photosearch.library.folders import save_excludes
    from photosearch.library.scan import reconcile_folder
    from photosearch.store.backup import newest_good_backup

    damaged = set_aside_damaged(paths.catalog) if paths.catalog.exists() else None
    if damaged is not None:
        say(f"the damaged catalog is kept at {damaged}")
        folders, meta, embeddings, expected = _salvage(damaged)
    else:
        folders, meta, embeddings, expected = [], [], [], 0
    folders = folders or _folders_backup(paths)
    backup = newest_good_backup(paths.data_dir)
    if backup is not None:
        shutil.copyfile(backup, paths.catalog)
        say(f"restoring the catalog from the backup {backup.name}")
    cat = Catalog(paths.catalog, create=True)
    try:
        with cat.transaction() as c:
            if (
                folders
            ):  # the newest list of folders wins over the backup's (a folder removed since stays removed)
                keep = {os.path.normpath(f[0]) for f in folders}
                for fid, fpath in c.execute("SELECT id, path FROM folders").fetchall():
                    if fpath not in keep:
                        c.execute("DELETE FROM files WHERE folder_id=?", (fid,))
                        c.execute("DELETE FROM folders WHERE id=?", (fid,))
            for path, state, watch_mode, added_at in folders:
                c.execute(
                    "INSERT OR IGNORE INTO folders(path, state, watch_mode, added_at) VALUES (?,?,?,?)",
                    (
                        os.path.normpath(path),
                        state if state in ("online", "offline", "paused") else "online",
                        watch_mode if watch_mode in ("events", "polling") else "events",
                        added_at or time.time(),
                    ),
                )
            for key, value in meta:
                c.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))
            for h, model_id, vector, created in embeddings:
                c.execute(
                    "INSERT OR IGNORE INTO embeddings(content_hash, model_id, vector, created_at) "
                    "VALUES (?,?,?,?)",
                    (h, model_id, vector, created or time.time()),
                )
        if backup is None and paths.index_dir.is_dir():
            # the old index files describe the old ids: remove them (rebuilt from the salvaged embeddings);
            # with a backup, the index it names is checked (and rebuilt if stale) by the next pass
            for p in paths.index_dir.iterdir():
                if p.is_file():
                    with contextlib.suppress(OSError):
                        p.unlink()
        dims = _installed(paths)
        active = cat.get_meta("active_model")
        model_id = active if active in dims else (sorted(dims)[0] if dims else None)
        settings = _folder_settings(paths)
        for f in cat.folders():  # reading text and exclusions, as the person left them
            read_text, excludes = settings.get(f.path, (True, None))
            cat.set_folder_read_text(f.id, read_text)
            if excludes is not None:
                save_excludes(cat, f.path, excludes)
        found = 0
        for f in cat.folders():
            found += reconcile_folder(cat, f, model_id).seen
        thumbs = _reattach_thumbnails(paths, cat)
        counts = cat.counts_by_status()
        n_emb = sum(cat.models_with_embeddings().values())
        n_folders = len(cat.folders())
    finally:
        cat.close()
    what = "damaged" if damaged is not None else "missing"
    msg = f"the catalog was {what}"
    msg += f": kept aside as {damaged.name}" if damaged is not None else ""
    msg += f"; rebuilt from the backup {backup.name}" if backup is not None else "; a fresh catalog was built"
    msg += f" with {n_folders} folders, {n_emb} embeddings"
    if embeddings:
        msg += f" ({len(embeddings)} salvaged from the damaged file)"
    if expected is None:
        msg += " (embeddings that could not be read are lost)"
    elif expected > len(embeddings):
        msg += f" ({expected - len(embeddings)} embeddings could not be read)"
    msg += (
        f" and {thumbs} thumbnails re-attached; rescanning found {found} photos, "
        f"{counts.get('pending', 0)} to index with 'photosearch index'"
    )
    say(msg)
    return msg


def _reattach_thumbnails(paths: Paths, cat: Catalog) -> int:
    """Record the thumbnail files on disk that belong to a photo of the rebuilt catalog (by content hash)
    instead of deleting them as strays."""
    from PIL import Image

    if not paths.thumbs_dir.is_dir():
        return 0
    known = {r[0] for r in cat._q("SELECT DISTINCT content_hash FROM files WHERE content_hash IS NOT NULL")}
    have = {r[0] for r in cat._q("SELECT content_hash FROM thumbnails")}
    n = 0
    with cat.transaction() as c:
        for p in paths.thumbs_dir.glob("*/*.jpg"):
            h = p.name[: -len(".jpg")]
            if p.name.startswith(".") or h not in known or h in have:
                continue
            try:
                with Image.open(p, formats=["JPEG"]) as im:
                    w, hgt = im.size
                c.execute(
                    "INSERT OR REPLACE INTO thumbnails(content_hash, width, height, bytes, created_at) "
                    "VALUES (?,?,?,?,?)",
                    (h, w, hgt, p.stat().st_size, time.time()),
                )
                n += 1
            except (OSError, SyntaxError, ValueError):
                continue
    return n
