"""Investment state machine step: render and store the agreement PDF. The only investment function that
ships and imports fpdf2. Event: `{"step": "generate_agreement", "investmentId": ...}`."""

from typing import Any

from pitchey.core.workflow import run_step
from pitchey.investments.documents import STEPS


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_step(STEPS, event, "investmentId")
