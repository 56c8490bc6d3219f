"""The runtime object: starts moto, creates the template's resources, runs the worker pool, the HTTP API and
every registered component, and stops them all.

Extension points for plugins (local/websocket/, local/stepfunctions.py, local/streams.py): a plugin module
listed in PLUGINS exposes `setup(runtime)`, called after parameters are read and before intrinsics are
resolved. There it may
  * `runtime.model.resolver.register_ref/register_getatt(type, fn)` for resource types it owns,
  * `runtime.add_component(obj)` - obj has `name`, `start()`, `stop()`, `health() -> bool`; components start,
    in registration order, once moto, the template's tables/buckets/secrets, the worker pool and the HTTP
    server are up, and stop in reverse order,
  * `runtime.admin.add(method, "/_local/...", handler)` - handler(HttpRequest) -> HttpResponse,
  * `runtime.on_ready(fn)` - called with the runtime when everything is up.
A plugin whose module does not exist is skipped; one that fails to set up fails the start.
"""

from __future__ import annotations

import importlib
import logging
import shutil
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from local import admin, coverage, lambda_api
from local.apis import api_url_rewrite
from local.aws import AwsServer, create_resources
from local.destinations import AsyncInvoker
from local.functions import WorkerPool
from local.httpapi import AdminRoutes, HttpGateway, HttpServerComponent
from local.model import AppModel, TemplateError
from local.procutil import port_is_free
from local.reload import CodeWatcher
from local.schedules import Scheduler
from local.stripelocal import LOCAL_PARAMETER_DEFAULTS, WEBHOOK_PATH, StripeServer, webhook_secret
from local.template import TEMPLATE_PATH

log = logging.getLogger("pitchey-local")
PLUGINS = (
    "local.websocket",
    "local.stepfunctions",
    "local.streams",
    "local.queues",
    "local.notifications_sns",
    "local.s3events",
    "local.eventbridge",
)


class Component(Protocol):
    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def health(self) -> bool: ...


@dataclass
class RuntimeConfig:
    template: Path = TEMPLATE_PATH
    host: str = "127.0.0.1"
    port: int = 3000
    ws_port: int = 3001
    aws_port: int = 4566
    stripe_port: int = 8420
    overrides: dict[str, str] = field(default_factory=dict)
    max_workers_per_function: int = 4
    schedules: bool = True  # fire schedules on time (invoke-only runs turn this off)
    http: bool = True  # serve the HTTP API (invoke-only runs turn this off)
    plugins: tuple[str, ...] = PLUGINS
    echo_function_logs: bool = True
    reload: bool = True  # retire warm workers when function or layer code changes
    strict: bool = False  # anything in the template that is not emulated fails the start


class Runtime:
    def __init__(self, config: RuntimeConfig) -> None:
        self.config = config
        self.model = AppModel.load(config.template, config.overrides, LOCAL_PARAMETER_DEFAULTS)
        self.not_emulated = coverage.check(self.model.template)
        self.admin = AdminRoutes()
        self.aws = AwsServer(config.host, config.aws_port, f"{self.http_url}/_local/lambda")
        self.stripe = StripeServer(config.host, config.stripe_port)
        self.model.resolver.add_rewrite(self.stripe.rewrite)
        # The template's HTTP/REST API URLs (email links, clients' base URLs) are the local HTTP port.
        self.model.resolver.add_rewrite(api_url_rewrite(self.model, config.host, config.port))
        self.functions = WorkerPool(
            self.model,
            self.aws.endpoint,
            config.max_workers_per_function,
            log_sink=self._echo_logs if config.echo_function_logs else None,
        )
        self.scheduler = Scheduler(self)
        self.destinations = AsyncInvoker(self)  # asynchronous invokes: retries, on-failure queue
        self.components: list[Component] = []
        self.resources: dict[str, Any] = {}
        self.http: HttpServerComponent | None = None
        self.gateway: HttpGateway | None = None
        self.started_at: float | None = None
        self.started_wall = time.time()  # Lambda's LastModified of every function (local/lambda_api.py)
        self.ready_seconds: float | None = None
        self.timings: dict[str, float] = {}  # start-up phase -> seconds since start() (see /_local/health)
        self._ready_callbacks: list[Callable[[Runtime], None]] = []
        self._started: list[Component] = []
        self._stop_lock = threading.Lock()
        self._stopped = False

    # --- addresses ---------------------------------------------------------------------------------------
    @property
    def http_url(self) -> str:
        return f"http://{self.config.host}:{self.config.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.config.host}:{self.config.ws_port}"

    @property
    def aws_endpoint(self) -> str:
        return self.aws.endpoint

    @property
    def stripe_url(self) -> str:
        return self.stripe.endpoint

    # --- extension points --------------------------------------------------------------------------------
    def add_component(self, component: Component) -> None:
        self.components.append(component)

    def on_ready(self, callback: Callable[[Runtime], None]) -> None:
        self._ready_callbacks.append(callback)

    def _load_plugins(self) -> None:
        for name in self.config.plugins:
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError as error:
                if error.name == name:
                    continue  # not built (yet): the runtime works without it
                raise
            setup = getattr(module, "setup", None)
            if setup is not None:
                setup(self)

    def _echo_logs(self, function: str, logs: str) -> None:
        if logs:
            text = "".join(f"[{function}] {line}\n" for line in logs.rstrip("\n").split("\n"))
            sys.stderr.write(text)
            sys.stderr.flush()

    # --- lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start everything; returns when the runtime is ready. On failure, stops what was started."""
        self.started_at = time.monotonic()
        if self.not_emulated:
            lines = "\n  ".join(str(report) for report in self.not_emulated)
            if self.config.strict:
                raise TemplateError(f"not emulated locally (--strict):\n  {lines}")
            log.warning("not emulated locally (the template's behaviour here differs from AWS):\n  %s", lines)
        ports = [("--aws-port", self.config.aws_port), ("--stripe-port", self.config.stripe_port)]
        if self.config.http:
            ports.insert(0, ("--port", self.config.port))
        busy = [f"{flag} {port}" for flag, port in ports if not port_is_free(port, self.config.host)]
        if busy:
            raise RuntimeError(f"port(s) already in use: {', '.join(busy)}")
        try:
            # The two slow starts (moto's imports, the zygote's imports) run in parallel.
            self._start_component(self.aws)
            self.aws.prewarm()
            self._start_component(self.functions)  # readiness awaited below
            lambda_api.register(self)
            admin.register(self)  # before plugins, so a plugin's route replaces a reserved one
            self._load_plugins()
            self.aws.wait_ready()
            self._mark("moto ready")
            # localstripe only after moto: started together they compete for the CPU and delay moto, which
            # everything else waits for; it is needed only at the end (webhook registration).
            self._start_component(self.stripe)
            self.resources = create_resources(self.model, self.aws)
            self._mark("resources created")
            self.model.resolve_all()  # needs the secrets created above
            self.destinations.start()
            if self.config.http:
                self.gateway = HttpGateway(self)
                self.http = HttpServerComponent(self.gateway, self.config.host, self.config.port)
                self._start_component(self.http)
            self.functions.wait_ready()
            self._mark("worker zygote ready")
            self.stripe.wait_ready()
            secret = webhook_secret(self.model.parameters)
            self.stripe.register_webhook(f"{self.http_url}{WEBHOOK_PATH}", secret)
            self._mark("stripe ready")
            if self.config.schedules:
                self._start_component(self.scheduler)
            if self.config.reload:
                self._start_component(CodeWatcher(self))
            for component in self.components:
                self._start_component(component)
        except BaseException:
            self.stop()
            raise
        self._mark("ready")
        self.ready_seconds = time.monotonic() - self.started_at
        for callback in self._ready_callbacks:
            callback(self)

    def _mark(self, phase: str) -> None:
        assert self.started_at is not None
        self.timings[phase] = round(time.monotonic() - self.started_at, 3)

    def _start_component(self, component: Any) -> None:
        component.start()
        self._started.append(component)

    def health(self) -> dict[str, str]:
        checks = {}
        for component in self._started:
            try:
                checks[component.name] = "ok" if component.health() else "down"
            except Exception as error:
                checks[component.name] = f"error: {error}"
        return checks

    def stop(self) -> None:
        with self._stop_lock:
            if self._stopped:
                return
            self._stopped = True
        for component in reversed(self._started):
            try:
                component.stop()
            except Exception:
                log.exception("stopping %s failed", getattr(component, "name", component))
        self._started.clear()
        if self.model.inline_dir is not None:
            shutil.rmtree(self.model.inline_dir, ignore_errors=True)  # InlineCode written at start
