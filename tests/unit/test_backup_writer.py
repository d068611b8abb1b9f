"""A backup made while this process writes the catalog: the writer's automatic checkpoints are off while the
copy holds its snapshot (so no commit of the writer's checkpoints the WAL that grew meanwhile), the backup's
own connection checkpoints that backlog, and the writer's setting comes back afterwards."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from photosearch.store import backup
from photosearch.store.catalog import Catalog


def _autocheckpoint(cat: Catalog) -> int:
    return int(cat._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])


def test_the_writer_does_not_checkpoint_while_a_backup_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "catalog.sqlite3"
    rng = np.random.default_rng(0)
    seen: dict[str, int] = {}
    real_copy = backup._copy
    with Catalog(path, create=True) as cat:
        before = _autocheckpoint(cat)

        def copy(src: Path, tmp: Path) -> bool:
            seen["during"] = _autocheckpoint(cat)
            # the writer goes on while a reader holds an older snapshot, as it does during the copy
            reader = sqlite3.connect(str(path))
            reader.execute("BEGIN")
            reader.execute("SELECT COUNT(*) FROM embeddings").fetchone()
            for i in range(1500):  # > 1000 WAL pages: past the automatic checkpoint's threshold
                with cat.transaction():
                    cat.put_embedding(f"{i:032x}", "model", rng.standard_normal(1024).astype("<f4"))
            seen["wal_pages"] = int(
                cat._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
            )  # how big it grew (this checkpoint stops at the reader's snapshot)
            reader.rollback()
            reader.close()
            seen["db_bytes"] = path.stat().st_size  # nothing checkpointed into the file yet
            return real_copy(src, tmp)

        monkeypatch.setattr(backup, "_copy", copy)
        made = backup.backup_catalog(path, tmp_path, writer=cat)
        assert seen["during"] == 0 and seen["wal_pages"] > 1000
        assert _autocheckpoint(cat) == before > 0
        # the backlog is in the database file before the writer's next commit: the backup checkpointed it
        assert path.stat().st_size >= seen["db_bytes"] + 1500 * 4096
    with sqlite3.connect(f"file:{made}?mode=ro", uri=True) as c:
        assert c.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        assert c.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0] == 1500


def test_a_backup_without_a_writer_in_this_process(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    with Catalog(path, create=True) as cat:
        cat.add_folder("/photos")
    made = backup.backup_catalog(path, tmp_path)
    with sqlite3.connect(f"file:{made}?mode=ro", uri=True) as c:
        assert c.execute("SELECT COUNT(*) FROM folders").fetchone()[0] == 1
