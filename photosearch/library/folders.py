"""What a folder is, before and while it is scanned: its one identity, whether it holds photos at all,
and which of its sub-folders are left out.

- **One identity.** A folder is stored by its real path (symlinks resolved, the case the disk uses); an
  alias of an added folder — a symlink, a bind mount, the same directory (device + inode), a case-only
  difference on a case-insensitive disk — is recognised by identity, not by spelling.
- **Not photos, by content, whatever the name.** A PhotoSearch data folder (our marker file, or a
  ``catalog.sqlite3`` beside ``folders.json``/``writer.lock``/``thumbs``), a Python virtual environment
  (``pyvenv.cfg``, ``conda-meta``), a cache (a ``CACHEDIR.TAG`` with the standard signature) and, below an
  added folder, the system's own trees (``/usr``, ``/proc``, ``/etc``, …) are never catalogued.
- **Exclusions per folder.** Each added folder has a list of names or patterns of sub-folders to leave
  out, starting from ``DEFAULT_EXCLUDES``; the list is stored with the folder and can be edited.
- **Broad folders** (a disk's root, a home folder, a system folder) need the person's yes first, with an
  estimate of what would be scanned that takes a bounded time (a sample, not a full walk).
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from photosearch.config import environment
from photosearch.paths import path_inside

if TYPE_CHECKING:
    from photosearch.store.catalog import Catalog

# Written in every PhotoSearch data folder, so another library (or this one) recognises it by content.
DATA_MARKER = ".photosearch-data"
DATA_MARKER_TEXT = (
    "This folder holds a PhotoSearch library's data (catalog, index, thumbnails). It is not photos.\n"
)
CACHEDIR_TAG = "CACHEDIR.TAG"
CACHEDIR_SIGNATURE = b"Signature: 8a477f597d28d172789f06886806bc55"
CACHEDIR_TAG_TEXT = (
    CACHEDIR_SIGNATURE.decode() + "\n# This file is a cache directory tag created by PhotoSearch.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)

# Sub-folder names left out of every added folder unless the person edits its list (case-insensitive).
DEFAULT_EXCLUDES: tuple[str, ...] = (
    "$recycle.bin",
    "system volume information",
    "@eadir",
    "__macosx",
    "lost+found",
    "$rmmetadata",
    ".trash",
    ".trashes",
    ".thumbnails",
    ".cache",
    "#recycle",
    "@recycle",
    ".photosearch",
    "node_modules",
    "__pycache__",
    "site-packages",
)
# Hidden folders (a name starting with ".") are always left out as well.

_POSIX_SYSTEM = (
    "/proc",
    "/sys",
    "/dev",
    "/run",
    "/boot",
    "/usr",
    "/etc",
    "/var",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/snap",
    "/lost+found",
    "/System",
    "/Library",
    "/Applications",
    "/private/etc",
    "/private/var/db",
    "/cores",
)


def system_trees() -> tuple[str, ...]:
    """The system's own folders: never catalogued below an added folder; adding one needs a yes."""
    if os.name == "nt":
        env = environment()
        roots = [
            env.get("SystemRoot"),
            env.get("ProgramFiles"),
            env.get("ProgramFiles(x86)"),
            env.get("ProgramData"),
        ]
        return tuple(os.path.normcase(os.path.normpath(r)) for r in roots if r)
    return _POSIX_SYSTEM


def _inside(path: str, root: str) -> bool:
    return path_inside(path, root)


# -- identity -------------------------------------------------------------------------------------------


def real_folder(path: str | os.PathLike[str]) -> str:
    """The folder's one name: ``~`` expanded, absolute, symlinks resolved, each component spelled as the
    disk spells it (a case-insensitive disk accepts ``photos`` for ``Photos``)."""
    p = os.path.realpath(os.path.abspath(os.path.expanduser(os.fspath(path))))
    return _disk_case(p)


def _disk_case(path: str) -> str:
    parts = Path(path).parts
    if not parts:
        return path
    out = parts[0]
    for i, name in enumerate(parts[1:], 1):
        try:
            names = os.listdir(out)
        except OSError:
            return os.path.join(out, *parts[i:])
        if name not in names:
            lowered = name.casefold()
            same = [n for n in names if n.casefold() == lowered]
            if len(same) == 1 and _same_file(os.path.join(out, name), os.path.join(out, same[0])):
                name = same[0]
        out = os.path.join(out, name)
    return out


def identity(path: str) -> tuple[int, int] | None:
    """(device, inode) of a path (following links), or None when it cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _same_file(a: str, b: str) -> bool:
    ia = identity(a)
    return ia is not None and ia == identity(b)


def ancestors(path: str) -> list[str]:
    """``path`` and every folder above it, deepest first."""
    out = [path]
    while True:
        parent = os.path.dirname(out[-1])
        if parent == out[-1]:
            return out
        out.append(parent)


class _HasPath(Protocol):
    @property
    def path(self) -> str: ...


P = TypeVar("P", bound=_HasPath)


def distinct_files(files: Sequence[P]) -> list[P]:
    """``files`` with every further name of the same file (same device and inode: a hard link, or the
    same file seen through a symlinked or bind-mounted folder) left out; unreadable ones are kept."""
    seen: set[tuple[int, int]] = set()
    out = []
    for f in files:
        key = identity(f.path)
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        out.append(f)
    return out


# -- content: is this folder photos at all? -------------------------------------------------------------


def _is_cachedir_tag(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(CACHEDIR_SIGNATURE)) == CACHEDIR_SIGNATURE
    except OSError:
        return False


def not_photos_reason(directory: str, names: Iterable[str] | None = None) -> str | None:
    """Why a folder is not photos, judged by what it holds (``names``: its entries, when already listed)."""
    if names is None:  # probe the few names that matter (cheaper than listing a folder of 10,000 photos)
        probe = (
            DATA_MARKER,
            "catalog.sqlite3",
            "folders.json",
            "writer.lock",
            "thumbs",
            "pyvenv.cfg",
            "conda-meta",
            CACHEDIR_TAG,
        )
        names = [n for n in probe if os.path.lexists(os.path.join(directory, n))]
    present = set(names)
    if DATA_MARKER in present or (
        "catalog.sqlite3" in present and present & {"folders.json", "writer.lock", "thumbs"}
    ):
        return "it is a PhotoSearch data folder"
    if "pyvenv.cfg" in present or "conda-meta" in present:
        return "it is a Python virtual environment"
    if CACHEDIR_TAG in present and _is_cachedir_tag(os.path.join(directory, CACHEDIR_TAG)):
        return "it is marked as a cache folder (CACHEDIR.TAG)"
    return None


def system_reason(directory: str) -> str | None:
    d = os.path.normcase(os.path.normpath(directory))
    return "it is one of the system's own folders" if d in system_trees() else None


# A data folder's own sub-folders: anything else in a folder without a catalog is someone's folder
DATA_SUBFOLDERS = frozenset({"index", "models", "thumbs", "logs", "backups", "downloads"})
CACHE_SUBFOLDERS = frozenset({"openvino"})  # the user cache folder's (config.openvino_cache_dir)


def foreign_contents(data_dir: Path, subfolders: frozenset[str] = DATA_SUBFOLDERS) -> str | None:
    """What in ``data_dir`` (no catalog in it yet) says it is not to become a data folder: a photo, or a folder
    a data folder never has. A mistyped ``--data-dir ~/Pictures/2024`` would otherwise put a catalog among the
    photos, and every library would then leave that folder out as a PhotoSearch data folder. ``subfolders``:
    the folders it may hold (a cache folder's differ)."""
    from photosearch.library.imaging import is_image_name

    try:
        entries = list(os.scandir(data_dir))
    except OSError:
        return None
    for e in sorted(entries, key=lambda e: e.name):
        if e.name.startswith("."):
            continue
        if is_image_name(e.name):
            return e.name
        with contextlib.suppress(OSError):
            if e.is_dir(follow_symlinks=False) and e.name not in subfolders:
                return e.name + os.sep
    return None


def write_markers(data_dir: Path, cache_dirs: Iterable[Path] = ()) -> None:
    """Mark a data folder (and its caches) so no library ever catalogues them. Best effort."""
    for path, text in [(data_dir / DATA_MARKER, DATA_MARKER_TEXT)] + [
        (d / CACHEDIR_TAG, CACHEDIR_TAG_TEXT) for d in cache_dirs
    ]:
        try:
            if path.parent.is_dir() and not path.exists():
                path.write_text(text, encoding="utf-8")
        except OSError:
            pass


# -- exclusions -------------------------------------------------------------------------------------------


def excluded_by(rel: str, name: str, patterns: Sequence[str]) -> str | None:
    """The pattern that leaves out the sub-folder ``rel`` (path relative to the added folder, "/"-separated)
    named ``name``: a pattern without "/" matches a folder name at any depth, one with "/" the relative path
    (shell wildcards; case-insensitive)."""
    low_name, low_rel = name.casefold(), rel.casefold()
    for p in patterns:
        lp = p.casefold().strip("/")
        if "/" in lp:
            if fnmatch.fnmatchcase(low_rel, lp):
                return p
        elif fnmatch.fnmatchcase(low_name, lp):
            return p
    return None


def check_pattern(pattern: str) -> str:
    p = pattern.strip()
    parts = p.replace(os.sep, "/").split("/")
    if not p or any(part in (".", "..", "") for part in parts) or os.path.isabs(p):
        # '../..', 'a//b', './x': a sub-folder pattern never climbs out, and such a one matches nothing
        raise ValueError(
            f"'{pattern}' is not a sub-folder name or pattern (e.g. Screenshots, 'tmp*', 2019/raw)"
        )
    return p.replace(os.sep, "/")


# -- broad folders and a bounded estimate -----------------------------------------------------------------


def broad_reason(path: str) -> str | None:
    """Why adding ``path`` needs a yes first: a disk's root, a home folder, a folder of home folders, or a
    system folder (or one inside it)."""
    p = os.path.normpath(path)
    if os.path.dirname(p) == p:
        return "it is the root of a disk"
    home = os.path.realpath(os.path.expanduser("~"))
    homes = {"/home", "/Users", "/var/home"} if os.name != "nt" else {os.path.dirname(home)}
    if p == home or p == "/root" or p in homes or os.path.dirname(p) in homes:
        return "it is a home folder"
    pc = os.path.normcase(p)
    if any(_inside(pc, s) for s in system_trees()):
        return "it is one of the system's folders"
    return None


@dataclass(frozen=True)
class Estimate:
    photos: int  # image files seen
    folders: int  # folders listed
    folders_left: int  # folders found but not listed when time ran out (0 when complete)
    seconds: float
    complete: bool

    def text(self) -> str:
        def n(k: int, word: str) -> str:
            return f"{k:,} {word}{'' if k == 1 else 's'}"

        if self.complete:
            return f"{n(self.photos, 'photo')} in {n(self.folders, 'folder')}"
        likely = self.photos * (self.folders + self.folders_left) // max(self.folders, 1)
        return (
            f"at least {n(self.photos, 'photo')} in the first {n(self.folders, 'folder')} looked at "
            f"in {self.seconds:.1f} s; {n(self.folders_left, 'more folder')} not yet looked at "
            f"(likely {likely:,}+ photos)"
        )


def estimate(root: str, seconds: float = 1.0, clock: Callable[[], float] = time.monotonic) -> Estimate:
    """Photos under ``root`` by the scan's own rules, looking for at most ``seconds`` (breadth first, so a
    cut-off sample still covers the top of the tree)."""
    from photosearch.library.scan import skip_dir, skip_file

    start = clock()
    queue = [root]
    photos = folders = 0
    while queue:
        if clock() - start > seconds:
            return Estimate(photos, folders, len(queue), clock() - start, False)
        d = queue.pop(0)
        try:
            entries = list(os.scandir(d))
        except OSError:
            continue
        folders += 1
        if d != root and (not_photos_reason(d, (e.name for e in entries)) or system_reason(d)):
            continue
        for e in entries:
            try:
                if e.is_dir(follow_symlinks=False):
                    if not skip_dir(e.name) and not excluded_by(e.name, e.name, DEFAULT_EXCLUDES):
                        queue.append(e.path)
                elif not skip_file(e.name):
                    photos += 1
            except OSError:
                continue
    return Estimate(photos, folders, 0, clock() - start, True)


# -- per-folder exclusion lists: stored with the folder (catalog meta + folders.json) -----------------------

_EXCLUDES_KEY = "folder_excludes:"
_known_excludes: dict[str, tuple[str, ...]] = {}  # root -> patterns, for the watcher's per-event check
_content_cache: dict[str, tuple[float, str | None]] = {}
_CONTENT_TTL = 5.0


def load_excludes(catalog: Catalog, root: str) -> tuple[str, ...]:
    raw = catalog.get_meta(_EXCLUDES_KEY + root)
    patterns = DEFAULT_EXCLUDES
    if raw is not None:
        import json

        try:
            patterns = tuple(str(p) for p in json.loads(raw))
        except (ValueError, TypeError):
            patterns = DEFAULT_EXCLUDES
    _known_excludes[root] = patterns
    return patterns


def save_excludes(catalog: Catalog, root: str, patterns: Sequence[str] | None) -> None:
    """Store a folder's list (None: back to the defaults)."""
    import json

    if patterns is None:
        catalog.set_meta(_EXCLUDES_KEY + root, None)
        _known_excludes.pop(root, None)
        return
    catalog.set_meta(_EXCLUDES_KEY + root, json.dumps(list(patterns)))
    _known_excludes[root] = tuple(patterns)


def excludes_for(path: str) -> tuple[str, tuple[str, ...]]:
    """(the known added folder holding ``path``, its exclusion list); (path, the defaults) when none is known."""
    best = None
    for root in list(_known_excludes):
        if _inside(path, root) and (best is None or len(root) > len(best)):
            best = root
    return (best, _known_excludes[best]) if best is not None else (path, DEFAULT_EXCLUDES)


def excluded_path(path: str, root: str, is_dir: bool = False) -> str | None:
    """Why ``path`` (a file or folder inside the added folder ``root``) is left out by the folder rules —
    an excluded, data, venv, cache or system folder on the way down from ``root`` — else None. Used per
    watched change; the content checks are cached for a few seconds."""
    if not _inside(path, root) or path == root:
        return None
    patterns = _known_excludes.get(root, DEFAULT_EXCLUDES)
    rel_parts = path[len(root) :].strip(os.sep).split(os.sep)
    if is_dir:
        hit = excluded_by("/".join(rel_parts), rel_parts[-1], patterns)
        if hit:
            return f"left out by the pattern '{hit}'"
    d = root
    for i, name in enumerate(rel_parts[:-1]):
        d = os.path.join(d, name)
        hit = excluded_by("/".join(rel_parts[: i + 1]), name, patterns)
        if hit:
            return f"left out by the pattern '{hit}'"
        why = system_reason(d) or _cached_content_reason(d)
        if why:
            return why
    why = _cached_content_reason(root)
    return why


def _cached_content_reason(d: str) -> str | None:
    now = time.monotonic()
    hit = _content_cache.get(d)
    if hit is not None and now - hit[0] < _CONTENT_TTL:
        return hit[1]
    why = not_photos_reason(d)
    if len(_content_cache) > 4096:
        _content_cache.clear()
    _content_cache[d] = (now, why)
    return why
