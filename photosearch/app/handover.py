"""One library, one writer, and the others hand over.

The process that owns a library (the window, or ``photosearch watch``) listens on a local socket tied to
the data directory; another process that wants to change the library (``photosearch folders add``, a
second launch of the window with a file to search by) sends its request there and prints the owner's
answer, instead of failing on the writer lock or changing the library behind the owner's back.

- **Where:** ``owner.sock`` in the data directory; when that path is longer than the OS allows for a
  socket (~104–108 bytes), a short path in the user's runtime folder named by a hash of the data
  directory (``socket_path`` gives the same answer in every process).
- **Private:** the socket is mode 0600 (only its user may connect) and, on Linux, the owner also checks
  the caller's user id (``SO_PEERCRED``).
- **One owner per data directory:** ownership is an exclusive ``flock`` on ``owner.lock``; a stale socket
  file left by a killed owner is replaced.
- **Protocol:** one JSON line per message. The caller sends ``{"verb": ..., "args": {...}}``; the owner
  answers with any number of ``{"progress": {...}}`` lines and then ``{"ok": true, "result": ...}`` or
  ``{"ok": false, "error": "...", "exit_code": N}``.

Not built yet: a Windows named pipe (``AF_UNIX`` is used where the platform has it; elsewhere
``Owner.start`` does nothing and callers see no owner).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import socket
import struct
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from photosearch.config import setting
from photosearch.errors import PhotoSearchError

log = logging.getLogger(__name__)

SOCKET_NAME = "owner.sock"
LOCK_NAME = "owner.lock"
MAX_SOCKET_PATH = 104 if sys.platform == "darwin" else 107  # sun_path minus the terminating NUL
MAX_MESSAGE = 1 << 20

Progress = Callable[[dict[str, Any]], None]
Handler = Callable[[dict[str, Any], Progress], Any]


class HandoverError(PhotoSearchError):
    """The running owner answered with an error (its message and exit code are kept)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def supported() -> bool:
    return hasattr(socket, "AF_UNIX") and os.name == "posix"


def socket_path(data_dir: str | Path) -> Path:
    """Where the owner of ``data_dir`` listens (the same answer in every process)."""
    data_dir = Path(data_dir).absolute()
    inside = data_dir / SOCKET_NAME
    if len(os.fsencode(str(inside))) <= MAX_SOCKET_PATH:
        return inside
    digest = hashlib.sha256(os.fsencode(str(data_dir))).hexdigest()[:16]
    runtime = setting("XDG_RUNTIME_DIR")
    base = Path(runtime) if runtime and os.path.isdir(runtime) else Path(tempfile.gettempdir())
    return base / f"photosearch-{os.getuid()}-{digest}.sock"


# -- the owner ------------------------------------------------------------------------------------------


class Owner:
    """Listens for other processes' requests for one data directory. ``handlers`` maps a verb to a function
    ``(args, progress) -> result`` (JSON-serialisable); it runs on the connection's thread (marshal to a
    GUI thread yourself). A PhotoSearchError it raises is sent back as a one-line error."""

    def __init__(self, data_dir: str | Path, handlers: dict[str, Handler]) -> None:
        self.data_dir = Path(data_dir)
        self.handlers = dict(handlers)
        self.path = socket_path(self.data_dir)
        self._lock_fd: int | None = None
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def active(self) -> bool:
        return self._sock is not None

    def start(self) -> bool:
        """Become the owner; False when another process already is (or sockets are not available here)."""
        if not supported():
            return False
        import fcntl

        self.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.data_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._lock_fd = fd
        try:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)  # stale: its owner is gone (we hold the lock)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.bind(str(self.path))
            os.chmod(self.path, 0o600)
            sock.listen(8)
        except OSError as e:
            log.warning("cannot listen for other PhotoSearch processes at %s: %s", self.path, e)
            self._release_lock()
            return False
        self._sock = sock
        self._thread = threading.Thread(target=self._serve, name="handover", daemon=True)
        self._thread.start()
        log.info("owner of %s: listening at %s", self.data_dir, self.path)
        return True

    def stop(self) -> None:
        self._stopping.set()
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
            with contextlib.suppress(OSError):
                os.unlink(self.path)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._release_lock()

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _serve(self) -> None:
        while not self._stopping.is_set():
            sock = self._sock
            if sock is None:
                return
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), name="handover-conn", daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            f = conn.makefile("rwb")

            def send(msg: dict[str, Any]) -> None:
                f.write(json.dumps(msg, default=str).encode() + b"\n")
                f.flush()

            try:
                if not _same_user(conn):
                    send({"ok": False, "error": "refused: another user's process", "exit_code": 1})
                    return
                line = f.readline(MAX_MESSAGE)
                req = json.loads(line)
                verb = str(req.get("verb"))
                handler = self.handlers.get(verb)
                if handler is None:
                    send(
                        {"ok": False, "error": f"the running PhotoSearch cannot do '{verb}'", "exit_code": 2}
                    )
                    return
                result = handler(dict(req.get("args") or {}), lambda p: send({"progress": p}))
                send({"ok": True, "result": result})
            except PhotoSearchError as e:
                with contextlib.suppress(OSError):
                    send({"ok": False, "error": str(e), "exit_code": e.exit_code})
            except (OSError, ValueError) as e:
                log.info("a hand-over connection failed: %s", e)
            except Exception as e:  # the caller gets an answer, the owner keeps running
                log.exception("hand-over request failed")
                with contextlib.suppress(OSError):
                    send(
                        {
                            "ok": False,
                            "error": f"the running PhotoSearch could not do it: {e}",
                            "exit_code": 1,
                        }
                    )


def _same_user(conn: socket.socket) -> bool:
    peercred = getattr(socket, "SO_PEERCRED", None)
    if peercred is None:
        return True  # the socket's 0600 mode already keeps other users out
    creds = conn.getsockopt(socket.SOL_SOCKET, peercred, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid == os.getuid()


# -- the caller -------------------------------------------------------------------------------------------


def owner_running(data_dir: str | Path) -> bool:
    """Whether a process owns ``data_dir`` and answers on its socket."""
    if not supported():
        return False
    path = socket_path(data_dir)
    if not path.exists():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.connect(str(path))
        except OSError:
            return False
    return True


class NoOwner(Exception):  # a condition, not a failure
    """No process owns this data directory: do the work here."""


def hand_over(
    data_dir: str | Path,
    verb: str,
    args: dict[str, Any],
    on_progress: Progress | None = None,
    timeout: float | None = None,
) -> Any:
    """Send a request to the owner of ``data_dir`` and wait for its answer (progress lines go to
    ``on_progress``). Raises NoOwner when nobody listens, HandoverError with the owner's message on error."""
    if not supported():
        raise NoOwner
    path = socket_path(data_dir)
    if not path.exists():  # no owner: not even a connect() to a local socket
        raise NoOwner
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        try:
            s.connect(str(path))
        except OSError as e:  # no socket, a stale one (its owner is gone), or not ours
            raise NoOwner from e
        f = s.makefile("rwb")
        f.write(json.dumps({"verb": verb, "args": args}, default=str).encode() + b"\n")
        f.flush()
        while True:
            line = f.readline(MAX_MESSAGE)
            if not line:
                raise HandoverError("the running PhotoSearch closed the connection without an answer")
            msg = json.loads(line)
            if "progress" in msg:
                if on_progress is not None:
                    on_progress(msg["progress"])
                continue
            if msg.get("ok"):
                return msg.get("result")
            raise HandoverError(
                str(msg.get("error") or "the running PhotoSearch refused"), int(msg.get("exit_code") or 1)
            )
    finally:
        s.close()


# -- the "folders" verb, shared by every owner --------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def folder_request(args: dict[str, Any], lib: Any, service: Any = None) -> dict[str, Any]:
    """Do ``photosearch folders ACTION PATHS`` in the owner, through the application layer's folder verbs and
    its running indexing ``service`` when there is one (so it indexes or forgets at once). Returns
    {"folders", "lines"}."""
    from photosearch.app import folders as verbs

    action = str(args.get("action"))
    paths = [str(p) for p in args.get("paths") or []]
    yes = bool(args.get("yes"))
    lines: list[str] = []
    data: list[dict[str, Any]] = []
    if action == "add":
        for p in paths:
            rep = verbs.add_folder_report(lib, p, service, confirm=yes)
            data.append({"path": rep.row.path, "absorbed": rep.absorbed, "existed": rep.existed})
            lines.append(f"{'already added' if rep.existed else 'added'} {rep.row.path}")
            lines += [f"  it now covers the added folder {a} (its photos are kept)" for a in rep.absorbed]
        if service is not None and paths:
            lines.append("the running PhotoSearch is indexing them now")
    elif action == "remove":
        for p in paths:
            n = verbs.remove_folder(lib, p, service)
            data.append({"path": p, "photos": n})
            lines.append(f"removed {p} ({_plural(n, 'photo')})")
    elif action in ("pause", "resume"):
        for p in paths:
            verbs.set_folder_paused(lib, p, action == "pause", service)
            data.append({"path": p, "state": "paused" if action == "pause" else "online"})
            lines.append(f"{action}d {p}")
    elif action in ("exclude", "include"):
        if not paths:
            raise HandoverError(f"folders {action} needs an added FOLDER (and the sub-folder patterns)", 2)
        pats = verbs.edit_exclusions(lib, paths[0], paths[1:], exclude=action == "exclude", service=service)
        data.append({"folder": paths[0], "exclude": list(pats)})
        lines.append(f"left out of {paths[0]}: {', '.join(pats) or 'nothing'}")
    elif action in ("text-on", "text-off"):
        on = action == "text-on"
        for p in paths:
            verbs.set_folder_read_text(lib, p, on, service)
            data.append({"path": p, "read_text": on})
            lines.append(f"{'reading' if on else 'not reading'} the text in the photos of {p}")
    else:
        raise HandoverError(f"the running PhotoSearch cannot do 'folders {action}'", 2)
    return {"folders": data, "lines": lines}


def index_request(args: dict[str, Any], lib: Any, service: Any, progress: Progress) -> dict[str, Any]:
    """Do ``photosearch index [--add PATH]`` in the owner: its running indexing ``service`` rescans, and
    its progress is streamed until it is idle. Runs on the hand-over thread (it waits)."""
    if service is None or not service.running:
        raise HandoverError(
            "the running PhotoSearch is not indexing yet (it has no search model loaded); "
            "set one up there, or close it and run this again",
            3,
        )
    added = [
        folder_request({"action": "add", "paths": [p], "yes": args.get("yes")}, lib, service)
        for p in args.get("add") or []
    ]
    service.request_scan()
    while not service.wait_idle(0.5):
        progress(service.progress().to_json())
    return {"counts": lib.catalog.counts_by_status(), "added": [a["folders"] for a in added]}


# -- the "models" verb, shared by every owner ---------------------------------------------------------------


def _download_dict(p: Any) -> dict[str, Any]:
    return {
        k: getattr(p, k, None)
        for k in (
            "file",
            "file_index",
            "file_count",
            "file_done",
            "file_total",
            "done",
            "total",
            "rate",
            "eta",
        )
    }


def models_request(args: dict[str, Any], lib: Any, progress: Progress) -> dict[str, Any]:
    """Do ``photosearch models import/install/use`` in the owner, through ``photosearch.app.models`` (runs on
    the hand-over thread: an import or a download takes a while). Download progress is streamed. Returns
    what the CLI prints: ``action``, ``installed``/``layout``/``checks`` or ``target``/``to_embed``, and
    ``active`` (the model searches use afterwards) and ``chosen`` (this model became, or is becoming, it)."""
    from photosearch.app import models as app_models

    action = str(args.get("action"))
    name = str(args.get("name") or "")
    paths = lib.paths
    if action == "import":
        pkg, layout = app_models.import_model(name, paths)
        chosen = app_models.activate_if_first(lib, pkg.id, bool(args.get("use")))
        checks = pkg.manifest.extra.get("import_checks", {})
        return {
            "action": action,
            "installed": pkg.id,
            "layout": layout,
            "checks": checks,
            "chosen": chosen,
            "active": lib.active_model_id(),
        }
    if action == "install":
        pkg = app_models.install_model(
            name,
            paths,
            progress=lambda p: progress({"download": _download_dict(p)}),
            allow_unverified=bool(args.get("allow_unverified")),
        )
        chosen = app_models.activate_if_first(lib, pkg.id, bool(args.get("use")))
        dl = pkg.manifest.extra.get("download") or {}
        return {
            "action": action,
            "installed": pkg.id,
            "chosen": chosen,
            "active": lib.active_model_id(),
            "commit": dl.get("commit"),
            "files": dl.get("files", {}),
        }
    if action == "use":
        missing = app_models.use_model(lib, name)
        return {
            "action": action,
            "target": name,
            "to_embed": missing,
            "chosen": True,
            "active": lib.active_model_id(),
        }
    raise HandoverError(f"the running PhotoSearch cannot do 'models {action}'", 2)
