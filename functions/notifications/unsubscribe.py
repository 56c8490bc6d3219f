"""GET|POST /api/notifications/unsubscribe?token= (public): the link in every notification email.

The signed token names the user and the category; following it sets that category to `never`."""

from pitchey.auth.http import api
from pitchey.core.errors import BadRequest
from pitchey.core.http import Request, Response, ok
from pitchey.notifications import emails, preferences


@api(auth="none")
def handler(request: Request) -> Response:
    token = request.query_param("token")
    if not token:
        raise BadRequest("Missing token query parameter")
    user_id, category = emails.read_unsubscribe_token(token)
    updated = preferences.update_preferences(user_id, {category: "never"})
    return ok({"unsubscribed": category, **updated})
