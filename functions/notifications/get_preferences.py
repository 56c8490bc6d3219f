"""GET /api/notifications/preferences → {"email": {nda, investment, message, pitch, digest}}."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.notifications import preferences


@api()
def handler(request: Request) -> Response:
    return ok(preferences.get_preferences(request.user.id))
