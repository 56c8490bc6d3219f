"""pitchey.core.keys: secrets from Secrets Manager (cached, rotation-tolerant), and the template giving each
secret to exactly the functions whose code uses it (derived from the code by tests/unit/keys_support.py)."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import boto3
import pytest

from local.template import load_template
from pitchey.auth import tokens
from pitchey.core import cursor, keys
from pitchey.core.errors import BadRequest, Unauthorized
from pitchey.core.settings import env_name, settings
from pitchey.notifications import emails
from pitchey.payments import webhooks
from tests.unit.iam_support import readable_secrets
from tests.unit.keys_support import ROOT, handler_secrets, secret_names

TEMPLATE = load_template()
FUNCTIONS = {
    lid: r["Properties"]
    for lid, r in TEMPLATE["Resources"].items()
    if r["Type"] == "AWS::Serverless::Function"
}
BY_RESOURCE = {secret.resource: name for name in secret_names() for secret in [getattr(keys, name)]}


def _handler_file(props: dict) -> Path:
    module = props["Handler"].rsplit(".", 1)[0]
    return ROOT / props["CodeUri"] / (module.replace(".", "/") + ".py")


def _granted(lid: str, props: dict) -> tuple[set[str], set[str]]:
    """The secrets (keys constant names) a function has in its environment and its role may read."""
    env = (props.get("Environment") or {}).get("Variables") or {}
    in_env = set()
    for name, value in env.items():
        if isinstance(value, dict) and value.get("Ref") in BY_RESOURCE:
            secret = getattr(keys, BY_RESOURCE[value["Ref"]])
            assert name == secret.env(), f"{name}: the ARN of {secret.resource} goes in {secret.env()}"
            in_env.add(BY_RESOURCE[value["Ref"]])
    in_policy = {BY_RESOURCE[secret] for secret in readable_secrets(lid)}
    return in_env, in_policy


def test_each_secret_goes_exactly_to_the_functions_whose_code_uses_it():
    wrong = {}
    for lid, props in FUNCTIONS.items():
        needed = handler_secrets(_handler_file(props))
        in_env, in_policy = _granted(lid, props)
        if not (needed == in_env == in_policy):
            wrong[lid] = {"code": sorted(needed), "env": sorted(in_env), "policy": sorted(in_policy)}
    assert not wrong


def test_the_derivation_sees_who_signs_and_who_lists():
    def needs(lid: str) -> set[str]:
        return handler_secrets(_handler_file(FUNCTIONS[lid]))

    assert needs("AuthorizerFunction") == {"JWT"}  # verifies every token
    assert "JWT" in needs("AuthLoginFunction")  # signs
    assert needs("PitchGetFunction") == {"JWT"}  # auth="optional": decodes a bearer token itself
    assert needs("WsConnectFunction") == {"JWT"}  # the token comes in the connect query
    assert needs("PitchBrowseFunction") == {"LINKS"}  # cursors
    assert needs("NotificationsUnsubscribeFunction") == {"LINKS"}
    assert needs("StripeWebhookFunction") == {"STRIPE_WEBHOOK"}
    assert needs("PaymentSubscribeFunction") == {"STRIPE_API"}
    assert needs("HealthFunction") == needs("AuthMeFunction") == set()  # auth="required": the authorizer's


def test_no_environment_carries_a_secret_value():
    dev_settings = {getattr(keys, name).dev_setting for name in secret_names()}
    dev_variables = {env_name(name) for name in dev_settings}
    assert dev_variables == {"JWT_SECRET", "LINK_SIGNING_SECRET", "STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET"}
    environments = [TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]]
    environments += [(p.get("Environment") or {}).get("Variables") or {} for p in FUNCTIONS.values()]
    for variables in environments:
        assert not dev_variables & set(variables)
    assert "resolve:secretsmanager" not in (ROOT / "template.yaml").read_text()


# --- reading and rotating ---------------------------------------------------------------------------------
@pytest.fixture
def secrets_manager(aws, monkeypatch):
    """Secrets Manager (moto) holding the template's JWT and link keys; no development values."""
    for name in ("JWT_SECRET", "LINK_SIGNING_SECRET", "STRIPE_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    client = boto3.client("secretsmanager")
    for secret in (keys.JWT, keys.LINKS, keys.STRIPE_WEBHOOK):
        value = (
            "whsec_first"
            if secret is keys.STRIPE_WEBHOOK
            else f"{secret.resource}-first-key-padded-to-32-bytes"
        )
        arn = client.create_secret(Name=secret.resource, SecretString=json.dumps({secret.field: value}))[
            "ARN"
        ]
        monkeypatch.setenv(secret.env(), arn)
    settings.cache_clear()
    keys.clear_cache()
    yield client
    keys.clear_cache()


def _rotate(client, secret: keys.Secret, value: str) -> None:
    client.put_secret_value(SecretId=secret.resource, SecretString=json.dumps({secret.field: value}))
    keys.clear_cache()  # as MAX_AGE passing would


def _drop_previous(client, secret: keys.Secret) -> None:
    versions = client.list_secret_version_ids(SecretId=secret.resource)["Versions"]
    old = next(v["VersionId"] for v in versions if "AWSPREVIOUS" in v.get("VersionStages", []))
    client.update_secret_version_stage(
        SecretId=secret.resource, VersionStage="AWSPREVIOUS", RemoveFromVersionId=old
    )
    keys.clear_cache()


def test_values_come_from_the_secret_and_are_cached(secrets_manager):
    assert keys.current(keys.JWT) == "JwtSecret-first-key-padded-to-32-bytes"
    assert keys.accepted(keys.JWT) == (
        "JwtSecret-first-key-padded-to-32-bytes",
    )  # never rotated: no AWSPREVIOUS
    secrets_manager.put_secret_value(
        SecretId="JwtSecret", SecretString=json.dumps({"signingKey": "second-key-padded-to-32-bytes"})
    )
    assert (
        keys.current(keys.JWT) == "JwtSecret-first-key-padded-to-32-bytes"
    )  # within MAX_AGE the cached value
    keys.clear_cache()
    assert keys.current(keys.JWT) == "second-key-padded-to-32-bytes"


def test_a_token_signed_before_a_rotation_verifies_while_the_previous_key_exists(secrets_manager):
    old_token, _ = tokens.issue_access_token("u1", "s1", "creator")
    _rotate(secrets_manager, keys.JWT, "JwtSecret-second-key-padded-to-32-bytes")
    assert tokens.decode_access_token(old_token)["sub"] == "u1"
    new_token, _ = tokens.issue_access_token("u2", "s2", "investor")
    assert new_token.split(".")[2] != old_token.split(".")[2]
    _rotate(
        secrets_manager, keys.JWT, "JwtSecret-third-key-padded-to-32-bytes"
    )  # the first key is neither current nor previous
    with pytest.raises(Unauthorized, match="Invalid access token"):
        tokens.decode_access_token(old_token)
    assert tokens.decode_access_token(new_token)["sub"] == "u2"
    _drop_previous(secrets_manager, keys.JWT)
    with pytest.raises(Unauthorized, match="Invalid access token"):
        tokens.decode_access_token(new_token)


def test_a_forged_token_is_refused_with_both_keys_in_play(secrets_manager):
    _rotate(secrets_manager, keys.JWT, "JwtSecret-second-key-padded-to-32-bytes")
    import jwt

    forged = jwt.encode(
        {"sub": "x", "sid": "s", "role": "creator", "iat": 1, "exp": 2**40, "jti": "j"},
        "a-guessed-key-of-at-least-32-bytes",
    )
    with pytest.raises(Unauthorized, match="Invalid access token"):
        tokens.decode_access_token(forged)


def test_cursors_and_unsubscribe_links_survive_one_rotation(secrets_manager):
    issued = cursor.encode_cursor({"pk": "a"}, scope="list")
    link = emails.unsubscribe_token("u1", next(iter(emails.CATEGORY_LABELS)))
    _rotate(secrets_manager, keys.LINKS, "LinkSigningSecret-second-key-padded-to-32-bytes")
    assert cursor.decode_cursor(issued, scope="list") == {"pk": "a"}
    assert emails.read_unsubscribe_token(link).user_id == "u1"
    _drop_previous(secrets_manager, keys.LINKS)
    with pytest.raises(BadRequest):
        cursor.decode_cursor(issued, scope="list")
    with pytest.raises(BadRequest):
        emails.read_unsubscribe_token(link)


def _stripe_header(secret: str, raw: bytes, t: int) -> str:
    return f"t={t},v1={hmac.new(secret.encode(), f'{t}.'.encode() + raw, hashlib.sha256).hexdigest()}"


def test_the_webhook_verifies_with_the_current_and_the_previous_signing_secret(secrets_manager):
    raw = json.dumps({"id": "evt_1", "type": "ping", "data": {"object": {}}}).encode()
    _rotate(secrets_manager, keys.STRIPE_WEBHOOK, "whsec_second")
    assert tuple(webhooks._secrets()) == ("whsec_second", "whsec_first")
    for secret in ("whsec_first", "whsec_second"):
        header = _stripe_header(secret, raw, 1000)
        assert webhooks.verify(raw, header, webhooks._secrets(), now=1000)["id"] == "evt_1"
    with pytest.raises(BadRequest, match="does not match"):
        webhooks.verify(raw, _stripe_header("whsec_other", raw, 1000), webhooks._secrets(), now=1000)


def test_an_empty_webhook_secret_is_a_misconfigured_stage(secrets_manager):
    _rotate(secrets_manager, keys.STRIPE_WEBHOOK, "")  # the template's default: StripeWebhookSecret empty
    _drop_previous(secrets_manager, keys.STRIPE_WEBHOOK)
    with pytest.raises(webhooks.WebhookMisconfigured):
        webhooks._secrets()


def test_a_function_without_the_secret_arn_fails_loudly(aws, monkeypatch):
    monkeypatch.delenv("JWT_SECRET", raising=False)
    monkeypatch.delenv("JWT_SECRET_ARN", raising=False)
    settings.cache_clear()
    with pytest.raises(RuntimeError, match="JWT_SECRET_ARN"):
        keys.current(keys.JWT)


def test_a_warm_verifier_accepts_a_token_signed_with_a_key_it_has_not_read_yet(secrets_manager, monkeypatch):
    """After a rotation, a function that read the new key (a cold start) signs with it while others hold the
    old one for up to MAX_AGE: a signature no cached key matches makes the verifier read the keys again."""
    import jwt

    assert keys.accepted(keys.JWT) == ("JwtSecret-first-key-padded-to-32-bytes",)  # cached, warm
    new_key = "JwtSecret-rotated-key-padded-to-32-bytes"
    secrets_manager.put_secret_value(SecretId="JwtSecret", SecretString=json.dumps({"signingKey": new_key}))
    claims = {"sub": "u3", "sid": "s3", "role": "creator", "iat": 1, "exp": 2**40, "jti": "j"}
    assert tokens.decode_access_token(jwt.encode(claims, new_key, algorithm="HS256"))["sub"] == "u3"
    assert keys.accepted(keys.JWT) == (new_key, "JwtSecret-first-key-padded-to-32-bytes")  # now cached


def test_forged_signatures_read_the_keys_again_at_most_once_per_interval(secrets_manager, monkeypatch):
    reads = []
    real = keys.accepted

    def counting(secret, *, force=False):
        reads.append(force)
        return real(secret, force=force)

    monkeypatch.setattr(keys, "accepted", counting)
    forged = cursor.encode_cursor({"pk": "a"}, scope="list")[:-2] + "AA"
    for _ in range(5):
        with pytest.raises(BadRequest):
            cursor.decode_cursor(forged, scope="list")
    assert reads.count(True) == 1  # one fresh read for five forgeries within REFRESH_INTERVAL
    monkeypatch.setattr(
        keys, "_refreshed", {k: v - keys.REFRESH_INTERVAL for k, v in keys._refreshed.items()}
    )
    with pytest.raises(BadRequest):
        cursor.decode_cursor(forged, scope="list")
    assert reads.count(True) == 2
