"""Downloading model files from the model hub: progress callback, resume with HTTP Range requests,
verification against the registry's and the hub's own hashes, proxies from the environment, a clear
message when offline. The hub's protocol (URLs, HEAD metadata, tree API) is in :mod:`photosearch.models.hub`.

Files are written to ``<name>.part`` and renamed only after size and checksum match; an interrupted
download leaves the ``.part`` file, and the next attempt asks the server for the rest only
(``Range: bytes=N-``, accepted only with a ``206`` whose ``Content-Range`` starts at ``N``); the resumed file
is verified as a whole.

:func:`download_entry` first asks the hub about every file (``HEAD`` of its resolve URL: ``X-Linked-Etag``
= sha256 and ``X-Linked-Size`` for LFS files, the git blob sha1 ``ETag`` for small files, ``X-Repo-Commit``),
refuses a file whose hub hash differs from the registry's pin, checks free disk space, then downloads each
file from the resolved commit and verifies it. A file with no hash from any side is downloaded only with
``allow_unverified=True`` (the person's explicit consent). ONNX external-data files a graph refers to are
fetched and verified the same way. For an entry whose file list is unknown, the file list comes from the
hub's tree API at the resolved commit.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import logging
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from photosearch.errors import Cancelled, DiskFull, DownloadError
from photosearch.models.hub import (
    DEFAULT_HUB_URL,
    ENV_HUB_URL,
    NOT_THE_HUB,
    OFFLINE_MESSAGE,
    USER_AGENT,
    ChecksumMismatch,
    HubUnreachable,
    file_url,
    git_blob_sha1_file,
    hub_base_url,
    opener,
    unreachable,
)
from photosearch.models.registry import RegistryEntry
from photosearch.models.staging import downloading

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_HUB_URL",
    "ENV_HUB_URL",
    "OFFLINE_MESSAGE",
    "ChecksumMismatch",
    "HubUnreachable",
    "file_url",
    "hub_base_url",
]
CHUNK = 1 << 16
DISK_FACTOR = 2.2  # download + build + installed copy


class UnverifiedDownload(DownloadError):
    """Some file has no hash from the registry nor from the hub: it needs the person's explicit consent."""


@dataclass(frozen=True)
class DownloadProgress:
    """One progress report. ``done``/``total`` count bytes over all files of the download (``total`` is
    None while unknown); ``file_done``/``file_total`` the current file. ``rate`` in bytes/s,
    ``eta`` in seconds (None when unknown)."""

    file: str
    file_done: int
    file_total: int | None
    done: int
    total: int | None
    file_index: int
    file_count: int
    rate: float = 0.0
    eta: float | None = None

    @property
    def fraction(self) -> float | None:
        return self.done / self.total if self.total else None


ProgressCallback = Callable[[DownloadProgress], None]
CancelCheck = Callable[[], bool]


@dataclass
class FileResult:
    path: Path
    size: int
    sha256: str
    received: int  # body bytes received over the network by this call (resumes included)
    attempts: int
    resumed_from: list[int] = field(default_factory=list)
    url: str = ""
    commit: str | None = None
    verified_by: str = ""  # "registry sha256", "hub sha256", "hub git sha1", "unverified (allowed)"


def _opener() -> urllib.request.OpenerDirector:
    return opener()


def _unreachable_reason(e: BaseException) -> bool:
    return unreachable(e)


def _parse_content_range(value: str | None) -> tuple[int, int, int | None] | None:
    # "bytes START-END/TOTAL" (TOTAL may be "*")
    if not value or not value.startswith("bytes "):
        return None
    try:
        span, _, total = value[6:].partition("/")
        start, _, end = span.partition("-")
        return int(start), int(end), (None if total.strip() == "*" else int(total))
    except ValueError:
        return None


class _Meter:
    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.n0 = 0
        self.rate = 0.0

    def update(self, done: int) -> float:
        now = time.monotonic()
        dt = now - self.t0
        if dt >= 0.5:
            inst = (done - self.n0) / dt
            self.rate = inst if self.rate == 0 else 0.7 * self.rate + 0.3 * inst
            self.t0, self.n0 = now, done
        return self.rate


def download_file(
    url: str,
    dest: str | Path,
    *,
    size: int | None = None,
    sha256: str | None = None,
    git_sha1: str | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    cancel: CancelCheck | None = None,
    retries: int = 3,
    timeout: float = 30.0,
) -> FileResult:
    """Download ``url`` to ``dest`` (atomically: via ``dest.part``), resuming a previous partial file.

    ``progress(file_done, file_total)`` is called after every chunk. Lost connections are retried up to
    ``retries`` times, each time asking only for the missing bytes. Raises :class:`HubUnreachable` when
    the server can't be reached at all, :class:`ChecksumMismatch` when size or sha256 differ (the bad
    file is deleted), :class:`DownloadError` for HTTP errors and interruptions (the partial file is kept
    for the next attempt), :class:`Cancelled` when ``cancel()`` turns true (partial file kept).
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    opener = _opener()
    received = 0
    attempts = 0
    resumed_from: list[int] = []
    total = size
    last_error: BaseException | None = None
    name = dest.name
    while True:
        offset = part.stat().st_size if part.exists() else 0
        if total is not None and offset > total:
            part.unlink()
            offset = 0
        if total is not None and offset == total:
            break
        if attempts > retries:
            raise DownloadError(
                f"download of {name} was interrupted ({offset:,} of {total or '?'} bytes): {last_error}; "
                "run the install again to resume"
            ) from last_error
        if attempts > 1:
            time.sleep(min(2.0, 0.25 * 2 ** (attempts - 2)))  # back-off between retries (not test sync)
        attempts += 1
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        req = urllib.request.Request(url, headers=headers)
        try:
            resp = opener.open(req, timeout=timeout)
        except urllib.error.HTTPError as e:
            if e.code == 416 and offset:
                log.info("%s: server refused the range (416); starting over", name)
                part.unlink()
                last_error = e
                continue
            if e.code == 404:
                raise DownloadError(f"the model hub has no file {url} (404)") from e
            if e.code == 401:
                raise DownloadError(f"the model hub has no repository for {url}, or it is gated (401)") from e
            if e.code == 403:
                raise DownloadError(f"the model hub refused access to {url} ({e.code})") from e
            if e.code >= 500:
                last_error = e
                continue
            raise DownloadError(f"download of {name} failed: HTTP {e.code} {e.reason}") from e
        except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
            last_error = e
            if received == 0 and isinstance(e, urllib.error.URLError | OSError) and _unreachable_reason(e):
                if attempts > min(retries, 1):
                    raise HubUnreachable(f"{OFFLINE_MESSAGE} ({getattr(e, 'reason', e)})") from e
            continue
        with resp:
            status = resp.status
            mode = "ab"
            if offset and status == 206:
                cr = _parse_content_range(resp.headers.get("Content-Range"))
                if cr is None or cr[0] != offset:
                    log.warning(
                        "%s: bad Content-Range %r for offset %d; starting over",
                        name,
                        resp.headers.get("Content-Range"),
                        offset,
                    )
                    part.unlink()
                    last_error = DownloadError("server sent the wrong byte range")
                    continue
                resumed_from.append(offset)
                if cr[2] is not None:
                    if total is not None and cr[2] != total:
                        raise ChecksumMismatch(f"{name}: the server has {cr[2]:,} bytes; expected {total:,}")
                    total = cr[2]
            elif status == 200:
                if offset:
                    log.info("%s: server ignored the range request; downloading from the start", name)
                offset = 0
                mode = "wb"
                length = resp.headers.get("Content-Length")
                if length and length.isdigit():
                    if total is not None and int(length) != total:
                        raise ChecksumMismatch(
                            f"{name}: the server has {int(length):,} bytes; expected {total:,}"
                        )
                    total = int(length)
            else:
                last_error = DownloadError(f"unexpected HTTP status {status}")
                continue
            done = offset
            try:
                with open(part, mode) as out:
                    while True:
                        if cancel is not None and cancel():
                            raise Cancelled(f"download of {name} cancelled")
                        block = resp.read(CHUNK)
                        if not block:
                            break
                        _write(out, block, part)
                        received += len(block)
                        done += len(block)
                        if progress:
                            progress(done, total)
            except (OSError, http.client.HTTPException) as e:
                if isinstance(e, DiskFull):
                    raise
                log.info("%s: connection lost at %d bytes (%s); resuming", name, done, e)
                last_error = e
                continue
        if total is None:
            break
        if part.stat().st_size >= total:
            break
        last_error = DownloadError("connection closed early")

    got = part.stat().st_size if part.exists() else 0
    if total is not None and got != total:
        part.unlink(missing_ok=True)
        raise ChecksumMismatch(f"{name}: got {got:,} bytes, expected {total:,}; the file was refused")
    digest = _sha256(part)
    if sha256 and digest != sha256.lower():
        part.unlink(missing_ok=True)
        raise ChecksumMismatch(
            f"{name}: checksum mismatch (sha256 {digest[:12]}…, expected {sha256[:12]}…); the file was refused"
        )
    if git_sha1 and not sha256:
        blob = git_blob_sha1_file(part)
        if blob != git_sha1.lower():
            part.unlink(missing_ok=True)
            raise ChecksumMismatch(
                f"{name}: checksum mismatch (git blob sha1 {blob[:12]}…, the hub says "
                f"{git_sha1[:12]}…); the file was refused"
            )
    part.replace(dest)
    return FileResult(dest, got, digest, received, attempts, resumed_from, url=url)


def _write(out: IO[bytes], block: bytes, part: Path) -> None:
    try:
        out.write(block)
    except OSError as e:
        if e.errno == 28:  # ENOSPC
            raise DiskFull(f"the disk is full while downloading {part.name}") from e
        raise


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def download_entry(
    entry: RegistryEntry,
    staging: str | Path,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
    base_url: str | None = None,
    retries: int = 3,
    timeout: float = 30.0,
    allow_unverified: bool = False,
) -> dict[str, FileResult]:
    """Download every file of a registry entry into ``staging`` (hub paths, minus the entry's subfolder),
    verified against the registry's and the hub's hashes (see the module's doc).

    Already complete files are not downloaded again; partial ones are resumed. Returns {local relative name:
    FileResult} (each with its url, commit and what verified it). ``progress`` gets :class:`DownloadProgress`.
    Raises :class:`UnverifiedDownload` (before downloading anything) when a file has no hash from any side
    and ``allow_unverified`` is false.
    """
    from photosearch.models.plan import check_targets

    staging = Path(staging)
    check_targets(entry, staging, [f.path for f in entry.files])  # before any request
    staging.mkdir(parents=True, exist_ok=True)
    try:
        with downloading(staging, entry.name):
            return _download_entry(
                entry, staging, progress, cancel, base_url, retries, timeout, allow_unverified
            )
    except BaseException:
        with contextlib.suppress(OSError):  # nothing fetched to resume from: no empty folder left behind
            staging.rmdir()
        raise


def _download_entry(
    entry: RegistryEntry,
    staging: Path,
    progress: ProgressCallback | None,
    cancel: CancelCheck | None,
    base_url: str | None,
    retries: int,
    timeout: float,
    allow_unverified: bool,
) -> dict[str, FileResult]:
    from photosearch.models.onnx_refs import external_data_refs
    from photosearch.models.plan import Planner, check_targets, external_path

    if entry.files_known and _all_present(entry, staging):
        return {
            local_name(entry, f.path): FileResult(
                staging / local_name(entry, f.path),
                f.size or 0,
                f.sha256 or "",
                0,
                0,
                verified_by="registry sha256",
            )
            for f in entry.files
        }
    planner = Planner(entry, base_url, timeout)
    plan = planner.build()
    check_targets(entry, staging, [f.hub_path for f in plan.files])
    _consent(plan.unverified, allow_unverified, hub_like=plan.hub_answered)
    _check_space(staging, plan.total_size, entry.name)
    results: dict[str, FileResult] = {}
    meter = _Meter()
    done_before = 0
    i = 0
    while i < len(plan.files):
        pf = plan.files[i]
        target = staging / pf.local
        if (
            target.is_file()
            and pf.sha256
            and target.stat().st_size == (pf.size or -1)
            and _sha256(target) == pf.sha256
        ):
            res = FileResult(target, target.stat().st_size, pf.sha256, 0, 0, url=pf.url)
        else:

            def on_bytes(
                file_done: int,
                file_total: int | None,
                _i: int = i,
                _name: str = pf.local,
                _before: int = done_before,
            ) -> None:
                if progress is None:
                    return
                done = _before + file_done
                total = plan.total_size
                rate = meter.update(done)
                eta = (total - done) / rate if (rate > 0 and total is not None) else None
                progress(
                    DownloadProgress(
                        _name, file_done, file_total, done, total, _i, len(plan.files), rate, eta
                    )
                )

            log.info("downloading %s (%s)", pf.url, pf.verified_by)
            res = download_file(
                pf.url,
                target,
                size=pf.size,
                sha256=pf.sha256,
                git_sha1=pf.git_sha1,
                progress=on_bytes,
                cancel=cancel,
                retries=retries,
                timeout=timeout,
            )
        res.url, res.commit = pf.url, plan.commit
        res.verified_by = pf.verified_by if pf.verifiable else "unverified (allowed by the person)"
        results[pf.local] = res
        done_before += res.size
        if pf.local.endswith(".onnx"):  # fetch the weights files the graph points to
            new = []
            for ref in external_data_refs(target):
                hub_path = external_path(pf.hub_path, ref)
                if all(f.hub_path != hub_path for f in plan.files):
                    check_targets(entry, staging, [hub_path])
                    new.append(planner.add(hub_path))
            if new:
                _consent([f for f in new if not f.verifiable], allow_unverified)
                _check_space(staging, sum(f.size or 0 for f in new), entry.name)
        i += 1
    return results


def _all_present(entry: RegistryEntry, staging: Path) -> bool:
    for f in entry.files:
        p = staging / local_name(entry, f.path)
        if not (
            f.sha256
            and p.is_file()
            and p.stat().st_size == (f.size or p.stat().st_size)
            and _sha256(p) == f.sha256
        ):
            return False
    return bool(entry.files)


def _consent(files: list[Any], allowed: bool, hub_like: bool = True) -> None:  # list[PlannedFile]
    if files and not allowed:
        names = ", ".join(f.hub_path for f in files)
        if not hub_like:  # no answer carried X-Repo-Commit: most likely not the hub at all
            raise UnverifiedDownload(
                f"no hash for {names}: {NOT_THE_HUB} (a mirror you trust that sends no hashes: "
                "--allow-unverified)"
            )
        raise UnverifiedDownload(
            f"no hash from the registry or the hub for {names}: its bytes cannot be checked. "
            "Install anyway only if you trust the source (--allow-unverified)"
        )


def _check_space(staging: Path, need: int | None, name: str) -> None:
    if not need:
        return
    free = shutil.disk_usage(staging).free
    if free < need * DISK_FACTOR:
        raise DiskFull(
            f"not enough disk space for {name}: needs about {need * DISK_FACTOR / 1e6:,.0f} MB, "
            f"{free / 1e6:,.0f} MB free"
        )


def local_name(entry: RegistryEntry, hub_path: str) -> str:
    from photosearch.models.plan import local_name as _local

    return _local(entry, hub_path)
