"""GET /api/notifications/preferences → {"email": {nda, investment, message, pitch, digest}}."""

from pitchey.core.http import Request, Response, api, ok
from pitchey.notifications import preferences


@api()
def handler(request: Request) -> Response:
    return ok(preferences.get_preferences(request.user.id))
