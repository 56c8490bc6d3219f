"""The localstripe child process: `python -m local.stripeserver --host H --port P`.

localstripe's own `start()` listens on every interface (`::`) and persists its store to
/tmp/localstripe.pickle on each write (read back at the next start); here it listens on the runtime's host
only and keeps its data in memory, like moto, so parallel runtimes never share or clobber a store.
Prints `ready <port>` once it accepts connections.
"""

from __future__ import annotations

import argparse
import logging
import signal
import socket

from local.procutil import die_with_parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    die_with_parent(signal.SIGTERM)

    from aiohttp import web
    from localstripe.resources import Store
    from localstripe.server import app

    Store.dump_to_disk = lambda self: None  # type: ignore[method-assign]  # in memory, see above

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(128)  # connections made before the app serves wait in the backlog

    async def announce(_: web.Application) -> None:
        print(f"ready {args.port}", flush=True)

    app.on_startup.append(announce)
    access = logging.getLogger("aiohttp.access")  # localstripe logs webhook deliveries here too
    access.setLevel(logging.INFO)
    access.addHandler(logging.StreamHandler())
    web.run_app(app, sock=sock, access_log=access, print=None)


if __name__ == "__main__":
    main()
