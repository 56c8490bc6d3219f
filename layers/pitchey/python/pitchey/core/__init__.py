"""Platform conventions shared by every context: config, errors, HTTP envelope, persistence helpers."""
