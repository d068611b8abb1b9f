"""Text-recognition model packages ("text readers"): a PaddleOCR recognition ONNX that reads a script the
bundled PP-OCRv6 model does not (Cyrillic, Hangul, Arabic, Devanagari …), imported like a CLIP package.

A text reader lives in ``models_dir/text-readers/<id>/``: ``manifest.json`` (format
``photosearch-text-reader/1``, ``kind`` ``text-recognition``, the scripts it reads, the licence, the files
with size and sha256) and the files it names: the recognition ONNX, and a character list (``dict.txt``)
unless the ONNX carries it in its metadata (key ``character``, as RapidOCR's ONNX exports do).

The import (``import_text_reader``) accepts a folder holding one recognition ``.onnx`` (and, when its
metadata has no character list, one ``.txt`` with one character a line), or such a package folder. It
refuses a file it cannot use: no character list, an output that does not match the list's length (a model
and a dictionary of different scripts), a model that does not run on a text-line image; and it never guesses
the scripts (they are given, or the manifest says them). Files are checked by sha256, copied into a temporary
folder inside the models folder, checked again and renamed into place (atomic). When a file's sha256 is one
that RapidOCR publishes (its ``default_models.yaml``), the import says which model it matches.

At load (``load_text_reader``) every file's sha256 is checked again: a changed file is refused with a plain
message, and the text pass skips rather than read with it (or silently read with another model).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import shutil
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from photosearch.errors import ManifestError
from photosearch.models.install import remove_package_dir
from photosearch.models.manifest import FileEntry, file_entries, verify_files

log = logging.getLogger(__name__)

FORMAT = "photosearch-text-reader/1"
KIND = "text-recognition"
TEXT_READER_LAYOUT = "text-recognition"  # what ``models import`` reports as the folder's layout
SUBDIR = "text-readers"  # inside the models folder
MANIFEST_NAME = "manifest.json"
CHOICE_KEY = "text_reader"  # catalog meta: the chosen text reader's id (none or BUNDLED_ID: the bundled one)
BUNDLED_ID = "pp-ocrv6-bundled"
BUNDLED_NAME = "PP-OCRv6 small (ships with rapidocr)"
BUNDLED_SCRIPTS = ("latin", "cjk")
APACHE = "Apache-2.0"
# the scripts a text reader can say it reads (PaddleOCR's per-script recognition models, by script)
SCRIPTS = (
    "latin",
    "cjk",
    "cyrillic",
    "hangul",
    "arabic",
    "devanagari",
    "greek",
    "thai",
    "tamil",
    "telugu",
    "kannada",
    "hebrew",
    "georgian",
)
_NAME_HINTS = {  # file-name prefixes of PaddleOCR's models → script: only to suggest the option, never applied
    "cyrillic": "cyrillic",
    "eslav": "cyrillic",
    "korean": "hangul",
    "arabic": "arabic",
    "devanagari": "devanagari",
    "el": "greek",
    "th": "thai",
    "ta": "tamil",
    "te": "telugu",
    "ka": "kannada",
    "latin": "latin",
    "en": "latin",
    "ch": "cjk",
    "japan": "cjk",
}


@dataclass(frozen=True)
class TextReaderManifest:
    id: str
    name: str
    scripts: tuple[str, ...]
    licence: str
    model: str  # the recognition ONNX (a file of ``files``)
    dictionary: str | None  # the character list (a file of ``files``); None: in the ONNX's metadata
    characters: int
    files: dict[str, FileEntry]
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "kind": KIND,
            "id": self.id,
            "name": self.name,
            "scripts": list(self.scripts),
            "licence": self.licence,
            "model": self.model,
            "dictionary": self.dictionary,
            "characters": self.characters,
            "files": {n: {"size": e.size, "sha256": e.sha256} for n, e in self.files.items()},
            "source": self.source,
            "extra": self.extra,
        }


@dataclass(frozen=True)
class TextReaderPackage:
    root: Path
    manifest: TextReaderManifest

    @property
    def id(self) -> str:
        return self.manifest.id

    @property
    def model_path(self) -> Path:
        return self.root / self.manifest.model

    @property
    def dict_path(self) -> Path | None:
        d = self.manifest.dictionary
        return self.root / d if d else None


class MetaStore(Protocol):
    """Where the choice is kept: the catalog's meta table (``Catalog.get_meta``/``set_meta``)."""

    def get_meta(self, key: str, default: str | None = None) -> str | None: ...

    def set_meta(self, key: str, value: str | None) -> None: ...


_choice_lock = threading.Lock()
_choices_made = 0  # changes of the choice made in this process (``choose``), in any library


def chosen(catalog: MetaStore) -> str | None:
    """The id of the text reader chosen with ``models use`` (None: the bundled one). The text pass reads it
    when it starts and again only after ``choices_made()`` moved."""
    return catalog.get_meta(CHOICE_KEY)


def choose(catalog: MetaStore, reader_id: str | None) -> None:
    """Make the text pass read with ``reader_id`` (None or BUNDLED_ID: the bundled reader). Every change of
    the choice goes through here: a running text pass in this process (the running owner takes other
    processes' ``models use``) sees ``choices_made()`` move and reads the choice again before its next
    photo."""
    global _choices_made
    catalog.set_meta(CHOICE_KEY, None if reader_id in (None, BUNDLED_ID) else reader_id)
    with _choice_lock:  # after the write: a pass that sees the new count reads the new choice
        _choices_made += 1


def choices_made() -> int:
    """How many times ``choose`` changed a choice in this process (to notice a change without the catalog)."""
    return _choices_made


def readers_dir(models_dir: Path) -> Path:
    return models_dir / SUBDIR


def is_text_reader_manifest(folder: Path) -> bool:
    try:
        data = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("kind") == KIND


def looks_like_text_reader(folder: str | Path) -> bool:
    """A package folder of kind text-recognition, or a folder (no manifest) holding exactly one ``.onnx``."""
    f = Path(folder)
    if not f.is_dir():
        return False
    if (f / MANIFEST_NAME).is_file():
        return is_text_reader_manifest(f)
    return len(list(f.glob("*.onnx"))) == 1


def parse_manifest(data: Any) -> TextReaderManifest:
    if not isinstance(data, dict):
        raise ManifestError("text reader manifest: expected an object")
    if data.get("format") != FORMAT or data.get("kind") != KIND:
        raise ManifestError(f"not a text reader manifest (format {FORMAT!r}, kind {KIND!r} expected)")

    def text(key: str) -> str:
        v = data.get(key)
        if not isinstance(v, str) or not v:
            raise ManifestError(f"text reader manifest field '{key}' is missing or not text")
        return v

    model_id = text("id")
    if "/" in model_id or "\\" in model_id or model_id.startswith(".") or model_id == BUNDLED_ID:
        raise ManifestError(f"text reader manifest field 'id' is not a valid name: {model_id!r}")
    scripts = data.get("scripts")
    if not isinstance(scripts, list) or not scripts or any(s not in SCRIPTS for s in scripts):
        raise ManifestError(
            f"text reader manifest field 'scripts' must list scripts among {', '.join(SCRIPTS)}; got {scripts!r}"
        )
    files: dict[str, FileEntry] = {}
    raw = data.get("files")
    if not isinstance(raw, dict):
        raise ManifestError("text reader manifest field 'files' is missing")
    for name, entry in raw.items():
        if Path(name).name != name or name.startswith("."):
            raise ManifestError(
                f"text reader manifest: file {name!r} must be a plain name inside the package"
            )
        sha = str((entry or {}).get("sha256", "")).lower()
        size = (entry or {}).get("size")
        if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha) or not isinstance(size, int):
            raise ManifestError(f"text reader manifest: file {name!r} needs its size and sha256")
        files[name] = FileEntry(size=size, sha256=sha)
    model = text("model")
    dictionary = data.get("dictionary")
    for key, name in (("model", model), ("dictionary", dictionary)):
        if name is not None and name not in files:
            raise ManifestError(f"text reader manifest field '{key}' names {name!r}, not listed in 'files'")
    chars = data.get("characters")
    return TextReaderManifest(
        id=model_id,
        name=text("name"),
        scripts=tuple(scripts),
        licence=text("licence"),
        model=model,
        dictionary=dictionary if isinstance(dictionary, str) else None,
        characters=chars if isinstance(chars, int) else 0,
        files=files,
        source=str(data.get("source") or ""),
        extra=dict(data.get("extra") or {}),
    )


def load_package_dir(root: Path, verify: str = "sha256") -> TextReaderPackage:
    mpath = root / MANIFEST_NAME
    try:
        data = json.loads(mpath.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ManifestError(f"{mpath}: cannot read the text reader manifest: {e}") from e
    m = parse_manifest(data)
    if verify != "none":
        verify_files(
            root,
            m.files,
            verify == "sha256",
            owner=f"text reader '{m.id}'",
            origin="imported",
            advice="; import it again, or go back to the bundled reader with "
            f"'photosearch models use {BUNDLED_ID}'",
        )
    return TextReaderPackage(root, m)


def load_text_reader(models_dir: Path, reader_id: str, verify: str = "sha256") -> TextReaderPackage:
    """The installed text reader ``reader_id``, its files checked (sha256 by default): ManifestError if not."""
    root = readers_dir(models_dir) / reader_id
    if not (root / MANIFEST_NAME).is_file():
        raise ManifestError(f"text reader '{reader_id}' is not installed")
    return load_package_dir(root, verify)


def installed_text_readers(models_dir: Path) -> list[TextReaderPackage]:
    d = readers_dir(models_dir)
    out: list[TextReaderPackage] = []
    if d.is_dir():
        for sub in sorted(d.iterdir()):
            if sub.is_dir() and not sub.name.startswith(".") and (sub / MANIFEST_NAME).is_file():
                try:
                    out.append(load_package_dir(sub, verify="none"))
                except ManifestError as e:
                    log.warning("ignoring broken text reader package %s: %s", sub, e)
    return out


def is_installed(models_dir: Path, reader_id: str) -> bool:
    return reader_id == BUNDLED_ID or (readers_dir(models_dir) / reader_id / MANIFEST_NAME).is_file()


def remove_text_reader(models_dir: Path, reader_id: str) -> None:
    remove_package_dir(readers_dir(models_dir) / reader_id, f"text reader '{reader_id}'")


# --------------------------------------------------------------------------------------------------
# import


def rapidocr_published(sha256: str) -> str | None:
    """The RapidOCR model key whose published ONNX has this sha256 (its ``default_models.yaml``), or None."""
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "default_models.yaml"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        log.info("rapidocr's model list not readable: %s", e)
        return None
    # its layout: "onnxruntime:" → version → task → "<model_key>:" → "SHA256: <hex>" (read without a YAML
    # parser: only the keys and the SHA256 lines of the onnxruntime section matter)
    section, key = "", ""
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        if indent == 0:
            section = stripped.rstrip(":")
        elif section == "onnxruntime" and indent == 6 and stripped.endswith(":"):
            key = stripped[:-1]
        elif section == "onnxruntime" and stripped.startswith("SHA256:"):
            if stripped.split(":", 1)[1].strip().strip("'\"").lower() == sha256:
                return key
    return None


def _characters(onnx: Path, dict_file: Path | None) -> tuple[int, str]:
    """How many characters the model's list has, and where it comes from."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    try:
        sess = ort.InferenceSession(str(onnx), opts, providers=["CPUExecutionProvider"])
    except Exception as e:  # onnxruntime raises its own types
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        raise ManifestError(f"{onnx.name}: not an ONNX model onnxruntime can load: {first}") from None
    meta = sess.get_modelmeta().custom_metadata_map
    if "character" in meta:
        n, where = len(meta["character"].splitlines()), "the ONNX's metadata"
    elif dict_file is not None:
        n = len(dict_file.read_bytes().decode("utf-8").splitlines())
        where = dict_file.name
    else:
        raise ManifestError(
            f"{onnx.name} carries no character list in its metadata, and the folder has no dictionary "
            "(.txt, one character a line, as PaddleOCR publishes it next to the model): add it"
        )
    ins = sess.get_inputs()
    if len(ins) != 1 or len(ins[0].shape) != 4 or ins[0].shape[1] != 3:
        raise ManifestError(
            f"{onnx.name}: not a text-recognition model (one image input [N, 3, H, W] expected)"
        )
    height = ins[0].shape[2] if isinstance(ins[0].shape[2], int) else 48
    import numpy as np

    try:
        out = sess.run(None, {ins[0].name: np.zeros((1, 3, height, 320), dtype=np.float32)})[0]
    except Exception as e:  # onnxruntime raises its own types
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        raise ManifestError(f"{onnx.name} does not run on a text-line image: {first}") from None
    classes = int(np.asarray(out).shape[-1])
    if classes != n + 2:  # CTC: the blank, the list, and a space
        raise ManifestError(
            f"{onnx.name} tells {classes} classes apart, but its character list ({where}) has {n} characters "
            f"(+2 expected: {n + 2}); the model and the list do not belong together"
        )
    return n, where


def _suggest(onnx: Path) -> str:
    hint = _NAME_HINTS.get(onnx.name.split("_")[0].lower())
    return f" (its file name suggests --script {hint})" if hint else ""


def import_text_reader(
    src: str | Path,
    models_dir: Path,
    *,
    scripts: tuple[str, ...] | list[str] = (),
    reader_id: str | None = None,
    name: str | None = None,
    licence: str | None = None,
) -> TextReaderPackage:
    """Install a text reader from ``src`` (see the module docstring) into ``models_dir/text-readers``."""
    src = Path(src)
    given = tuple(dict.fromkeys(s.strip().lower() for s in scripts if s.strip()))
    unknown = [s for s in given if s not in SCRIPTS]
    if unknown:
        raise ManifestError(f"unknown script {', '.join(unknown)}; known: {', '.join(SCRIPTS)}")
    if (src / MANIFEST_NAME).is_file():
        pkg = load_package_dir(src, verify="sha256")
        m = pkg.manifest
        if given and set(given) != set(m.scripts):
            raise ManifestError(f"the package says it reads {', '.join(m.scripts)}, not {', '.join(given)}")
        names = list(m.files)
        model, dictionary = m.model, m.dictionary
        reader_id = reader_id or m.id
        name, licence = name or m.name, licence or m.licence
        given, source, extra = m.scripts, m.source, dict(m.extra)
    else:
        onnxs = sorted(src.glob("*.onnx"))
        if len(onnxs) != 1:
            raise ManifestError(
                f"{src}: a text reader folder holds one recognition .onnx; found {len(onnxs)}"
            )
        txts = sorted(src.glob("*.txt"))
        if len(txts) > 1:
            raise ManifestError(
                f"{src}: more than one .txt ({', '.join(t.name for t in txts)}); keep the dictionary only"
            )
        model, dictionary = onnxs[0].name, (txts[0].name if txts else None)
        names = [model] + ([dictionary] if dictionary else [])
        reader_id = reader_id or _slug(onnxs[0].stem)
        name = name or onnxs[0].stem
        licence = licence or APACHE
        source, extra = f"imported from {src}", {}
    onnx = src / model
    if reader_id == BUNDLED_ID or not reader_id:
        raise ManifestError(f"'{reader_id}' is the bundled text reader's name; choose another")
    n, where = _characters(onnx, src / dictionary if dictionary else None)
    if not given:  # checked after the file itself: a folder that is no text reader is told so first
        raise ManifestError(
            f"say which scripts {onnx.name} reads, e.g. --script cyrillic{_suggest(onnx)}; "
            f"known: {', '.join(SCRIPTS)}"
        )
    if dictionary and where != dictionary:
        names.remove(dictionary)  # the ONNX carries its list: the .txt is not used
        dictionary = None
    files = {x: FileEntry(**e) for x, e in file_entries(src, names).items()}
    published = rapidocr_published(files[model].sha256)
    checks = {
        "scripts": ", ".join(given),
        "characters": f"{n:,} (from {where}), matching the model's output",
        "runs": "on a blank text line",
        "published": f"matches rapidocr's published {published}"
        if published
        else "not a file rapidocr publishes",
    }
    manifest = TextReaderManifest(
        id=reader_id,
        name=name,
        scripts=tuple(given),
        licence=licence,
        model=model,
        dictionary=dictionary,
        characters=n,
        files=files,
        source=source,
        extra={**extra, "import_checks": checks, "rapidocr_model": published},
    )
    base = readers_dir(models_dir)
    base.mkdir(parents=True, exist_ok=True)
    dest = base / reader_id
    tmp = base / f".incoming-{reader_id}-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir()
        for x in names:
            shutil.copy2(src / x, tmp / x)
        (tmp / MANIFEST_NAME).write_text(json.dumps(manifest.to_json(), indent=2) + "\n", encoding="utf-8")
        load_package_dir(tmp, verify="sha256")  # the copies are the files that were checked
        if dest.exists():
            old = base / f".old-{reader_id}-{uuid.uuid4().hex[:8]}"
            dest.rename(old)
            tmp.rename(dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    log.info("installed text reader %s into %s", reader_id, dest)
    return load_package_dir(dest, verify="size")


def _slug(stem: str) -> str:
    out = "".join(c if c.isalnum() or c in "-." else "-" for c in stem.lower()).strip("-.")
    return out or "text-reader"
