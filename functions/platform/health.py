"""GET /api/health (public): service status, version and a DynamoDB round trip."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.core.log import logger
from pitchey.core.settings import settings
from pitchey.users.models import User


def _dynamodb_check() -> str:
    try:
        User.get("__health__")  # a key no user has: one cheap GetItem proves the table answers
    except User.DoesNotExist:
        return "ok"
    except Exception:
        logger.exception("health: dynamodb check failed")
        return "error"
    return "ok"


@api(auth="none")
def handler(request: Request) -> Response:
    checks = {"dynamodb": _dynamodb_check()}
    status = "ok" if all(value == "ok" for value in checks.values()) else "degraded"
    return ok({"status": status, "version": settings().app_version, "checks": checks})
