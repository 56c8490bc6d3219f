"""Parsing JSON from clients without letting its nesting exhaust the stack.

`json.loads` recurses once per `[`/`{`, so a body of a thousand `[` raises RecursionError (a 500) before any
validation runs. `loads` first measures the nesting with one regex pass that skips string literals (no
recursion, linear time) and refuses anything deeper than MAX_DEPTH.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64
# A complete string literal (matched whole, so brackets inside strings do not count) or one bracket.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


class TooDeep(ValueError):
    """The JSON text nests arrays/objects deeper than allowed."""


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in `text` (0 for a scalar)."""
    depth = deepest = 0
    for match in _TOKENS.finditer(text):
        char = match.group()
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def loads(raw: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """json.loads for client input: ValueError for invalid JSON (TooDeep when nested too deep), never a
    RecursionError. Bytes must be UTF-8 (RFC 8259)."""
    text = raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else raw
    if nesting_depth(text) > max_depth:
        raise TooDeep(f"JSON nests deeper than {max_depth} levels")
    return json.loads(text)
