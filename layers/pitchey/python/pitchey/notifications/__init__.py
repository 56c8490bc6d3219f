"""Notifications: one `notify` every context calls; history in DynamoDB, live push from its stream."""
