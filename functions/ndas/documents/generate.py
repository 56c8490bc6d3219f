"""NDA state machine step: render and store the approved or signed NDA PDF. The only function that ships
and imports fpdf2. Event: `{"step": "generate_document", "ndaId": ..., "version": "approved"|"signed"}`."""

from typing import Any

from pitchey.core.workflow import run_step
from pitchey.ndas.documents import STEPS


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_step(STEPS, event, "ndaId")
