"""The search index saved past a file-size limit: hnswlib reports no write error, the short file is caught
(``VectorIndex.save``) and reported as a full disk — with a limit set and room on the disk, the words say
it is the limit (the catalog's own writes say so too: tests/reliability/test_file_size_limit.py)."""

from __future__ import annotations

import errno
import resource
from pathlib import Path

import numpy as np
import pytest

from photosearch.errors import DiskFull
from photosearch.library.library import data_dir_error
from photosearch.store.catalog import Catalog
from photosearch.store.vectors import VectorIndex


def test_an_index_saved_past_a_file_size_limit_says_so(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    vi = VectorIndex(data / "index", "m", 64)
    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((4000, 64)).astype(np.float32)
    vi.add(np.arange(1, 4001, dtype=np.int64), vecs / np.linalg.norm(vecs, axis=1, keepdims=True))
    with Catalog(data / "catalog.sqlite3") as cat:
        cat.set_meta("warm", "x")  # the catalog is made before the limit
        before = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (400_000, before[1]))  # the index file is ~1.4 MB
        try:
            with pytest.raises(OSError) as raised:
                vi.save(cat)
            err = data_dir_error(data, raised.value)  # worded in the process that has the limit
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, before)
    assert isinstance(err, DiskFull), err
    assert "a file-size limit is set (400 kB" in str(err), err
    assert not list((data / "index").glob("*.tmp")), "the short file is removed"


def test_without_a_limit_a_full_disk_is_a_full_disk(tmp_path: Path) -> None:
    err = data_dir_error(tmp_path, OSError(errno.ENOSPC, "No space left on device"))
    assert isinstance(err, DiskFull) and "is full" in str(err) and "file-size limit" not in str(err)
