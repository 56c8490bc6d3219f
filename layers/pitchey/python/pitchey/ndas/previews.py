"""`GET /api/ndas/templates/{id}/preview`: a template rendered as the NDA a requester would get, with
placeholder parties and project, stored in the NDA documents bucket under `nda-preview/<random>/` (SSE
AES-256; a lifecycle rule removes previews after a day) and handed out as a 15-minute presigned GET.

Runs only in the template preview function, which ships fpdf2 (functions/ndas/documents/).
"""

from __future__ import annotations

from typing import Any

from pitchey.core import clock
from pitchey.core import documents as store
from pitchey.core.caller import Caller
from pitchey.ndas.agreement import Approval, Party
from pitchey.ndas.documents import bucket
from pitchey.ndas.templated import compose_from_template
from pitchey.ndas.templates import readable

PREFIX = "nda-preview"
DISCLOSING = Party(name="[Creator name]", company="[Creator company]", role="Creator")
RECEIVING = Party(name="[Requester name]", company="[Requester company]", role="Investor")
PROJECT = "[Project title]"


def preview(caller: Caller, template_id: str) -> dict[str, Any]:
    template = readable(caller, template_id)  # first: an unknown template costs no fpdf2 import
    from pitchey.ndas.pdf import render  # fpdf2: only this function's package ships it

    now = clock.now()
    agreement = compose_from_template(
        reference="PREVIEW",
        nda_type="template",
        template_name=template.name,
        body=template.body,
        pitch_title=PROJECT,
        effective=now,
        disclosing=DISCLOSING,
        receiving=RECEIVING,
    )
    approval = Approval(approved_by=DISCLOSING.name, approved_at=clock.iso(now), sign_by=None)
    key = f"{store.new_prefix(PREFIX)}/preview.pdf"
    store.put(bucket(), key, render(agreement, approval, preview=True), "application/pdf")
    url, expires_at = store.download_url(bucket(), key, f"pitchey-nda-template-{template.id}-preview.pdf")
    return {"downloadUrl": url, "expiresAt": expires_at}
