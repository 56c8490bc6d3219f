"""The zygote: a single-threaded process that has imported the heavy libraries once and forks workers.

`python -m local.zygote --control-fd N` is started by the worker pool. It reads spawn requests (a JSON
function spec plus the worker's end of a socketpair, passed with SCM_RIGHTS) on a SOCK_SEQPACKET control
socket, forks, and answers with the worker's pid. A worker is one Lambda execution environment: its own
environment variables, `sys.path = [code dir, layer dirs..., stdlib/site-packages]` (Lambda's /var/task
and /opt/python) with only the libraries the deployed function has importable (local/packages.py), cwd =
code dir, stdout/stderr captured per invocation; it runs one invocation at a time.

Forking after the imports makes a worker start in milliseconds instead of the ~0.6 s those imports cost,
and because the zygote never starts a thread or opens a client, forking it is safe. Handler modules are
imported only in the worker (init phase), with the function's environment already in place.
"""

from __future__ import annotations

import argparse
import contextlib
import decimal
import importlib
import io
import json
import logging
import os
import signal
import socket
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from local import packages
from local.procutil import die_with_parent, recv_frame, send_frame

PRELOAD = (
    "boto3",
    "botocore.session",
    "botocore.client",
    "botocore.credentials",
    "pynamodb.models",
    "pynamodb.attributes",
    "pynamodb.connection",
    "pydantic",
    "jwt",
    "bcrypt",
    "aws_lambda_powertools.logging",
)


def preload() -> None:
    for name in PRELOAD:
        with contextlib.suppress(ImportError):  # a library the app does not use is simply not preloaded
            importlib.import_module(name)
    packages.preload()  # what is installed, read once here rather than in every worker


# --- worker ----------------------------------------------------------------------------------------------
class LambdaContext:
    """The context object Lambda's Python runtime passes to handlers."""

    def __init__(self, spec: dict[str, Any], request_id: str, deadline: float) -> None:
        self.function_name = spec["name"]
        self.function_version = "$LATEST"
        self.invoked_function_arn = spec["arn"]
        self.memory_limit_in_mb = str(spec["memory_mb"])
        self.aws_request_id = request_id
        self.log_group_name = spec["log_group"]
        self.log_stream_name = spec["log_stream"]
        self.identity = None
        self.client_context = None
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


def _json_default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):  # Lambda's runtime encodes Decimal as a number
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _error(exc: BaseException, skip_frames: int = 1) -> dict[str, Any]:
    frames = traceback.extract_tb(exc.__traceback__)[skip_frames:]
    return {
        "errorType": type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_list(frames),
    }


# Lambda's Python runtime (awslambdaric) installs this root handler before importing the handler module.
_LOG_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s"
_LOG_LEVELS = {"TRACE": 5, "DEBUG": 10, "INFO": 20, "WARN": 30, "ERROR": 40, "FATAL": 50}


class _JsonFormatter(logging.Formatter):
    """LoggingConfig LogFormat JSON: one object per record, as the Lambda runtime writes it."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "requestId": getattr(record, "aws_request_id", None),
        }
        if record.exc_info:
            entry["errorType"] = record.exc_info[0].__name__ if record.exc_info[0] else None
            entry["stackTrace"] = traceback.format_exception(*record.exc_info)
        return json.dumps(entry, default=str)


class Worker:
    def __init__(self, spec: dict[str, Any], sock: socket.socket) -> None:
        self.spec = spec
        self.sock = sock
        self.handler: Any = None
        self.log_fd = -1
        self.request_id: str | None = None  # of the running invocation, for log records

    def setup(self) -> None:
        spec = self.spec
        die_with_parent(signal.SIGKILL)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # handlers may run subprocesses and wait for them
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.environ.clear()
        os.environ.update(spec["environment"])
        time.tzset()
        base = [
            p for p in sys.path if p and ("site-packages" in p or "/lib/python" in p or p.endswith(".zip"))
        ]
        sys.path[:] = [spec["code_dir"], *spec["layer_dirs"], *base]
        # ... but only the libraries the deployed function has can be imported (local/packages.py)
        sys.meta_path.insert(
            0, packages.PackageGuard(Path(spec["code_dir"]), [Path(d) for d in spec["layer_dirs"]])
        )
        os.chdir(spec["code_dir"])
        # stdout/stderr of the whole process (subprocesses included) go to an in-memory file read per call.
        self.log_fd = os.memfd_create("lambda-logs")
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(self.log_fd, 1)
        os.dup2(self.log_fd, 2)
        # Unbuffered like Lambda's runtime: what a handler printed is in the log even if it then times out
        # (the pool reads this file when it kills the worker) and stays in order with logging's output.
        for name, fd in (("stdout", 1), ("stderr", 2)):
            raw = io.FileIO(fd, "w", closefd=False)
            setattr(sys, name, io.TextIOWrapper(raw, encoding="utf-8", errors="replace", write_through=True))
        self._install_log_handler()

    def _install_log_handler(self) -> None:
        """The root handler Lambda's runtime installs: `[LEVEL]\ttimestamp\trequestId\tmessage` (or JSON with
        LoggingConfig LogFormat JSON), root level from AWS_LAMBDA_LOG_LEVEL when set (WARNING otherwise, the
        logging default, as on Lambda)."""
        worker = self

        class RequestIdFilter(logging.Filter):
            def filter(self, record: logging.LogRecord) -> bool:
                record.aws_request_id = worker.request_id
                return True

        root = logging.getLogger()
        for existing in list(root.handlers):
            root.removeHandler(existing)
        handler = logging.StreamHandler(sys.stdout)
        if os.environ.get("AWS_LAMBDA_LOG_FORMAT") == "JSON":
            handler.setFormatter(_JsonFormatter())
        else:
            formatter = logging.Formatter(_LOG_FORMAT, "%Y-%m-%dT%H:%M:%S")
            formatter.converter = time.gmtime
            handler.setFormatter(formatter)
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
        level = _LOG_LEVELS.get(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper())
        if level is not None:
            root.setLevel(level)

    def init(self) -> dict[str, Any] | None:
        """Lambda's init phase: import the handler module. Returns an error dict on failure."""
        module_name, _, function_name = self.spec["handler"].rpartition(".")
        module_name = module_name.replace("/", ".")
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            error = _error(exc, skip_frames=0)
            error.update(
                errorType="Runtime.ImportModuleError",
                errorMessage=f"Unable to import module '{module_name}': {exc}",
            )
            return error
        self.handler = getattr(module, function_name, None)
        if not callable(self.handler):
            return {
                "errorType": "Runtime.HandlerNotFound",
                "errorMessage": f"Handler '{function_name}' missing on module '{module_name}'",
                "stackTrace": [],
            }
        return None

    def take_logs(self) -> str:
        sys.stdout.flush()
        sys.stderr.flush()
        size = os.fstat(self.log_fd).st_size
        data = os.pread(self.log_fd, size, 0) if size else b""
        os.ftruncate(self.log_fd, 0)
        os.lseek(self.log_fd, 0, os.SEEK_SET)  # fds 1 and 2 share this offset
        return data.decode("utf-8", "replace")

    def invoke(self, request: dict[str, Any], event_json: bytes) -> tuple[dict[str, Any], bytes]:
        """The reply's frame (error, logs, whether the function returned) and the payload's JSON."""
        event = json.loads(event_json)
        context = LambdaContext(self.spec, request["request_id"], request["deadline"])
        self.request_id = request["request_id"]
        payload = error = None
        try:
            result = self.handler(event, context)
            try:
                payload = json.dumps(result, default=_json_default)
            except (TypeError, ValueError) as exc:
                error = {
                    "errorType": "Runtime.MarshalError",
                    "errorMessage": f"Unable to marshal response: {exc}",
                    "stackTrace": [],
                }
        except Exception as exc:
            error = _error(exc)
            print(
                f"[ERROR] {error['errorType']}: {error['errorMessage']}\n{''.join(error['stackTrace'])}",
                file=sys.stderr,
            )
        reply = {"returned": payload is not None, "error": error, "logs": self.take_logs()}
        return reply, (payload or "").encode()

    def serve(self) -> None:
        self.setup()
        init_error = self.init()
        if init_error:
            send_frame(
                self.sock,
                json.dumps({"ready": False, "error": init_error, "logs": self.take_logs()}).encode(),
            )
            return
        send_frame(self.sock, json.dumps({"ready": True, "log_fd": self.log_fd}).encode())
        while True:
            try:
                request = json.loads(recv_frame(self.sock))
                event_json = recv_frame(self.sock)
            except EOFError:
                return
            reply, payload = self.invoke(request, event_json)
            send_frame(self.sock, json.dumps(reply).encode(), payload)


def run_worker(spec: dict[str, Any], sock: socket.socket) -> None:
    code = 0
    try:
        Worker(spec, sock).serve()
    except BaseException:  # anything escaping the loop ends this environment, like a crashed runtime
        code = 1
    finally:
        os._exit(code)


# --- zygote ----------------------------------------------------------------------------------------------
def serve_zygote(control: socket.socket) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped automatically
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the runtime's to handle; it stops us
    preload()
    control.send(b'{"ready": true}')
    while True:
        try:
            message, fds, _flags, _addr = socket.recv_fds(control, 1 << 20, 1)
        except OSError:
            return
        if not message:
            return  # the runtime closed the control socket: shut down
        spec = json.loads(message)
        if not fds:
            control.send(json.dumps({"error": "no socket passed"}).encode())
            continue
        pid = os.fork()
        if pid == 0:
            control.close()
            run_worker(spec, socket.socket(fileno=fds[0]))
        os.close(fds[0])
        control.send(json.dumps({"pid": pid}).encode())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--control-fd", type=int, required=True)
    args = parser.parse_args()
    die_with_parent(signal.SIGKILL)
    serve_zygote(socket.socket(fileno=args.control_fd))


if __name__ == "__main__":
    main()
