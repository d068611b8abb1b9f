"""Defaults the front ends show in their help and forms (light to import: no model, no index)."""

from __future__ import annotations

from photosearch.search.duplicate_defaults import DEFAULT_MAX_DISTANCE, DEFAULT_THRESHOLD

__all__ = ["DEFAULT_MAX_DISTANCE", "DEFAULT_THRESHOLD"]
