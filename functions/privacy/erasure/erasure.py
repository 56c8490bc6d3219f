"""AccountErasureFunction (AccountErasureSchedule): anonymise every account whose deletion grace ended."""

from typing import Any

from pitchey.privacy import erasure


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return erasure.run_due()
