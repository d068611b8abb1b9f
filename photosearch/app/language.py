"""The query language (for models whose text tower wants it, e.g. NLLB-CLIP's FLORES-200 code): the person's
saved choice, a per-command override, else the locale. Kept apart from the model verbs so that a search never
imports the download and install machinery."""

from __future__ import annotations

import json

from photosearch.config import Paths
from photosearch.models.tokenize import query_language, set_query_language

LANGUAGE_FILE = "query_language.json"


def saved_query_language(paths: Paths) -> str | None:
    try:
        data = json.loads((paths.data_dir / LANGUAGE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    lang = data.get("language") if isinstance(data, dict) else None
    return str(lang) if lang else None


def choose_query_language(paths: Paths, language: str | None) -> str:
    """Remember the person's query language (None: follow the locale) and use it now. Returns the code."""
    p = paths.data_dir / LANGUAGE_FILE
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps({"language": language}) + "\n", encoding="utf-8")
    tmp.replace(p)
    set_query_language(language)
    return query_language()


def apply_query_language(paths: Paths, override: str | None = None) -> str:
    """At start (or per command): ``override`` (CLI ``--lang``), else the saved choice, else the locale."""
    set_query_language(override or saved_query_language(paths))
    return query_language()
