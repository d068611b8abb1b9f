"""A photo changed on disk between the scan (which hashed it) and its decode (an editor saving a rotation, a
sync tool replacing it, during a long index): its new pixels must not be stored as the embedding and the
thumbnail of the content the scan hashed. Before, they were: a copy of the old content elsewhere in the
library (a backup beside the original) then showed the edited picture's thumbnail and was found by what
the edited picture shows, for good (an embedding, once stored, is never recomputed)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from photosearch.config import Paths
from photosearch.indexing import pipeline
from photosearch.indexing.pipeline import Indexer
from photosearch.library.library import Library
from tests.reliability._util import install_model, make_photos


def test_a_photo_changed_before_its_decode_is_left_for_the_next_scan(
    tmp_path: Path, data_dir: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_model(data_dir, tiny_model)
    folder = tmp_path / "photos"
    make_photos(folder, 4)
    original = make_photos(tmp_path / "src", 1, seed=21, size=(200, 150))[0]
    edited = make_photos(tmp_path / "src2", 1, seed=22, size=(200, 150))[0]
    target = folder / "edited_during_index.jpg"
    backup = folder / "backup" / "edited_during_index.jpg"
    shutil.copy(original, target)
    backup.parent.mkdir()
    shutil.copy(original, backup)

    real_prepare = pipeline.prepare
    changed = []

    def prepare_after_an_edit(file, pre, thumbs):  # type: ignore[no-untyped-def]
        if file.path == str(target) and not changed:  # the editor saves while the scan's hash is waiting
            shutil.copy(edited, target)
            later = time.time_ns() + 2_000_000_000
            os.utime(target, ns=(later, later))
            changed.append(file.path)
        return real_prepare(file, pre, thumbs)

    monkeypatch.setattr(pipeline, "prepare", prepare_after_an_edit)
    paths = Paths.resolve(data_dir)
    with Library(paths, write=True) as lib:
        lib.set_active_model(lib.installed_models()[0].id)
        lib.add_folder(folder)
        list(Indexer(lib, batch_size=2).run())
        assert changed
        cat = lib.catalog
        row = cat.file_by_path(str(target))
        assert row is not None and row.status == "pending", row  # hashed again, left for the next batch
        assert row.content_hash != cat.file_by_path(str(backup)).content_hash  # type: ignore[union-attr]
        model = lib.active_model_id()
        assert model is not None

        list(Indexer(lib, batch_size=2).run())  # the next run: the change is seen, hashed and embedded
        t, b = cat.file_by_path(str(target)), cat.file_by_path(str(backup))
        assert t is not None and b is not None and t.status == b.status == "indexed"
        assert t.content_hash != b.content_hash
        vt, vb = cat.embedding_for_hash(t.content_hash, model), cat.embedding_for_hash(b.content_hash, model)
        assert vt is not None and vb is not None
        assert not np.allclose(vt, vb), "the backup's embedding is the edited photo's"
        # the backup's embedding is its own content's: the original's (the decode path may differ slightly)
        rt = lib.runtime(model)
        pre = rt.preprocessor
        img = pre.decode_fast(str(original), min_short_side=pre.draft_short_side).image
        fresh = rt.image.encode_tensors(np.stack([pre.to_tensor(img)]))[0]
        assert float(vb @ fresh) > 0.99 and float(vb @ fresh) > float(vt @ fresh) + 0.01
