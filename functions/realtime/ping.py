"""WebSocket `{"action": "ping"}` → pong frame; keeps the connection record alive."""

from pitchey.realtime import service
from pitchey.realtime.ws import Message, ws_route


@ws_route
def handler(message: Message) -> dict:
    return service.ping(message.connection_id)
