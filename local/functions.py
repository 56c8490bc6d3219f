"""The worker pool: runs the template's functions in warm, isolated worker processes, like Lambda.

    result = runtime.functions.invoke("HealthFunction", event)   # thread-safe, blocking
    result.payload, result.error, result.logs, result.duration_ms

Each function gets up to `max_per_function` workers (Lambda instances), started lazily by forking the
zygote (see local/zygote.py); a worker runs one invocation at a time, more are started on concurrent demand
up to the cap and callers queue beyond it. A worker that exceeds the function's Timeout is killed and the
call reports Lambda's timeout error; a handler exception is the call's `error`; a worker that dies is
replaced on the next call.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local.model import AppModel, FunctionSpec
from local.procutil import kill_quietly, recv_frame, send_frame

log = logging.getLogger("pitchey-local")
ROOT = Path(__file__).resolve().parent.parent
INIT_TIMEOUT_SECONDS = 30.0
# Development-only credentials: moto accepts anything; real AWS would reject these.
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "pitchey-local-dev-only",
    "AWS_SECRET_ACCESS_KEY": "pitchey-local-dev-only-secret",
    "AWS_SESSION_TOKEN": "pitchey-local-dev-only-token",
}


def _log_stream(spec: FunctionSpec) -> str:
    """Lambda's stream name; in a log group of its own choosing it starts with the function's name, which
    is what keeps functions apart in a shared group."""
    default = spec.log_group == f"/aws/lambda/{spec.name}"
    return f"{time.strftime('%Y/%m/%d')}/{'' if default else spec.name}[$LATEST]{uuid.uuid4().hex}"


@dataclass
class InvocationResult:
    payload: Any  # the JSON-decoded return value, or None
    error: dict[str, Any] | None  # {"errorType", "errorMessage", "stackTrace"} like Lambda, or None
    logs: str
    duration_ms: float
    request_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "payload": self.payload,
            "error": self.error,
            "logs": self.logs,
            "durationMs": round(self.duration_ms, 3),
            "requestId": self.request_id,
        }


class UnknownFunction(KeyError):
    pass


class WorkerDied(Exception):
    pass


def _error(error_type: str, message: str) -> dict[str, Any]:
    return {"errorType": error_type, "errorMessage": message, "stackTrace": []}


class Zygote:
    """The pre-imported parent workers are forked from (a child process of the runtime)."""

    def __init__(self, base_env: dict[str, str]) -> None:
        self._lock = threading.Lock()
        self._base_env = base_env
        self._control: socket.socket | None = None
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {**os.environ, **self._base_env, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "local.zygote", "--control-fd", str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            env=env,
            cwd=str(ROOT),
        )
        theirs.close()
        self._control = ours

    def wait_ready(self, timeout: float = 30.0) -> None:
        assert self._control is not None
        self._control.settimeout(timeout)
        try:
            message = self._control.recv(4096)
        finally:
            self._control.settimeout(None)
        if not message:
            raise RuntimeError("the worker zygote exited during start")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def spawn(self, spec: dict[str, Any]) -> tuple[int, socket.socket]:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with self._lock:
                if not self.alive():
                    log.warning("worker zygote is gone; restarting it")
                    self.start()
                    self.wait_ready()
                assert self._control is not None
                socket.send_fds(self._control, [json.dumps(spec).encode()], [theirs.fileno()])
                reply = json.loads(self._control.recv(4096) or b'{"error": "zygote exited"}')
        finally:
            theirs.close()
        if "pid" not in reply:
            ours.close()
            raise RuntimeError(f"worker spawn failed: {reply.get('error')}")
        return reply["pid"], ours

    def stop(self) -> None:
        if self._control:
            self._control.close()
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Worker:
    def __init__(self, pid: int, sock: socket.socket, generation: int = 0) -> None:
        self.pid = pid
        self.sock = sock
        self.generation = generation  # the pool's code generation this worker imported
        self.invocations = 0
        self.log_fd: int | None = None  # the worker's in-memory log file (its fd number there)

    def pending_logs(self) -> str:
        """What the running invocation has written so far (read through /proc before the worker is killed, so
        a timed-out invocation keeps its output as on Lambda)."""
        if self.log_fd is None:
            return ""
        try:
            with open(f"/proc/{self.pid}/fd/{self.log_fd}", "rb") as handle:
                return handle.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def closed(self) -> bool:
        """True if the worker went away while idle (its socket reads EOF)."""
        # Non-blocking mode, not MSG_DONTWAIT: a socket with a timeout would first wait for readability.
        self.sock.setblocking(False)
        try:
            return self.sock.recv(1, socket.MSG_PEEK) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True
        finally:
            with contextlib.suppress(OSError):
                self.sock.setblocking(True)

    def call(self, message: dict[str, Any], event: bytes, timeout: float) -> tuple[dict[str, Any], bytes]:
        """One invocation: the message (request id, deadline), then the event's JSON, each a frame; the reply
        is a frame of its own (error, logs) and the payload's JSON, so neither body is escaped into another
        JSON string (a 400 KB response paid ~4 ms for that). Raises TimeoutError (the worker is still
        running) or WorkerDied."""
        self.sock.settimeout(timeout)
        try:
            send_frame(self.sock, json.dumps(message).encode(), event)
            return json.loads(recv_frame(self.sock)), recv_frame(self.sock)
        except (EOFError, BrokenPipeError, ConnectionResetError) as exc:
            raise WorkerDied(str(exc)) from None
        except TimeoutError:
            raise
        except OSError as exc:
            raise WorkerDied(str(exc)) from None

    def kill(self) -> None:
        kill_quietly(self.pid, signal.SIGKILL)
        self.sock.close()


@dataclass
class _FunctionWorkers:
    idle: list[Worker] = field(default_factory=list)
    count: int = 0  # running + idle + being started


class WorkerPool:
    name = "pool"

    def __init__(
        self,
        model: AppModel,
        aws_endpoint: str,
        max_per_function: int = 4,
        log_sink: Callable[[str, str], None] | None = None,
    ) -> None:
        self.model = model
        self.aws_endpoint = aws_endpoint
        self.max_per_function = max_per_function
        self.log_sink = log_sink
        region = model.resolver.region
        self.base_env = {
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ENDPOINT_URL": aws_endpoint,
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
            "AWS_EC2_METADATA_DISABLED": "true",
            # Never read the developer's ~/.aws files: a profile there must not leak into local runs.
            "AWS_CONFIG_FILE": "/nonexistent/pitchey-local/config",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/pitchey-local/credentials",
            **FAKE_CREDENTIALS,
        }
        self.zygote = Zygote(self.base_env)
        self._cond = threading.Condition()
        self._functions: dict[str, _FunctionWorkers] = {}
        self._all: set[Worker] = set()
        self._async = ThreadPoolExecutor(max_workers=16, thread_name_prefix="invoke-async")
        self._stopping = False
        self.generation = 0  # bumped by recycle(): older workers are retired instead of reused

    # --- lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> None:
        self.zygote.start()

    def wait_ready(self) -> None:
        self.zygote.wait_ready()

    def stop(self) -> None:
        self._stopping = True
        with self._cond:
            workers = list(self._all)
            self._all.clear()
            self._functions.clear()
            self._cond.notify_all()
        for worker in workers:
            worker.kill()
        self._async.shutdown(wait=False, cancel_futures=True)
        self.zygote.stop()

    def health(self) -> bool:
        return self.zygote.alive()

    def stats(self) -> dict[str, Any]:
        with self._cond:
            return {name: {"workers": fw.count, "idle": len(fw.idle)} for name, fw in self._functions.items()}

    def recycle(self) -> None:
        """Retire every worker (idle ones now, busy ones when they finish) so the next calls start fresh
        ones that import the current code."""
        with self._cond:
            self.generation += 1
            names = list(self._functions)
            for name in names:
                fw = self._functions.get(name)
                if not fw:
                    continue
                for worker in fw.idle:
                    self._all.discard(worker)
                    worker.kill()
                fw.count -= len(fw.idle)
                fw.idle.clear()
            self._cond.notify_all()

    # --- invocation --------------------------------------------------------------------------------------
    def function(self, name: str) -> FunctionSpec:
        spec = self.model.function_by_name(name)
        if spec is None:
            raise UnknownFunction(name)
        return spec

    def environment(self, spec: FunctionSpec) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "TZ": ":UTC",
            **spec.environment,
            **self.base_env,
            "LAMBDA_TASK_ROOT": str(spec.code_dir),
            "LAMBDA_RUNTIME_DIR": str(ROOT / "local"),
            "_HANDLER": spec.handler,
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
        }
        # LoggingConfig: Lambda sets these (and honours a log level) only for the JSON log format.
        if spec.log_format == "JSON":
            env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
            env["AWS_LAMBDA_LOG_LEVEL"] = spec.log_level or "INFO"
        return env

    def invoke(self, logical_id: str, event: Any, timeout: float | None = None) -> InvocationResult:
        """Run the function once with `event` and wait for its result. Raises UnknownFunction."""
        spec = self.function(logical_id)
        limit = float(timeout if timeout is not None else spec.timeout)
        request_id = str(uuid.uuid4())
        started = time.perf_counter()
        if not spec.runtime.startswith("python"):
            message = f"Runtime {spec.runtime} is not available locally (pitchey-local runs Python only)"
            result = InvocationResult(None, _error("Runtime.InvalidRuntime", message), "", 0.0, request_id)
            self._emit(spec, result)
            return result
        worker, init_failure = self._acquire(spec)
        if init_failure is not None:
            result = InvocationResult(
                None,
                init_failure["error"],
                init_failure.get("logs", ""),
                (time.perf_counter() - started) * 1000,
                request_id,
            )
            self._emit(spec, result)
            return result
        assert worker is not None
        message = {"request_id": request_id, "deadline": time.time() + limit}
        try:
            reply, returned = worker.call(message, json.dumps(event).encode(), limit)
        except TimeoutError:
            printed = worker.pending_logs()
            self._discard(spec, worker)
            if printed and not printed.endswith("\n"):
                printed += "\n"
            result = InvocationResult(
                None,
                _error("Sandbox.Timedout", f"Task timed out after {limit:.2f} seconds"),
                f"{printed}{request_id} Task timed out after {limit:.2f} seconds\n",
                (time.perf_counter() - started) * 1000,
                request_id,
            )
            self._emit(spec, result)
            return result
        except WorkerDied as exc:
            self._discard(spec, worker)
            result = InvocationResult(
                None,
                _error("Runtime.ExitError", f"RequestId: {request_id} Error: Runtime exited ({exc})"),
                "",
                (time.perf_counter() - started) * 1000,
                request_id,
            )
            self._emit(spec, result)
            return result
        self._release(spec, worker)
        payload = json.loads(returned) if reply.get("returned") else None
        result = InvocationResult(
            payload,
            reply.get("error"),
            reply.get("logs", ""),
            (time.perf_counter() - started) * 1000,
            request_id,
        )
        self._emit(spec, result)
        return result

    def invoke_async(
        self, logical_id: str, event: Any, run: Callable[[str, Any], Any] | None = None
    ) -> Future[InvocationResult]:
        """Lambda's Event invocation type: queued, the caller does not wait. `run` (default `invoke`) is what
        runs it: local/destinations.py passes its retrying invoke."""
        self.function(logical_id)  # unknown names fail now, as the Invoke API does
        return self._async.submit(run or self.invoke, logical_id, event)

    def _emit(self, spec: FunctionSpec, result: InvocationResult) -> None:
        if self.log_sink:
            self.log_sink(spec.logical_id, result.logs)

    def _acquire(self, spec: FunctionSpec) -> tuple[Worker | None, dict[str, Any] | None]:
        with self._cond:
            fw = self._functions.setdefault(spec.logical_id, _FunctionWorkers())
            while True:
                if self._stopping:
                    raise RuntimeError("the runtime is stopping")
                while fw.idle:
                    worker = fw.idle.pop()
                    if not worker.closed():
                        return worker, None
                    self._all.discard(worker)
                    worker.sock.close()
                    fw.count -= 1
                if fw.count < self.max_per_function:
                    fw.count += 1
                    break
                self._cond.wait()
        try:
            return self._start_worker(spec)
        except Exception as exc:
            with self._cond:
                fw.count -= 1
                self._cond.notify_all()
            return None, {"error": _error("Runtime.Unknown", f"could not start a worker: {exc}")}

    def _start_worker(self, spec: FunctionSpec) -> tuple[Worker | None, dict[str, Any] | None]:
        worker_spec = {
            "name": spec.name,
            "arn": spec.arn,
            "memory_mb": spec.memory_mb,
            "handler": spec.handler,
            "code_dir": str(spec.code_dir),
            "layer_dirs": [str(d) for d in spec.layer_dirs],
            "environment": self.environment(spec),
            "log_group": spec.log_group,
            "log_stream": _log_stream(spec),
        }
        worker_spec["environment"]["AWS_LAMBDA_LOG_STREAM_NAME"] = worker_spec["log_stream"]
        generation = self.generation
        pid, sock = self.zygote.spawn(worker_spec)
        worker = Worker(pid, sock, generation)
        sock.settimeout(INIT_TIMEOUT_SECONDS)
        try:
            hello = json.loads(recv_frame(sock))
        except (OSError, EOFError) as exc:
            worker.kill()
            raise RuntimeError(f"worker did not initialise: {exc}") from None
        if not hello.get("ready"):
            worker.kill()
            with self._cond:
                self._functions[spec.logical_id].count -= 1
                self._cond.notify_all()
            return None, hello
        worker.log_fd = hello.get("log_fd")
        with self._cond:
            if self._stopping:
                worker.kill()
                raise RuntimeError("the runtime is stopping")
            self._all.add(worker)
        return worker, None

    def _release(self, spec: FunctionSpec, worker: Worker) -> None:
        worker.invocations += 1
        with self._cond:
            fw = self._functions.get(spec.logical_id)
            if fw is None or worker not in self._all or worker.generation != self.generation:
                if worker in self._all and fw is not None:
                    self._all.discard(worker)
                    fw.count -= 1
                worker.kill()
                self._cond.notify_all()
                return
            fw.idle.append(worker)
            self._cond.notify_all()

    def _discard(self, spec: FunctionSpec, worker: Worker) -> None:
        worker.kill()
        with self._cond:
            fw = self._functions.get(spec.logical_id)
            if fw is not None and worker in self._all:
                self._all.discard(worker)
                fw.count -= 1
            self._cond.notify_all()
