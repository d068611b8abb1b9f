"""The model hub's protocol (Hugging Face), as ``huggingface_hub`` speaks it, with urllib only.

* ``HEAD {base}/{repo}/resolve/{revision}/{path}`` without following redirects: an LFS file answers a
  redirect carrying ``X-Linked-Etag`` (its sha256, in quotes), ``X-Linked-Size`` and ``X-Repo-Commit``; a
  small non-LFS file answers ``200`` with its git blob sha1 as ``ETag`` (``file_download.get_hf_file_metadata``).
  A relative redirect without ``X-Linked-Etag`` (a renamed repository) is followed.
* ``GET {base}/api/models/{repo}/revision/{rev}`` → ``{"sha", "siblings"}``;
  ``GET {base}/api/models/{repo}/tree/{rev}?recursive=true`` → ``[{"type", "path", "size", "oid", "lfs": {"oid"}}]``
  with ``lfs.oid`` the sha256 of an LFS file and ``oid`` the git blob sha1 of any file (``HfApi.list_repo_tree``;
  further pages in a ``Link: <…>; rel="next"`` header).
* The hub answers ``401`` for a repository that does not exist (or is gated) and ``404`` for a missing
  revision or file.

``base`` is ``PHOTOSEARCH_HUB_URL``, else ``HF_ENDPOINT``, else ``https://huggingface.co``. Proxies come
from ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY`` (urllib's ``ProxyHandler`` and ``proxy_bypass``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from photosearch.errors import DownloadError
from photosearch.models.registry import safe_relpath

ENV_HUB_URL = "PHOTOSEARCH_HUB_URL"
ENV_HF_ENDPOINT = "HF_ENDPOINT"
DEFAULT_HUB_URL = "https://huggingface.co"
#: said when the answers lack what the hub always sends (a captive portal, a proxy's page)
NOT_THE_HUB = (
    "the server answers without the model hub's headers: a Wi-Fi login page or a proxy may be answering "
    "instead of the hub — open a web page to log in, or check PHOTOSEARCH_HUB_URL / HF_ENDPOINT"
)
OFFLINE_MESSAGE = "couldn't reach the model hub — import a model folder instead"
USER_AGENT = "PhotoSearch/0.1 (+model download)"
_HEX40 = re.compile(r"^[0-9a-f]{40}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class HubUnreachable(DownloadError):
    """No connection to the hub at all (offline, DNS failure, refused, proxy down)."""


class ChecksumMismatch(DownloadError):
    """A file's size or hash is not what the registry or the hub says: the file is refused."""


def hub_base_url() -> str:
    from photosearch.config import setting

    return (setting(ENV_HUB_URL) or setting(ENV_HF_ENDPOINT) or DEFAULT_HUB_URL).rstrip("/")


def _q(s: str) -> str:
    return "/".join(urllib.parse.quote(p, safe="") for p in s.split("/"))


def file_url(repo: str, path: str, revision: str = "main", base: str | None = None) -> str:
    safe_relpath(path, "hub file name")
    return f"{(base or hub_base_url()).rstrip('/')}/{_q(repo)}/resolve/{urllib.parse.quote(revision, safe='')}/{_q(path)}"


def revision_url(repo: str, revision: str, base: str | None = None) -> str:
    return f"{(base or hub_base_url()).rstrip('/')}/api/models/{_q(repo)}/revision/{urllib.parse.quote(revision, safe='')}"


def tree_url(repo: str, revision: str, base: str | None = None) -> str:
    return (
        f"{(base or hub_base_url()).rstrip('/')}/api/models/{_q(repo)}/tree/"
        f"{urllib.parse.quote(revision, safe='')}?recursive=true"
    )


def opener(follow_redirects: bool = True) -> urllib.request.OpenerDirector:
    """Built per call so that proxy variables set after import are honoured."""
    handlers: list[Any] = [urllib.request.ProxyHandler()]
    if not follow_redirects:
        handlers.append(_NoRedirect())
    return urllib.request.build_opener(*handlers)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        return None  # the redirect itself carries the file's metadata: raise it as an HTTPError


def unreachable(e: BaseException) -> bool:
    reason = e.reason if isinstance(e, urllib.error.URLError) else e
    return isinstance(
        reason,
        ConnectionRefusedError
        | socket.gaierror
        | socket.timeout
        | TimeoutError
        | ConnectionResetError
        | OSError,
    ) and not isinstance(reason, str)


def http_error(e: urllib.error.HTTPError, url: str, repo: str | None = None) -> DownloadError:
    code = e.headers.get("X-Error-Code", "") if e.headers else ""
    if e.code == 401:
        what = f"repository {repo}" if repo else url
        return DownloadError(f"the model hub has no {what}, or it is gated (401 {code}): check the name")
    if e.code == 404:
        return DownloadError(f"the model hub has no file {url} (404 {code})")
    if e.code == 403:
        return DownloadError(f"the model hub refused access to {url} (403)")
    return DownloadError(f"the model hub answered HTTP {e.code} {e.reason} for {url}")


@dataclass(frozen=True)
class HubFileInfo:
    """What the hub says about one file (HEAD of its resolve URL or its tree entry)."""

    url: str
    commit: str | None
    size: int | None
    sha256: str | None  # LFS files: X-Linked-Etag / lfs.oid
    git_sha1: str | None  # non-LFS files: ETag / oid
    lfs: bool


def _etag(value: str | None) -> str | None:
    if not value:
        return None
    v = value.strip()
    v = v[2:] if v.startswith("W/") else v
    return v.strip('"').lower()


def _int(v: str | None) -> int | None:
    return int(v) if v and v.isdigit() else None


def head_file(url: str, *, timeout: float = 30.0, retries: int = 2, repo: str | None = None) -> HubFileInfo:
    """HEAD a resolve URL and read the hub's own size and hash for the file (no body is downloaded)."""
    op = opener(follow_redirects=False)
    current = url
    last: BaseException | None = None
    for _ in range(retries + 1):
        for _hop in range(5):
            req = urllib.request.Request(
                current, method="HEAD", headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
            )
            try:
                with op.open(req, timeout=timeout) as resp:
                    h, redirect = resp.headers, False
            except urllib.error.HTTPError as e:
                if e.code not in (301, 302, 303, 307, 308):
                    if e.code >= 500:
                        last = e
                        break
                    raise http_error(e, url, repo) from e
                h, redirect = e.headers, True
            except (urllib.error.URLError, OSError) as e:
                last = e
                if unreachable(e):
                    raise HubUnreachable(f"{OFFLINE_MESSAGE} ({getattr(e, 'reason', e)})") from e
                break
            linked = _etag(h.get("X-Linked-Etag"))
            location = h.get("Location")
            if redirect and not linked and location:  # a renamed repository: follow within the hub
                current = urllib.parse.urljoin(current, location)
                continue
            etag = linked or _etag(h.get("ETag"))
            size = _int(h.get("X-Linked-Size")) or (None if redirect else _int(h.get("Content-Length")))
            sha256 = etag if etag and _HEX64.match(etag) else None
            git_sha1 = etag if etag and _HEX40.match(etag) and not linked else None
            return HubFileInfo(url, h.get("X-Repo-Commit"), size, sha256, git_sha1, bool(linked))
        else:
            raise DownloadError(f"too many redirects for {url}")
    raise DownloadError(f"the model hub did not answer for {url}: {last}")


def get_json(url: str, *, timeout: float = 30.0, repo: str | None = None) -> tuple[Any, Any]:
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
    try:
        with opener().open(req, timeout=timeout) as resp:
            return json.loads(resp.read().decode("utf-8")), resp.headers
    except urllib.error.HTTPError as e:
        raise http_error(e, url, repo) from e
    except (urllib.error.URLError, OSError) as e:
        if unreachable(e):
            raise HubUnreachable(f"{OFFLINE_MESSAGE} ({getattr(e, 'reason', e)})") from e
        raise DownloadError(f"the model hub did not answer for {url}: {e}") from e
    except (ValueError, UnicodeDecodeError) as e:
        raise DownloadError(f"the model hub sent something that is not JSON for {url} ({NOT_THE_HUB})") from e


def resolve_commit(repo: str, revision: str, base: str | None = None, timeout: float = 30.0) -> str:
    """The commit a branch or tag names now (``/api/models/{repo}/revision/{rev}`` → ``sha``)."""
    data, _ = get_json(revision_url(repo, revision, base), timeout=timeout, repo=repo)
    sha = str((data or {}).get("sha") or "") if isinstance(data, dict) else ""
    if not _HEX40.match(sha):
        raise DownloadError(f"the model hub gave no commit for {repo}@{revision}")
    return sha


def list_tree(
    repo: str, revision: str, base: str | None = None, timeout: float = 30.0
) -> dict[str, HubFileInfo]:
    """Every file of the repository at ``revision``, with the hub's size and hashes (following pages)."""
    url: str | None = tree_url(repo, revision, base)
    out: dict[str, HubFileInfo] = {}
    while url:
        data, headers = get_json(url, timeout=timeout, repo=repo)
        if not isinstance(data, list):
            raise DownloadError(f"the model hub's tree of {repo} is not a list")
        for e in data:
            if not isinstance(e, dict) or e.get("type") != "file":
                continue
            lfs = e.get("lfs") if isinstance(e.get("lfs"), dict) else None
            sha = str(lfs.get("oid", "")).lower() if lfs else None
            oid = str(e.get("oid", "")).lower()
            path = str(e.get("path", ""))
            out[path] = HubFileInfo(
                file_url(repo, path, revision, base) if path else "",
                revision,
                int(e.get("size") or 0),
                sha if sha and _HEX64.match(sha) else None,
                None if lfs or not _HEX40.match(oid) else oid,
                lfs is not None,
            )
        m = re.search(r'<([^>]+)>;\s*rel="next"', headers.get("Link", "") or "")
        url = urllib.parse.urljoin(url, m.group(1)) if m else None
    return out


def git_blob_sha1_file(path: Any) -> str:
    """git's blob hash of a file (what the hub sends as ETag for non-LFS files)."""
    size = os.path.getsize(path)
    h = hashlib.sha1(b"blob %d\x00" % size)  # git's object id, not a security hash here
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()
