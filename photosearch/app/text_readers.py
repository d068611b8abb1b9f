"""Text readers (text-recognition models) as the person sees and chooses them: the bundled PP-OCRv6 one and
those added with ``photosearch models import FOLDER --script …`` (``photosearch.models.text_reader_pkg``).
Re-exported by ``photosearch.app.models``, where the model verbs are."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from photosearch.config import Paths
from photosearch.library.library import Library
from photosearch.models.text_reader_pkg import (
    BUNDLED_ID,
    BUNDLED_NAME,
    BUNDLED_SCRIPTS,
    TextReaderPackage,
    choose,
    chosen,
    installed_text_readers,
    is_installed,
    load_text_reader,
)
from photosearch.paths import disk_size


@dataclass(frozen=True)
class TextReaderRow:
    """A text-recognition model (the bundled one, or one added with ``models import``)."""

    id: str
    name: str
    scripts: tuple[str, ...]
    licence: str
    chosen: bool  # the text pass reads with it
    bundled: bool = False
    size_on_disk: int | None = None
    published: str | None = None  # the RapidOCR model its file matches, when it does

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["scripts"] = list(self.scripts)
        return d


def text_reader_rows(paths: Paths, lib: Library | None) -> tuple[TextReaderRow, ...]:
    in_use = (chosen(lib.catalog) if lib is not None else None) or BUNDLED_ID
    rows = [
        TextReaderRow(BUNDLED_ID, BUNDLED_NAME, BUNDLED_SCRIPTS, "Apache-2.0", in_use == BUNDLED_ID, True)
    ]
    for pkg in installed_text_readers(paths.models_dir):
        m = pkg.manifest
        rows.append(
            TextReaderRow(
                m.id,
                m.name,
                m.scripts,
                m.licence,
                in_use == m.id,
                size_on_disk=disk_size(pkg.root),
                published=m.extra.get("rapidocr_model"),
            )
        )
    return tuple(rows)


def is_text_reader(paths: Paths, model_id: str) -> bool:
    """``model_id`` names a text reader (the bundled one or an added one), not a search model."""
    return is_installed(paths.models_dir, model_id)


def use_text_reader(lib: Library, reader_id: str) -> TextReaderPackage | None:
    """Make the text pass read with ``reader_id`` (its files checked now); the bundled one: None. Photos
    already read keep their text."""
    if reader_id == BUNDLED_ID:
        choose(lib.catalog, None)
        return None
    pkg = load_text_reader(lib.paths.models_dir, reader_id)
    choose(lib.catalog, reader_id)
    return pkg
