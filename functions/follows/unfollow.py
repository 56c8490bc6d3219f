"""DELETE /api/follows/{targetType}/{targetId}: stop following (idempotent)."""

from pitchey.auth.http import api
from pitchey.core.errors import NotFound
from pitchey.core.http import Request, Response, ok
from pitchey.follows import service
from pitchey.follows.models import TARGET_TYPES


@api()
def handler(request: Request) -> Response:
    target_type = request.path_param("targetType")
    if target_type not in TARGET_TYPES:
        raise NotFound("Unknown follow target type")
    return ok(service.unfollow(request.user.id, target_type, request.path_param("targetId")))
