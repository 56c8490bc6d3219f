"""EmailRetryFunction (schedule EmailRetrySchedule): another attempt for every pending email now due."""

from typing import Any

from pitchey.core.log import logger
from pitchey.notifications.emails import retry_due


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    counts = retry_due()
    logger.info("email retry run", extra=counts)
    return counts
