"""Fixtures the unit tests share (the helpers themselves live in tests/support/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from photosearch.library.library import Library
from photosearch.models import machine, runtime_settings
from tests.support.service import library_fixture


@pytest.fixture
def library(tiny_model: Path, data_dir: Path) -> Iterator[Library]:
    """A writable library with the tiny test model installed."""
    yield from library_fixture(tiny_model, data_dir)


#: A CPU with AVX-512 VNNI and no bf16 units (an AMD Zen 4 without OpenVINO): the first index makes, and then
#: runs, the int8 image tower.
ZEN4 = machine.MachineFacts(
    cpu_model="test CPU",
    flags=frozenset({"avx2", "avx512f", "avx512_vnni"}),
    cores=2,
    providers=(machine.CPU_PROVIDER,),
    openvino_installed=False,
    arch="x86_64",
)


@pytest.fixture
def ordinary_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """This machine taken for :data:`ZEN4` (the image backend chosen automatically)."""
    monkeypatch.setenv("PHOTOSEARCH_IMAGE_BACKEND", "auto")
    monkeypatch.setattr(machine.MachineFacts, "probe", classmethod(lambda cls: ZEN4))
    monkeypatch.setattr(runtime_settings, "_cpu_flags", lambda: {f.encode() for f in ZEN4.flags})
