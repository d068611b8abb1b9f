"""Installing model packages into the data directory: install a package folder (checked, run once and copied
atomically), import a folder of any known layout, install from the registry (verified download), remove one.

Nothing is installed that cannot work: every file's checksum, the ONNX files complete with their
external-data files inside the package, and both towers run once on a dummy input, their output size equal
to the manifest's ``embedding_dim`` — else a one-line :class:`ManifestError` and nothing is installed.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from photosearch.config import Paths, openvino_cache_dir
from photosearch.errors import ManifestError
from photosearch.models.adapters import adapt_folder, detect_layout
from photosearch.models.download import CancelCheck, FileResult, ProgressCallback
from photosearch.models.manifest import ModelPackage, check_embedding_dim, load_package, write_manifest
from photosearch.models.registry import RegistryEntry


def check_package_runs(pkg: ModelPackage) -> None:
    """Run both towers once on a dummy input; refuse a package whose outputs disagree with ``embedding_dim``
    (or that cannot run at all), at install time rather than at the first search."""
    from photosearch.models.onnx_graph import session
    from photosearch.models.onnx_refs import check_onnx_complete
    from photosearch.models.tokenize import TextTokenizer

    m = pkg.manifest
    for f in (m.vision.file, m.text.file):
        check_onnx_complete(pkg.root / f)
    v = m.vision
    s = v.image_size
    image = np.zeros((1, 3, s, s), dtype=np.float16 if v.input.dtype == "float16" else np.float32)
    out = session(pkg.vision_path).run([v.output.name], {v.input.name: image})[0]
    check_embedding_dim(m, int(np.asarray(out).reshape(1, -1).shape[1]), "image")
    t = m.text
    ids, mask = TextTokenizer(t, pkg.tokenizer_path).encode(
        ["a photo"], pad_to_context=not t.dynamic_sequence
    )
    np_dt: dict[str, Any] = {"int32": np.int32, "int64": np.int64}
    feeds = {t.input_ids.name: ids.astype(np_dt[t.input_ids.dtype])}
    if t.attention_mask is not None:
        feeds[t.attention_mask.name] = mask.astype(np_dt[t.attention_mask.dtype])
    try:
        tout = session(pkg.text_path).run([t.output.name], feeds)[0]
    except ManifestError:
        raise
    except Exception as e:  # onnxruntime raises its own types
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        raise ManifestError(
            f"the text model of '{m.id}' does not run with its manifest's inputs: {first}"
        ) from None
    check_embedding_dim(m, int(np.asarray(tout).reshape(1, -1).shape[1]), "text")


log = logging.getLogger(__name__)


def install_package_dir(
    src: str | Path,
    models_dir: Path,
    *,
    replace: bool = True,
    replace_other: bool = True,
    extra: dict[str, Any] | None = None,
) -> ModelPackage:
    """Verify a package folder (checksums included) and copy it into ``models_dir/<id>`` atomically;
    ``extra``: entries added to the manifest's ``extra`` in the copy (before it is renamed into place).
    ``replace_other=False``: refuse to replace an installed package of the same id whose files differ (an
    import: the library's embeddings under that id were made by the installed model)."""
    pkg = load_package(src, verify="sha256")
    if not replace_other and _another_model(models_dir / pkg.id, pkg):
        raise ManifestError(
            f"another model with the id '{pkg.id}' is installed (its files differ from these): remove it first "
            f"— photosearch models remove {pkg.id} (the photos embedded with it wait to be embedded again) — or "
            "import this one under another id (its folder's name, or the id in its manifest.json)"
        )
    check_package_runs(pkg)
    models_dir.mkdir(parents=True, exist_ok=True)
    dest = models_dir / pkg.id
    if dest.resolve() == Path(src).resolve() and extra is None:
        return pkg
    tmp = models_dir / f".incoming-{pkg.id}-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir()
        if extra is None:
            shutil.copy2(Path(src) / "manifest.json", tmp / "manifest.json")
        else:
            write_manifest(tmp, dataclasses.replace(pkg.manifest, extra={**pkg.manifest.extra, **extra}))
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


def _another_model(dest: Path, pkg: ModelPackage) -> bool:
    """``dest`` holds a sound package of another model than ``pkg`` (a file of ``pkg`` absent there, or with
    another sha256). A damaged or unreadable one may be replaced: that is how it is repaired."""
    try:
        there = load_package(dest, verify="size")
    except ManifestError:
        return False
    theirs = there.manifest.files
    return any(n not in theirs or theirs[n].sha256 != f.sha256 for n, f in pkg.manifest.files.items())


def remove_package(model_id: str, models_dir: Path) -> None:
    remove_package_dir(models_dir / model_id, f"model '{model_id}'")
    drop_compile_cache(model_id)


def remove_package_dir(dest: Path, what: str) -> None:
    """Delete an installed package folder: renamed aside first (one atomic step: a crash leaves either the
    package or a ``.removing-…`` folder that is never listed), then removed."""
    if not (dest / "manifest.json").is_file():
        raise ManifestError(f"{what} is not installed")
    trash = dest.parent / f".removing-{dest.name}-{uuid.uuid4().hex[:8]}"
    dest.rename(trash)
    shutil.rmtree(trash, ignore_errors=True)


def drop_compile_cache(model_id: str) -> None:
    """Forget what OpenVINO compiled for a model that was removed or replaced (it would only take space)."""
    shutil.rmtree(openvino_cache_dir(model_id), ignore_errors=True)


def import_model_folder(
    src: str | Path,
    models_dir: Path,
    *,
    work_dir: Path | None = None,
    model_id: str | None = None,
    make_dynamic: bool = True,
    entry: RegistryEntry | None = None,
) -> ModelPackage:
    """Install a model folder of any known layout (PhotoSearch package, Immich, transformers.js/Xenova,
    rclip) into ``models_dir``. ``entry``: the registry model the folder is named as (Immich's folder
    named by the model, rclip's): its id, licence, languages and text convention (NLLB's language prefix)."""
    src = Path(src)
    layout = detect_layout(src)
    if layout == "photosearch":
        return install_package_dir(src, models_dir, replace_other=False)
    overrides: dict[str, Any] | None = None
    if entry is not None:  # its name and family stay the folder's own: what the folder holds is not checked
        model_id = entry.id
        overrides = {k: v for k, v in _registry_overrides(entry).items() if k not in ("name", "family")}
        overrides["source"] = (
            f"imported from the folder {src.name} ({layout} layout); the registry's {entry.id}"
        )
        overrides["extra"] = {"registry_id": entry.id, "matched_by": "the folder's name"}
        if entry.text_convention == "flores200-prefix":
            overrides["text"] = {"query_prefix": "flores200"}
    work_dir = work_dir or models_dir.parent / "downloads"
    build = work_dir / f".import-{uuid.uuid4().hex[:8]}"
    try:
        adapt_folder(
            src, build, layout=layout, model_id=model_id, overrides=overrides, make_dynamic=make_dynamic
        )
        return install_package_dir(build, models_dir, replace_other=False)
    finally:
        shutil.rmtree(build, ignore_errors=True)


def install_from_registry(
    entry: RegistryEntry,
    paths: Paths,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
    base_url: str | None = None,
    retries: int = 3,
    allow_unverified: bool = False,
) -> ModelPackage:
    """Download a registry model into ``paths.downloads_dir/<id>`` (resuming what is there), verify every
    file against the registry's and the hub's hashes, convert its layout into a package (adapters) and
    install it atomically into ``models_dir``. The installed manifest records, under ``extra.download``, the
    repository, the commit and each file's URL, sha256 and what verified it.

    Safe to call from a worker thread; ``progress`` receives :class:`DownloadProgress`, ``cancel()``
    stops between chunks (raises ``Cancelled``; the partial download is kept for the next attempt, nothing
    is installed). The two halves are :func:`download_for_install` and :func:`install_downloaded`.
    """
    got = download_for_install(
        entry,
        paths,
        progress=progress,
        cancel=cancel,
        base_url=base_url,
        retries=retries,
        allow_unverified=allow_unverified,
    )
    return install_downloaded(entry, got, paths)


def download_for_install(
    entry: RegistryEntry,
    paths: Paths,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
    base_url: str | None = None,
    retries: int = 3,
    allow_unverified: bool = False,
) -> dict[str, FileResult]:
    """The download half of :func:`install_from_registry`: every file verified in
    ``paths.downloads_dir/<id>``, nothing installed yet (the folder is kept until the install)."""
    from photosearch.models.download import download_entry

    return download_entry(
        entry,
        paths.downloads_dir / entry.id,
        progress=progress,
        cancel=cancel,
        base_url=base_url,
        retries=retries,
        allow_unverified=allow_unverified,
    )


def install_downloaded(entry: RegistryEntry, got: dict[str, FileResult], paths: Paths) -> ModelPackage:
    """The install half of :func:`install_from_registry`: the verified download (``got``) converted into a
    package and installed atomically; the download folder is removed once the model is installed."""
    staging = paths.downloads_dir / entry.id
    record = provenance(entry, got)
    build = paths.downloads_dir / f".build-{entry.id}-{uuid.uuid4().hex[:8]}"
    try:
        if entry.layout == "photosearch":
            pkg = install_package_dir(staging, paths.models_dir, extra={"download": record})
        else:
            overrides = _registry_overrides(entry)
            overrides["extra"] = {"download": record}
            if entry.text_convention == "flores200-prefix":
                overrides["text"] = {"query_prefix": "flores200"}
            pkg_dir = adapt_folder(
                staging, build, layout=entry.layout, model_id=entry.id, overrides=overrides
            )
            pkg = install_package_dir(pkg_dir, paths.models_dir)
    finally:
        shutil.rmtree(build, ignore_errors=True)
    shutil.rmtree(staging, ignore_errors=True)
    return pkg


def provenance(entry: RegistryEntry, got: dict[str, FileResult]) -> dict[str, Any]:
    commits = {r.commit for r in got.values() if r.commit}
    return {
        "registry_id": entry.id,
        "repo": entry.hub_repo,
        "revision": entry.revision,
        "commit": next(iter(commits)) if len(commits) == 1 else None,
        "pin": entry.pin,
        "files": {
            name: {"url": r.url, "sha256": r.sha256, "size": r.size, "verified_by": r.verified_by}
            for name, r in sorted(got.items())
        },
    }


def _registry_overrides(entry: RegistryEntry) -> dict[str, object]:
    return {
        "name": entry.name,
        "licence": entry.licence,
        "commercial_use": entry.commercial_use,
        "languages": list(entry.languages),
        "family": entry.family,
        "source": f"{entry.hub_repo}@{entry.revision} ({entry.layout} layout)",
        "description": entry.notes,
    }
