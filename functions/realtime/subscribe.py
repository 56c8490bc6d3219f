"""WebSocket `{"action": "subscribe", "channel": "pitch:<id>"}` (pitches the user may see)."""

from pitchey.realtime import service
from pitchey.realtime.ws import Message, ws_route


@ws_route
def handler(message: Message) -> None:
    service.subscribe(message.connection_id, message.body)
