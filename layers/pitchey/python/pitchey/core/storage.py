"""Files in the media bucket: browsers upload with a presigned POST bound to the exact key, Content-Type, a
size range and SSE-AES256 (S3 enforces the policy); downloads are presigned GETs. Pitch media and message
attachments share this mechanism."""

from __future__ import annotations

import functools
import re
from datetime import timedelta
from typing import Any

from pitchey.core import clock
from pitchey.core.settings import settings


@functools.cache
def s3() -> Any:
    import boto3  # only the file paths pay for the S3 client
    from botocore.config import Config

    return boto3.client("s3", config=Config(signature_version="s3v4"))


def bucket() -> str:
    # Deployed: !Ref MediaBucket. Tests: the local name of the template's MediaBucket.
    return settings().media_bucket


def safe_name(file_name: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", file_name).strip("._") or "file"
    return name[-100:]


def upload_grant(key: str, content_type: str, max_bytes: int, seconds: int) -> dict[str, Any]:
    """`{uploadUrl, uploadFields, expiresAt}`: one POST of 1..max_bytes bytes of `content_type` to `key`."""
    fields = {"Content-Type": content_type, "x-amz-server-side-encryption": "AES256"}
    post = s3().generate_presigned_post(
        Bucket=bucket(),
        Key=key,
        Fields=fields,
        Conditions=[
            {"Content-Type": content_type},
            {"x-amz-server-side-encryption": "AES256"},
            ["content-length-range", 1, max_bytes],
        ],
        ExpiresIn=seconds,
    )
    return {
        "uploadUrl": post["url"],
        "uploadFields": post["fields"],
        "expiresAt": clock.iso(clock.now() + timedelta(seconds=seconds)),
    }


def download_grant(key: str, file_name: str, disposition: str, seconds: int) -> dict[str, Any]:
    """`{downloadUrl, expiresAt}`: a presigned GET that names the file for the browser."""
    url = s3().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket(),
            "Key": key,
            "ResponseContentDisposition": f'{disposition}; filename="{safe_name(file_name)}"',
        },
        ExpiresIn=seconds,
    )
    return {"downloadUrl": url, "expiresAt": clock.iso(clock.now() + timedelta(seconds=seconds))}


def object_exists(key: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        s3().head_object(Bucket=bucket(), Key=key)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True
