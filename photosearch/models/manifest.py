"""Model package manifest: schema, loading and validation.

A model package is a folder with ``manifest.json`` plus the ONNX files and the tokenizer it names.
See ``docs/model-package.md``. Everything the rest of the code knows about a model comes from here.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from photosearch.errors import ManifestError

log = logging.getLogger(__name__)

FORMAT = "photosearch-model/1"
MANIFEST_NAME = "manifest.json"
FAMILIES = ("clip", "siglip", "xlmr-clip")
RESIZE_MODES = ("shortest", "squash", "longest")
INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos", "box", "hamming")
CROPS = ("center", "none")
CROP_ROUNDINGS = ("floor", "round")
TEXT_NORMALIZATIONS = ("clip", "siglip", "none")
QUERY_PREFIXES = ("", "flores200")  # flores200: NLLB text towers want "<FLORES-200 code><text>"
DTYPES = ("float32", "float16", "int32", "int64")


@dataclass(frozen=True)
class TensorSpec:
    name: str
    dtype: str


@dataclass(frozen=True)
class OutputSpec:
    name: str
    normalized: bool


@dataclass(frozen=True)
class VisionSpec:
    file: str
    input: TensorSpec
    output: OutputSpec
    dynamic_batch: bool
    image_size: int
    resize_mode: str
    interpolation: str
    crop: str
    crop_rounding: str
    rescale: float
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    fill_color: tuple[int, int, int] = (0, 0, 0)


@dataclass(frozen=True)
class TextSpec:
    file: str
    tokenizer: str
    input_ids: TensorSpec
    attention_mask: TensorSpec | None
    output: OutputSpec
    dynamic_batch: bool
    dynamic_sequence: bool
    context_length: int
    bos_id: int | None
    eos_id: int | None
    pad_id: int
    normalization: str
    add_special_tokens: bool = False
    query_prefix: str = ""


@dataclass(frozen=True)
class FileEntry:
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    id: str
    name: str
    family: str
    embedding_dim: int
    licence: str
    vision: VisionSpec
    text: TextSpec
    files: dict[str, FileEntry]
    commercial_use: bool = True
    languages: tuple[str, ...] = ("en",)
    description: str = ""
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data = {"format": FORMAT, **data}
        data["languages"] = list(self.languages)
        extra = data.pop("extra")
        if extra:
            data["extra"] = extra
        return data


# --------------------------------------------------------------------------------------------
# Parsing with field-precise errors


class _Reader:
    """Reads typed values out of a JSON object, naming the exact field when something is wrong."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise ManifestError(f"{where or 'manifest'}: expected an object, got {type(data).__name__}")
        self.data = data
        self.where = where

    def _path(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.data or self.data[key] is None and default is not ...:
            if default is ...:
                raise ManifestError(f"manifest field '{self._path(key)}' is missing")
            return default
        value = self.data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:
            raise ManifestError(
                f"manifest field '{self._path(key)}' must be {_kind_name(kinds)}, got {value!r}"
            )
        if int in kinds and float not in kinds and isinstance(value, float):
            raise ManifestError(f"manifest field '{self._path(key)}' must be an integer, got {value!r}")
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kinds):
            raise ManifestError(
                f"manifest field '{self._path(key)}' must be {_kind_name(kinds)}, got {value!r}"
            )
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: Any = ...) -> str:
        value = self.get(key, str, default)
        if value not in choices:
            raise ManifestError(
                f"manifest field '{self._path(key)}' is {value!r}; expected one of {', '.join(choices)}"
            )
        return str(value)

    def positive_int(self, key: str) -> int:
        value = self.get(key, int)
        if value <= 0:
            raise ManifestError(f"manifest field '{self._path(key)}' must be positive, got {value}")
        return int(value)

    def optional_int(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        return int(self.get(key, int))

    def triple(self, key: str, kind: type = float, default: Any = ...) -> tuple:
        value = self.get(key, (list, tuple), default)
        if (
            not isinstance(value, list | tuple)
            or len(value) != 3
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        ):
            raise ManifestError(
                f"manifest field '{self._path(key)}' must be a list of 3 numbers, got {value!r}"
            )
        return tuple(kind(v) for v in value)

    def sub(self, key: str) -> _Reader:
        return _Reader(self.get(key, dict), self._path(key))

    def tensor(self, key: str, dtypes: tuple[str, ...] = DTYPES) -> TensorSpec:
        r = self.sub(key)
        return TensorSpec(name=r.get("name", str), dtype=r.choice("dtype", dtypes))

    def output(self, key: str) -> OutputSpec:
        r = self.sub(key)
        return OutputSpec(name=r.get("name", str), normalized=r.get("normalized", bool))


def _kind_name(kinds: tuple[type, ...]) -> str:
    names = {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "true or false",
        list: "a list",
        dict: "an object",
        tuple: "a list",
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def parse_manifest(data: Any) -> Manifest:
    """Validate a manifest object (already decoded from JSON). Raises ManifestError naming the bad field."""
    r = _Reader(data, "")
    fmt = r.get("format", str)
    if fmt != FORMAT:
        raise ManifestError(
            f"manifest field 'format' is {fmt!r}; this version of PhotoSearch reads {FORMAT!r}"
        )
    model_id = r.get("id", str)
    if not model_id or "/" in model_id or "\\" in model_id or model_id.startswith("."):
        raise ManifestError(f"manifest field 'id' is not a valid folder name: {model_id!r}")
    dim = r.positive_int("embedding_dim")

    v = r.sub("vision")
    mean = v.triple("mean")
    std = v.triple("std")
    if any(s <= 0 for s in std):
        raise ManifestError(f"manifest field 'vision.std' must be positive, got {list(std)}")
    vision = VisionSpec(
        file=v.get("file", str),
        input=v.tensor("input", ("float32", "float16")),
        output=v.output("output"),
        dynamic_batch=v.get("dynamic_batch", bool),
        image_size=v.positive_int("image_size"),
        resize_mode=v.choice("resize_mode", RESIZE_MODES),
        interpolation=v.choice("interpolation", INTERPOLATIONS),
        crop=v.choice("crop", CROPS),
        crop_rounding=v.choice("crop_rounding", CROP_ROUNDINGS, "floor"),
        rescale=v.get("rescale", float, 1.0 / 255.0),
        mean=mean,
        std=std,
        fill_color=v.triple("fill_color", int, [0, 0, 0]),
    )

    t = r.sub("text")
    mask = None
    if t.data.get("attention_mask") is not None:
        mask = t.tensor("attention_mask", ("int32", "int64"))
    text = TextSpec(
        file=t.get("file", str),
        tokenizer=t.get("tokenizer", str),
        input_ids=t.tensor("input_ids", ("int32", "int64")),
        attention_mask=mask,
        output=t.output("output"),
        dynamic_batch=t.get("dynamic_batch", bool),
        dynamic_sequence=t.get("dynamic_sequence", bool),
        context_length=t.positive_int("context_length"),
        bos_id=t.optional_int("bos_id"),
        eos_id=t.optional_int("eos_id"),
        pad_id=int(t.get("pad_id", int)),
        normalization=t.choice("normalization", TEXT_NORMALIZATIONS),
        add_special_tokens=t.get("add_special_tokens", bool, False),
        query_prefix=t.choice("query_prefix", QUERY_PREFIXES, ""),
    )
    n_special = (text.bos_id is not None) + (text.eos_id is not None)
    if text.context_length <= n_special:
        raise ManifestError("manifest field 'text.context_length' leaves no room for tokens")

    files_r = r.sub("files")
    files: dict[str, FileEntry] = {}
    for name in files_r.data:
        _check_relative(name, f"files.{name}")
        fr = files_r.sub(name)
        sha = fr.get("sha256", str).lower()
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise ManifestError(f"manifest field 'files.{name}.sha256' is not a sha256 hex digest")
        size = fr.get("size", int)
        if size < 0:
            raise ManifestError(f"manifest field 'files.{name}.size' must not be negative")
        files[name] = FileEntry(size=int(size), sha256=sha)
    for key, name in (
        ("vision.file", vision.file),
        ("text.file", text.file),
        ("text.tokenizer", text.tokenizer),
    ):
        _check_relative(name, key)
        if name not in files:
            raise ManifestError(f"manifest field '{key}' names {name!r}, which is not listed in 'files'")

    langs = r.get("languages", (list, tuple), ["en"])
    return Manifest(
        id=model_id,
        name=r.get("name", str),
        family=r.choice("family", FAMILIES),
        embedding_dim=dim,
        licence=r.get("licence", str),
        vision=vision,
        text=text,
        files=files,
        commercial_use=r.get("commercial_use", bool, True),
        languages=tuple(str(x) for x in langs),
        description=r.get("description", str, ""),
        source=r.get("source", str, ""),
        extra=r.get("extra", dict, {}),
    )


def _check_relative(name: str, key: str) -> None:
    p = Path(name)
    if p.is_absolute() or ".." in p.parts or name.startswith(("/", "\\")):
        raise ManifestError(f"manifest field '{key}' must be a path inside the package, got {name!r}")


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class ModelPackage:
    """A validated model package on disk."""

    root: Path
    manifest: Manifest

    @property
    def id(self) -> str:
        return self.manifest.id

    @property
    def registry_id(self) -> str | None:
        """The registry id it was downloaded as (``extra.download.registry_id``); None for an imported folder."""
        rid = (self.manifest.extra.get("download") or {}).get("registry_id")
        return str(rid) if rid else None

    def path(self, name: str) -> Path:
        return self.root / name

    @property
    def vision_path(self) -> Path:
        return self.root / self.manifest.vision.file

    @property
    def text_path(self) -> Path:
        return self.root / self.manifest.text.file

    @property
    def tokenizer_path(self) -> Path:
        return self.root / self.manifest.text.tokenizer


def load_package(root: str | Path, verify: str = "size") -> ModelPackage:
    """Load and validate a package folder.

    ``verify``: "none", "size" (existence and byte size, cheap: done at every start) or
    "sha256" (full checksum: done at install/import and by ``doctor``).
    """
    root = Path(root)
    mpath = root / MANIFEST_NAME
    if not mpath.is_file():
        raise ManifestError(f"{root}: no {MANIFEST_NAME} (not a PhotoSearch model package)")
    try:
        data = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ManifestError(f"{mpath}: cannot read manifest: {e}") from e
    manifest = parse_manifest(data)
    if verify != "none":
        verify_files(root, manifest.files, verify == "sha256", owner=f"model '{manifest.id}'")
    return ModelPackage(root=root, manifest=manifest)


def package_dirs(models_dir: Path) -> Iterator[Path]:
    """The installed package folders in ``models_dir`` (a folder with a manifest, not a hidden one such as an
    install's or a removal's leftover), sorted by name; none when the folder does not exist."""
    if not models_dir.is_dir():
        return
    for d in sorted(models_dir.iterdir()):
        if d.is_dir() and not d.name.startswith(".") and (d / "manifest.json").is_file():
            yield d


def verify_files(
    root: Path,
    files: Mapping[str, FileEntry],
    checksums: bool = True,
    *,
    owner: str,
    origin: str = "packaged",
    advice: str = "",
) -> None:
    """Every file of ``files`` is in ``root`` with the manifest's size (and sha256 when ``checksums``), or
    ManifestError naming ``owner`` (e.g. "model 'x'"), the file, what differs and how it came to differ since
    it was ``origin`` (packaged, imported), then ``advice`` (what to do about it). Search models' packages
    (``load_package``) and text readers (``text_reader_pkg``) are checked by this one function."""
    for name, entry in files.items():
        p = root / name
        what = f"{owner}: its file '{name}'"
        if not p.is_file():
            raise ManifestError(f"{what}, listed in the manifest, is missing from {root}{advice}")
        size = p.stat().st_size
        if size != entry.size:
            raise ManifestError(
                f"{what} has {size} bytes, the manifest says {entry.size} (changed or damaged since it was "
                f"{origin}){advice}"
            )
        if checksums:
            digest = sha256_file(p)
            if digest != entry.sha256:
                raise ManifestError(
                    f"{what} is not the file that was {origin} (checksum mismatch: sha256 {digest[:12]}…, "
                    f"the manifest says {entry.sha256[:12]}…; changed or damaged){advice}"
                )


def file_entries(root: Path, names: list[str]) -> dict[str, dict[str, Any]]:
    """Size and sha256 for each named file (for writing a manifest)."""
    return {n: {"size": (root / n).stat().st_size, "sha256": sha256_file(root / n)} for n in names}


def write_manifest(root: Path, manifest: Manifest) -> None:
    tmp = root / (MANIFEST_NAME + ".tmp")
    tmp.write_text(json.dumps(manifest.to_json(), indent=2) + "\n", encoding="utf-8")
    tmp.replace(root / MANIFEST_NAME)


def check_embedding_dim(manifest: Manifest, observed: int, which: str) -> None:
    if observed != manifest.embedding_dim:
        raise ManifestError(
            f"manifest field 'embedding_dim' is {manifest.embedding_dim}, but the {which} model outputs {observed}"
        )
