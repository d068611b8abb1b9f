"""The watcher's pieces: relevance filter, debounced queue, file-system type, watch budget."""

from __future__ import annotations

from pathlib import Path

import pytest

from photosearch.library.watch import (
    Change,
    ChangeQueue,
    count_dirs,
    filesystem_type,
    is_network_fs,
    relevant_path,
    watch_budget,
)


def test_relevant_path_ignores_hidden_system_and_non_images() -> None:
    root = "/photos"
    assert relevant_path("/photos/a.jpg", root, False)
    assert relevant_path("/photos/2024/b.HEIC", root, False)
    assert not relevant_path("/photos/notes.txt", root, False)
    assert not relevant_path("/photos/.a.jpg", root, False)
    assert not relevant_path("/photos/.thumbnails/a.jpg", root, False)
    assert not relevant_path("/photos/@eaDir/a.jpg", root, False)
    assert not relevant_path("/elsewhere/a.jpg", root, False)
    assert relevant_path("/photos/trip", root, True)
    assert not relevant_path("/photos/.git", root, True)


def test_queue_debounces_bursts() -> None:
    q = ChangeQueue(debounce=0.5, max_delay=2.0)
    q.put(Change("created", "/p/a.jpg", False, 1, at=10.0))
    q.put(Change("closed", "/p/a.jpg", False, 1, at=10.3))
    assert q.take_ready(10.6) == []  # 0.3 s of quiet is not enough
    assert q.due() == pytest.approx(10.8)
    assert len(q.take_ready(10.81)) == 2 and len(q) == 0
    # a never-ending stream is still handed over after max_delay
    for i in range(30):
        q.put(Change("modified", "/p/b.jpg", False, 1, at=20.0 + i * 0.1))
    assert q.take_ready(21.9) == []
    assert len(q.take_ready(22.05)) == 30


def test_filesystem_type_and_network_detection(tmp_path: Path) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "/dev/sda1 / ext4 rw 0 0\nsrv:/x /mnt/nas nfs4 rw 0 0\n//s/p /mnt/my\\040share cifs rw 0 0\n"
        "u@h:/ /mnt/ssh fuse.sshfs rw 0 0\n"
    )
    assert filesystem_type("/home/u/Pictures", str(mounts)) == "ext4"
    assert filesystem_type("/mnt/nas/2024", str(mounts)) == "nfs4"
    assert filesystem_type("/mnt/my share/a", str(mounts)) == "cifs"
    assert filesystem_type("/mnt/ssh", str(mounts)) == "fuse.sshfs"
    assert all(is_network_fs(t) for t in ("nfs", "nfs4", "cifs", "smb3", "fuse.sshfs", "9p"))
    assert not any(is_network_fs(t) for t in ("ext4", "btrfs", "xfs", "tmpfs", None))


def test_watch_budget_and_dir_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "c").mkdir()
    assert count_dirs(str(tmp_path)) == 4
    monkeypatch.setenv("PHOTOSEARCH_MAX_WATCHES", "7")
    assert watch_budget() == 7
    assert watch_budget(3) == 3
