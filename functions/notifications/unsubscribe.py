"""GET|POST /api/notifications/unsubscribe?token= (public): the link in every notification email.

The signed token names the user and the category and expires after 30 days. GET only describes what the
link does (mail scanners prefetch links); POST sets that category to `never`."""

from pitchey.auth.http import api
from pitchey.core.errors import BadRequest
from pitchey.core.http import Request, Response, ok
from pitchey.notifications import emails


@api(auth="none")
def handler(request: Request) -> Response:
    token = request.query_param("token")
    if not token:
        raise BadRequest("Missing token query parameter")
    if request.method == "GET":
        return ok(emails.describe_unsubscribe(token))
    return ok(emails.unsubscribe(token))
