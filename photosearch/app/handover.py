r"""One library, one writer, and the others hand over.

The process that owns a library (the window, or ``photosearch watch``) listens on a local channel tied to
the data directory; another process that wants to change the library (``photosearch folders add``, a
second launch of the window with a file to search by) sends its request there and prints the owner's
answer, instead of failing on the writer lock or changing the library behind the owner's back.

- **Channel:** ``multiprocessing.connection`` (standard library): an ``AF_UNIX`` socket on POSIX, a named
  pipe (``AF_PIPE``) on Windows, one code path. Only bytes cross it (``send_bytes``/``recv_bytes``, JSON
  inside); ``recv()``, which unpickles, is never called.
- **Where** (``address``, the same in every process): ``owner.sock`` in the data directory, or when that
  path is over the OS limit (~104–108 bytes) a short one in the user's runtime folder named by a hash of
  the data directory; on Windows ``\\.\pipe\photosearch-<hash of the data directory's real path>``.
- **Private:** both ends prove they know ``owner.key`` (32 random bytes in the data directory, mode 0600)
  by the library's HMAC challenge (the key never crosses), before anything else is said. On POSIX the
  socket is mode 0600 and on Linux the owner first checks the caller's user id (``SO_PEERCRED``). A pipe
  keeps Windows' default security (per CreateNamedPipe's documentation, other users may only read it).
- **One owner per data directory:** the OS lock on ``owner.lock`` (``store.lock.try_lock``: ``flock``, or
  ``msvcrt.locking`` on Windows); a stale socket file left by a killed owner is replaced.
- **Protocol:** one JSON message per ``send_bytes``: ``{"verb": ..., "args": {...}}``; the owner answers
  ``{"progress": {...}}`` any number of times, then ``{"ok": true, "result": ...}`` or
  ``{"ok": false, "error": "...", "exit_code": N}``.

The Windows-only lines are type-checked (``mypy --platform win32``, a test) but have not run on Windows.
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
from typing import TYPE_CHECKING, Any

from photosearch.config import setting
from photosearch.errors import PhotoSearchError
from photosearch.store.lock import open_lock_file, try_lock

if TYPE_CHECKING:
    from multiprocessing.connection import Connection, Listener
    from typing import TypeAlias

    if sys.platform == "win32":
        from multiprocessing.connection import PipeConnection

        Conn: TypeAlias = Connection | PipeConnection
    else:
        Conn: TypeAlias = Connection

log = logging.getLogger(__name__)

SOCKET_NAME = "owner.sock"
LOCK_NAME = "owner.lock"
KEY_NAME = "owner.key"
KEY_BYTES = 32
MAX_SOCKET_PATH = 104 if sys.platform == "darwin" else 107  # sun_path minus the terminating NUL
MAX_MESSAGE = 1 << 20
WINDOWS = sys.platform == "win32"
FAMILY = "AF_PIPE" if WINDOWS else "AF_UNIX"

Progress = Callable[[dict[str, Any]], None]
Handler = Callable[[dict[str, Any], Progress], Any]


class HandoverError(PhotoSearchError):
    """The running owner answered with an error (its message and exit code are kept)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def supported() -> bool:
    return WINDOWS or (os.name == "posix" and hasattr(socket, "AF_UNIX"))


def _digest(data_dir: Path) -> str:
    return hashlib.sha256(os.fsencode(os.path.realpath(data_dir))).hexdigest()[:16]


def socket_path(data_dir: str | Path) -> Path:
    """Where the owner of ``data_dir`` listens on POSIX (the same answer in every process)."""
    data_dir = Path(data_dir).absolute()
    inside = data_dir / SOCKET_NAME
    if len(os.fsencode(str(inside))) <= MAX_SOCKET_PATH:
        return inside
    digest = hashlib.sha256(os.fsencode(str(data_dir))).hexdigest()[:16]
    runtime = setting("XDG_RUNTIME_DIR")
    base = Path(runtime) if runtime and os.path.isdir(runtime) else Path(tempfile.gettempdir())
    return base / f"photosearch-{_uid()}-{digest}.sock"


def _uid() -> int:
    if sys.platform == "win32":
        return 0  # (no user ids; not used for a pipe's name)
    return os.getuid()


def address(data_dir: str | Path) -> str:
    """The owner's address for ``multiprocessing.connection``: a socket path, or a pipe name on Windows."""
    if WINDOWS:
        return rf"\\.\pipe\photosearch-{_digest(Path(data_dir).absolute())}"
    return str(socket_path(data_dir))


# -- the key both ends prove they know ---------------------------------------------------------------------


def _read_key(data_dir: Path) -> bytes | None:
    try:
        with open(data_dir / KEY_NAME, "rb") as f:
            key = f.read(KEY_BYTES + 1)
    except OSError:
        return None
    return key if len(key) == KEY_BYTES else None


def _private(path: Path) -> bool:
    if WINDOWS:
        return True  # the data directory's inherited ACL (the user's profile) keeps it private
    try:
        st = os.stat(path)
    except OSError:
        return False
    return st.st_mode & 0o077 == 0 and st.st_uid == _uid()


def _owner_key(data_dir: Path) -> bytes:
    """The key of ``data_dir``'s channel, made by the owner (which holds the lock) when missing, damaged or
    readable by others; written whole or not at all (a temporary file renamed over it)."""
    key = _read_key(data_dir)
    if key is not None and _private(data_dir / KEY_NAME):
        return key
    key = os.urandom(KEY_BYTES)  # (what secrets.token_bytes returns)
    tmp = data_dir / f"{KEY_NAME}.{os.getpid()}.{threading.get_ident()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        os.write(fd, key)
    finally:
        os.close(fd)
    os.replace(tmp, data_dir / KEY_NAME)
    return key


# -- the owner ------------------------------------------------------------------------------------------


class Owner:
    """Listens for other processes' requests for one data directory. ``handlers`` maps a verb to a function
    ``(args, progress) -> result`` (JSON-serialisable); it runs on the connection's thread (marshal to a
    GUI thread yourself). A PhotoSearchError it raises is sent back as a one-line error."""

    def __init__(self, data_dir: str | Path, handlers: dict[str, Handler]) -> None:
        self.data_dir = Path(data_dir)
        self.handlers = dict(handlers)
        self.address = address(self.data_dir)
        self.path: Path | None = None if WINDOWS else Path(self.address)  # the socket file (POSIX)
        self._lock_fd: int | None = None
        self._listener: Listener | None = None
        self._key = b""
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def active(self) -> bool:
        return self._listener is not None

    def start(self) -> bool:
        """Become the owner; False when another process already is (or this platform has no channel)."""
        if not supported():
            return False
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = open_lock_file(self.data_dir / LOCK_NAME, 0o600)
        except OSError as e:  # a read-only data folder: this process only reads, it owns nothing
            log.info("cannot own %s: %s", self.data_dir, e)
            return False
        if not try_lock(fd):
            os.close(fd)
            return False
        self._lock_fd = fd
        from multiprocessing.connection import Listener  # (imported when a channel is used, not before)

        try:
            self._key = _owner_key(self.data_dir)
            if self.path is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.path)  # stale: its owner is gone (we hold the lock)
            # no authkey here: the challenge runs on each connection's own thread (deliver_challenge), so a
            # caller that connects and says nothing holds up nobody else
            listener = Listener(self.address, family=FAMILY, backlog=8)
            if self.path is not None:
                os.chmod(self.path, 0o600)
        except OSError as e:
            log.warning("cannot listen for other PhotoSearch processes at %s: %s", self.address, e)
            self._release_lock()
            return False
        self._listener = listener
        self._stopping.clear()
        self._thread = threading.Thread(target=self._serve, args=(listener,), name="handover", daemon=True)
        self._thread.start()
        log.info("owner of %s: listening at %s", self.data_dir, self.address)
        return True

    def stop(self) -> None:
        self._stopping.set()
        listener, self._listener = self._listener, None
        if listener is not None:
            self._wake(listener)
            if self._thread is not None:
                self._thread.join(timeout=5)
            listener.close()  # (removes the socket file on POSIX)
        self._thread = None
        self._release_lock()

    def _wake(self, listener: Listener) -> None:
        """Unblock the accepting thread (closing a listener does not wake an ``accept`` blocked in another
        thread, neither on a socket nor on a pipe): connect once, on a thread of its own so that a stuck
        connect cannot hold up ``stop``."""

        from multiprocessing.connection import Client

        def knock() -> None:
            with contextlib.suppress(OSError, EOFError):
                Client(self.address, family=FAMILY).close()

        t = threading.Thread(target=knock, name="handover-stop", daemon=True)
        t.start()
        t.join(timeout=5)

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _serve(self, listener: Listener) -> None:
        while not self._stopping.is_set():
            try:
                conn = listener.accept()
            except OSError as e:  # a caller gone before it was accepted, or no file handle left
                if self._stopping.wait(0.05):  # (a pause, so that a lasting failure cannot spin)
                    return
                log.info("a hand-over connection could not be accepted: %s", e)
                continue
            if self._stopping.is_set():
                conn.close()
                return
            threading.Thread(target=self._handle, args=(conn,), name="handover-conn", daemon=True).start()

    def _handle(self, conn: Conn) -> None:
        from multiprocessing import AuthenticationError
        from multiprocessing.connection import answer_challenge, deliver_challenge

        sending = threading.Lock()  # a handler may report progress from threads of its own
        with conn:

            def send(msg: dict[str, Any]) -> None:
                data = json.dumps(msg, default=str).encode()
                with sending:
                    conn.send_bytes(data)

            try:
                if not _same_user(conn):
                    log.warning("refused a hand-over from another user's process")
                    return
                deliver_challenge(conn, self._key)  # the caller proves it can read owner.key …
                answer_challenge(conn, self._key)  # … and we prove it to the caller
                req = json.loads(conn.recv_bytes(MAX_MESSAGE))
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
            except (OSError, EOFError, ValueError, AuthenticationError) as e:
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


def _same_user(conn: Conn) -> bool:
    """Whether the process at the other end of ``conn`` is this user's (asked of the OS where it tells:
    ``SO_PEERCRED`` on Linux; elsewhere the socket's mode 0600, the pipe's default security and the key)."""
    if sys.platform == "win32":
        return True
    peercred = getattr(socket, "SO_PEERCRED", None)
    if peercred is None:
        return True
    with socket.socket(fileno=os.dup(conn.fileno())) as s:
        creds = s.getsockopt(socket.SOL_SOCKET, peercred, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid == os.getuid()


# -- the caller -------------------------------------------------------------------------------------------


class NoOwner(Exception):  # a condition, not a failure
    """No process owns this data directory: do the work here."""


def _connect(data_dir: str | Path) -> Conn:
    """A proven connection to the owner of ``data_dir``, or NoOwner."""
    if not supported():
        raise NoOwner
    data_dir = Path(data_dir)
    addr = address(data_dir)
    if not WINDOWS and not os.path.exists(addr):  # no owner: not even a connect() to a local socket
        raise NoOwner
    key = _read_key(data_dir)
    if key is None:  # no owner ever ran here (it makes the key before it listens)
        raise NoOwner
    from multiprocessing import AuthenticationError
    from multiprocessing.connection import Client, answer_challenge, deliver_challenge

    try:
        conn = Client(addr, family=FAMILY)
    except OSError as e:  # no socket or pipe, a stale socket (its owner is gone), or not ours
        raise NoOwner from e
    try:
        answer_challenge(conn, key)
        deliver_challenge(conn, key)
    except (AuthenticationError, OSError, EOFError) as e:
        conn.close()
        log.warning("the process listening for %s did not prove it owns it: %s", data_dir, e)
        raise NoOwner from e
    return conn


def owner_running(data_dir: str | Path) -> bool:
    """Whether a process owns ``data_dir`` and answers on its channel."""
    try:
        _connect(data_dir).close()
    except NoOwner:
        return False
    return True


def hand_over(
    data_dir: str | Path,
    verb: str,
    args: dict[str, Any],
    on_progress: Progress | None = None,
    timeout: float | None = None,
) -> Any:
    """Send a request to the owner of ``data_dir`` and wait for its answer (progress messages go to
    ``on_progress``; ``timeout``: seconds to wait for each message). Raises NoOwner when nobody listens,
    HandoverError with the owner's message on error."""
    conn = _connect(data_dir)
    with conn:
        try:
            conn.send_bytes(json.dumps({"verb": verb, "args": args}, default=str).encode())
        except OSError as e:
            raise HandoverError(f"the running PhotoSearch could not be reached: {e}") from e
        while True:
            if timeout is not None and not conn.poll(timeout):
                raise HandoverError(f"the running PhotoSearch did not answer within {timeout:g} s")
            try:
                msg = json.loads(conn.recv_bytes(MAX_MESSAGE))
            except (EOFError, OSError) as e:
                raise HandoverError("the running PhotoSearch closed the connection without an answer") from e
            if "progress" in msg:
                if on_progress is not None:
                    on_progress(msg["progress"])
                continue
            if msg.get("ok"):
                return msg.get("result")
            raise HandoverError(
                str(msg.get("error") or "the running PhotoSearch refused"), int(msg.get("exit_code") or 1)
            )


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


def models_request(args: dict[str, Any], lib: Any, progress: Progress) -> dict[str, Any]:
    """Do ``photosearch models import/install/use`` in the owner (``photosearch.app.handover_models``)."""
    from photosearch.app.handover_models import models_request as run

    return run(args, lib, progress)
