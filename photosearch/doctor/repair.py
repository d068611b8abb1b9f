"""The repairs of ``photosearch doctor``: check, repair what can be repaired, check again."""

from __future__ import annotations

import contextlib
import logging
import shutil
from collections.abc import Callable

from photosearch.config import Paths
from photosearch.doctor.checks import DoctorReport, _index_problem, _installed, check
from photosearch.store.lock import WriterLock
from photosearch.store.vectors import VectorIndex

log = logging.getLogger(__name__)


def run(
    paths: Paths, *, repair: bool = False, full: bool = False, on_message: Callable[[str], None] | None = None
) -> DoctorReport:
    """Check; with ``repair``, repair what can be repaired and check again."""
    first = check(paths, full=full)
    if not repair or not any(f.repairable for f in first.findings):
        return first
    repairs = _repair(paths, first, on_message or (lambda _m: None))
    after = check(paths, full=full)
    if any(f.check == "catalog" for f in first.findings if f.repairable) and any(
        f.repairable for f in after.findings
    ):  # the rebuilt catalog: now the rest (index, leftovers)
        repairs += _repair(paths, after, on_message or (lambda _m: None))
        after = check(paths, full=full)
    after.repairs = repairs
    after.before = first.findings
    return after


def _repair(paths: Paths, report: DoctorReport, say: Callable[[str], None]) -> list[str]:
    from photosearch.library.library import Library

    done: list[str] = []
    kinds = {f.check for f in report.findings if f.repairable}
    if "catalog" in kinds:
        from photosearch.rebuild import rebuild_catalog

        lock = WriterLock(paths.lock_file, "photosearch doctor --repair").acquire()
        try:
            done.append(rebuild_catalog(paths, say))
        finally:
            lock.release()
        return done  # everything else is checked again on the fresh catalog
    if "leftovers" in kinds:
        for d in paths.models_dir.glob(".*-*") if paths.models_dir.is_dir() else []:
            if d.is_dir() and d.name.startswith((".incoming-", ".old-", ".removing-")):
                shutil.rmtree(d, ignore_errors=True)
                done.append(f"removed the leftover model folder {d.name}")
    with Library(paths, write=True, purpose="photosearch doctor --repair") as lib:
        cat = lib.catalog
        bad_models = [
            f.model_id for f in report.findings if f.check == "embeddings" and f.repairable and f.model_id
        ]
        dims = _installed(paths)
        for model_id in bad_models:
            dim = dims[model_id]
            with cat.transaction() as c:
                hashes = [
                    r[0]
                    for r in c.execute(
                        "SELECT content_hash FROM embeddings WHERE model_id=? AND length(vector)!=?",
                        (model_id, 4 * dim),
                    )
                ]
                c.execute(
                    "DELETE FROM embeddings WHERE model_id=? AND length(vector)!=?", (model_id, 4 * dim)
                )
                for h in hashes:
                    c.execute("UPDATE files SET status='pending', error=NULL WHERE content_hash=?", (h,))
                c.execute("DELETE FROM vector_indexes WHERE model_id=?", (model_id,))
            done.append(
                f"removed {len(hashes)} damaged embeddings of {model_id}; those photos are indexed again "
                "by 'photosearch index'"
            )
        if "orphans" in kinds:
            orphans = cat.orphan_embeddings()
            if orphans:
                cat.delete_embeddings([i for i, _ in orphans])
                done.append(f"removed {len(orphans)} orphaned embeddings")
            n = lib.thumbs.clean_orphans(cat)
            if n:
                done.append(f"removed {n} orphaned thumbnails")
        for model_id in sorted(
            {f.model_id for f in report.findings if f.check == "index" and f.model_id}
            | set(bad_models)
            | ({m for m in dims if cat.count_embeddings(m)} if "orphans" in kinds else set())
        ):
            if model_id not in dims:
                continue
            problem = _index_problem(paths, cat, model_id, dims[model_id])
            if problem is not None:
                cat.clear_index_meta(model_id)
            vi = VectorIndex.open(cat, paths.index_dir, model_id, dims[model_id], writer=True)
            if vi.dirty or problem is not None:
                vi.save(cat)
            if problem is not None:
                done.append(
                    f"rebuilt the vector index of {model_id} from {cat.count_embeddings(model_id)} stored "
                    f"embeddings ({problem})"
                )
        if "thumbnails" in kinds:
            rows = [r[0] for r in cat._q("SELECT content_hash FROM thumbnails")]
            missing = [h for h in rows if not lib.thumbs.path_for(h).is_file()]
            if missing:
                cat.delete_thumbnails(missing)
                done.append(
                    f"forgot {len(missing)} thumbnails whose files were missing (made again when shown)"
                )
            known = {
                r[0] for r in cat._q("SELECT DISTINCT content_hash FROM files WHERE content_hash IS NOT NULL")
            }
            stray = 0
            for p in paths.thumbs_dir.glob("*/*") if paths.thumbs_dir.is_dir() else []:
                if p.name.startswith(".") or p.name.split(".")[0] not in known:
                    with contextlib.suppress(OSError):
                        p.unlink()
                        stray += 1
            if stray:
                done.append(f"removed {stray} stray thumbnail files")
        if "leftovers" in kinds and paths.index_dir.is_dir():
            named = {r[0] for r in cat._q("SELECT file FROM vector_indexes")}
            for p in paths.index_dir.iterdir():
                if p.is_file() and p.name not in named:
                    with contextlib.suppress(OSError):
                        p.unlink()
                        done.append(f"removed the leftover index file {p.name}")
    for line in done:
        say(line)
    return done
