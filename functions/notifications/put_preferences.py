"""PUT /api/notifications/preferences : merge the categories sent; unknown keys or values → 422."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.notifications import preferences
from pitchey.notifications.schemas import PreferencesInput


@api()
def handler(request: Request) -> Response:
    body = request.parse(PreferencesInput)
    return ok(preferences.update_preferences(request.user.id, body.email.changes()))
