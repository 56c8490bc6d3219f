"""WebSocket `{"action": "typing", "channel": "pitch:<id>", "isTyping": true}` → relayed to the channel."""

from pitchey.realtime import service
from pitchey.realtime.ws import Message, ws_route


@ws_route
def handler(message: Message) -> None:
    service.typing(message.connection_id, message.body)
