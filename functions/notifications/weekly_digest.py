"""WeeklyDigestFunction (schedule WeeklyDigestSchedule): one email per user, their weekly-category items."""

from typing import Any

from pitchey.notifications import digest


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return digest.run("weekly")
