"""`GET /api/ndas/{id}/verify?sha256=` (#21, public): whoever holds an NDA document can check that it is
one Pitchey generated, and which version, without learning anything else. The answer is only
`{ndaId, genuine, version}`: no names, titles or status, and the same `genuine: false` for an unknown id
as for a wrong digest (so it is no oracle for which NDA ids exist). Each PDF's SHA-256 is recorded when the
workflow stores it (documents.generate)."""

from __future__ import annotations

import hmac
import re
from typing import Any

from pitchey.core import ratelimit
from pitchey.core.errors import ValidationFailed
from pitchey.ndas.models import Nda

SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
VERIFY_PER_MINUTE = 30  # per client IP: enough for a person, too few to trawl


def verify(nda_id: str, sha256: str | None, ip: str | None) -> dict[str, Any]:
    if not sha256 or not SHA256_HEX.fullmatch(sha256):
        raise ValidationFailed.field("sha256", "Must be the document's SHA-256 as 64 hexadecimal characters")
    ratelimit.hit("nda-verify", ip or "unknown", VERIFY_PER_MINUTE)
    digest = sha256.lower()
    version = None
    for name, stored in _digests(nda_id):
        if stored and hmac.compare_digest(stored, digest):
            version = name
    return {"ndaId": nda_id, "genuine": version is not None, "version": version}


def _digests(nda_id: str) -> list[tuple[str, str | None]]:
    if len(nda_id) > 100:  # no NDA has such an id (and DynamoDB refuses keys that long)
        return []
    attributes = [Nda.document_sha256.attr_name, Nda.signed_document_sha256.attr_name]
    try:
        nda = Nda.get(nda_id, attributes_to_get=attributes)
    except Nda.DoesNotExist:
        return []
    return [("approved", nda.document_sha256), ("signed", nda.signed_document_sha256)]
