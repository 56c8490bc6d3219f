"""AnalyticsAggregationSchedule (rate 5 minutes): fold the new raw events into the aggregates."""

from typing import Any

from pitchey.analytics import aggregator


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return aggregator.run()
