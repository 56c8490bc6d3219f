"""The application's settings, each declared once: its name (its environment variable upper-cased), type
and default.

In Lambda the environment is the template's (Globals + the function's own Environment, whose values come
from the template Parameters and their defaults); the defaults here are what code run without it (unit
tests, scripts) gets, and must match the Parameters' defaults. `settings()` reads the environment on first
use and keeps the result for the life of the execution environment, as an init-phase read would.

Code that changes the environment afterwards (tests) calls `settings.cache_clear()` to read it again;
tests/unit/conftest.py does so before each test and in its `setenv` fixture.
"""

from __future__ import annotations

import functools
import os
from typing import Any, NamedTuple

from pitchey import __version__


def env_name(setting: str) -> str:
    """The environment variable a setting is read from: `bcrypt_rounds` from BCRYPT_ROUNDS."""
    return setting.upper()


class Settings(NamedTuple):
    """Read from the environment (`load`); ints are parsed as ints. A setting whose default is None is
    required, but only by the code that reads it (through `require`): not every function has it.
    A NamedTuple rather than a frozen dataclass: it is defined at every cold start, and a dataclass of these
    fields costs ~5 ms to make (it compiles its generated methods), a NamedTuple ~0.3 ms."""

    app_version: str = __version__
    # Secrets (pitchey.core.keys): the template passes each secret's ARN; values come from Secrets Manager.
    # JWT_SECRET, LINK_SIGNING_SECRET, STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET hold values for development and
    # tests only: the template never sets them.
    jwt_secret_arn: str | None = None
    jwt_secret: str | None = None
    link_signing_secret_arn: str | None = None
    link_signing_secret: str | None = None
    # auth
    bcrypt_rounds: int = 12
    access_token_ttl_seconds: int = 900
    refresh_session_ttl_seconds: int = 604800
    auth_rate_limit_per_minute: int = 20
    login_lockout_seconds: int = 900
    refresh_reuse_grace_seconds: int = 10
    api_rate_limit_per_minute: int = 600
    # account security (pitchey.auth.verification, recovery, mfa)
    email_verification_ttl_seconds: int = 86400
    verification_resend_seconds: int = 60
    password_reset_ttl_seconds: int = 3600
    mfa_challenge_ttl_seconds: int = 300
    # pitches
    media_bucket: str = "mediabucket"
    # ndas
    nda_request_ttl_seconds: int = 2592000
    nda_signature_ttl_seconds: int = 1209600
    nda_access_day_seconds: int = 86400  # tests shorten the access "day"
    nda_documents_bucket: str = "ndadocumentsbucket"
    nda_state_machine_arn: str | None = None
    # payments
    starter_credits: int = 10
    investment_payment_required: str = "true"
    stripe_api_base: str = "https://api.stripe.com"
    stripe_api_key: str | None = None
    stripe_secret_arn: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_webhook_secret_arn: str | None = None
    # investments
    investment_stage_ttl_seconds: int = 2592000
    investment_documents_bucket: str = "investmentdocumentsbucket"
    investment_state_machine_arn: str | None = None
    # notifications
    email_from_address: str = "notifications@pitchey.dev"
    email_link_base_url: str = "http://localhost:3000"
    email_max_attempts: int = 5
    unsubscribe_token_ttl_seconds: int = 30 * 24 * 3600
    # analytics
    analytics_late_event_seconds: int = 600
    track_rate_limit_per_minute: int = 300
    # messages
    message_edit_window_seconds: int = 900
    # admin
    admin_bootstrap_email: str = ""
    audit_export_bucket: str = "auditexportbucket"
    # privacy
    privacy_exports_bucket: str = "privacyexportsbucket"
    account_deletion_grace_seconds: int = 2592000
    # realtime
    websocket_management_endpoint: str | None = None
    websocket_connection_ttl_seconds: int = 7500

    def require(self, name: str) -> str:
        """A setting without a default, e.g. `settings().require("jwt_secret")`; missing is a deploy error."""
        value = getattr(self, name)
        if value is None:
            raise RuntimeError(f"missing required setting {env_name(name)}")
        return value


def load(environ: dict[str, str] | os._Environ[str] = os.environ) -> Settings:
    """Settings from `environ`: an unset or empty variable means the default."""
    values: dict[str, Any] = {}
    for name, default in Settings._field_defaults.items():
        raw = environ.get(env_name(name))
        if raw:
            values[name] = int(raw) if isinstance(default, int) else raw
    return Settings(**values)


@functools.cache
def settings() -> Settings:
    return load()
