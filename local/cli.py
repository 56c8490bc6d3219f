"""`pitchey-local start` and `pitchey-local invoke`: the command line of the embedded local runtime."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from local.model import TemplateError, parse_overrides
from local.procutil import die_with_parent, free_port
from local.stripelocal import WEBHOOK_PATH
from local.template import TEMPLATE_PATH

log = logging.getLogger("pitchey-local")


def default_template() -> Path:
    """Like sam: the template of the directory it is run in; this project's own otherwise (make dev)."""
    here = Path("template.yaml")
    return here if here.is_file() else TEMPLATE_PATH


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--template",
        "-t",
        type=Path,
        default=None,
        help="SAM template (default: ./template.yaml, else this project's)",
    )
    parser.add_argument(
        "--parameter-overrides",
        nargs="+",
        default=[],
        metavar="K=V",
        help='template parameters, as `K=V K2=V2` arguments or one "K=V K2=V2" string (like sam)',
    )
    parser.add_argument("--debug", action="store_true", help="log moto and HTTP requests too")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pitchey-local", description="Run template.yaml locally: no Docker, no AWS."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="serve the HTTP API, WebSocket API and AWS services")
    start.add_argument("--host", default="127.0.0.1")
    start.add_argument("--port", type=int, default=3000, help="HTTP API and /_local admin endpoints")
    start.add_argument("--ws-port", type=int, default=3001, help="WebSocket API")
    start.add_argument("--aws-port", type=int, default=4566, help="AWS endpoint (moto + Lambda Invoke)")
    start.add_argument("--stripe-port", type=int, default=8420, help="Stripe API (localstripe)")
    start.add_argument("--seed", action="store_true", help="create one demo user per portal once ready")
    start.add_argument(
        "--max-workers", type=int, default=4, help="warm workers per function (concurrency cap)"
    )
    start.add_argument("--quiet", action="store_true", help="do not echo function logs")
    start.add_argument("--no-reload", action="store_true", help="keep warm workers when code changes")
    start.add_argument(
        "--strict", action="store_true", help="fail the start if the template uses anything not emulated"
    )
    _common(start)
    invoke = commands.add_parser("invoke", help="run one function once, like `sam local invoke`")
    invoke.add_argument("function", help="logical id of the function")
    invoke.add_argument("-e", "--event", help="event JSON file ('-' = stdin); default {}")
    _common(invoke)
    return parser


def _read_event(path: str | None) -> Any:
    if not path:
        return {}
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    return json.loads(text) if text.strip() else {}


def _with_seed_admin(overrides: dict[str, str], seed: bool) -> dict[str, str]:
    """--seed makes the demo admin the AdminBootstrapEmail (unless one is given), so it registers as admin."""
    if seed:
        from local.seed import ADMIN_EMAIL

        return {"AdminBootstrapEmail": ADMIN_EMAIL, **overrides}
    return overrides


def _serve(args: argparse.Namespace) -> int:
    from local.runtime import Runtime, RuntimeConfig

    config = RuntimeConfig(
        template=args.template,
        host=args.host,
        port=args.port,
        ws_port=args.ws_port,
        aws_port=args.aws_port,
        stripe_port=args.stripe_port,
        overrides=_with_seed_admin(parse_overrides(args.parameter_overrides), args.seed),
        max_workers_per_function=args.max_workers,
        echo_function_logs=not args.quiet,
        reload=not args.no_reload,
        strict=args.strict,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if os.environ.get("PITCHEY_LOCAL_DIE_WITH_PARENT") == "1":
        die_with_parent(signal.SIGTERM)  # test harnesses: a killed test run leaves no runtime behind
    runtime = Runtime(config)
    try:
        runtime.start()
        print(
            f"pitchey-local ready in {runtime.ready_seconds:.1f} s\n"
            f"  HTTP API   {runtime.http_url}\n"
            f"  WebSocket  {runtime.ws_url}\n"
            f"  AWS        {runtime.aws_endpoint}  (moto; use as AWS_ENDPOINT_URL, Lambda Invoke included)\n"
            f"  Stripe     {runtime.stripe_url}  (localstripe; events -> {runtime.http_url}{WEBHOOK_PATH})\n"
            f"  Admin      {runtime.http_url}/_local/health\n"
            "Ctrl-C stops everything.",
            flush=True,
        )
        if args.seed:
            from local.seed import seed

            seed(runtime.http_url)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        runtime.stop()
        print("pitchey-local stopped", flush=True)
    return 0


def _invoke(args: argparse.Namespace) -> int:
    from local.runtime import Runtime, RuntimeConfig

    event = _read_event(args.event)
    config = RuntimeConfig(
        template=args.template,
        port=free_port(),
        ws_port=free_port(),
        aws_port=free_port(),
        stripe_port=free_port(),
        overrides=parse_overrides(args.parameter_overrides),
        schedules=False,
        echo_function_logs=False,
        reload=False,
    )
    runtime = Runtime(config)
    try:
        runtime.start()
        if runtime.model.function_by_name(args.function) is None:
            print(f"pitchey-local: no function {args.function} in {args.template}", file=sys.stderr)
            return 2
        result = runtime.functions.invoke(args.function, event)
    finally:
        runtime.stop()
    sys.stderr.write(result.logs)
    sys.stderr.write(f"REPORT RequestId: {result.request_id} Duration: {result.duration_ms:.2f} ms\n")
    print(json.dumps(result.error if result.error else result.payload))
    return 1 if result.error else 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.template = args.template or default_template()
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO, format="%(message)s", stream=sys.stderr
    )
    logging.getLogger("botocore").setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    try:
        if args.command == "start":
            return _serve(args)
        return _invoke(args)
    except TemplateError as error:
        print(f"pitchey-local: template error: {error}", file=sys.stderr)
        return 2
    except RuntimeError as error:
        print(f"pitchey-local: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
