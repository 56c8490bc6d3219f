"""Investment state machine steps (notify, store a stage's task token, expire, record a failure). Invoked by
Step Functions with `{"step": ..., "investmentId": ...}`; see pitchey.investments.workflow."""

from typing import Any

from pitchey.investments.workflow import handle


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return handle(event)
