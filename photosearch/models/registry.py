"""The model registry: known pretrained models, where to download them and what they are worth.

The registry has ONE source: ``photosearch/data/registry.json`` (package data, shipped in the wheel).
``PHOTOSEARCH_REGISTRY`` points at another registry file (tests, private mirrors).

Every entry states only what the hub is known to hold (see ``docs/DEVELOPING.md``): ``revision`` is a commit
where one is known (``pin: "commit"``), else a branch that the installer resolves to a commit at install
time; rclip's repository is pinned by size + sha256 (``pin: "size+sha256"``) because its history is
squashed at every upload. ``files_known: false`` means the file list is not known here: the installer lists
the repository tree through the hub's API at install time, and the entry is shown as *unverified* until
installed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from photosearch.errors import ManifestError

ENV_REGISTRY = "PHOTOSEARCH_REGISTRY"
REGISTRY_FORMAT = "photosearch-registry/1"
LAYOUTS = ("photosearch", "immich", "rclip", "xenova")
PINS = ("commit", "size+sha256", "none")
_PACKAGED = Path(__file__).resolve().parent.parent / "data" / "registry.json"


def safe_relpath(name: str, what: str = "file name") -> str:
    """A relative POSIX path that stays inside its folder, or ManifestError. Refuses '..', absolute paths,
    backslashes, drive letters and empty parts."""
    if not isinstance(name, str) or not name or "\\" in name or "\x00" in name:
        raise ManifestError(f"unsafe {what} {name!r}")
    p = PurePosixPath(name)
    if p.is_absolute() or name.startswith("/") or ".." in p.parts or (len(name) > 1 and name[1] == ":"):
        raise ManifestError(f"unsafe {what} {name!r}: must be a path inside the model folder")
    if any(part in ("", ".") for part in name.split("/")):
        raise ManifestError(f"unsafe {what} {name!r}")
    return name


@dataclass(frozen=True)
class RegistryFile:
    path: str  # path in the hub repository (POSIX, relative)
    size: int | None = None
    sha256: str | None = None
    approx_mb: float | None = None  # what hub-facts give where the exact size is unknown ("≈352 MB")

    @property
    def local_name(self) -> str:
        return self.path


@dataclass(frozen=True)
class RegistryEntry:
    id: str
    name: str
    family: str
    layout: str
    hub_repo: str
    files: tuple[RegistryFile, ...]
    licence: str
    commercial_use: bool
    languages: tuple[str, ...]
    embedding_dim: int
    image_size: int | None = None
    revision: str = "main"
    subfolder: str = ""
    quality: dict[str, Any] = field(default_factory=dict)
    image_gflops: float | None = None
    speed_class: str = ""
    dynamic_batch: bool | None = None
    dynamic_sequence: bool | None = None
    approx_download_mb: float | None = None
    notes: str = ""
    files_known: bool = True
    pin: str = "none"
    pin_note: str = ""
    licence_note: str = ""
    ram_mb: float | None = None
    text_convention: str = ""

    @property
    def unverified(self) -> bool:
        """True while the entry's file list is not known: the installer lists the hub's tree at install time."""
        return not self.files_known

    @property
    def pinned_commit(self) -> str | None:
        return self.revision if is_commit(self.revision) else None

    @property
    def total_size(self) -> int | None:
        sizes = [f.size for f in self.files]
        return None if any(s is None for s in sizes) else sum(s for s in sizes if s is not None)

    def to_json(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["files"] = [f.__dict__ for f in self.files]
        d["languages"] = list(self.languages)
        d["unverified"] = self.unverified
        return d


@dataclass(frozen=True)
class Registry:
    models: tuple[RegistryEntry, ...]
    default: str
    default_reason: str = ""
    hub: str = "https://huggingface.co"
    source: Path | None = None

    def get(self, model_id: str) -> RegistryEntry:
        """The entry named ``model_id``: its id, or a name the person knows it by elsewhere — the hub
        repository (``immich-app/ViT-B-32__laion2b-s34b-b79k``), Immich's model name
        (``ViT-B-32__laion2b_s34b_b79k``), rclip's model folder, the upstream repository of an export
        (``openai/clip-vit-base-patch32``), or one of :data:`ALIASES`. Else a ManifestError that suggests
        the nearest ids and says how to bring a model the registry lacks (``models import``)."""
        for m in self.models:
            if m.id == model_id:
                return m
        found = {m.id: m for m in self.models if _keys(model_id) & self._names(m)}
        if len(found) == 1:
            return next(iter(found.values()))
        if found:
            raise ManifestError(f"'{model_id}' could be any of: {', '.join(found)}; give the id")
        raise ManifestError(self._unknown(model_id))

    def known_as(self, name: str) -> str:
        """Why ``name`` leads to an entry whose id differs from it, in words (empty for the id itself)."""
        entry = self.get(name)
        if entry.id == name:
            return ""
        alias = next((ALIASES[k] for k in _keys(name) if k in ALIASES), None)
        if alias is not None and alias[0] == entry.id:
            return f"'{name}' is {alias[1]}: here it is '{entry.id}'"
        return f"'{name}' is '{entry.id}' here ({entry.name}, from {entry.hub_repo})"

    def _names(self, m: RegistryEntry) -> set[str]:
        names = {_norm(m.id), _norm(m.hub_repo), _norm(m.hub_repo.rsplit("/", 1)[-1])}
        if m.subfolder:
            names.add(_norm(m.subfolder))
        names.update(k for k, (target, _why) in ALIASES.items() if target == m.id)
        return names

    def _unknown(self, name: str) -> str:
        import difflib

        msg = f"unknown model '{name}'"
        if "__" in name or name.lower().startswith(
            "immich-app/"
        ):  # Immich's naming: another model, not a typo
            return (
                f"{msg}: the registry lists {', '.join(m.id for m in self.models)}. An Immich model it does "
                "not list can be imported from its folder (Immich keeps them in its model cache, e.g. "
                f"…/clip/{name.rsplit('/', 1)[-1]}): photosearch models import FOLDER"
            )
        by_name = {n: m.id for m in self.models for n in self._names(m)}
        near: list[str] = []
        for k in _keys(name):
            for n in difflib.get_close_matches(k, list(by_name), n=3, cutoff=0.75):
                if by_name[n] not in near:
                    near.append(by_name[n])
        if near:
            return f"{msg}; did you mean {' or '.join(repr(n) for n in near[:2])}?"
        return f"{msg}; the registry knows: {', '.join(m.id for m in self.models)}"

    def ids(self) -> list[str]:
        return [m.id for m in self.models]

    @property
    def default_entry(self) -> RegistryEntry:
        return self.get(self.default)


#: Names people know from other tools that lead to an entry of another export of the same weights:
#: {normalised name: (registry id, what the name is)}.
ALIASES: dict[str, tuple[str, str]] = {
    "rclip": ("openclip-vit-b-32-256-datacomp", "the model rclip downloads on its first run"),
    "vit-b-32-openai": (
        "openai-clip-vit-b-32",
        "Immich's name for OpenAI CLIP ViT-B/32 (the same weights, exported by Xenova)",
    ),
}


def _norm(name: str) -> str:
    """A name compared as people type it: case, '_' vs '-', a hub URL's prefix do not matter."""
    n = name.strip().lower()
    for prefix in ("https://huggingface.co/", "http://huggingface.co/", "huggingface.co/", "hf.co/"):
        if n.startswith(prefix):
            n = n[len(prefix) :]
    n = n.strip("/")
    out: list[str] = []
    for ch in n:
        c = "-" if ch in "_/: " else ch
        if not (c == "-" and out and out[-1] == "-"):
            out.append(c)
    return "".join(out).strip("-")


def _keys(name: str) -> set[str]:
    """The normalised forms of a typed name: as given, and without an owner ('immich-app/…')."""
    return {k for k in (_norm(name), _norm(name.strip().rstrip("/").rsplit("/", 1)[-1])) if k}


def is_commit(revision: str) -> bool:
    return len(revision) == 40 and all(c in "0123456789abcdef" for c in revision)


def registry_path() -> Path:
    from photosearch.config import setting

    env = setting(ENV_REGISTRY)
    return Path(env) if env else _PACKAGED


def load_registry(path: str | Path | None = None) -> Registry:
    p = Path(path) if path else registry_path()
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise ManifestError(f"cannot read the model registry {p}: {e}") from e
    return parse_registry(data, source=p)


def parse_registry(data: Any, source: Path | None = None) -> Registry:
    if not isinstance(data, dict) or data.get("format") != REGISTRY_FORMAT:
        raise ManifestError(f"model registry {source}: expected format {REGISTRY_FORMAT!r}")
    models = []
    seen: set[str] = set()
    for i, m in enumerate(data.get("models", [])):
        where = f"models[{i}]"
        try:
            mid = str(m["id"])
            if mid in seen or not mid or "/" in mid or mid.startswith("."):
                raise ManifestError(f"registry {where}: bad or duplicate id {mid!r}")
            seen.add(mid)
            layout = str(m["layout"])
            if layout not in LAYOUTS:
                raise ManifestError(f"registry {where}: layout {layout!r} is not one of {', '.join(LAYOUTS)}")
            files = []
            for f in m["files"]:
                path = safe_relpath(str(f["path"]), f"registry file name in {mid}")
                sha = f.get("sha256")
                if sha is not None and (
                    len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha.lower())
                ):
                    raise ManifestError(f"registry {where}: sha256 of {path} is not a hex digest")
                files.append(
                    RegistryFile(
                        path=path,
                        size=f.get("size"),
                        sha256=sha.lower() if sha else None,
                        approx_mb=f.get("approx_mb"),
                    )
                )
            sub = str(m.get("subfolder") or "")
            if sub:
                safe_relpath(sub, "registry subfolder")
            pin = str(m.get("pin") or ("commit" if is_commit(str(m.get("revision") or "")) else "none"))
            if pin not in PINS or (pin == "commit") != is_commit(str(m.get("revision") or "")):
                raise ManifestError(
                    f"registry {where}: pin {pin!r} does not match revision {m.get('revision')!r}"
                )
            files_known = bool(m.get("files_known", True))
            models.append(
                RegistryEntry(
                    id=mid,
                    name=str(m["name"]),
                    family=str(m["family"]),
                    layout=layout,
                    hub_repo=str(m["hub_repo"]),
                    files=tuple(files),
                    licence=str(m["licence"]),
                    commercial_use=bool(m["commercial_use"]),
                    languages=tuple(m.get("languages", ["en"])),
                    embedding_dim=int(m["embedding_dim"]),
                    image_size=m.get("image_size"),
                    revision=str(m.get("revision") or "main"),
                    subfolder=sub,
                    quality=dict(m.get("quality") or {}),
                    image_gflops=m.get("image_gflops"),
                    speed_class=str(m.get("speed_class", "")),
                    dynamic_batch=m.get("dynamic_batch"),
                    dynamic_sequence=m.get("dynamic_sequence"),
                    approx_download_mb=m.get("approx_download_mb"),
                    notes=str(m.get("notes", "")),
                    files_known=files_known,
                    pin=pin,
                    pin_note=str(m.get("pin_note") or ""),
                    licence_note=str(m.get("licence_note") or ""),
                    ram_mb=m.get("ram_mb"),
                    text_convention=str(m.get("text_convention") or ""),
                )
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ManifestError(f"registry {where}: {type(e).__name__}: {e}") from e
    default = str(data.get("default", ""))
    if default not in seen:
        raise ManifestError(f"registry default {default!r} is not one of its models")
    return Registry(
        models=tuple(models),
        default=default,
        default_reason=str(data.get("default_reason", "")),
        hub=str(data.get("hub", "https://huggingface.co")),
        source=source,
    )
