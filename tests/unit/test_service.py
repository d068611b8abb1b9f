"""The indexing service on real folders, a real catalog, a real index and real inotify events."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from photosearch.config import Paths
from photosearch.indexing.service import IndexingService
from photosearch.library.library import Library
from tests.support.photos import disk_images, make_image, make_images
from tests.support.service import Running, catalog_paths, search_first, settle, visible, wait_until

# ---------------------------------------------------------------------------------------------------


def test_start_reconciles_then_new_photo_becomes_searchable(library: Library, tmp_path: Path) -> None:
    pics = tmp_path / "pics"
    make_images(pics, 5)
    library.add_folder(pics)
    with Running(library) as svc:
        settle(svc, library, [pics])
        assert library.runtime().image.calls == 5
        new = make_image(tmp_path / "outside" / "new.jpg")
        shutil.copy(new, pics / "new.jpg")
        took = wait_until(lambda: search_first(library, new) == str(pics / "new.jpg"), 5, "the new photo")
        assert took < 3
        assert svc.encoded == 6
        assert svc.watch_modes()[str(pics)] == ("events", None)


def test_progress_events_report_counts_rate_and_current(library: Library, tmp_path: Path) -> None:
    pics = tmp_path / "pics"
    make_images(pics, 40)
    library.add_folder(pics)
    r = Running(library, batch_size=8)
    with r as svc:
        settle(svc, library, [pics])
    emb = [p for p in r.events if p.phase == "embedding" and p.done]
    assert emb, "no embedding progress"
    last = emb[-1]
    assert last.done == last.total == 40 and last.encoded == 40 and last.errors == 0
    assert last.current and last.current.startswith(str(pics))
    assert any(p.rate > 0 and p.eta is not None for p in emb[:-1])
    assert any(p.phase == "idle" for p in r.events)
    assert r.events[-1].phase == "stopped"


def test_renames_and_moves_of_files_and_directories_need_no_encoder(library: Library, tmp_path: Path) -> None:
    pics = tmp_path / "pics"
    make_images(pics / "a", 4, "a")
    make_images(pics / "b" / "deep", 3, "b")
    make_images(pics, 2, "top")
    library.add_folder(pics)
    with Running(library) as svc:
        settle(svc, library, [pics])
        calls = library.runtime().image.calls
        assert calls == 9
        os.rename(pics / "top000.jpg", pics / "renamed.jpg")  # file rename
        os.rename(pics / "top001.jpg", pics / "a" / "moved.jpg")  # file move between directories
        os.rename(pics / "a", pics / "a2")  # directory rename
        (pics / "x" / "y").mkdir(parents=True)
        os.rename(pics / "b", pics / "x" / "y" / "b")  # directory move
        newdir = pics / "fresh"
        newdir.mkdir()
        os.rename(pics / "a2" / "a000.jpg", newdir / "a000.jpg")  # into a directory too new to be watched yet
        settle(svc, library, [pics])
        assert library.runtime().image.calls == calls, "a move or rename ran the encoder"
        assert str(pics / "renamed.jpg") in catalog_paths(library)
        assert str(pics / "a2" / "moved.jpg") in catalog_paths(library)
        assert str(pics / "x" / "y" / "b" / "deep" / "b002.jpg") in catalog_paths(library)
        assert not any(p.startswith(str(pics / "a") + os.sep) for p in catalog_paths(library))
        moved = pics / "x" / "y" / "b" / "deep" / "b001.jpg"
        assert search_first(library, moved) == str(moved)
        assert svc.stats["moved"] >= 4


def test_moves_into_and_out_of_watched_folders(library: Library, tmp_path: Path) -> None:
    one, two, outside = tmp_path / "one", tmp_path / "two", tmp_path / "outside"
    make_images(one, 3, "o")
    make_images(two, 1, "t")
    outside.mkdir()
    library.add_folder(one)
    library.add_folder(two)
    with Running(library) as svc:
        settle(svc, library, [one, two])
        calls = library.runtime().image.calls
        os.rename(one / "o000.jpg", two / "o000.jpg")  # between two watched folders
        settle(svc, library, [one, two])
        assert library.runtime().image.calls == calls
        row = library.catalog.file_by_path(str(two / "o000.jpg"))
        assert row is not None and row.folder_id == library.catalog.folder_by_path(str(two)).id  # type: ignore[union-attr]
        os.rename(one / "o001.jpg", outside / "o001.jpg")  # out
        settle(svc, library, [one, two])
        assert str(one / "o001.jpg") not in visible(library)
        make_images(outside / "album", 2, "in")
        os.rename(outside / "album", one / "album")  # a whole directory moved in
        settle(svc, library, [one, two])
        assert {str(one / "album" / "in000.jpg"), str(one / "album" / "in001.jpg")} <= visible(library)


def test_deleting_a_folder_of_photos_removes_them_from_results_within_3s(
    library: Library, tmp_path: Path
) -> None:
    pics = tmp_path / "pics"
    doomed = make_images(pics / "trip", 6, "t")
    make_images(pics, 3, "keep")
    library.add_folder(pics)
    with Running(library) as svc:
        settle(svc, library, [pics])
        assert {str(p) for p in doomed} <= visible(library)
        shutil.rmtree(pics / "trip")
        took = wait_until(
            lambda: not ({str(p) for p in doomed} & visible(library)), 3, "deleted photos to vanish"
        )
        assert took < 3
        wait_until(
            lambda: library.catalog.count_embeddings(library.active_model_id() or "") == 3,
            5,
            "unused embeddings to be collected",
        )


def test_offline_root_is_hidden_then_back_without_reembedding(library: Library, tmp_path: Path) -> None:
    pics = tmp_path / "drive"
    make_images(pics, 4)
    library.add_folder(pics)
    with Running(library) as svc:
        settle(svc, library, [pics])
        calls = library.runtime().image.calls
        all_paths = catalog_paths(library)
        os.rename(pics, tmp_path / "unplugged")
        wait_until(lambda: library.catalog.folder_by_path(str(pics)).state == "offline", 5, "offline")  # type: ignore[union-attr]
        assert not (visible(library) & all_paths)
        assert catalog_paths(library) == all_paths, "offline rows must be kept"
        os.rename(tmp_path / "unplugged", pics)
        wait_until(lambda: library.catalog.folder_by_path(str(pics)).state == "online", 5, "online")  # type: ignore[union-attr]
        wait_until(lambda: visible(library) == all_paths, 5, "photos to come back")
        assert library.runtime().image.calls == calls
        # and it is watched again
        make_image(pics / "after.jpg")
        wait_until(lambda: str(pics / "after.jpg") in visible(library), 5, "a photo added after coming back")
        assert svc.watch_modes()[str(pics)][0] == "events"


def test_file_being_written_is_registered_only_when_stable(library: Library, tmp_path: Path) -> None:
    pics = tmp_path / "pics"
    pics.mkdir()
    library.add_folder(pics)
    src = make_image(tmp_path / "src.png", size=(256, 256))
    data = src.read_bytes()
    target = pics / "slow.png"
    with Running(library, debounce=0.3) as svc:
        svc.wait_idle(10)
        chunks = [data[i : i + len(data) // 4 + 1] for i in range(0, len(data), len(data) // 4 + 1)]
        with open(target, "wb") as f:
            written = 0
            for chunk in chunks[:-1]:
                f.write(chunk)
                f.flush()
                written += len(chunk)
                wait_until(
                    lambda w=written: svc._observed.get(str(target), (0, 0, 0))[0] == w,
                    5,
                    "the service to see the partial file",
                )
                assert library.catalog.file_by_path(str(target)) is None
            f.write(chunks[-1])
        wait_until(
            lambda: (r := library.catalog.file_by_path(str(target))) is not None and r.status == "indexed",
            5,
            "the finished file",
        )
        assert library.catalog.file_by_path(str(target)).size == len(data)  # type: ignore[union-attr]
        assert svc.stats["retries"] >= 1
        assert library.runtime().image.calls == 1


def test_irrelevant_files_are_ignored(library: Library, tmp_path: Path) -> None:
    pics = tmp_path / "pics"
    pics.mkdir()
    library.add_folder(pics)
    with Running(library) as svc:
        svc.wait_idle(10)
        before = svc.queue.total
        (pics / "notes.txt").write_text("x")
        make_image(pics / ".hidden.jpg")
        make_image(pics / ".cache" / "c.jpg")
        make_image(pics / "real.jpg")
        wait_until(lambda: str(pics / "real.jpg") in catalog_paths(library), 5, "the real photo")
        assert catalog_paths(library, None) == {str(pics / "real.jpg")}
        # only the real photo's events were queued (created, modified, closed …), not the others'
        assert svc.queue.total - before <= 4


def test_polling_fallback_when_the_watch_limit_is_reached(library: Library, tmp_path: Path) -> None:
    small, big = tmp_path / "small", tmp_path / "big"
    make_images(small, 1)
    for i in range(4):
        make_images(big / f"d{i}", 1, f"d{i}")
    library.add_folder(small)
    library.add_folder(big)
    with Running(library, max_watches=2, poll_interval=0.5) as svc:
        settle(svc, library, [small, big])
        modes = svc.watch_modes()
        assert modes[str(small)][0] == "events"
        assert modes[str(big)][0] == "polling" and "limit" in (modes[str(big)][1] or "")
        row = library.catalog.folder_by_path(str(big))
        assert row is not None and row.watch_mode == "polling" and row.watch_note
        new = make_image(big / "d2" / "late.jpg")
        took = wait_until(lambda: str(new) in visible(library), 5, "a change in the polled folder")
        assert took <= 0.5 + 2.0
        os.remove(big / "d0" / "d0000.jpg")
        os.rename(big / "d1" / "d1000.jpg", big / "d3" / "moved.jpg")
        calls = library.runtime().image.calls
        settle(svc, library, [small, big])
        assert library.runtime().image.calls == calls


def test_new_subfolders_beyond_the_limit_switch_to_polling(library: Library, tmp_path: Path) -> None:
    pics = tmp_path / "pics"
    make_images(pics, 1)
    library.add_folder(pics)
    with Running(library, max_watches=3, poll_interval=0.5) as svc:
        settle(svc, library, [pics])
        assert svc.watch_modes()[str(pics)][0] == "events"
        for i in range(4):
            (pics / f"new{i}").mkdir()
        wait_until(lambda: svc.watch_modes()[str(pics)][0] == "polling", 5, "the switch to polling")
        make_image(pics / "new3" / "x.jpg")
        settle(svc, library, [pics])


def test_network_share_is_polled(library: Library, tmp_path: Path) -> None:
    share = tmp_path / "share"
    make_images(share, 2)
    mounts = tmp_path / "mounts"
    mounts.write_text(f"/dev/sda1 / ext4 rw 0 0\nserver:/photos {share} nfs4 rw 0 0\n")
    library.add_folder(share)
    with Running(library, mounts_file=str(mounts), poll_interval=0.5) as svc:
        settle(svc, library, [share])
        mode, note = svc.watch_modes()[str(share)]
        assert mode == "polling" and "nfs4" in (note or "")
        make_image(share / "new.jpg")
        settle(svc, library, [share])


def test_pause_resume_cancel(library: Library, tmp_path: Path) -> None:
    pics = tmp_path / "pics"
    make_images(pics, 30)
    library.add_folder(pics)
    r = Running(library, batch_size=4)
    svc = r.svc
    svc.pause()
    with r:
        wait_until(lambda: library.catalog.counts_by_status()["pending"] == 30 and svc.idle, 10, "the scan")
        assert library.runtime().image.calls == 0
        assert svc.wait_idle(1)
        svc.resume()
        wait_until(lambda: library.runtime().image.calls >= 4, 10, "embedding to start")
        svc.cancel_current()
        assert svc.wait_idle(10)
        left = library.catalog.counts_by_status()["pending"]
        assert 0 < left < 30, "cancel should stop the run between batches"
        calls = library.runtime().image.calls
        make_image(pics / "new.jpg")  # new changes are still handled after a cancel
        wait_until(lambda: str(pics / "new.jpg") in catalog_paths(library), 5, "a new photo after cancel")
        assert library.catalog.counts_by_status()["pending"] == left
        assert library.runtime().image.calls == calls + 1
        svc.request_scan()  # brings the cancelled work back
        settle(svc, library, [pics])
        assert library.runtime().image.calls == 31


def test_new_photos_are_embedded_before_reembeds(library: Library, tmp_path: Path) -> None:
    pics = tmp_path / "pics"
    old = make_images(pics, 3, "old")
    library.add_folder(pics)
    r = Running(library, batch_size=1)
    with r as svc:
        settle(svc, library, [pics])
        svc.pause()
        make_image(old[0], seed=1)  # changed content → re-embed
        make_image(old[1], seed=2)
        make_image(pics / "zz-new.jpg")
        wait_until(lambda: library.catalog.counts_by_status()["pending"] == 3, 5, "three pending")
        r.events.clear()
        svc.resume()
        settle(svc, library, [pics])
    order = [p.current for p in r.events if p.phase == "embedding" and p.current]
    assert order[0] == str(pics / "zz-new.jpg"), order


def test_worker_runs_at_lower_priority_and_onnx_threads_inherit_it(library: Library, tmp_path: Path) -> None:
    pics = tmp_path / "pics"
    make_images(pics, 2)
    library.add_folder(pics)

    def nice_of(tid: int) -> int | None:
        try:
            fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # the thread ended between listing and reading (e.g. an idle watcher)
            return None
        return int(fields[16])  # field 19 of stat, counted after the comm field

    main_nice = os.getpriority(os.PRIO_PROCESS, 0)
    with Running(library) as svc:
        settle(svc, library, [pics])
        assert svc.worker_nice == min(19, main_nice + 10)
        assert svc._thread is not None and nice_of(svc._thread.native_id or 0) == svc.worker_nice
        python_tids = {t.native_id for t in threading.enumerate()}
        low = {int(t) for t in os.listdir("/proc/self/task") if nice_of(int(t)) == svc.worker_nice}
        ort_threads = low - python_tids
        if (library.settings.intra_op_threads or 1) > 1:
            assert ort_threads, "ONNX Runtime's pool threads should inherit the worker's priority"


def test_stop_joins_observers_and_worker(library: Library, tmp_path: Path) -> None:
    pics = tmp_path / "pics"
    make_images(pics, 1)
    library.add_folder(pics)
    before = set(threading.enumerate())
    svc = IndexingService(library, debounce=0.1)
    svc.start()
    assert svc.wait_idle(10)
    svc.stop()
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not left, [t.name for t in left]
    assert not svc.running


def test_service_refuses_a_read_only_library(tiny_model: Path, data_dir: Path) -> None:
    from photosearch.errors import PhotoSearchError

    paths = Paths.resolve(data_dir)
    paths.ensure()
    with Library(paths) as lib, pytest.raises(PhotoSearchError):
        IndexingService(lib)


def test_folder_verbs_tell_a_running_service(library: Library, tmp_path: Path) -> None:
    """The application layer's folder verbs change the library and tell the running service, which then
    watches, scans or forgets the folder (the service owns no user verbs)."""
    from photosearch.app import folders

    a = tmp_path / "a"
    make_images(a, 2)
    b = tmp_path / "b"
    make_images(b, 3)
    library.add_folder(a)
    r = Running(library)
    with r as svc:
        settle(svc, library, [a])
        folders.add_folder(library, b, svc)
        settle(svc, library, [a, b])
        assert str(b) in svc.watch_modes()
        n = r.changes
        folders.remove_folder(library, b, svc)
        wait_until(
            lambda: str(b) not in svc.watch_modes() and not (visible(library) & disk_images(b)),
            5,
            "folder removal",
        )
        assert r.changes > n
        folders.set_folder_paused(library, a, True, svc)
        wait_until(lambda: str(a) not in svc.watch_modes(), 5, "paused folder unwatched")
        folders.set_folder_paused(library, a, False, svc)
        wait_until(lambda: str(a) in svc.watch_modes(), 5, "resumed folder watched")
