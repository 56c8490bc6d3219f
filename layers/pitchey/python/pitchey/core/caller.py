"""Who is acting, as plain values: services take a `Caller`, never the HTTP request it came from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    id: str
    role: str
    ip: str
    user_agent: str
