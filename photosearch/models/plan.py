"""What a registry install will request and how each file will be verified — planned before any byte of a
model is downloaded (and printed by ``photosearch models install NAME --dry-run``).

Per file the expected hash comes from the registry (its pin) and from the hub (``X-Linked-Etag`` sha256 for
LFS files, the git blob sha1 ``ETag`` for small files); when both exist they must agree. The revision is the
registry's pinned commit, or the branch resolved to a commit by the first answer's ``X-Repo-Commit`` (all
files then come from that commit). An entry whose file list is unknown gets it from the hub's tree API.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path

from photosearch.errors import DownloadError, ManifestError
from photosearch.models.hub import (
    NOT_THE_HUB,
    ChecksumMismatch,
    HubFileInfo,
    file_url,
    head_file,
    hub_base_url,
    list_tree,
    resolve_commit,
    revision_url,
    tree_url,
)
from photosearch.models.registry import RegistryEntry, RegistryFile, is_commit, safe_relpath

# the files each layout needs when the registry does not list them: (required, optional)
LAYOUT_FILES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "immich": (
        ("visual/model.onnx", "textual/model.onnx", "textual/tokenizer.json"),
        ("config.json", "visual/preprocess_cfg.json"),
    ),
    "xenova": (
        ("onnx/vision_model.onnx", "onnx/text_model.onnx", "tokenizer.json"),
        ("preprocessor_config.json", "config.json"),
    ),
    "rclip": (("{sub}/visual.onnx", "{sub}/textual.onnx", "tokenizer/bpe_simple_vocab_16e6.txt.gz"), ()),
}


@dataclass
class PlannedFile:
    hub_path: str
    local: str
    size: int | None = None
    sha256: str | None = None
    git_sha1: str | None = None
    verified_by: str = "unverified"
    url: str = ""  # what is downloaded (at the resolved commit)
    lfs: bool = False

    @property
    def verifiable(self) -> bool:
        return bool(self.sha256 or self.git_sha1)


@dataclass
class Plan:
    entry: RegistryEntry
    base: str
    commit: str | None = None
    files: list[PlannedFile] = field(default_factory=list)
    hub_answered: bool = (
        False  # some answer carried X-Repo-Commit (the hub always sends it; a login page not)
    )

    @property
    def total_size(self) -> int | None:
        sizes = [f.size for f in self.files]
        return None if any(s is None for s in sizes) else sum(s for s in sizes if s is not None)

    @property
    def unverified(self) -> list[PlannedFile]:
        return [f for f in self.files if not f.verifiable]


def local_name(entry: RegistryEntry, hub_path: str) -> str:
    """Where a hub file goes inside the staging folder: its path without the entry's subfolder."""
    sub = entry.subfolder.strip("/")
    name = hub_path[len(sub) + 1 :] if sub and hub_path.startswith(sub + "/") else hub_path
    return safe_relpath(name, "model file name")


def check_targets(entry: RegistryEntry, staging: Path, paths: list[str]) -> None:
    """Refuse (before any request) a file name that would land outside the staging folder."""
    root = staging.resolve()
    for p in paths:
        target = (staging / local_name(entry, p)).resolve()
        if root not in target.parents:
            raise DownloadError(f"refusing to write outside the download folder: {p!r}")


def select_files(entry: RegistryEntry, tree: dict[str, HubFileInfo]) -> list[str]:
    """The files to fetch from a listed tree: the layout's files (+ everything in a PhotoSearch package's folder)."""
    sub = entry.subfolder.strip("/")
    if entry.layout == "photosearch":
        prefix = sub + "/" if sub else ""
        chosen = [p for p in tree if p.startswith(prefix)]
        if prefix + "manifest.json" not in tree:
            raise DownloadError(f"{entry.hub_repo} has no {prefix}manifest.json")
        return sorted(chosen)
    required, optional = LAYOUT_FILES[entry.layout]
    chosen = []
    for p in required:
        p = p.format(sub=sub)
        if p not in tree:
            raise DownloadError(
                f"the hub's {entry.hub_repo} has no {p}: it is not a {entry.layout}-layout model"
            )
        chosen.append(p)
    chosen += [p for p in optional if p in tree]
    return chosen


def _merge(entry: RegistryEntry, pf: PlannedFile, reg: RegistryFile | None, hub: HubFileInfo | None) -> None:
    """Combine the registry's pin and the hub's metadata into what the download is checked against."""
    sources = []
    if reg and reg.sha256:
        pf.sha256 = reg.sha256
        sources.append("registry sha256")
    if reg and reg.size is not None:
        pf.size = reg.size
    if hub is not None:
        pf.lfs = pf.lfs or hub.lfs
        if hub.sha256:
            if pf.sha256 and pf.sha256 != hub.sha256:
                raise ChecksumMismatch(
                    f"{entry.hub_repo}/{pf.hub_path}: the hub's file (sha256 {hub.sha256[:12]}…) is not the one the "
                    f"registry pins ({pf.sha256[:12]}…); refused before downloading"
                )
            pf.sha256 = hub.sha256
            sources.append("hub sha256")
        elif hub.git_sha1:
            pf.git_sha1 = hub.git_sha1
            sources.append("hub git sha1")
        if hub.size is not None:
            if pf.size is not None and pf.size != hub.size:
                raise ChecksumMismatch(
                    f"{entry.hub_repo}/{pf.hub_path}: the hub has {hub.size:,} bytes, the "
                    f"registry pins {pf.size:,}; refused before downloading"
                )
            pf.size = hub.size
    pf.verified_by = " = ".join(sources) if sources else "unverified"


class Planner:
    """Builds a :class:`Plan`, one HEAD per file; :meth:`add` also plans files found later (external data)."""

    def __init__(self, entry: RegistryEntry, base: str | None = None, timeout: float = 30.0) -> None:
        self.entry = entry
        self.plan = Plan(entry, (base or hub_base_url()).rstrip("/"))
        self.timeout = timeout
        self.tree: dict[str, HubFileInfo] | None = None
        if is_commit(entry.revision):
            self.plan.commit = entry.revision

    def build(self) -> Plan:
        e = self.entry
        paths = [f.path for f in e.files]
        if not e.files_known:
            self.plan.commit = resolve_commit(e.hub_repo, e.revision, self.plan.base, self.timeout)
            self.tree = list_tree(e.hub_repo, self.plan.commit, self.plan.base, self.timeout)
            paths = list(dict.fromkeys(select_files(e, self.tree) + [p for p in paths if p in self.tree]))
            missing = [p for p in (f.path for f in e.files) if p not in self.tree]
            if missing:
                raise DownloadError(f"the hub's {e.hub_repo} has no {', '.join(missing)}")
        for p in paths:
            self.add(p)
        return self.plan

    def add(self, hub_path: str) -> PlannedFile:
        for f in self.plan.files:
            if f.hub_path == hub_path:
                return f
        e = self.entry
        reg = next((f for f in e.files if f.path == hub_path), None)
        # HEAD at the registry's revision (the dry run's URL); every answer must name the same commit
        head_rev = self.plan.commit if (self.tree is not None and self.plan.commit) else e.revision
        info = head_file(
            file_url(e.hub_repo, hub_path, head_rev, self.plan.base), timeout=self.timeout, repo=e.hub_repo
        )
        self.plan.hub_answered = self.plan.hub_answered or bool(info.commit)
        if info.commit and is_commit(info.commit):
            if self.plan.commit is None:
                self.plan.commit = info.commit
            elif info.commit != self.plan.commit:
                raise DownloadError(
                    f"{e.hub_repo} changed while installing (commit {info.commit[:10]} instead of "
                    f"{self.plan.commit[:10]}); run the install again"
                )
        if self.tree is not None and hub_path in self.tree:
            t = self.tree[hub_path]
            if (t.sha256 and info.sha256 and t.sha256 != info.sha256) or (
                t.size and info.size and t.size != info.size
            ):
                raise ChecksumMismatch(
                    f"{e.hub_repo}/{hub_path}: the hub's tree and its file disagree; refused"
                )
        pf = PlannedFile(hub_path, local_name(e, hub_path))
        try:
            _merge(e, pf, reg, info)
        except ChecksumMismatch as err:
            if info.commit:
                raise
            raise ChecksumMismatch(f"{err} ({NOT_THE_HUB})") from None
        pf.url = file_url(e.hub_repo, hub_path, self.plan.commit or e.revision, self.plan.base)
        self.plan.files.append(pf)
        return pf


def external_path(onnx_hub_path: str, ref: str) -> str:
    """The hub path of an external-data file ``ref`` named by the graph at ``onnx_hub_path``."""
    p = posixpath.normpath(posixpath.join(posixpath.dirname(onnx_hub_path), ref))
    if p.startswith("../") or p == "..":
        raise ManifestError(f"{onnx_hub_path} refers to weights outside its folder ({ref!r}): refused")
    return p


def dry_run(entry: RegistryEntry, base: str | None = None) -> list[str]:
    """The exact requests an install of ``entry`` makes, in order, without making any (``<…>`` stands for
    what the hub answers: the commit a branch resolves to, the paths its tree lists)."""
    base = (base or hub_base_url()).rstrip("/")
    pinned = is_commit(entry.revision)

    def show(url: str) -> str:
        return url.replace("%3C", "<").replace("%3E", ">")

    out = [
        f"# {entry.id}: {entry.hub_repo} @ {entry.revision} "
        f"({'pinned commit' if pinned else 'branch, resolved to a commit at install (X-Repo-Commit)'}; "
        f"pin: {entry.pin}){' — UNVERIFIED: file list unknown here' if entry.unverified else ''}"
    ]
    commit = entry.revision if pinned else "<X-Repo-Commit>"
    if entry.unverified:
        required, optional = LAYOUT_FILES.get(entry.layout, ((), ()))
        known = [f.path for f in entry.files]
        out.append(f"GET  {revision_url(entry.hub_repo, entry.revision, base)}")
        commit = entry.revision if pinned else "<sha>"
        out.append(f"GET  {show(tree_url(entry.hub_repo, commit, base))}")
        out.append(
            f"# files resolved at install from that tree ({entry.layout} layout: "
            f"{', '.join(p.format(sub=entry.subfolder) for p in required)}"
            f"{'; when present: ' + ', '.join(p for p in optional) if optional else ''}"
            f"{'; known here: ' + ', '.join(known) if known else ''}), each:"
        )
        out.append(f"HEAD {base}/{entry.hub_repo}/resolve/{commit}/<path>")
        out.append(f"GET  {base}/{entry.hub_repo}/resolve/{commit}/<path>")
    else:
        for f in entry.files:
            pin = f"sha256 {f.sha256} (registry)" if f.sha256 else "sha256/git-sha1 from the hub (HEAD)"
            size = (
                f"{f.size:,} B"
                if f.size is not None
                else (f"~{f.approx_mb} MB" if f.approx_mb else "size from the hub")
            )
            out.append(f"HEAD {file_url(entry.hub_repo, f.path, entry.revision, base)}")
            out.append(f"GET  {show(file_url(entry.hub_repo, f.path, commit, base))}  [{pin}; {size}]")
    out.append(
        "# + every ONNX external-data file the downloaded graphs name (same folder): HEAD + GET, verified alike"
    )
    return out
