"""The two ways the API talks to the NDA state machine: start one execution per NDA, and hand a wait its
outcome (SendTaskSuccess with the token the workflow stored on the NDA record)."""

from __future__ import annotations

import functools
import json
from typing import Any

from pitchey.core.config import region
from pitchey.core.log import logger
from pitchey.core.settings import settings


@functools.cache
def _sfn() -> Any:
    import boto3

    return boto3.client("stepfunctions", region_name=region())


def start_workflow(nda_id: str) -> None:
    """Execution name = NDA id: a retried start for the same NDA cannot start a second execution."""
    client = _sfn()
    try:
        client.start_execution(
            stateMachineArn=settings().require("nda_state_machine_arn"),
            name=nda_id,
            input=json.dumps({"ndaId": nda_id}),
        )
    except client.exceptions.ExecutionAlreadyExists:
        logger.info("nda workflow already started", extra={"nda_id": nda_id})


def send_outcome(task_token: str, outcome: str) -> bool:
    """Resume a wait with `{"outcome": ...}`. False if the wait is already over: the API and the workflow's
    token-storing step may both send (whichever sees the other's write last), or the wait timed out, in
    which case the expiry step reads the recorded outcome and continues from it."""
    client = _sfn()
    try:
        client.send_task_success(taskToken=task_token, output=json.dumps({"outcome": outcome}))
    except (
        client.exceptions.TaskTimedOut,
        client.exceptions.TaskDoesNotExist,
        client.exceptions.InvalidToken,
    ):
        logger.info("nda wait already resumed or closed", extra={"outcome": outcome})
        return False
    return True
