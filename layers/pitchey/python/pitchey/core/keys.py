"""The secrets the code signs or verifies with: from Secrets Manager, never from a function's environment.

    token = jwt.encode(claims, keys.current(keys.JWT))          # sign with AWSCURRENT
    for key in keys.verifying(keys.JWT): ...                     # verify: AWSCURRENT, then AWSPREVIOUS

Each secret is a template resource with a JSON SecretString; a function gets only the secret's ARN
(`Secret.arn_setting`) and `secretsmanager:GetSecretValue` on that one secret, and only if its code uses it
(tests/unit/test_core_keys.py derives who from the calls to `current`/`accepted` and compares with
template.yaml). Values are fetched on first use and cached per execution environment for MAX_AGE seconds
(Powertools parameters), so a rotation reaches every warm function within that time.

Rotation (docs/operations.md): signing uses AWSCURRENT; verification also accepts AWSPREVIOUS while it
exists, so tokens, cursors and links signed just before a rotation keep working until they expire.

Development and unit tests: when the setting named by `Secret.dev_setting` (e.g. JWT_SECRET) is set, it is
the value itself and Secrets Manager is not asked. The template never sets one (a unit test checks);
pitchey-local creates the template's secrets in its moto with development-only values.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any, NamedTuple

from pitchey.core.settings import env_name, settings

MAX_AGE = 300  # seconds a value is reused before Secrets Manager is asked again
# A signature no cached key matches may come from a function that already read a rotated key: the keys are
# read again, at most this often (a flood of forged tokens costs one read per interval, not one each).
REFRESH_INTERVAL = 30


class Secret(NamedTuple):
    resource: str  # logical id in template.yaml
    arn_setting: str  # Settings field holding the secret's ARN (the template's !Ref)
    dev_setting: str  # Settings field holding a development value (tests); never set by the template
    field: str  # key of the value in the JSON SecretString

    def env(self) -> str:
        """The environment variable the template puts the ARN in."""
        return env_name(self.arn_setting)


JWT = Secret("JwtSecret", "jwt_secret_arn", "jwt_secret", "signingKey")
# Cursors and unsubscribe links: not the JWT key, so listing functions never hold a key that mints tokens.
LINKS = Secret("LinkSigningSecret", "link_signing_secret_arn", "link_signing_secret", "signingKey")
STRIPE_API = Secret("StripeApiKey", "stripe_secret_arn", "stripe_api_key", "apiKey")
STRIPE_WEBHOOK = Secret(
    "StripeWebhookSigningSecret", "stripe_webhook_secret_arn", "stripe_webhook_secret", "signingSecret"
)
SECRETS = (JWT, LINKS, STRIPE_API, STRIPE_WEBHOOK)

_previous_provider: Any = None
_no_previous: dict[str, float] = {}  # secret ARN -> until when we know it has no AWSPREVIOUS
_refreshed: dict[str, float] = {}  # secret ARN -> when `verifying` last read it again


def _value(secret: Secret, text: Any) -> str:
    # The SecretString is JSON {field: value}; a plain string (an operator's put-secret-value) is the value.
    if isinstance(text, str) and text.lstrip().startswith("{"):
        text = json.loads(text)
    if isinstance(text, dict):
        return str(text.get(secret.field) or "")
    return str(text or "")


def current(secret: Secret, *, force: bool = False) -> str:
    """The value to sign with (AWSCURRENT). Missing configuration is a deploy error (RuntimeError)."""
    dev = getattr(settings(), secret.dev_setting)
    if dev:
        return str(dev)
    from aws_lambda_powertools.utilities import parameters

    arn = settings().require(secret.arn_setting)
    return _value(secret, parameters.get_secret(arn, max_age=MAX_AGE, force_fetch=force))


def previous(secret: Secret, *, force: bool = False) -> str | None:
    """The value before the last rotation (AWSPREVIOUS), while Secrets Manager keeps it; None otherwise."""
    global _previous_provider
    if getattr(settings(), secret.dev_setting):
        return None
    from aws_lambda_powertools.utilities import parameters

    arn = settings().require(secret.arn_setting)
    if _no_previous.get(arn, 0.0) > time.monotonic() and not force:
        return None
    if _previous_provider is None:
        # Its own provider: Powertools' cache key is the secret's name, not the version stage asked for.
        _previous_provider = parameters.SecretsProvider()
    try:
        text = _previous_provider.get(arn, max_age=MAX_AGE, force_fetch=force, VersionStage="AWSPREVIOUS")
    except parameters.exceptions.GetParameterError:
        _no_previous[arn] = time.monotonic() + MAX_AGE  # never rotated (yet)
        return None
    _no_previous.pop(arn, None)  # rotated since we last looked
    return _value(secret, text) or None


def accepted(secret: Secret, *, force: bool = False) -> tuple[str, ...]:
    """The values a signature may have been made with: AWSCURRENT first, then AWSPREVIOUS if it exists."""
    values = [current(secret, force=force)]
    old = previous(secret, force=force)
    if old and old not in values:
        values.append(old)
    return tuple(value for value in values if value)


def verifying(secret: Secret) -> Iterator[str]:
    """The keys to check a signature with, in order: the accepted ones as cached; then, only if the caller
    asks for more (none matched), the ones read again from Secrets Manager that it has not tried yet, at
    most every REFRESH_INTERVAL seconds. Without it, a function holding the old key for up to MAX_AGE
    would refuse tokens that a function which had already read the rotated key signed."""
    tried = accepted(secret)
    yield from tried
    if getattr(settings(), secret.dev_setting):
        return
    arn = settings().require(secret.arn_setting)
    now = time.monotonic()
    if now - _refreshed.get(arn, -REFRESH_INTERVAL) < REFRESH_INTERVAL:
        return
    _refreshed[arn] = now
    yield from (key for key in accepted(secret, force=True) if key not in tried)


def clear_cache() -> None:
    """Forget cached values (tests rotate a secret and expect the next read to see it)."""
    global _previous_provider
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()
    _previous_provider = None
    _no_previous.clear()
    _refreshed.clear()
