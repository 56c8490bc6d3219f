"""WebSocket push latency of the local runtime (fixture application tests/local/fixtures/triggers):

* `post_to_connection` -> frame received: boto3 `apigatewaymanagementapi` against the runtime's
  `@connections` endpoint, timed until a `websockets` client has the frame (target p50 < 50 ms);
* notification write -> frame received: PutItem on NotificationsTable, whose stream triggers the Notify
  function, which queries the user's connections and posts to each (the app's realtime path; API.md's
  target p50 < 50 ms).
"""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import boto3

from local.functions import FAKE_CREDENTIALS
from local.testing import RuntimeProcess

TEMPLATE = (
    Path(__file__).resolve().parent.parent / "tests" / "local" / "fixtures" / "triggers" / "template.yaml"
)
WARMUP = 20
SAMPLES = 300
NOTIFY_SAMPLES = 100


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class Listener:
    """A websockets client on its own thread; every frame lands in `frames` with its arrival time."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.frames: queue.Queue[tuple[str, float]] = queue.Queue()
        self.connection_id: str | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Future[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    def __enter__(self) -> Listener:
        self._thread.start()
        if not self._ready.wait(15):
            raise RuntimeError("websocket client did not connect")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._stop.set_result, None)
        self._thread.join(5)

    async def _main(self) -> None:
        from websockets.asyncio.client import connect

        self._loop = asyncio.get_running_loop()
        self._stop = self._loop.create_future()
        async with connect(self.url) as ws:
            await ws.send(json.dumps({"action": "whoami"}))
            self.connection_id = json.loads(await ws.recv())["requestContext"]["connectionId"]
            self._ready.set()
            receiver = asyncio.ensure_future(self._receive(ws))
            await self._stop
            receiver.cancel()

    async def _receive(self, ws: Any) -> None:
        async for message in ws:
            self.frames.put((message, time.perf_counter()))


def _post_latencies(runtime: RuntimeProcess) -> list[float]:
    api = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=f"http://127.0.0.1:{runtime.ws_port}/test",
        region_name="us-east-1",
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    samples = []
    with Listener(f"{runtime.ws}/?token=user-bench-post") as listener:
        for index in range(WARMUP + SAMPLES):
            started = time.perf_counter()
            api.post_to_connection(ConnectionId=listener.connection_id, Data=str(index).encode())
            message, arrived = listener.frames.get(timeout=5)
            assert message == str(index)
            if index >= WARMUP:
                samples.append((arrived - started) * 1000)
    return samples


def _notify_latencies(runtime: RuntimeProcess) -> list[float]:
    dynamodb = runtime.boto3("dynamodb")
    user = f"bench-{uuid.uuid4().hex[:8]}"
    samples = []
    with Listener(f"{runtime.ws}/?token=user-{user}") as listener:
        for index in range(WARMUP // 2 + NOTIFY_SAMPLES):
            started = time.perf_counter()
            dynamodb.put_item(
                TableName="NotificationsTable",
                Item={"userId": {"S": user}, "sk": {"S": f"{index:06d}"}, "type": {"S": "system"}},
            )
            message, arrived = listener.frames.get(timeout=10)
            assert json.loads(message)["data"]["sk"] == f"{index:06d}"
            if index >= WARMUP // 2:
                samples.append((arrived - started) * 1000)
            time.sleep(0.02)  # one notification at a time, like a user's feed
    return samples


def run() -> list[dict[str, Any]]:
    with RuntimeProcess(template=TEMPLATE) as runtime:
        runtime.start(timeout=90)
        post = _post_latencies(runtime)
        notify = _notify_latencies(runtime)
    rows = []
    for label, values, note in (
        ("post_to_connection -> frame", post, f"{SAMPLES} posts, boto3 client; target p50 < 50 ms"),
        ("notification write -> frame", notify, f"{NOTIFY_SAMPLES} PutItems -> stream -> Notify -> post"),
    ):
        rows += [
            {"metric": f"{label} p50", "value": percentile(values, 0.5), "unit": "ms", "note": note},
            {"metric": f"{label} p95", "value": percentile(values, 0.95), "unit": "ms", "note": ""},
            {"metric": f"{label} max", "value": max(values), "unit": "ms", "note": ""},
        ]
    return rows


if __name__ == "__main__":
    from bench.__main__ import table

    print(table([{"bench": Path(__file__).stem, **row} for row in run()]))
