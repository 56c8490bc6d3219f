"""POST /api/admin/pitches/{id}/feature (feature) and DELETE (unfeature), admin only."""

from pitchey.admin import service
from pitchey.auth.http import api
from pitchey.core.http import Request, Response, ok


@api(admin=True)
def handler(request: Request) -> Response:
    featured = request.method == "POST"
    return ok(service.feature_pitch(request.caller(), request.path_param("id"), featured))
