"""NDA state machine steps (notify, store a wait's task token, expire, record a failure). Invoked by Step
Functions with `{"step": ..., "ndaId": ...}`; see pitchey.ndas.workflow."""

from typing import Any

from pitchey.core.workflow import run_step
from pitchey.ndas.workflow import STEPS


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_step(STEPS, event, "ndaId")
