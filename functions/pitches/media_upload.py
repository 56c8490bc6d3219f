"""POST /api/pitches/{id}/media (owner): announce a file and get a presigned S3 POST to upload it."""

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, created
from pitchey.pitches import media
from pitchey.pitches.schemas import CreateMedia


@api(idempotent=True)
def handler(request: Request) -> Response:
    body = request.parse(CreateMedia)
    return created(media.start_upload(request.user.id, request.user.role, request.path_param("id"), body))
