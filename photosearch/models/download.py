"""Downloading model files from the model hub: progress callback, resume with HTTP Range requests,
sha256 check, proxies from the environment, a clear message when offline.

The hub's layout is ``{base}/{repo}/resolve/{revision}/{path}`` (Hugging Face); ``base`` comes from
``PHOTOSEARCH_HUB_URL`` (default ``https://huggingface.co``), so tests and mirrors can point it elsewhere.
``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY`` are honoured (urllib's ``ProxyHandler`` reads them).

Files are written to ``<name>.part`` and renamed only after size and checksum match; an interrupted
download leaves the ``.part`` file, and the next attempt asks the server for the rest only
(``Range: bytes=N-``, accepted only with a ``206`` whose ``Content-Range`` starts at ``N``).
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import shutil
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from photosearch.errors import Cancelled, DiskFull, DownloadError
from photosearch.models.registry import RegistryEntry, safe_relpath

log = logging.getLogger(__name__)

ENV_HUB_URL = "PHOTOSEARCH_HUB_URL"
DEFAULT_HUB_URL = "https://huggingface.co"
OFFLINE_MESSAGE = "couldn't reach the model hub — import a model folder instead"
USER_AGENT = "PhotoSearch/0.1 (+model download)"
CHUNK = 1 << 16


class HubUnreachable(DownloadError):
    """No connection to the hub at all (offline, DNS failure, refused, proxy down)."""


class ChecksumMismatch(DownloadError):
    """A downloaded file's size or sha256 is not what the registry says: the file is refused."""


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


def hub_base_url() -> str:
    return (os.environ.get(ENV_HUB_URL) or DEFAULT_HUB_URL).rstrip("/")


def file_url(repo: str, path: str, revision: str = "main", base: str | None = None) -> str:
    safe_relpath(path, "hub file name")
    quoted_repo = "/".join(urllib.parse.quote(p, safe="") for p in repo.split("/"))
    quoted = "/".join(urllib.parse.quote(p, safe="") for p in path.split("/"))
    return f"{(base or hub_base_url()).rstrip('/')}/{quoted_repo}/resolve/{urllib.parse.quote(revision, safe='')}/{quoted}"


def _opener() -> urllib.request.OpenerDirector:
    # built per download so that proxy variables set after import are honoured
    return urllib.request.build_opener(urllib.request.ProxyHandler())


def _unreachable_reason(e: BaseException) -> bool:
    reason = e.reason if isinstance(e, urllib.error.URLError) else e
    return isinstance(reason, ConnectionRefusedError | socket.gaierror | socket.timeout | TimeoutError
                      | ConnectionResetError | OSError) and not isinstance(reason, str)


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
                "run the install again to resume") from last_error
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
            if e.code in (401, 403):
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
                    log.warning("%s: bad Content-Range %r for offset %d; starting over",
                                name, resp.headers.get("Content-Range"), offset)
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
                        raise ChecksumMismatch(f"{name}: the server has {int(length):,} bytes; expected {total:,}")
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
            f"{name}: checksum mismatch (sha256 {digest[:12]}…, expected {sha256[:12]}…); the file was refused")
    part.replace(dest)
    return FileResult(dest, got, digest, received, attempts, resumed_from)


def _write(out, block: bytes, part: Path) -> None:  # noqa: ANN001
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
) -> dict[str, FileResult]:
    """Download every file of a registry entry into ``staging`` (hub paths, minus the entry's subfolder).

    Already complete files (size and sha256 as the registry says) are not downloaded again; partial ones
    are resumed. Returns {local relative name: FileResult}. ``progress`` gets :class:`DownloadProgress`.
    """
    staging = Path(staging)
    staging.mkdir(parents=True, exist_ok=True)
    root = staging.resolve()
    files = entry.files
    known_total = entry.total_size
    if known_total is not None:
        free = shutil.disk_usage(staging).free
        if free < known_total * 2.2:  # download + installed copy
            raise DiskFull(f"not enough disk space for {entry.name}: needs about "
                           f"{known_total * 2.2 / 1e6:,.0f} MB, {free / 1e6:,.0f} MB free")
    results: dict[str, FileResult] = {}
    done_before = 0
    meter = _Meter()
    for i, f in enumerate(files):
        local = local_name(entry, f.path)
        target = (staging / local).resolve()
        if root not in target.parents:
            raise DownloadError(f"refusing to write outside the download folder: {f.path!r}")
        if target.is_file() and f.sha256 and target.stat().st_size == (f.size or target.stat().st_size) \
                and _sha256(target) == f.sha256:
            results[local] = FileResult(target, target.stat().st_size, f.sha256, 0, 0)
            done_before += target.stat().st_size
            continue

        def on_bytes(file_done: int, file_total: int | None, _i: int = i, _name: str = local,
                     done_before: int = done_before) -> None:
            if progress is None:
                return
            done = done_before + file_done
            rest = sum(x.size or 0 for x in files[_i + 1:])
            total = None
            if known_total is not None:
                total = known_total
            elif file_total is not None and all(x.size is not None for x in files[_i + 1:]):
                total = done_before + file_total + rest
            rate = meter.update(done)
            eta = (total - done) / rate if (rate > 0 and total is not None) else None
            progress(DownloadProgress(_name, file_done, file_total, done, total, _i, len(files), rate, eta))

        url = file_url(entry.hub_repo, f.path, entry.revision, base_url)
        log.info("downloading %s", url)
        res = download_file(url, target, size=f.size, sha256=f.sha256, progress=on_bytes, cancel=cancel,
                            retries=retries, timeout=timeout)
        results[local] = res
        done_before += res.size
    return results


def local_name(entry: RegistryEntry, hub_path: str) -> str:
    """Where a hub file goes inside the staging folder: its path without the entry's subfolder."""
    sub = entry.subfolder.strip("/")
    name = hub_path[len(sub) + 1:] if sub and hub_path.startswith(sub + "/") else hub_path
    return safe_relpath(name, "model file name")
