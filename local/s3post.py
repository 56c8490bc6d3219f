"""S3 browser-based uploads (presigned POST): policy enforcement that moto 5.2.5 does not do.

moto stores whatever a form POST sends: it checks neither the policy's signature nor its expiration nor its
conditions (`content-length-range`, `Content-Type`, `key`...), so an upload bound to "image/png, at most
10 MB" would be accepted with any type and size. The AWS endpoint (local/awsserver.py) runs
`check_post_policy` first and answers like S3 when the form breaks its policy.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# Form fields S3 does not require to appear in the policy's conditions.
_EXEMPT = {"policy", "x-amz-signature", "file", "signature", "awsaccesskeyid"}


@dataclass
class PolicyViolation:
    status: int
    code: str
    message: str

    def xml(self) -> bytes:
        return (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{self.code}</Code>'
            f"<Message>{self.message}</Message></Error>"
        ).encode()


def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _signature_ok(fields: dict[str, str], policy: str, secrets_by_key_id: dict[str, str]) -> bool:
    """SigV4 (x-amz-credential/x-amz-signature) or SigV2 (AWSAccessKeyId/signature) over the policy. Only
    signatures made with credentials we know (the runtime's own) can be checked; others pass."""
    parts = fields.get("x-amz-credential", "").split("/")
    if len(parts) == 5 and parts[0] in secrets_by_key_id:
        key = _signing_key(secrets_by_key_id[parts[0]], parts[1], parts[2], parts[3])
        expected = hmac.new(key, policy.encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, fields.get("x-amz-signature", ""))
    key_id = fields.get("awsaccesskeyid")
    if key_id in secrets_by_key_id:
        digest = hmac.new(secrets_by_key_id[key_id].encode(), policy.encode(), hashlib.sha1).digest()
        return hmac.compare_digest(base64.b64encode(digest).decode(), fields.get("signature", ""))
    return True


def check_post_policy(
    fields: dict[str, str],
    file_size: int,
    bucket: str,
    secrets_by_key_id: dict[str, str],
    now: datetime | None = None,
) -> PolicyViolation | None:
    """None if the upload satisfies its policy (or carries none), else S3's error for it."""
    lowered = {k.lower(): v for k, v in fields.items()}
    encoded = lowered.get("policy")
    if encoded is None:
        return None
    try:
        policy = json.loads(base64.b64decode(encoded))
    except ValueError:
        return PolicyViolation(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.")
    if not _signature_ok(lowered, encoded, secrets_by_key_id):
        return PolicyViolation(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )
    now = now or datetime.now(UTC)
    expiration = policy.get("expiration")
    if expiration:
        expires = datetime.fromisoformat(expiration.replace("Z", "+00:00"))
        if expires <= now:
            return PolicyViolation(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
    values = {**lowered, "bucket": bucket}
    covered: set[str] = set()
    for condition in policy.get("conditions", []):
        violation = _check(condition, values, file_size, covered)
        if violation:
            return violation
    extra = [
        name
        for name in lowered
        if name not in covered and name not in _EXEMPT and not name.startswith("x-ignore-")
    ]
    if extra:
        return PolicyViolation(
            403, "AccessDenied", f"Invalid according to Policy: Extra input fields: {extra[0]}"
        )
    return None


def _check(
    condition: Any, values: dict[str, str], file_size: int, covered: set[str]
) -> PolicyViolation | None:
    def failed() -> PolicyViolation:
        return PolicyViolation(
            403,
            "AccessDenied",
            f"Invalid according to Policy: Policy Condition failed: {json.dumps(condition)}",
        )

    if isinstance(condition, dict):
        for name, expected in condition.items():
            covered.add(name.lower())
            if values.get(name.lower()) != expected:
                return failed()
        return None
    operator = str(condition[0]).lower()
    if operator == "content-length-range":
        low, high = int(condition[1]), int(condition[2])
        if file_size > high:
            return PolicyViolation(
                400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"
            )
        if file_size < low:
            return PolicyViolation(
                400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size"
            )
        return None
    name = str(condition[1]).lstrip("$").lower()
    covered.add(name)
    actual = values.get(name)
    if operator == "eq" and actual != condition[2]:
        return failed()
    if operator == "starts-with":
        prefix = str(condition[2])
        # For Content-Type, starts-with applies to each comma-separated value.
        candidates = actual.split(",") if (actual is not None and name == "content-type") else [actual]
        if any(c is None or not c.strip().startswith(prefix) for c in candidates):
            return failed()
    return None
