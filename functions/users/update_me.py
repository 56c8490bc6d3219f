"""PUT /api/users/me: edit firstName, lastName, companyName, bio, avatarUrl; anything else is a 422."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.users import service
from pitchey.users.schemas import UpdateProfile


@api()
def handler(request: Request) -> Response:
    user = request.require_user()
    changes = request.parse(UpdateProfile)
    return ok(
        service.update_profile(
            user.id, changes, ip_address=request.source_ip, user_agent=request.user_agent or None
        )
    )
