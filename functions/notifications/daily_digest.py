"""DailyDigestFunction (schedule DailyDigestSchedule): one email per user with their daily-category items."""

from typing import Any

from pitchey.notifications import digest


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return digest.run("daily")
