"""GET /api/pitches/{id}/media/{mediaId} (optional auth): a download URL valid for 15 minutes.

Protected media needs canViewProtected (403 NDA_REQUIRED otherwise)."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok
from pitchey.pitches import media


@api(auth="optional")
def handler(request: Request) -> Response:
    user_id = request.user.id if request.user else None
    return ok(media.download(user_id, request.path_param("id"), request.path_param("mediaId")))
