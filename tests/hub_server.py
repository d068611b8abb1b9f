"""A local stand-in for the model hub (Hugging Face protocol) and a forwarding HTTP proxy, both on 127.0.0.1.

It answers like the real hub (see ``huggingface_hub.file_download.get_hf_file_metadata`` and
``HfApi.list_repo_tree``):

* ``HEAD``/``GET /{repo}/resolve/{revision}/{path}`` — an LFS file answers ``302`` to a CDN path on this
  server, carrying ``X-Linked-Etag: "<sha256>"``, ``X-Linked-Size`` and ``X-Repo-Commit``; a small non-LFS
  file answers ``200`` with its git blob sha1 as ``ETag`` and ``X-Repo-Commit``. Range requests (resume) on
  the file/CDN bytes.
* ``401`` for a repository that does not exist or is gated (the hub answers 401 to anonymous requests for a
  missing repository), ``404`` for a missing revision or file (``X-Error-Code`` as the hub sends it).
* ``GET /api/models/{repo}/revision/{rev}`` → ``{"id", "sha", "siblings": [{"rfilename"}]}`` and
  ``GET /api/models/{repo}/tree/{rev}[/{path}]?recursive=true`` → ``[{"type", "oid", "size", "path", "lfs"}]``.

Counts requests and body bytes sent (``bytes_sent`` keyed by the resolve path, also for bytes sent via the
CDN redirect). :func:`real_hub` fills it from ``tests/fixtures/hub_trees.json`` (see ``tests/hub_fixtures.py``).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import threading
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LFS_SUFFIXES = (".onnx", ".onnx_data", ".data", ".gz", ".bin", ".npz", ".safetensors", ".pb", ".zip")


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()


def fake_commit(*parts: str) -> str:
    return hashlib.sha1("/".join(parts).encode()).hexdigest()


@dataclass
class HubFile:
    data: bytes
    lfs: bool

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class HubRepo:
    refs: dict[str, str] = field(default_factory=dict)  # branch -> commit
    commits: dict[str, dict[str, HubFile]] = field(default_factory=dict)  # commit -> path -> file
    gated: bool = False

    def commit_of(self, revision: str) -> str | None:
        if revision in self.commits:
            return revision
        return self.refs.get(revision)


class HubState:
    def __init__(self) -> None:
        self.repos: dict[str, HubRepo] = {}
        self.files: dict[str, bytes] = {}  # "/repo/resolve/main/path" -> content (as added)
        self.drop_once: dict[str, int] = {}  # resolve path -> close the connection after this many body bytes
        self.corrupt: set[str] = set()  # resolve paths whose served bytes differ from the hub's hash
        # resolve paths served with no hash at all (no X-Linked-Etag, no ETag)
        self.hide_hash: set[str] = set()
        # resolve path -> send half the body, then wait for the event
        self.hold: dict[str, threading.Event] = {}
        self.honour_range = True
        self.bytes_sent: Counter[str] = Counter()
        self.requests: list[tuple[str, str | None]] = []  # (path, Range header)
        self.methods: list[tuple[str, str]] = []  # (method, path)
        self.lock = threading.Lock()

    def repo(self, repo: str, commit: str | None = None, branch: str = "main") -> HubRepo:
        r = self.repos.setdefault(repo, HubRepo())
        commit = commit or r.refs.get(branch) or fake_commit(repo, branch)
        r.refs.setdefault(branch, commit)
        r.commits.setdefault(commit, {})
        return r

    def add(
        self,
        repo: str,
        path: str,
        data: bytes,
        revision: str = "main",
        *,
        lfs: bool | None = None,
        commit: str | None = None,
    ) -> str:
        """Put ``data`` at ``path`` in ``repo`` (at the commit ``revision`` names; a branch gets a made-up
        commit). Returns the resolve path ``/{repo}/resolve/{revision}/{path}``."""
        if len(revision) == 40:
            r = self.repos.setdefault(repo, HubRepo())
            r.commits.setdefault(revision, {})
            r.refs.setdefault("main", revision)
            c = revision
        else:
            r = self.repo(repo, commit, revision)
            c = r.refs[revision]
        if lfs is None:
            lfs = path.endswith(LFS_SUFFIXES) or len(data) > 10_000_000
        r.commits[c][path] = HubFile(data, lfs)
        key = f"/{repo}/resolve/{revision}/{path}"
        self.files[key] = data
        return key


def _split_repo(parts: list[str], state: HubState) -> tuple[str, list[str]] | None:
    for n in (2, 1):  # "org/name" first, then a bare name
        if len(parts) > n and "/".join(parts[:n]) in state.repos:
            return "/".join(parts[:n]), parts[n:]
    if len(parts) >= 2:
        return "/".join(parts[:2]), parts[2:]
    return None


def _hub_handler(state: HubState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:
            self._serve(head=True)

        def do_GET(self) -> None:
            self._serve(head=False)

        def _reply(
            self, code: int, headers: dict[str, str] | None = None, body: bytes = b"", head: bool = False
        ) -> None:
            self.send_response(code)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head and body:
                self.wfile.write(body)

        def _error(self, code: int, error_code: str, message: str, head: bool) -> None:
            body = json.dumps({"error": message}).encode()
            self._reply(
                code,
                {"X-Error-Code": error_code, "X-Error-Message": message, "Content-Type": "application/json"},
                body,
                head,
            )

        def _serve(self, head: bool) -> None:
            split = urllib.parse.urlsplit(self.path)
            path = urllib.parse.unquote(split.path)
            rng = self.headers.get("Range")
            with state.lock:
                state.requests.append((path, rng))
                state.methods.append(("HEAD" if head else "GET", path))
            if path.startswith("/_cdn/"):
                self._bytes(path[len("/_cdn") :], head, rng, cdn=True)
            elif path.startswith("/api/models/"):
                self._api(path[len("/api/models/") :], urllib.parse.parse_qs(split.query), head)
            else:
                self._bytes(path, head, rng, cdn=False)

        def _lookup(
            self, parts: list[str], head: bool, kind: str
        ) -> tuple[str, HubRepo, str, list[str]] | None:
            got = _split_repo(parts, state)
            if got is None:
                self._error(404, "EntryNotFound", "not found", head)
                return None
            repo_name, rest = got
            repo = state.repos.get(repo_name)
            if repo is None or repo.gated:
                self._error(
                    401,
                    "GatedRepo" if repo else "RepoNotFound",
                    "Access to this repository is restricted" if repo else "Repository Not Found",
                    head,
                )
                return None
            if len(rest) < 2 or rest[0] != kind:
                self._error(404, "EntryNotFound", "not found", head)
                return None
            commit = repo.commit_of(rest[1])
            if commit is None:
                self._error(404, "RevisionNotFound", f"Invalid rev id: {rest[1]}", head)
                return None
            return repo_name, repo, commit, rest[2:]

        def _bytes(self, path: str, head: bool, rng: str | None, cdn: bool) -> None:
            got = self._lookup(path.strip("/").split("/"), head, "resolve")
            if got is None:
                return
            repo_name, repo, commit, rest = got
            file_path = "/".join(rest)
            f = repo.commits[commit].get(file_path)
            if f is None:
                self._error(404, "EntryNotFound", f"{file_path} does not exist on {commit}", head)
                return
            common = {"X-Repo-Commit": commit, "Accept-Ranges": "bytes"}
            hidden = path in state.hide_hash
            if f.lfs and not cdn and not hidden:
                quoted = "/".join(urllib.parse.quote(p, safe="") for p in path.strip("/").split("/"))
                common.update(
                    {
                        "Location": f"/_cdn/{quoted}",
                        "X-Linked-Etag": f'"{f.sha256}"',
                        "X-Linked-Size": str(len(f.data)),
                        "ETag": f'"{f.sha256}"',
                    }
                )
                self._reply(302, common, b"", head)
                return
            data = f.data
            with state.lock:
                if path in state.corrupt:
                    data = bytes([data[0] ^ 0xFF]) + data[1:]
            if not hidden:
                common["ETag"] = f'"{f.sha256}"' if f.lfs else f'"{git_blob_sha1(f.data)}"'
            start = 0
            if rng and state.honour_range and rng.startswith("bytes="):
                start = int(rng[6:].split("-")[0])
                if start >= len(data):
                    self._reply(416, {"Content-Range": f"bytes */{len(data)}"}, b"", head)
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            body = data[start:]
            for k, v in common.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if head:
                return
            with state.lock:
                cut = state.drop_once.pop(path, None)
                gate = state.hold.get(path)
            if gate is not None and len(body) > 1:
                half = len(body) // 2
                self.wfile.write(body[:half])
                self.wfile.flush()
                gate.wait(30)
                body_rest = body[half:]
                try:
                    self.wfile.write(body_rest)
                except OSError:
                    return
                with state.lock:
                    state.bytes_sent[path] += len(body)
                return
            if cut is not None and cut < len(body):
                self.wfile.write(body[:cut])
                self.wfile.flush()
                with state.lock:
                    state.bytes_sent[path] += cut
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self.wfile.write(body)
            with state.lock:
                state.bytes_sent[path] += len(body)

        def _api(self, path: str, query: dict[str, list[str]], head: bool) -> None:
            parts = path.strip("/").split("/")
            for kind in ("revision", "tree"):
                if kind in parts:
                    i = parts.index(kind)
                    got = self._lookup(parts[:i] + parts[i:], head, kind)
                    break
            else:
                self._error(404, "EntryNotFound", "not found", head)
                return
            if got is None:
                return
            repo_name, repo, commit, rest = got
            files = repo.commits[commit]
            if kind == "revision":
                body = {"id": repo_name, "sha": commit, "siblings": [{"rfilename": p} for p in sorted(files)]}
            else:
                prefix = "/".join(rest)
                recursive = query.get("recursive", ["false"])[0].lower() == "true"
                body = _tree(files, prefix, recursive)
            self._reply(
                200,
                {"Content-Type": "application/json", "X-Repo-Commit": commit},
                json.dumps(body).encode(),
                head,
            )

    return Handler


def _tree(files: dict[str, HubFile], prefix: str, recursive: bool) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    dirs: set[str] = set()
    base = prefix + "/" if prefix else ""
    for p in sorted(files):
        if not p.startswith(base):
            continue
        rel = p[len(base) :]
        parts = rel.split("/")
        for n in range(1, len(parts)):
            d = base + "/".join(parts[:n])
            if (recursive or n == 1) and d not in dirs:
                dirs.add(d)
                out.append({"type": "directory", "oid": fake_commit(d), "size": 0, "path": d})
        if len(parts) > 1 and not recursive:
            continue
        f = files[p]
        entry: dict[str, object] = {
            "type": "file",
            "oid": git_blob_sha1(f.data),
            "size": len(f.data),
            "path": p,
        }
        if f.lfs:
            entry["lfs"] = {"oid": f.sha256, "size": len(f.data), "pointerSize": 134}
        out.append(entry)
    return out


class ProxyState:
    def __init__(self) -> None:
        self.forwarded: list[str] = []
        self.lock = threading.Lock()


def _proxy_handler(state: ProxyState) -> type[BaseHTTPRequestHandler]:
    class Proxy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:
            self._forward("HEAD")

        def do_GET(self) -> None:
            self._forward("GET")

        def _forward(self, method: str) -> None:
            url = urllib.parse.urlsplit(self.path)  # absolute URI: proxy request
            with state.lock:
                state.forwarded.append(self.path)
            conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=10)
            headers = {
                k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")
            }
            conn.request(method, url.path + (f"?{url.query}" if url.query else ""), headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in ("connection", "transfer-encoding", "content-length"):
                    self.send_header(k, v)
            length = resp.getheader("Content-Length") if method == "HEAD" else None
            self.send_header("Content-Length", length or str(len(body)))
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(body)
            conn.close()

    return Proxy


@contextmanager
def _serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    t = threading.Thread(target=server.serve_forever, name="test-http", daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        t.join(5)


@contextmanager
def hub_server() -> Iterator[tuple[str, HubState]]:
    state = HubState()
    with _serve(_hub_handler(state)) as url:
        yield url, state


@contextmanager
def real_hub() -> Iterator[tuple[str, HubState]]:
    """The hub with every repository of ``tests/fixtures/hub_trees.json``, file for file, serving small real
    models of each layout at the real paths (see ``tests/hub_fixtures.py``)."""
    from tests.hub_fixtures import fill_real_hub

    with hub_server() as (url, state):
        fill_real_hub(state)
        yield url, state


@contextmanager
def proxy_server() -> Iterator[tuple[str, ProxyState]]:
    state = ProxyState()
    with _serve(_proxy_handler(state)) as url:
        yield url, state


def free_port() -> int:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return int(port)
