"""Start-up time and shutdown: every child process (moto, zygote, workers) goes away with the runtime."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from local.testing import RuntimeProcess

FIXTURE_TEMPLATE = Path(__file__).parent / "fixtures" / "template.yaml"


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def running_with_workers() -> tuple[RuntimeProcess, set[int]]:
    runtime = RuntimeProcess(template=FIXTURE_TEMPLATE).start()
    assert runtime.startup_seconds is not None and runtime.startup_seconds < 10
    for path in ("/echo", "/shapes/list", "/work"):  # start a few workers
        assert runtime.client.get(path).status_code == 200
    assert runtime.process is not None
    children = descendants(runtime.process.pid)
    assert len(children) >= 5  # moto, zygote and three workers
    return runtime, children


def wait_gone(pids: set[int], timeout: float = 10.0) -> set[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = {pid for pid in pids if alive(pid)}
        if not left:
            return set()
        time.sleep(0.1)
    return left


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stop_signal_ends_every_child(sig: signal.Signals) -> None:
    runtime, children = running_with_workers()
    assert runtime.process is not None
    runtime.process.send_signal(sig)
    assert runtime.process.wait(timeout=15) == 0
    assert wait_gone(children) == set()
    runtime.stop()


def test_a_killed_runtime_leaves_no_orphans() -> None:
    runtime, children = running_with_workers()
    assert runtime.process is not None
    os.kill(runtime.process.pid, signal.SIGKILL)  # no chance to clean up: the children must notice alone
    runtime.process.wait(timeout=5)
    assert wait_gone(children) == set()
    runtime.stop()


def test_restart_on_the_same_ports_at_once() -> None:
    """Ctrl-C then `make dev` at once: connections the runtime closed leave its ports in TIME_WAIT, which
    must not keep the new runtime from binding them (SO_REUSEADDR on the listening sockets and the probe)."""
    import socket

    from tests.local.triggers_support import TRIGGERS_OVERRIDES, TRIGGERS_TEMPLATE

    runtime = RuntimeProcess(TRIGGERS_OVERRIDES, template=TRIGGERS_TEMPLATE).start()
    try:
        ports = (runtime.port, runtime.ws_port, runtime.aws_port, runtime.stripe_port)
        # Keep-alive clients on every port: the runtime closes them when it stops (server side first).
        clients = [socket.create_connection(("127.0.0.1", port)) for port in ports]
        paths = ("/_local/health", "/test/@connections/none", "/", "/v1/customers")
        for client, path in zip(clients, paths, strict=True):
            client.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            assert client.recv(1024).startswith(b"HTTP/1.")
        runtime.stop()
        closed_by_server = []
        for client in clients:
            client.settimeout(5)
            try:
                closed_by_server.append(client.recv(1024) == b"")  # FIN: the server's side is in TIME_WAIT
            except OSError:
                closed_by_server.append(False)  # reset (e.g. killed with unread data): no TIME_WAIT
            client.close()
        if closed_by_server[0]:
            # The situation the restart faces: a bind without SO_REUSEADDR fails.
            with socket.socket() as plain, pytest.raises(OSError):
                plain.bind(("127.0.0.1", runtime.port))
        runtime.restart()
        assert (runtime.port, runtime.ws_port, runtime.aws_port, runtime.stripe_port) == ports
        assert runtime.client.get("/_local/health").json()["status"] == "ok"
    finally:
        runtime.stop()
