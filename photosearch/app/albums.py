"""Albums taught by example, as user verbs: save one from liked/disliked library photos, list them with their
member counts, list (export) one's members, delete one. The work is :mod:`photosearch.search.albums`."""

from __future__ import annotations

import os
from collections.abc import Sequence

from photosearch.errors import QueryError
from photosearch.library.library import Library
from photosearch.search import albums as albums_mod
from photosearch.search.albums import AlbumSummary
from photosearch.search.engine import SearchEngine, SearchResponse

__all__ = ["AlbumSummary", "album_members", "delete_album", "list_albums", "save_album"]


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
    eng = _engine(lib)
    albums_mod.save(eng, name, liked, disliked)
    resp = albums_mod.members(eng, name)
    info = resp.extra["album"]
    return AlbumSummary(name.strip(), int(info["liked"]), int(info["disliked"]), len(resp.results))


def list_albums(lib: Library) -> list[AlbumSummary]:
    return albums_mod.summaries(_engine(lib))


def album_members(lib: Library, name: str, k: int | None = None) -> SearchResponse:
    return albums_mod.members(_engine(lib), name, k)


def delete_album(lib: Library, name: str) -> None:
    albums_mod.delete(_engine(lib), name)
