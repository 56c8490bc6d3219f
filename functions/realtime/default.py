"""WebSocket $default: a message whose `action` no route handles → an error frame."""

from pitchey.core.errors import BadRequest
from pitchey.realtime.ws import Message, ws_route


@ws_route
def handler(message: Message) -> None:
    action = message.body.get("action")
    raise BadRequest(
        f"Unknown action {action!r}; use ping, subscribe, unsubscribe or typing", code="UNKNOWN_ACTION"
    )
