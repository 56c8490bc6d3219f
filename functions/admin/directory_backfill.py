"""UserDirectoryBackfillFunction, run once after deploying the admin directory (docs/decisions.md): gives
users registered before it their `directory`/`searchText`. Idempotent: re-running changes nothing."""

from typing import Any

from pitchey.admin import service


def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    return service.backfill_directory()
