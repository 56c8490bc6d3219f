"""WebSocket `{"action": "unsubscribe", "channel": "pitch:<id>"}`."""

from pitchey.realtime import service
from pitchey.realtime.ws import Message, ws_route


@ws_route
def handler(message: Message) -> None:
    service.unsubscribe(message.connection_id, message.body)
