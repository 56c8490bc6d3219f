"""Realtime: WebSocket connections, channel subscriptions, presence and the push of frames to clients."""
