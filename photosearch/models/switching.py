"""Moved to :mod:`photosearch.indexing.switching` (model switching runs the indexing pipeline: a service).

Kept only while ``photosearch/indexing/pipeline.py`` (Indexer.run) and ``cli.cmd_models`` still import it from
here; it is the one upward import (models -> indexing) the layer contract reports. Delete it when they
import ``photosearch.indexing.switching``.
"""

from __future__ import annotations

from photosearch.indexing.switching import (
    TARGET_MODEL_KEY,
    begin_switch,
    cancel_switch,
    continue_switch,
    files_missing_embedding,
    switch_target,
)

__all__ = [
    "TARGET_MODEL_KEY",
    "begin_switch",
    "cancel_switch",
    "continue_switch",
    "files_missing_embedding",
    "switch_target",
]
