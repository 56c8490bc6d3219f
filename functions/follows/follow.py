"""POST /api/follows {targetType: user|pitch, targetId}: 201 when new, 200 when already following."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, created, ok
from pitchey.follows import service
from pitchey.follows.schemas import FollowRequest


@api(idempotent=True)
def handler(request: Request) -> Response:
    follow, is_new = service.follow(request.user.id, request.parse(FollowRequest))
    return created(follow) if is_new else ok(follow)
