"""Presigned POST policy enforcement (moto 5.2.5 checks none of it; local/s3post.py does)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.config import Config

from local.s3post import PolicyViolation, check_post_policy

KEY_ID, SECRET = "dev-key", "dev-secret"


def presigned(
    conditions: list, fields: dict | None = None, expires: int = 300, version: str = "s3"
) -> dict[str, str]:
    s3 = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:1",
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        config=Config(signature_version=version),
    )
    return s3.generate_presigned_post(
        "bkt", "up/a.png", Fields=fields, Conditions=conditions, ExpiresIn=expires
    )["fields"]


def check(fields: dict[str, str], size: int = 5, now: datetime | None = None) -> PolicyViolation | None:
    return check_post_policy(fields, size, "bkt", {KEY_ID: SECRET}, now)


def test_a_valid_upload_passes() -> None:
    fields = presigned(
        [{"Content-Type": "image/png"}, ["content-length-range", 1, 10]], {"Content-Type": "image/png"}
    )
    assert check(fields) is None


@pytest.mark.parametrize(("size", "code"), [(11, "EntityTooLarge"), (0, "EntityTooSmall")])
def test_content_length_range(size: int, code: str) -> None:
    fields = presigned([["content-length-range", 1, 10]])
    violation = check(fields, size)
    assert violation is not None and (violation.status, violation.code) == (400, code)


def test_conditions_exact_and_starts_with() -> None:
    fields = presigned(
        [{"Content-Type": "image/png"}, ["starts-with", "$x-amz-meta-tag", "pitch-"]],
        {"Content-Type": "image/png", "x-amz-meta-tag": "pitch-1"},
    )
    assert check(fields) is None
    assert check({**fields, "Content-Type": "text/html"}).code == "AccessDenied"
    assert check({**fields, "x-amz-meta-tag": "other"}).code == "AccessDenied"
    assert check({**fields, "key": "elsewhere/a.png"}).code == "AccessDenied"


def test_extra_fields_signature_and_expiry() -> None:
    fields = presigned([])
    assert check({**fields, "x-amz-meta-extra": "1"}).message.endswith("Extra input fields: x-amz-meta-extra")
    assert check({**fields, "x-ignore-anything": "1"}) is None
    assert check({**fields, "signature": "AAAA"}).code == "SignatureDoesNotMatch"
    later = datetime.now(UTC) + timedelta(seconds=301)
    assert check(fields, now=later).message == "Invalid according to Policy: Policy expired."


def test_sigv4_signatures_are_checked_too() -> None:
    fields = presigned([], version="s3v4")
    assert "x-amz-credential" in fields
    assert check(fields) is None
    assert check({**fields, "x-amz-signature": "0" * 64}).code == "SignatureDoesNotMatch"


def test_forms_without_policy_are_not_ours_to_judge() -> None:
    assert check({"key": "a"}) is None
