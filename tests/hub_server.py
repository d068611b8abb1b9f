"""A local stand-in for the model hub (``/{repo}/resolve/{revision}/{path}``) and a forwarding HTTP proxy,
both on 127.0.0.1, for download tests. Counts requests and body bytes sent."""

from __future__ import annotations

import http.client
import threading
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class HubState:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}  # "/repo/resolve/main/path" -> content
        self.drop_once: dict[str, int] = {}  # path -> close the connection after this many body bytes (once)
        self.honour_range = True
        self.bytes_sent: Counter[str] = Counter()
        self.requests: list[tuple[str, str | None]] = []  # (path, Range header)
        self.lock = threading.Lock()

    def add(self, repo: str, path: str, data: bytes, revision: str = "main") -> str:
        key = f"/{repo}/resolve/{revision}/{path}"
        self.files[key] = data
        return key


def _hub_handler(state: HubState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
            rng = self.headers.get("Range")
            with state.lock:
                state.requests.append((path, rng))
            data = state.files.get(path)
            if data is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            start = 0
            if rng and state.honour_range and rng.startswith("bytes="):
                start = int(rng[6:].split("-")[0])
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            body = data[start:]
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            with state.lock:
                cut = state.drop_once.pop(path, None)
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

    return Handler


class ProxyState:
    def __init__(self) -> None:
        self.forwarded: list[str] = []
        self.lock = threading.Lock()


def _proxy_handler(state: ProxyState) -> type[BaseHTTPRequestHandler]:
    class Proxy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            url = urllib.parse.urlsplit(self.path)  # absolute URI: proxy request
            with state.lock:
                state.forwarded.append(self.path)
            conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=10)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")}
            conn.request("GET", url.path + (f"?{url.query}" if url.query else ""), headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in ("connection", "transfer-encoding", "content-length"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
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
