"""Structured JSON logs (Powertools Logger). Metrics are loaded only by functions that emit them."""

from __future__ import annotations

from aws_lambda_powertools import Logger

logger = Logger()
