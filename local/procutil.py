"""Process plumbing shared by the runtime's children: no orphans, free ports, framed messages, and the
background-loop and child-server components."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import struct
import subprocess
import threading
import urllib.request
from pathlib import Path

_PR_SET_PDEATHSIG = 1
ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("pitchey-local")


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """Ask Linux to signal this process when its parent dies, so a killed runtime leaves no orphans.
    (A no-op elsewhere; the runtime also stops its children explicitly.)"""
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os.kill(os.getpid(), sig)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on the port now. SO_REUSEADDR, as every listening socket of the runtime
    has (http.server, werkzeug and asyncio set it): connections of a runtime just stopped linger in
    TIME_WAIT for a minute and do not keep a restart from binding, while a port another process listens
    on still fails the bind."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True


_HEADER = struct.Struct("!I")


def send_frame(sock: socket.socket, *payloads: bytes) -> None:
    """One frame per payload, in one write."""
    sock.sendall(b"".join(_HEADER.pack(len(payload)) + payload for payload in payloads))


def recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks, remaining = [], size
    while remaining:
        chunk = sock.recv(min(remaining, 1 << 20))
        if not chunk:
            raise EOFError("peer closed the connection")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def recv_frame(sock: socket.socket) -> bytes:
    (size,) = _HEADER.unpack(recv_exact(sock, _HEADER.size))
    return recv_exact(sock, size)


def kill_quietly(pid: int, sig: int = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


class BackgroundLoop:
    """A runtime component whose work is one daemon thread running `_loop` until `_stop` is set.
    Subclasses set `name` (the thread's name too) and implement `_loop`, waiting on `self._stop`."""

    name = "loop"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def health(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        raise NotImplementedError


class ChildServer:
    """A runtime component that is a child process serving HTTP on `port` (moto, localstripe).

    `start()` launches it and returns at once (slow imports overlap the rest of the start-up); `wait_ready()`
    waits for the line `ready ...` it prints on stdout; `stop()` terminates it (SIGKILL after 5 s);
    `health()` sends `health_request()`. Other output is logged at debug level, stderr lines that
    `is_noise` rejects at info level."""

    name = "child"

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.process: subprocess.Popen[str] | None = None
        self._ready = threading.Event()

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        return dict(os.environ)

    def health_request(self) -> urllib.request.Request:
        return urllib.request.Request(self.endpoint)

    def is_noise(self, line: str) -> bool:
        return False

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.command(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.environment(),
            cwd=str(ROOT),
        )
        threading.Thread(target=self._pump, name=f"{self.name}-output", daemon=True).start()
        threading.Thread(target=self._pump_errors, name=f"{self.name}-errors", daemon=True).start()

    def _pump(self) -> None:
        assert self.process and self.process.stdout
        for line in self.process.stdout:
            if line.startswith("ready "):
                self._ready.set()
            else:
                log.debug("%s: %s", self.name, line.rstrip())

    def _pump_errors(self) -> None:
        assert self.process and self.process.stderr
        for line in self.process.stderr:
            log.log(
                logging.DEBUG if self.is_noise(line) else logging.INFO, "%s: %s", self.name, line.rstrip()
            )

    def wait_ready(self, timeout: float = 30.0) -> None:
        if not self._ready.wait(timeout):
            code = self.process.poll() if self.process else None
            raise RuntimeError(f"{self.name} server did not start on port {self.port} (exit code {code})")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def health(self) -> bool:
        try:
            with urllib.request.urlopen(self.health_request(), timeout=2) as response:
                return 200 <= response.status < 300
        except OSError:
            return False
