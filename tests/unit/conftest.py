"""Fixtures the unit tests share (the helpers themselves live in tests/support/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from photosearch.library.library import Library
from tests.support.service import library_fixture


@pytest.fixture
def library(tiny_model: Path, data_dir: Path) -> Iterator[Library]:
    """A writable library with the tiny test model installed."""
    yield from library_fixture(tiny_model, data_dir)
