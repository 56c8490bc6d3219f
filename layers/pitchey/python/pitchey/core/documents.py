"""Private documents in S3 (NDAs, investment agreements): stored with SSE AES-256 under random keys that say
nothing about their subject, handed out only as presigned GETs valid at most 15 minutes."""

from __future__ import annotations

import functools
import secrets
from datetime import timedelta
from typing import Any

from pitchey.core import clock
from pitchey.core.config import region

DOWNLOAD_URL_SECONDS = 900  # API.md: a download URL is valid at most 15 minutes
SSE = "AES256"


@functools.cache
def _s3() -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("s3", region_name=region(), config=Config(signature_version="s3v4"))


def new_prefix(kind: str) -> str:
    """`<kind>/<random>`: a key cannot be guessed or tied to a record, a pitch or a party."""
    return f"{kind}/{secrets.token_urlsafe(24)}"


def put(bucket: str, key: str, body: bytes, content_type: str) -> None:
    _s3().put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type, ServerSideEncryption=SSE)


def delete(bucket: str, key: str) -> None:
    _s3().delete_object(Bucket=bucket, Key=key)


def get_text(bucket: str, key: str) -> str:
    return _s3().get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")


def download_url(
    bucket: str, key: str, file_name: str, content_type: str = "application/pdf"
) -> tuple[str, str]:
    """A presigned GET of a document valid for 15 minutes, and when it expires (ISO-8601)."""
    url = _s3().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket,
            "Key": key,
            "ResponseContentType": content_type,
            "ResponseContentDisposition": f'attachment; filename="{file_name}"',
        },
        ExpiresIn=DOWNLOAD_URL_SECONDS,
    )
    return url, clock.iso(clock.now() + timedelta(seconds=DOWNLOAD_URL_SECONDS))
