"""The checks of ``photosearch doctor`` (the package docstring says what each looks at)."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

from photosearch.config import Paths
from photosearch.errors import CatalogCorrupt, PhotoSearchError
from photosearch.store.catalog import Catalog
from photosearch.store.lock import WriterLock
from photosearch.store.vectors import index_file_problem

log = logging.getLogger(__name__)

SEVERITIES = ("error", "warning", "info")


@dataclass
class Finding:
    check: str  # catalog | embeddings | index | orphans | thumbnails | models | leftovers | files | writer
    severity: str  # error | warning | info
    message: str
    repairable: bool = False
    model_id: str | None = None
    count: int = 0


@dataclass
class DoctorReport:
    data_dir: str
    findings: list[Finding] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)  # what --repair did, in plain words
    before: list[Finding] = field(default_factory=list)  # findings before repairing (with --repair)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def clean(self) -> bool:
        return not self.errors

    def to_json(self) -> dict:
        return {
            "data_dir": self.data_dir,
            "clean": self.clean,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "findings": [asdict(f) for f in self.findings],
            "repairs": self.repairs,
            "before": [asdict(f) for f in self.before],
        }


# ---------------------------------------------------------------------------------------------------
# checks


def check(paths: Paths, *, full: bool = False) -> DoctorReport:
    """Look, change nothing. ``full``: SQLite ``integrity_check`` and model checksums (slower)."""
    report = DoctorReport(str(paths.data_dir))
    out = report.findings
    if WriterLock(paths.lock_file).is_locked_elsewhere():
        holder = WriterLock(paths.lock_file).holder() or {}
        out.append(
            Finding(
                "writer",
                "info",
                f"another process is writing this library (pid {holder.get('pid')}, "
                f"'{holder.get('purpose')}'); results may change while it runs",
            )
        )
    _check_models(paths, out, full)
    if not paths.catalog.exists():
        if (paths.data_dir / Catalog.FOLDERS_FILE).is_file():
            out.append(Finding("catalog", "error", Catalog.MISSING, repairable=True))
        else:
            out.append(Finding("catalog", "info", "no catalog yet (add a folder and index it)"))
        return report
    try:
        cat = Catalog(paths.catalog)
    except CatalogCorrupt as e:
        out.append(Finding("catalog", "error", str(e), repairable=True))
        return report
    except PhotoSearchError as e:
        out.append(Finding("catalog", "error", f"cannot open the catalog: {e}"))
        return report
    try:
        try:
            problems = cat.integrity_check(quick=not full)
        except PhotoSearchError as e:
            problems = [str(e)]
        if problems:
            out.append(
                Finding(
                    "catalog",
                    "error",
                    f"the catalog fails its integrity check: {'; '.join(problems[:3])}",
                    repairable=True,
                    count=len(problems),
                )
            )
            return report
        _check_embeddings(paths, cat, out)
        _check_indexes(paths, cat, out)
        _check_orphans(cat, out)
        _check_thumbnails(paths, cat, out)
        _check_files(paths, cat, out)
    finally:
        cat.close()
    return report


def _installed(paths: Paths) -> dict[str, int]:
    """model id → embedding dimension, for the installed packages that load."""
    from photosearch.models.manifest import load_package, package_dirs

    out: dict[str, int] = {}
    for d in package_dirs(paths.models_dir):
        with contextlib.suppress(PhotoSearchError, OSError):
            pkg = load_package(d, verify="none")
            out[pkg.id] = int(pkg.manifest.embedding_dim)
    return out


def _check_models(paths: Paths, out: list[Finding], full: bool) -> None:
    from photosearch.models.manifest import load_package

    if not paths.models_dir.is_dir():
        return
    for d in sorted(paths.models_dir.iterdir()):
        if not d.is_dir():
            continue
        if d.name.startswith((".incoming-", ".old-", ".removing-")):
            out.append(
                Finding(
                    "leftovers",
                    "warning",
                    f"leftover of an interrupted model install or removal: {d.name}",
                    repairable=True,
                )
            )
            continue
        if d.name.startswith(".") or not (d / "manifest.json").is_file():
            continue
        try:
            load_package(d, verify="sha256" if full else "size")
        except PhotoSearchError as e:
            out.append(
                Finding(
                    "models",
                    "error",
                    f"model package {d.name} is damaged ({e}); {_reinstall_hint(d)}",
                    model_id=d.name,
                )
            )


def _reinstall_hint(d: Path) -> str:
    """What repairs a damaged package and keeps its embeddings: installing it again (never 'remove' first:
    removing drops every embedding made with the model). A registry download is installed again by the id
    it was downloaded as; an imported folder is imported again."""
    from photosearch.models.manifest import load_package

    registry_id = None
    with contextlib.suppress(Exception):  # the manifest itself may be what is damaged
        registry_id = load_package(d, verify="none").registry_id
    how = (
        f"photosearch models install {registry_id}"
        if registry_id
        else "photosearch models import FOLDER, the folder it came from"
    )
    return f"install it again ({how}): the photos embedded with it stay"


def _check_embeddings(paths: Paths, cat: Catalog, out: list[Finding]) -> None:
    dims = _installed(paths)
    for model_id, n in cat.models_with_embeddings().items():
        dim = dims.get(model_id)
        if dim is None:
            out.append(
                Finding(
                    "embeddings",
                    "info",
                    f"{n} embeddings of model {model_id}, which is not installed",
                    model_id=model_id,
                    count=n,
                )
            )
            continue
        bad = cat._q(
            "SELECT COUNT(*) FROM embeddings WHERE model_id=? AND length(vector)!=?", (model_id, 4 * dim)
        )[0][0]
        if bad:
            out.append(
                Finding(
                    "embeddings",
                    "error",
                    f"{bad} stored embeddings of {model_id} have the wrong size "
                    "(damaged); those photos need indexing again",
                    repairable=True,
                    model_id=model_id,
                    count=int(bad),
                )
            )


def _index_problem(paths: Paths, cat: Catalog, model_id: str, dim: int) -> str | None:
    """Why the saved index of ``model_id`` cannot be used as it is, or None."""
    import hnswlib
    import numpy as np

    meta = cat.index_meta(model_id)
    if meta is None:
        return None
    problem = index_file_problem(paths.index_dir, meta)
    if problem is not None:
        return f"the {problem}"
    path = paths.index_dir / meta.file
    idx = hnswlib.Index(space="ip", dim=dim)
    try:
        idx.load_index(str(path), max_elements=max(meta.count, 1))
    except Exception as e:
        return f"the index file {meta.file} cannot be loaded ({e})"
    labels = set(np.asarray(idx.get_ids_list(), dtype=np.int64).tolist())
    ids = cat.embedding_ids(model_id)
    missing = int(sum(1 for i in ids.tolist() if i <= meta.high_water and i not in labels))
    if missing:
        return f"the saved index lacks {missing} embeddings it should hold"
    return None


def _check_indexes(paths: Paths, cat: Catalog, out: list[Finding]) -> None:
    dims = _installed(paths)
    named: set[str] = set()
    for model_id in cat.models_with_embeddings():
        meta = cat.index_meta(model_id)
        if meta is not None:
            named.add(meta.file)
        if model_id not in dims:
            continue
        if meta is None:
            out.append(
                Finding(
                    "index",
                    "info",
                    f"no saved index for {model_id} yet (built when next opened)",
                    model_id=model_id,
                )
            )
            continue
        problem = _index_problem(paths, cat, model_id, dims[model_id])
        if problem:
            out.append(
                Finding(
                    "index",
                    "error",
                    f"vector index of {model_id}: {problem}; it is rebuilt from the stored embeddings",
                    repairable=True,
                    model_id=model_id,
                )
            )
        elif cat.max_embedding_id(model_id) > meta.high_water:
            out.append(
                Finding(
                    "index",
                    "info",
                    f"{model_id}: embeddings added since the last index save are "
                    "searched exactly until the next save",
                    model_id=model_id,
                )
            )
    for m in cat._q("SELECT model_id, file FROM vector_indexes"):
        named.add(m[1])
    if paths.index_dir.is_dir():
        for p in paths.index_dir.iterdir():
            if p.is_file() and p.name not in named:
                out.append(
                    Finding(
                        "leftovers",
                        "warning",
                        f"leftover index file {p.name} (an old generation or an interrupted save)",
                        repairable=True,
                    )
                )


def _check_orphans(cat: Catalog, out: list[Finding]) -> None:
    orphans = cat.orphan_embeddings()
    if orphans:
        out.append(
            Finding(
                "orphans",
                "warning",
                f"{len(orphans)} embeddings belong to no file any more",
                repairable=True,
                count=len(orphans),
            )
        )
    thumbs = cat.orphan_thumbnails()
    if thumbs:
        out.append(
            Finding(
                "orphans",
                "warning",
                f"{len(thumbs)} thumbnails belong to no file any more",
                repairable=True,
                count=len(thumbs),
            )
        )


def _thumb_path(paths: Paths, content_hash: str) -> Path:
    from photosearch.library.thumbs import ThumbnailCache

    return ThumbnailCache(paths.thumbs_dir).path_for(content_hash)


def _check_thumbnails(paths: Paths, cat: Catalog, out: list[Finding]) -> None:
    rows = [r[0] for r in cat._q("SELECT content_hash FROM thumbnails")]
    missing = [h for h in rows if not _thumb_path(paths, h).is_file()]
    if missing:
        out.append(
            Finding(
                "thumbnails",
                "warning",
                f"{len(missing)} thumbnails are recorded but their files are "
                "missing (they are made again when shown)",
                repairable=True,
                count=len(missing),
            )
        )
    known = {r[0] for r in cat._q("SELECT DISTINCT content_hash FROM files WHERE content_hash IS NOT NULL")}
    stray = 0
    if paths.thumbs_dir.is_dir():
        for p in paths.thumbs_dir.glob("*/*"):
            h = p.name.split(".")[0]
            if p.name.startswith(".") or h not in known:
                stray += 1
    if stray:
        out.append(
            Finding(
                "thumbnails",
                "warning",
                f"{stray} thumbnail files belong to no photo (or are left from an interrupted write)",
                repairable=True,
                count=stray,
            )
        )


def _check_files(paths: Paths, cat: Catalog, out: list[Finding]) -> None:
    dims = _installed(paths)
    active = cat.get_meta("active_model")
    if active is None and dims:
        active = sorted(dims)[0]
    if active in dims:
        n = len(cat.hashes_missing_embedding(active))
        if n:
            out.append(
                Finding(
                    "files",
                    "info",
                    f"{n} indexed photos have no embedding for the active model {active} "
                    "yet; run 'photosearch index'",
                    model_id=active,
                    count=n,
                )
            )
    counts = cat.counts_by_status()
    if counts.get("pending"):
        out.append(
            Finding(
                "files",
                "info",
                f"{counts['pending']} photos wait to be indexed; run 'photosearch index'",
                count=counts["pending"],
            )
        )
