"""Start `python -m local start` as a subprocess on free ports and drive it: used by tests and benches.

with start_runtime({"AuthRateLimitPerMinute": "100000"}) as rt:
    rt.client.get("/api/health")
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from local.functions import FAKE_CREDENTIALS
from local.procutil import free_port
from local.template import TEMPLATE_PATH

ROOT = Path(__file__).resolve().parent.parent
_FUNCTION_LINE = re.compile(r"^\[(\w+)\] (.*)$")


class RuntimeProcess:
    """A running `pitchey-local start`: `.http`, `.ws`, `.aws` URLs and an `httpx.Client` on `.http`."""

    def __init__(
        self,
        overrides: dict[str, str] | None = None,
        template: Path | str = TEMPLATE_PATH,
        extra_args: list[str] | None = None,
    ) -> None:
        self.overrides = dict(overrides or {})
        self.template = Path(template)
        self.extra_args = extra_args or []
        self.log_file = tempfile.NamedTemporaryFile(prefix="pitchey-local-", suffix=".log", delete=False)  # noqa: SIM115
        self.process: subprocess.Popen[bytes] | None = None
        self.client = httpx.Client(timeout=30)
        self._choose_ports()
        self.startup_seconds: float | None = None

    @property
    def command(self) -> list[str]:
        command = [
            sys.executable,
            "-m",
            "local",
            "start",
            "--template",
            str(self.template),
            "--port",
            str(self.port),
            "--ws-port",
            str(self.ws_port),
            "--aws-port",
            str(self.aws_port),
            "--stripe-port",
            str(self.stripe_port),
        ]
        if self.overrides:
            command += ["--parameter-overrides", *(f"{k}={v}" for k, v in self.overrides.items())]
        return command + self.extra_args

    def _choose_ports(self) -> None:
        self.port, self.ws_port, self.aws_port = free_port(), free_port(), free_port()
        self.stripe_port = free_port()
        self.stripe = f"http://127.0.0.1:{self.stripe_port}"
        self.http = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.ws_port}"
        self.aws = f"http://127.0.0.1:{self.aws_port}"
        self.client.base_url = httpx.URL(self.http)

    def start(self, timeout: float = 30.0, attempts: int = 3) -> RuntimeProcess:
        """Start and wait for /_local/health. A port taken between choosing and binding (parallel test
        runs) is retried on fresh ports."""
        for attempt in range(attempts):
            if attempt:
                self._choose_ports()
            if self._start_once(timeout):
                return self
        raise RuntimeError(f"pitchey-local could not get free ports in {attempts} attempts:\n{self.logs()}")

    def _start_once(self, timeout: float) -> bool:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env["PITCHEY_LOCAL_DIE_WITH_PARENT"] = "1"
        started = time.perf_counter()
        logged_before = len(self.logs())
        self.process = subprocess.Popen(
            self.command,
            cwd=str(ROOT),
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # our own process group: stop() can clean up even a wedged runtime
        )
        deadline = started + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                if "already in use" in self.logs()[logged_before:]:
                    return False
                raise RuntimeError(f"pitchey-local exited with {self.process.returncode}:\n{self.logs()}")
            try:
                if self.client.get("/_local/health", timeout=1).status_code == 200:
                    self.startup_seconds = time.perf_counter() - started
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"pitchey-local not healthy within {timeout} s:\n{self.logs()}")

    def restart(self, timeout: float = 30.0) -> RuntimeProcess:
        """Stop, then start again at once on the same ports (as Ctrl-C then `make dev`)."""
        self.stop()
        self.client = httpx.Client(timeout=30, base_url=self.http)
        if not self._start_once(timeout):
            raise RuntimeError(f"pitchey-local could not start again on the same ports:\n{self.logs()}")
        return self

    def logs(self) -> str:
        return Path(self.log_file.name).read_text(encoding="utf-8", errors="replace")

    def function_logs(self, function: str | None = None) -> list[tuple[str, str]]:
        """What the functions wrote (the runtime echoes each line as `[FunctionName] line`), as
        (function, line) pairs in order; `function`: only that function's."""
        lines = []
        for line in self.logs().splitlines():
            match = _FUNCTION_LINE.match(line)
            if match and (function is None or match.group(1) == function):
                lines.append((match.group(1), match.group(2)))
        return lines

    def stop(self) -> int | None:
        self.client.close()
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode

    def __enter__(self) -> RuntimeProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- conveniences for tests --------------------------------------------------------------------------
    def boto3(self, service: str) -> Any:
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.aws,
            region_name="us-east-1",
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def emails(self, to: str | None = None) -> list[dict[str, Any]]:
        response = self.client.get("/_local/emails", params={"to": to} if to else None)
        response.raise_for_status()
        return response.json()

    def run_schedule(self, name: str) -> dict[str, Any]:
        response = self.client.post(f"/_local/schedules/{name}/run")
        response.raise_for_status()
        return response.json()

    def executions(self) -> Any:
        return self.client.get("/_local/executions").json()


def start_runtime(
    overrides: dict[str, str] | None = None, template: Path | str = TEMPLATE_PATH, timeout: float = 30.0
) -> RuntimeProcess:
    return RuntimeProcess(overrides, template).start(timeout)
