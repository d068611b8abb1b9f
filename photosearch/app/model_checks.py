"""Is this model usable, and if not, what should the person type? Used by ``models use`` and ``models remove``
(``photosearch.app.models``) before they change anything, and by ``models verify`` (every installed model
checked as an install checks it).

A package folder must load (its manifest valid, its paths inside it, every listed file there with its size)
and hold the model its name says — a folder copied into ``models/`` by hand may hold another model's
manifest. A name that is not installed is answered with the command that helps: ``models install ID`` for a
registry model (by any name the registry knows it by), the installed id it was installed as, or the nearest
installed id for a typo.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from photosearch.config import Paths
from photosearch.errors import ManifestError, ModelNotInstalled
from photosearch.models.manifest import ModelPackage, load_package, package_dirs


def installed_ids(paths: Paths) -> dict[str, str]:
    """{installed folder name: the registry id it was downloaded as (or its own id)}; unreadable ones skipped."""
    out: dict[str, str] = {}
    for d in package_dirs(paths.models_dir):
        try:
            pkg = load_package(d, verify="none")
        except ManifestError:
            out[d.name] = d.name
            continue
        out[d.name] = pkg.registry_id or pkg.id
    return out


def not_installed(paths: Paths, name: str) -> ModelNotInstalled:
    """The error for a model name that is not installed, with what to type instead."""
    from photosearch.models.registry import load_registry

    have = installed_ids(paths)
    msg = f"model '{name}' is not installed"
    try:
        entry = load_registry().get(name)
    except ManifestError:
        entry = None
    if entry is not None:
        as_ = [folder for folder, reg_id in have.items() if entry.id in (reg_id, folder)]
        if as_:
            return ModelNotInstalled(f"{msg} under that name: it is installed as '{as_[0]}'")
        return ModelNotInstalled(f"{msg}; install it first: photosearch models install {entry.id}")
    near = difflib.get_close_matches(name, list(have), n=1, cutoff=0.75)
    if near:
        return ModelNotInstalled(f"{msg}; did you mean '{near[0]}'?")
    return ModelNotInstalled(f"{msg} (see 'photosearch models list')")


def package_problem(folder: Path) -> str:
    """Why the installed package in ``folder`` cannot be used (its manifest, its paths, a listed file missing
    or of another size, the folder holding another model's id), in words; '' when it can."""
    try:
        pkg = load_package(folder, verify="size")
    except ManifestError as e:
        return str(e)
    if pkg.id != folder.name:
        return f"the folder holds the model '{pkg.id}' (its manifest's id), not '{folder.name}'"
    return ""


def broken_packages(paths: Paths) -> dict[str, str]:
    """{folder name: why it cannot be used} for the package folders in ``models/`` that cannot be used."""
    out: dict[str, str] = {}
    for d in package_dirs(paths.models_dir):
        problem = package_problem(d)
        if problem:
            out[d.name] = problem
    return out


def check_usable(paths: Paths, model_id: str) -> ModelPackage:
    """The installed package ``model_id``, checked as far as it can be without running it (sizes, not
    checksums: a use must be quick); a ModelNotInstalled or ManifestError that says why not."""
    folder = paths.models_dir / model_id
    if not (folder / "manifest.json").is_file():
        raise not_installed(paths, model_id)
    problem = package_problem(folder)
    if problem.startswith("the folder holds"):
        raise ManifestError(
            f"{folder}: {problem}: it was copied in by hand. Move it out of {paths.models_dir} and import "
            "it: photosearch models import FOLDER"
        )
    if problem:
        raise ManifestError(
            f"model '{model_id}' cannot be used: {problem}. Install it again ('photosearch models import "
            f"FOLDER' or 'models install'), or remove it: photosearch models remove {model_id}"
        )
    return load_package(folder, verify="none")


@dataclass(frozen=True)
class Verified:
    """One installed model checked by ``models verify``: ``problem`` is empty when it is sound."""

    id: str
    kind: str  # "model" | "text reader"
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def verify_models(paths: Paths, name: str | None = None) -> list[Verified]:
    """Check the installed models (or only ``name``) as an install checks them: every file's sha256 against
    the manifest, the folder holding the model its name says, and both towers run once with outputs of the
    manifest's size (a manifest that lies about ``embedding_dim`` is found here, not at the first index).
    Text readers: every file's sha256. Nothing is changed."""
    from photosearch.models.text_reader_pkg import (
        BUNDLED_ID,
        installed_text_readers,
        is_installed,
        load_text_reader,
    )

    if name is not None:
        if name == BUNDLED_ID:  # its files are the OCR package's own (checked by pip, not recorded here)
            return [Verified(name, "text reader")]
        if is_installed(paths.models_dir, name):
            return [_verify_reader(lambda: load_text_reader(paths.models_dir, name), name)]
        if not (paths.models_dir / name / "manifest.json").is_file():
            raise not_installed(paths, name)
        return [_verify_model(paths.models_dir / name)]
    out = [_verify_model(d) for d in package_dirs(paths.models_dir)]
    for reader_id in [r.id for r in installed_text_readers(paths.models_dir)]:
        out.append(_verify_reader(partial(load_text_reader, paths.models_dir, reader_id), reader_id))
    return out


def _verify_model(folder: Path) -> Verified:
    from photosearch.models.install import check_package_runs

    try:
        pkg = load_package(folder, verify="sha256")
        if pkg.id != folder.name:
            return Verified(
                folder.name, "model", f"the folder holds the model '{pkg.id}' (its manifest's id)"
            )
        check_package_runs(pkg)
    except Exception as e:  # onnxruntime raises its own types; every one is a reason to show
        return Verified(folder.name, "model", _first_line(e))
    return Verified(folder.name, "model")


def _verify_reader(load: Callable[[], object], reader_id: str) -> Verified:
    try:
        load()
    except Exception as e:
        return Verified(reader_id, "text reader", _first_line(e))
    return Verified(reader_id, "text reader")


def _first_line(e: BaseException) -> str:
    return ((str(e).strip().splitlines() or [type(e).__name__])[0])[:300]


def index_files(index_dir: Path, model_id: str) -> list[Path]:
    """The vector index files of ``model_id`` on disk (every generation, an interrupted save's ``.tmp``):
    what a removed model would leave behind (``doctor`` calls them leftovers)."""
    import re

    from photosearch.store.vectors import VectorIndex

    stem = VectorIndex(index_dir, model_id, 1).file_for(0).name[: -len("0.hnsw")]  # '<safe id>.g'
    pattern = re.compile(re.escape(stem) + r"\d+\.hnsw(\.tmp)?")
    return [p for p in index_dir.iterdir() if pattern.fullmatch(p.name)] if index_dir.is_dir() else []


def drop_index_files(index_dir: Path, model_id: str) -> None:
    for f in index_files(index_dir, model_id):
        f.unlink(missing_ok=True)
