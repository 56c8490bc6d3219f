"""Analytics: tracked events, the scheduled aggregation, dashboards and trending."""
