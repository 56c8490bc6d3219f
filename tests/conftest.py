"""Shared test setup. Unit tests run against moto in-process with every table built from template.yaml."""

from __future__ import annotations

import os

# Development-only values: tests never talk to AWS and never see a real secret.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        # pitchey.core.keys reads these instead of Secrets Manager (development and tests only).
        "JWT_SECRET": "dev-only-test-signing-key-not-a-secret",
        "LINK_SIGNING_SECRET": "dev-only-test-link-key-not-a-secret",
        "APP_VERSION": "0.1.0-test",
        "POWERTOOLS_SERVICE_NAME": "pitchey-test",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)
