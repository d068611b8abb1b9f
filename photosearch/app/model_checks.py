"""Is this model usable, and if not, what should the person type? Used by ``models use`` and ``models remove``
(``photosearch.app.models``) before they change anything.

A package folder must load (its manifest valid, its paths inside it, every listed file there with its size)
and hold the model its name says — a folder copied into ``models/`` by hand may hold another model's
manifest. A name that is not installed is answered with the command that helps: ``models install ID`` for a
registry model (by any name the registry knows it by), the installed id it was installed as, or the nearest
installed id for a typo.
"""

from __future__ import annotations

import difflib

from photosearch.config import Paths
from photosearch.errors import ManifestError, ModelNotInstalled
from photosearch.models.manifest import ModelPackage, load_package


def installed_ids(paths: Paths) -> dict[str, str]:
    """{installed folder name: the registry id it was downloaded as (or its own id)}; unreadable ones skipped."""
    out: dict[str, str] = {}
    if not paths.models_dir.is_dir():
        return out
    for d in sorted(paths.models_dir.iterdir()):
        if d.is_dir() and not d.name.startswith(".") and (d / "manifest.json").is_file():
            try:
                pkg = load_package(d, verify="none")
            except ManifestError:
                out[d.name] = d.name
                continue
            out[d.name] = str((pkg.manifest.extra.get("download") or {}).get("registry_id") or pkg.id)
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


def check_usable(paths: Paths, model_id: str) -> ModelPackage:
    """The installed package ``model_id``, checked as far as it can be without running it (sizes, not
    checksums: a use must be quick); a ModelNotInstalled or ManifestError that says why not."""
    folder = paths.models_dir / model_id
    if not (folder / "manifest.json").is_file():
        raise not_installed(paths, model_id)
    try:
        pkg = load_package(folder, verify="size")
    except ManifestError as e:
        raise ManifestError(
            f"model '{model_id}' cannot be used: {e}. Install it again ('photosearch models import FOLDER' "
            f"or 'models install'), or remove it: photosearch models remove {model_id}"
        ) from e
    if pkg.id != model_id:
        raise ManifestError(
            f"the folder {folder} holds the model '{pkg.id}' (its manifest's id), not '{model_id}': it was "
            f"copied in by hand. Move it out of {paths.models_dir} and import it: photosearch models import "
            "FOLDER"
        )
    return pkg
