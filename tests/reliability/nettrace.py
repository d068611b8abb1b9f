"""Run a command under ``strace`` (inside a network namespace with no route when allowed) and list what it
did that a private, offline app must not do: connection attempts (a DNS query included), data sent over a
socket, child processes, and files created outside the folders it may write.

Used by ``tests/reliability/test_privacy.py``; ``strace -f --seccomp-bpf`` sees every thread and every
child, whatever library makes the call (Python, C++, Qt), which patching Python's sockets cannot.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

# calls that make a path other than by opening a file (their new path is the last quoted argument)
PATH_MAKERS = (
    "mkdir",
    "mkdirat",
    "rename",
    "renameat",
    "renameat2",
    "link",
    "linkat",
    "symlink",
    "symlinkat",
)
# calls that change or remove an existing path (the path is the first quoted argument)
PATH_CHANGERS = ("unlink", "unlinkat", "rmdir", "truncate")
# opening for writing: an existing file changed in place (a photo rewritten, a dotfile appended to)
_WRITE_FLAGS = re.compile(r"\bO_(?:WRONLY|RDWR|TRUNC|APPEND)\b")
_DEVICES = ("/dev/", "/proc/", "/sys/")  # /dev/null, /dev/tty, /proc/self/…: not files in a folder
SYSCALLS = (
    "connect",
    "sendto",
    "sendmsg",
    "sendmmsg",
    "execve",
    "execveat",
    "clone",
    "clone3",
    "fork",
    "vfork",
    "openat",
    "creat",
    *PATH_MAKERS,
    *PATH_CHANGERS,
)
_LINE = re.compile(r"^(?P<pid>\d+)\s+(?P<call>\w+)\((?P<rest>.*)$")
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def strace_available() -> str | None:
    """None when strace can trace here; otherwise why not."""
    if shutil.which("strace") is None:
        return "strace is not installed (apt-get install strace)"
    r = subprocess.run(
        ["strace", "-f", "-qq", "--seccomp-bpf", "-e", "trace=execve", "-o", os.devnull, "true"],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        return f"strace cannot trace here: {r.stderr.strip()}"
    return None


def netns_prefix() -> tuple[list[str], str | None]:
    """(["unshare", "-n"], None) when a network namespace can be made here; ([], why not) otherwise."""
    if shutil.which("unshare") is None:
        return [], "unshare (util-linux) is not installed"
    r = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
    if r.returncode != 0:
        return [], f"unshare -n is not permitted here ({r.stderr.strip()}); only the strace half runs"
    return ["unshare", "-n"], None


def _unescape(s: str) -> str:
    return s.encode("latin-1", "backslashreplace").decode("unicode_escape", "replace")


@dataclass
class Trace:
    """What one traced run did."""

    returncode: int
    stdout: str
    stderr: str
    connects: list[str] = field(default_factory=list)  # connect() to anything but an allowed AF_UNIX path
    sends: list[str] = field(default_factory=list)  # sendto/sendmsg on a network (not AF_UNIX) socket
    children: list[str] = field(default_factory=list)  # execve beyond the first, fork/vfork/non-thread clone
    created: list[str] = field(default_factory=list)  # paths created (O_CREAT, mkdir, rename/link target)
    changed: list[str] = field(default_factory=list)  # opened for writing, truncated, removed, renamed away

    def problems(self, allowed: Callable[[str], bool]) -> list[str]:
        out = [f"connection attempt: {c}" for c in self.connects]
        out += [f"data sent: {s}" for s in self.sends]
        out += [f"child process: {c}" for c in self.children]
        out += [
            f"file created outside the allowed folders: {p}"
            for p in sorted(set(self.created))
            if not allowed(p)
        ]
        out += [
            f"file changed or removed outside the allowed folders: {p}"
            for p in sorted(set(self.changed) - set(self.created))
            if not allowed(p) and not p.startswith(_DEVICES)
        ]
        return out


def parse(log: str, cwd: str, unix_ok: Callable[[str], bool]) -> Trace:
    t = Trace(0, "", "")
    execs = 0
    for raw in log.splitlines():
        m = _LINE.match(raw)
        if not m:
            continue
        call, rest = m.group("call"), m.group("rest")
        failed = " = -1 " in rest
        if call in ("execve", "execveat"):
            if not failed or "<unfinished" in rest:
                execs += 1
                if execs > 1:
                    t.children.append(raw[:300])
        elif call in ("fork", "vfork"):
            t.children.append(raw[:300])
        elif call in ("clone", "clone3"):
            if "CLONE_THREAD" not in rest:
                t.children.append(raw[:300])
        elif call == "connect":
            if "AF_UNIX" in rest or "UNIX:" in rest.split(",")[0]:
                s = _STRING.search(rest)
                target = _unescape(s.group(1)) if s else "?"
                if unix_ok(target.lstrip("@")):
                    continue
            t.connects.append(raw[:300])
        elif call in ("sendto", "sendmsg", "sendmmsg"):
            fd = rest.split(",")[0]
            if "UNIX" not in fd:
                t.sends.append(raw[:300])
        elif call in ("openat", "creat") and not failed:
            s = _STRING.search(rest)
            if not s:
                continue
            path = _abspath(_unescape(s.group(1)), rest, cwd)
            if call == "creat" or "O_CREAT" in rest or "O_TMPFILE" in rest:
                t.created.append(path)
            elif _WRITE_FLAGS.search(rest):
                t.changed.append(path)
        elif call in PATH_MAKERS and not failed:
            names = _STRING.findall(rest)
            if names:
                target = names[-1] if call != "mkdir" and call != "mkdirat" else names[0]
                t.created.append(_abspath(_unescape(target), rest, cwd))
                if call.startswith("rename") and len(names) > 1:  # the old name is gone
                    t.changed.append(_abspath(_unescape(names[0]), rest, cwd))
        elif call in PATH_CHANGERS and not failed:
            s = _STRING.search(rest)
            if s:
                t.changed.append(_abspath(_unescape(s.group(1)), rest, cwd))
    return t


def _abspath(p: str, rest: str, cwd: str) -> str:
    if p.startswith("/"):
        return os.path.normpath(p)
    d = re.match(r"\s*\d+<([^>]+)>", rest)  # strace -y: the directory fd's path
    base = d.group(1) if d and d.group(1).startswith("/") else cwd
    return os.path.normpath(os.path.join(base, p))


def _python_pid(strace_pid: int) -> int | None:
    """The first process strace started (the traced command)."""
    try:
        children = Path(f"/proc/{strace_pid}/task/{strace_pid}/children").read_text().split()
    except OSError:
        return None
    return int(children[0]) if children else None


def run_traced(
    cmd: list[str],
    *,
    env: dict[str, str],
    cwd: str,
    unix_ok: Callable[[str], bool],
    netns: list[str],
    timeout: float = 120,
    interact: Callable[[subprocess.Popen, Callable[[], int | None]], None] | None = None,
) -> Trace:
    """Run ``cmd`` under strace (inside ``netns``, e.g. ``["unshare", "-n"]``). ``interact(proc, pid)``
    runs while it does (``pid()`` is the traced command's own process id, for signals)."""
    with tempfile.TemporaryDirectory(prefix="nettrace-") as tmp:
        log = os.path.join(tmp, "strace.log")
        full = [
            *netns,
            "strace",
            "-f",
            "-qq",
            "-yy",
            "--seccomp-bpf",
            "-s",
            "256",
            "-o",
            log,
            "-e",
            "trace=" + ",".join(SYSCALLS),
            *cmd,
        ]
        with open(os.path.join(tmp, "out"), "w+") as out, open(os.path.join(tmp, "err"), "w+") as err:
            proc = subprocess.Popen(
                full, stdout=subprocess.PIPE if interact else out, stderr=err, env=env, cwd=cwd, text=True
            )
            timer = threading.Timer(timeout, proc.kill)
            timer.daemon = True
            timer.start()
            stdout = ""
            try:
                if interact is not None:
                    interact(proc, lambda: _python_pid(proc.pid))
                    stdout, _ = proc.communicate()
                else:
                    proc.wait()
            finally:
                timer.cancel()
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            out.seek(0)
            err.seek(0)
            stdout = stdout or out.read()
            stderr = err.read()
            text = Path(log).read_text(encoding="utf-8", errors="replace") if os.path.exists(log) else ""
        t = parse(text, cwd, unix_ok)
        t.returncode, t.stdout, t.stderr = proc.returncode, stdout, stderr
        return t


def tree(root: Path) -> set[str]:
    """Every path under ``root`` (relative), folders included."""
    out = set()
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            out.add(os.path.relpath(os.path.join(dirpath, name), root))
    return out


def under(path: str, roots: Iterable[str | Path]) -> bool:
    return any(path == str(r) or path.startswith(str(r).rstrip("/") + "/") for r in roots)


def stop(pid: int | None) -> None:
    if pid is not None:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
