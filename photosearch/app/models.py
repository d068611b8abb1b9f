"""The person's model verbs, written once for the CLI and the GUI: list, install (verified download with
progress and cancel), dry run, import a folder of any supported layout, use (the background switch: the old
model serves until the new one has embedded every photo), remove; plus the first-run recommendation, the
licence acceptance kept once per model, and the query language of multilingual models.

No Qt, no printing: front ends show what these return.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from photosearch.app.language import apply_query_language, choose_query_language, saved_query_language
from photosearch.app.model_checks import broken_packages, check_usable, drop_index_files, not_installed
from photosearch.app.model_recommend import Recommendation, recommend_model
from photosearch.app.model_recommend import quality_words as _quality
from photosearch.app.text_readers import TextReaderRow, is_text_reader, text_reader_rows, use_text_reader
from photosearch.config import Paths
from photosearch.errors import ManifestError
from photosearch.indexing.switching import (
    TARGET_MODEL_KEY,
    begin_switch,
    cancel_switch,
    continue_switch,
    switch_target,
)
from photosearch.library.library import ACTIVE_MODEL_KEY, Library
from photosearch.models.install import import_model_folder, remove_package
from photosearch.models.manifest import ModelPackage
from photosearch.models.registry import Registry, RegistryEntry, load_registry
from photosearch.models.text_reader_pkg import (
    BUNDLED_ID,
    CHOICE_KEY,
    TEXT_READER_LAYOUT,
    TextReaderPackage,
    import_text_reader,
    looks_like_text_reader,
    remove_text_reader,
)
from photosearch.models.tokenize import query_language, set_query_language
from photosearch.paths import disk_size
from photosearch.progress import Progress, WorkControl

if TYPE_CHECKING:
    from photosearch.models.machine import MachineFacts

__all__ = [
    "ModelListing",
    "ModelRow",
    "TextReaderRow",
    "is_text_reader",
    "Recommendation",
    "accept_licence",
    "finish_switch",
    "photos_to_embed",
    "load_registry",
    "registry_entry",
    "apply_query_language",
    "choose_query_language",
    "dry_run",
    "import_model",
    "licence_accepted",
    "list_models",
    "needs_licence_acceptance",
    "query_language",
    "recommend_model",
    "remove_model",
    "saved_query_language",
    "set_query_language",
    "use_model",
    "use_text_reader",
]

LICENCES_FILE = "accepted_licences.json"


@dataclass(frozen=True)
class ModelRow:
    """One model as the person sees it, installed or available."""

    id: str
    name: str
    installed: bool
    active: bool = False
    switching_to: bool = False
    unverified: bool = False  # file list not known here: resolved from the hub's tree at install
    default: bool = False
    family: str = ""
    licence: str = ""
    licence_note: str = ""
    commercial_use: bool = True
    languages: tuple[str, ...] = ()
    quality: str = ""  # plain words
    quality_details: str = ""  # the figures, for a details line
    size_on_disk: int | None = None
    download_mb: float | None = None
    ram_mb: float | None = None
    speed_class: str = ""
    embeddings: int | None = None
    commit: str | None = None  # the hub commit an installed model came from
    dim: int | None = None
    runs: str = ""  # which image tower runs on this machine and why (``machine.BackendChoice.line``)
    int8: dict[str, Any] | None = None  # the int8 tower made here: accepted or refused, with its quality
    problem: str = ""  # an installed package that cannot be used (copied in by hand, damaged): why

    @property
    def needs(self) -> str:
        parts = []
        if not self.installed:
            parts.append(
                f"~{self.download_mb:,.0f} MB download" if self.download_mb else "download size unknown"
            )
        if self.ram_mb:
            parts.append(f"~{self.ram_mb / 1024:.1f} GB RAM")
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["languages"] = list(self.languages)
        d["needs"] = self.needs
        return d


@dataclass(frozen=True)
class ModelListing:
    rows: tuple[ModelRow, ...]
    active: str | None
    switching_to: str | None
    default: str
    default_reason: str
    text_readers: tuple[TextReaderRow, ...] = ()
    #: installed model id -> where its text relevance line comes from in this library (``LineSource`` words;
    #: empty without a library)
    text_lines: dict[str, str] = field(default_factory=dict)

    @property
    def installed(self) -> list[ModelRow]:
        return [r for r in self.rows if r.installed]

    @property
    def available(self) -> list[ModelRow]:
        return [r for r in self.rows if not r.installed]


def _row_for_package(
    pkg: ModelPackage,
    entry: RegistryEntry | None,
    lib: Library | None,
    active: str | None,
    target: str | None,
    default: str,
    facts: MachineFacts | None = None,
) -> ModelRow:
    m = pkg.manifest
    from photosearch.indexing.variant_step import library_variant
    from photosearch.models.variants import choice_for, int8_record

    choice = choice_for(
        pkg,
        library_variant(lib, pkg.id) if lib is not None else None,
        setting=lib.settings.image_backend if lib is not None else "auto",
        threads=lib.settings.intra_op_threads if lib is not None else None,
        facts=facts,
    )
    rec = int8_record(pkg)
    dl = m.extra.get("download") or {}
    plain, details = _quality(entry)
    return ModelRow(
        id=pkg.id,
        name=m.name,
        installed=True,
        active=pkg.id == active,
        switching_to=pkg.id == target,
        unverified=False,
        default=bool(entry and entry.id == default),
        family=m.family,
        licence=m.licence,
        licence_note=entry.licence_note if entry else "",
        commercial_use=m.commercial_use,
        languages=m.languages,
        quality=plain,
        quality_details=details,
        size_on_disk=disk_size(pkg.root),
        ram_mb=entry.ram_mb if entry else None,
        speed_class=entry.speed_class if entry else "",
        embeddings=lib.catalog.count_embeddings(pkg.id) if lib is not None else None,
        commit=dl.get("commit"),
        dim=m.embedding_dim,
        runs=choice.line(),
        int8=rec.to_json() if rec is not None else None,
    )


def _row_for_entry(e: RegistryEntry, default: str) -> ModelRow:
    plain, details = _quality(e)
    return ModelRow(
        id=e.id,
        name=e.name,
        installed=False,
        unverified=e.unverified,
        default=e.id == default,
        family=e.family,
        licence=e.licence,
        licence_note=e.licence_note,
        commercial_use=e.commercial_use,
        languages=e.languages,
        quality=plain,
        quality_details=details,
        download_mb=e.approx_download_mb,
        ram_mb=e.ram_mb,
        speed_class=e.speed_class,
        dim=e.embedding_dim,
        commit=e.pinned_commit,
    )


def _installed(paths: Paths, lib: Library | None) -> list[ModelPackage]:
    if lib is not None:
        return lib.installed_models()
    from photosearch.models.manifest import load_package, package_dirs

    out = []
    for d in package_dirs(paths.models_dir):
        try:
            out.append(load_package(d, verify="none"))
        except ManifestError:
            continue
    return out


def list_models(paths: Paths, lib: Library | None = None, registry: Registry | None = None) -> ModelListing:
    """Installed models (active one marked, size on disk) and the registry's other models (unverified marked)."""
    registry = registry or load_registry()
    active = lib.active_model_id() if lib is not None else None
    target = switch_target(lib) if lib is not None else None
    by_id = {e.id: e for e in registry.models}
    rows = []
    have: set[str] = set()
    facts = None
    broken = broken_packages(paths)
    for pkg in _installed(paths, lib):
        if pkg.root.name in broken:
            continue
        reg_id = pkg.registry_id or pkg.id
        have.update({pkg.id, reg_id})
        if facts is None:
            from photosearch.models.machine import MachineFacts

            facts = MachineFacts.probe()
        rows.append(_row_for_package(pkg, by_id.get(reg_id), lib, active, target, registry.default, facts))
    for folder, problem in broken.items():  # listed by folder name: what 'models use/remove' take
        size = disk_size(paths.models_dir / folder)
        rows.append(ModelRow(folder, folder, True, folder == active, size_on_disk=size, problem=problem))
    rows += [_row_for_entry(e, registry.default) for e in registry.models if e.id not in have]
    lines: dict[str, str] = {}
    if lib is not None:
        from photosearch.app.calibrate import text_line_source

        lines = {r.id: text_line_source(lib, r.id) for r in rows if r.installed}
    return ModelListing(
        tuple(rows),
        active,
        target,
        registry.default,
        registry.default_reason,
        text_reader_rows(paths, lib),
        lines,
    )


def dry_run(model_id: str, registry: Registry | None = None, base_url: str | None = None) -> list[str]:
    from photosearch.models.plan import dry_run as _dry

    return _dry((registry or load_registry()).get(model_id), base_url)


def import_model(
    folder: str | Path, paths: Paths, scripts: tuple[str, ...] | list[str] = ()
) -> tuple[ModelPackage | TextReaderPackage, str]:
    """Install a model folder of any supported layout. Returns (package, layout). A folder holding one
    text-recognition ONNX (or a text reader package) becomes a text reader; ``scripts``: the scripts it reads
    (required for a bare ONNX: they are never guessed)."""
    from photosearch.models.adapters import detect_layout

    if looks_like_text_reader(folder):
        return import_text_reader(folder, paths.models_dir, scripts=scripts), TEXT_READER_LAYOUT
    if scripts:
        raise ManifestError("--script is for text readers (a folder holding one recognition .onnx)")
    layout = detect_layout(folder)
    try:  # Immich's folder is named by its model, rclip's by its own: a registry entry's other names
        entry: RegistryEntry | None = load_registry().get(Path(folder).name)
    except ManifestError:
        entry = None
    if entry is not None and entry.layout != layout:
        entry = None
    pkg = import_model_folder(folder, paths.models_dir, work_dir=paths.downloads_dir, entry=entry)
    return pkg, layout


def activate_if_first(lib: Library, model_id: str, use: bool = False) -> bool:
    """After an install/import: the first model becomes active (or any, with ``use``). True if chosen. A text
    reader is chosen only with ``use``."""
    if is_text_reader(lib.paths, model_id):
        if use:
            use_text_reader(lib, model_id)
        return use
    first = lib.catalog.get_meta(ACTIVE_MODEL_KEY) is None
    if first or use:
        begin_switch(lib, model_id)
        return True
    return False


def use_model(lib: Library, model_id: str) -> int:
    """Begin the background switch to ``model_id``: returns how many photos must be embedded before it takes
    over (0: active now). Searches keep using the old model meanwhile; the indexing service (or
    ``continue_switch``) does the embedding. A text reader is chosen at once (0)."""
    if is_text_reader(lib.paths, model_id):
        use_text_reader(lib, model_id)
        return 0
    check_usable(lib.paths, model_id)  # a broken or hand-copied package, or a name not installed: refused
    return begin_switch(lib, model_id)


def finish_switch(lib: Library, control: WorkControl | None = None) -> Iterator[Progress]:
    """Embed what the model being switched to lacks, then make it active: ``Progress("switching", ...)`` events,
    then ``"switched"`` (or ``"cancelled"``). Nothing when no switch is pending."""
    return continue_switch(lib, control)


def photos_to_embed(lib: Library, model_id: str) -> int:
    """How many photos ``model_id`` has no vector for yet (0: it can serve every indexed photo)."""
    return len(lib.catalog.hashes_missing_embedding(model_id))


def registry_entry(model_id: str, registry: Registry | None = None) -> RegistryEntry:
    """The registry's entry for an id or a name known elsewhere (Immich, rclip, the hub); else ManifestError."""
    return (registry or load_registry()).get(model_id)


def known_as(name: str, registry: Registry | None = None) -> str:
    """Why ``name`` leads to a registry entry of another id, in words ('' for the id itself)."""
    return (registry or load_registry()).known_as(name)


def remove_model(lib: Library, model_id: str) -> int:
    """Delete an installed model, its embeddings and its index files; returns how many embeddings went."""
    if model_id == BUNDLED_ID:
        raise ManifestError("the bundled text reader ships with the OCR package and cannot be removed")
    if is_text_reader(lib.paths, model_id):
        remove_text_reader(lib.paths.models_dir, model_id)
        if lib.catalog.get_meta(CHOICE_KEY) == model_id:
            use_text_reader(lib, BUNDLED_ID)
        return 0
    if not (lib.paths.models_dir / model_id / "manifest.json").is_file():
        raise not_installed(lib.paths, model_id)
    gone = lib.catalog.count_embeddings(model_id)
    remove_package(model_id, lib.paths.models_dir)
    lib.catalog.delete_model_embeddings(model_id)
    drop_index_files(lib.paths.index_dir, model_id)  # a cache of what was just deleted
    if lib.catalog.get_meta(ACTIVE_MODEL_KEY) == model_id:
        lib.catalog.set_meta(ACTIVE_MODEL_KEY, None)
    if lib.catalog.get_meta(TARGET_MODEL_KEY) == model_id:
        cancel_switch(lib)
    return gone


# --------------------------------------------------------------------------------------------------
# licences: a non-commercial (or undeclared) licence is shown before install and accepted once


def needs_licence_acceptance(entry: RegistryEntry) -> bool:
    return not entry.commercial_use


def _licences_path(paths: Paths) -> Path:
    return paths.data_dir / LICENCES_FILE


def licence_accepted(paths: Paths, entry: RegistryEntry) -> bool:
    try:
        data = json.loads(_licences_path(paths).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get(entry.id) == entry.licence


def accept_licence(paths: Paths, entry: RegistryEntry) -> None:
    p = _licences_path(paths)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    data[entry.id] = entry.licence
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(p)
