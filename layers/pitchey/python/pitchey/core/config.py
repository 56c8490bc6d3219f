"""Settings come from the function's environment (template Globals + its own Environment)."""

from __future__ import annotations

import os


def setting(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise RuntimeError(f"missing required setting {name}")
    return value


def int_setting(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


def table_name(env_var: str, logical_id: str) -> str:
    """Deployed names come from `!Ref`; tests and the local runtime use the logical id."""
    return os.environ.get(env_var) or logical_id


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def jwt_secret() -> str:
    return setting("JWT_SECRET")
