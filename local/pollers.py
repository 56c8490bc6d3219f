"""What the polling event-source components (DynamoDB streams, SQS queues) share: their pollers' health,
a listing under `GET /_local/<name>`, and their installation as a runtime plugin."""

from __future__ import annotations

from typing import Any


class PollerSet:
    """Base of a component holding `self.pollers` (each with `.mapping`, `.stats` and `.alive()`);
    subclasses say what each poller shows in `describe_poller`."""

    pollers: list[Any]

    def health(self) -> bool:
        return all(poller.alive() for poller in self.pollers)

    def describe_poller(self, poller: Any) -> dict[str, Any]:
        raise NotImplementedError

    def describe(self) -> list[dict[str, Any]]:
        return [
            {
                "mapping": poller.mapping.name,
                "function": poller.mapping.function,
                **self.describe_poller(poller),
                "running": poller.alive(),
                "batches": poller.stats.batches,
                "lastError": poller.stats.last_error,
            }
            for poller in self.pollers
        ]

    def admin_handler(self, request: Any) -> Any:
        from local.httpapi import json_response

        return json_response(200, self.describe())

    @classmethod
    def install(cls, runtime: Any, listing_path: str) -> None:
        """The runtime plugin hook's work (see local/runtime.py): the component and its listing."""
        component = cls(runtime)
        runtime.add_component(component)
        runtime.admin.add("GET", listing_path, component.admin_handler)
