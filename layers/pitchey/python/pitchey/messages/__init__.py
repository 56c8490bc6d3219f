"""Messaging: conversations, messages, read receipts, typing, blocks and attachments."""
