"""GET /api/openapi.json (public): the OpenAPI 3.1 document, generated from the code (`make openapi`).

openapi.json beside this module is a link to docs/openapi.json; `sam build` copies the file it points to."""

from pathlib import Path

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, content

DOCUMENT = (Path(__file__).parent / "openapi.json").read_text(encoding="utf-8")


@api(auth="none")
def handler(request: Request) -> Response:
    return content(DOCUMENT, "application/json", public_max_age=300)
