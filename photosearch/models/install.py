"""Installing model packages into the data directory: import a package folder (checked and copied
atomically), remove one."""

from __future__ import annotations

import logging
import shutil
import uuid
from pathlib import Path

from photosearch.config import Paths, openvino_cache_dir
from photosearch.errors import ManifestError
from photosearch.models.download import CancelCheck, ProgressCallback
from photosearch.models.manifest import ModelPackage, load_package
from photosearch.models.registry import RegistryEntry

log = logging.getLogger(__name__)


def install_package_dir(src: str | Path, models_dir: Path, *, replace: bool = True) -> ModelPackage:
    """Verify a package folder (checksums included) and copy it into ``models_dir/<id>`` atomically."""
    pkg = load_package(src, verify="sha256")
    models_dir.mkdir(parents=True, exist_ok=True)
    dest = models_dir / pkg.id
    if dest.resolve() == Path(src).resolve():
        return pkg
    tmp = models_dir / f".incoming-{pkg.id}-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir()
        shutil.copy2(Path(src) / "manifest.json", tmp / "manifest.json")
        for name in pkg.manifest.files:
            target = tmp / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(Path(src) / name, target)
        load_package(tmp, verify="sha256")
        if dest.exists():
            if not replace:
                raise ManifestError(f"model '{pkg.id}' is already installed")
            old = models_dir / f".old-{pkg.id}-{uuid.uuid4().hex[:8]}"
            dest.rename(old)
            tmp.rename(dest)
            shutil.rmtree(old, ignore_errors=True)
            drop_compile_cache(pkg.id)
        else:
            tmp.rename(dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    log.info("installed model %s into %s", pkg.id, dest)
    return load_package(dest, verify="size")


def remove_package(model_id: str, models_dir: Path) -> None:
    dest = models_dir / model_id
    if not (dest / "manifest.json").is_file():
        raise ManifestError(f"model '{model_id}' is not installed")
    trash = models_dir / f".removing-{model_id}-{uuid.uuid4().hex[:8]}"
    dest.rename(trash)
    shutil.rmtree(trash, ignore_errors=True)
    drop_compile_cache(model_id)


def drop_compile_cache(model_id: str) -> None:
    """Forget what OpenVINO compiled for a model that was removed or replaced (it would only take space)."""
    shutil.rmtree(openvino_cache_dir(model_id), ignore_errors=True)


def install_from_registry(
    entry: RegistryEntry,
    paths: Paths,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
    base_url: str | None = None,
    retries: int = 3,
) -> ModelPackage:
    """Download a registry model into ``paths.downloads_dir/<id>`` (resuming what is there), verify every
    file, convert its layout into a package (adapters) and install it atomically into ``models_dir``.

    Safe to call from a worker thread; ``progress`` receives :class:`DownloadProgress`, ``cancel()``
    stops between chunks (raises ``Cancelled``; the partial download is kept for the next attempt).
    """
    from photosearch.models.adapters import adapt_folder
    from photosearch.models.download import download_entry

    staging = paths.downloads_dir / entry.id
    download_entry(entry, staging, progress=progress, cancel=cancel, base_url=base_url, retries=retries)
    build = paths.downloads_dir / f".build-{entry.id}-{uuid.uuid4().hex[:8]}"
    try:
        if entry.layout == "photosearch":
            pkg_dir = staging
        else:
            pkg_dir = adapt_folder(staging, build, layout=entry.layout, model_id=entry.id,
                                   overrides=_registry_overrides(entry))
        pkg = install_package_dir(pkg_dir, paths.models_dir)
    finally:
        shutil.rmtree(build, ignore_errors=True)
    shutil.rmtree(staging, ignore_errors=True)
    return pkg


def _registry_overrides(entry: RegistryEntry) -> dict[str, object]:
    return {"name": entry.name, "licence": entry.licence, "commercial_use": entry.commercial_use,
            "languages": list(entry.languages), "family": entry.family,
            "source": f"{entry.hub_repo}@{entry.revision} ({entry.layout} layout)",
            "description": entry.notes}
