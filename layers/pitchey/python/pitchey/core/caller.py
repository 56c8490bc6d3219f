"""Who is acting, as plain values: services take a `Caller` (or, before anyone is signed in, a `Client`),
never the HTTP request they came from (core.http's `Request.caller()` / `Request.client()` build them).
NamedTuples, as the other small values made at every cold start: a frozen dataclass costs ~0.6 ms to define
(it compiles its generated methods), a NamedTuple ~0.07 ms."""

from __future__ import annotations

from typing import NamedTuple


class Caller(NamedTuple):
    id: str
    role: str
    ip: str
    user_agent: str


class Client(NamedTuple):
    """Where a request came from, for sessions and the audit log."""

    ip_address: str | None
    user_agent: str | None
