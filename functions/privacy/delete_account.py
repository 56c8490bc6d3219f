"""DELETE /api/users/me {password} → 202 {deletionScheduledAt}; a login during the grace cancels it."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, accepted
from pitchey.privacy import service
from pitchey.privacy.schemas import DeleteAccount


@api()
def handler(request: Request) -> Response:
    body = request.parse(DeleteAccount)
    return accepted(service.request_deletion(request.caller(), body.password))
