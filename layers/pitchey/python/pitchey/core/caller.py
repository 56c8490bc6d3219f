"""Who is acting, as plain values: services take a `Caller` (or, before anyone is signed in, a `Client`),
never the HTTP request they came from (core.http's `Request.caller()` / `Request.client()` build them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    id: str
    role: str
    ip: str
    user_agent: str


@dataclass(frozen=True)
class Client:
    """Where a request came from, for sessions and the audit log."""

    ip_address: str | None
    user_agent: str | None
