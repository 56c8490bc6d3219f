"""GET /api/pitches/{id} (optional auth): a published pitch for anyone, any pitch for its owner.

Counts a view (once per viewer per 30 minutes) when the caller is not the owner; an anonymous viewer is
the source IP and the X-Session-Id header, if sent."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.pitches import service


@api(auth="optional")
def handler(request: Request) -> Response:
    user_id = request.user.id if request.user else None
    viewer = service.viewer_key(user_id, request.source_ip, request.headers.get("x-session-id"))
    return ok(service.view_pitch(request.path_param("id"), user_id, viewer))
