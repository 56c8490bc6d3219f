"""The application's settings, each declared once: its environment variable, type and default.

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
from dataclasses import dataclass, field, fields
from typing import Any

from pitchey import __version__


def _env(name: str, default: int | str | None = None) -> Any:
    """A setting read from environment variable `name`; ints are parsed as ints. Without a default it is
    required, but only by the code that reads it (through `Settings.require`): not every function has it."""
    return field(default=default, metadata={"env": name})


@dataclass(frozen=True)
class Settings:
    app_version: str = _env("APP_VERSION", __version__)
    # Secrets (pitchey.core.keys): the template passes each secret's ARN; values come from Secrets Manager.
    # JWT_SECRET, LINK_SIGNING_SECRET, STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET hold values for development and
    # tests only: the template never sets them.
    jwt_secret_arn: str | None = _env("JWT_SECRET_ARN")
    jwt_secret: str | None = _env("JWT_SECRET")
    link_signing_secret_arn: str | None = _env("LINK_SIGNING_SECRET_ARN")
    link_signing_secret: str | None = _env("LINK_SIGNING_SECRET")
    # auth
    bcrypt_rounds: int = _env("BCRYPT_ROUNDS", 12)
    access_token_ttl_seconds: int = _env("ACCESS_TOKEN_TTL_SECONDS", 900)
    refresh_session_ttl_seconds: int = _env("REFRESH_SESSION_TTL_SECONDS", 604800)
    auth_rate_limit_per_minute: int = _env("AUTH_RATE_LIMIT_PER_MINUTE", 20)
    login_lockout_seconds: int = _env("LOGIN_LOCKOUT_SECONDS", 900)
    refresh_reuse_grace_seconds: int = _env("REFRESH_REUSE_GRACE_SECONDS", 10)
    api_rate_limit_per_minute: int = _env("API_RATE_LIMIT_PER_MINUTE", 600)
    # account security (pitchey.auth.verification, recovery, mfa)
    email_verification_ttl_seconds: int = _env("EMAIL_VERIFICATION_TTL_SECONDS", 86400)
    verification_resend_seconds: int = _env("VERIFICATION_RESEND_SECONDS", 60)
    password_reset_ttl_seconds: int = _env("PASSWORD_RESET_TTL_SECONDS", 3600)
    mfa_challenge_ttl_seconds: int = _env("MFA_CHALLENGE_TTL_SECONDS", 300)
    # pitches
    media_bucket: str = _env("MEDIA_BUCKET", "mediabucket")
    # ndas
    nda_request_ttl_seconds: int = _env("NDA_REQUEST_TTL_SECONDS", 2592000)
    nda_signature_ttl_seconds: int = _env("NDA_SIGNATURE_TTL_SECONDS", 1209600)
    nda_access_day_seconds: int = _env("NDA_ACCESS_DAY_SECONDS", 86400)  # tests shorten the access "day"
    nda_documents_bucket: str = _env("NDA_DOCUMENTS_BUCKET", "ndadocumentsbucket")
    nda_state_machine_arn: str | None = _env("NDA_STATE_MACHINE_ARN")
    # payments
    starter_credits: int = _env("STARTER_CREDITS", 10)
    investment_payment_required: str = _env("INVESTMENT_PAYMENT_REQUIRED", "true")
    stripe_api_base: str = _env("STRIPE_API_BASE", "https://api.stripe.com")
    stripe_api_key: str | None = _env("STRIPE_API_KEY")
    stripe_secret_arn: str | None = _env("STRIPE_SECRET_ARN")
    stripe_webhook_secret: str | None = _env("STRIPE_WEBHOOK_SECRET")
    stripe_webhook_secret_arn: str | None = _env("STRIPE_WEBHOOK_SECRET_ARN")
    # investments
    investment_stage_ttl_seconds: int = _env("INVESTMENT_STAGE_TTL_SECONDS", 2592000)
    investment_documents_bucket: str = _env("INVESTMENT_DOCUMENTS_BUCKET", "investmentdocumentsbucket")
    investment_state_machine_arn: str | None = _env("INVESTMENT_STATE_MACHINE_ARN")
    # notifications
    email_from_address: str = _env("EMAIL_FROM_ADDRESS", "notifications@pitchey.dev")
    email_link_base_url: str = _env("EMAIL_LINK_BASE_URL", "http://localhost:3000")
    email_max_attempts: int = _env("EMAIL_MAX_ATTEMPTS", 5)
    unsubscribe_token_ttl_seconds: int = _env("UNSUBSCRIBE_TOKEN_TTL_SECONDS", 30 * 24 * 3600)
    # analytics
    analytics_late_event_seconds: int = _env("ANALYTICS_LATE_EVENT_SECONDS", 600)
    track_rate_limit_per_minute: int = _env("TRACK_RATE_LIMIT_PER_MINUTE", 300)
    # messages
    message_edit_window_seconds: int = _env("MESSAGE_EDIT_WINDOW_SECONDS", 900)
    # admin
    admin_bootstrap_email: str = _env("ADMIN_BOOTSTRAP_EMAIL", "")
    audit_export_bucket: str = _env("AUDIT_EXPORT_BUCKET", "auditexportbucket")
    # privacy
    privacy_exports_bucket: str = _env("PRIVACY_EXPORTS_BUCKET", "privacyexportsbucket")
    account_deletion_grace_seconds: int = _env("ACCOUNT_DELETION_GRACE_SECONDS", 2592000)
    # realtime
    websocket_management_endpoint: str | None = _env("WEBSOCKET_MANAGEMENT_ENDPOINT")
    websocket_connection_ttl_seconds: int = _env("WEBSOCKET_CONNECTION_TTL_SECONDS", 7500)

    def require(self, name: str) -> str:
        """A setting without a default, e.g. `settings().require("jwt_secret")`; missing is a deploy error."""
        value = getattr(self, name)
        if value is None:
            env = next(f.metadata["env"] for f in fields(self) if f.name == name)
            raise RuntimeError(f"missing required setting {env}")
        return value


def load(environ: dict[str, str] | os._Environ[str] = os.environ) -> Settings:
    """Settings from `environ`: an unset or empty variable means the default."""
    values: dict[str, Any] = {}
    for spec in fields(Settings):
        raw = environ.get(spec.metadata["env"])
        if raw:
            values[spec.name] = int(raw) if isinstance(spec.default, int) else raw
    return Settings(**values)


@functools.cache
def settings() -> Settings:
    return load()
