"""Albums taught by example, as user verbs: save one from liked/disliked library photos, list them with their
member counts, list (export) one's members, delete one. The work is :mod:`photosearch.search.albums`.

An album's name is one line of text, the same rule for every front end (:func:`album_name`): line breaks, tabs and
other control characters count as spaces, runs of spaces become one, the ends are trimmed — as a name field
pasted into elsewhere would behave; a name with nothing left is refused ("an album needs a name"). An album
stored before this rule (a line break in its name) is found, shown and listed under its one-line name.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Sequence
from dataclasses import replace

from photosearch.errors import QueryError
from photosearch.library.library import Library
from photosearch.search import albums as albums_mod
from photosearch.search.albums import AlbumSummary
from photosearch.search.engine import SearchEngine, SearchResponse
from photosearch.store import catalog_albums

__all__ = ["AlbumSummary", "album_members", "album_name", "delete_album", "list_albums", "save_album"]


def _one_line(name: str) -> str:
    spaced = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in name)
    return " ".join(spaced.split())


def album_name(name: str) -> str:
    """``name`` as an album's name: one line (control characters and line breaks become spaces, runs of
    whitespace one space, the ends trimmed); QueryError when nothing is left."""
    clean = _one_line(name)
    if not clean:
        raise QueryError("an album needs a name")
    return clean


def _stored(lib: Library, name: str) -> str:
    """The stored name of the album called ``name`` (its one-line form; one saved before the rule may hold a line
    break), or the one-line name when there is no such album yet."""
    clean = album_name(name)
    found = [a.name for a in catalog_albums.albums(lib.catalog) if _one_line(a.name) == clean]
    return clean if clean in found or not found else found[0]


def _engine(lib: Library) -> SearchEngine:
    """An engine over the stored vectors only: albums need no text model."""
    rt = lib.runtime()
    return SearchEngine(lib.catalog, rt, lib.vector_index(rt.id))


def _content(lib: Library, path: str) -> str:
    """What a photo is, for comparing examples: its content hash (copies are one photo), else its real path."""
    real = os.path.realpath(path)
    row = lib.catalog.file_by_path(real)
    return row.content_hash if row is not None and row.content_hash else real


def save_album(lib: Library, name: str, liked: Sequence[str], disliked: Sequence[str] = ()) -> AlbumSummary:
    both = {_content(lib, p) for p in liked} & {_content(lib, p) for p in disliked}
    if both:
        which = next(p for p in disliked if _content(lib, p) in both)
        raise QueryError(
            f"a photo can't both belong in the album and not: {which} (given to --like and --unlike)"
        )
    stored = _stored(lib, name)
    eng = _engine(lib)
    albums_mod.save(eng, stored, liked, disliked)
    resp = albums_mod.members(eng, stored)
    info = resp.extra["album"]
    return AlbumSummary(_one_line(stored), int(info["liked"]), int(info["disliked"]), len(resp.results))


def list_albums(lib: Library) -> list[AlbumSummary]:
    return [replace(a, name=_one_line(a.name)) for a in albums_mod.summaries(_engine(lib))]


def album_members(lib: Library, name: str, k: int | None = None) -> SearchResponse:
    return albums_mod.members(_engine(lib), _stored(lib, name), k)


def delete_album(lib: Library, name: str) -> str:
    """Delete album ``name``; its name as listed."""
    stored = _stored(lib, name)
    albums_mod.delete(_engine(lib), stored)
    return _one_line(stored)
