"""Opaque, time-ordered identifiers: sortable as strings, unguessable in their random half."""

from __future__ import annotations

import secrets
import time


def new_id() -> str:
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"
