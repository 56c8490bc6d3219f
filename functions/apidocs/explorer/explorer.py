"""GET /api/docs and GET /api/docs/{asset} (public): Swagger UI over /api/openapi.json.

Swagger UI's files come from the openapi-ui-bundles package (requirements.txt); the page and the script
that starts Swagger UI are ours, beside this module. The page's CSP allows scripts and styles from this
API only: no inline script, which is why the start-up code is a file of its own."""

import importlib.util
from pathlib import Path

from pitchey.auth.http import api
from pitchey.core.errors import NotFound
from pitchey.core.http import Request, Response, content

HERE = Path(__file__).parent
# Where openapi_ui_bundles keeps Swagger UI; found without importing it (nothing of it runs here).
_BUNDLES = importlib.util.find_spec("openapi_ui_bundles")
assert _BUNDLES is not None and _BUNDLES.origin, "openapi-ui-bundles is missing (requirements.txt)"
SWAGGER_UI = Path(_BUNDLES.origin).parent / "swagger_ui"
ASSETS = {
    "swagger-ui.css": (SWAGGER_UI / "vendor" / "swagger-ui.css", "text/css; charset=utf-8"),
    "swagger-ui-bundle.js": (
        SWAGGER_UI / "vendor" / "swagger-ui-bundle.js",
        "text/javascript; charset=utf-8",
    ),
    "favicon-32x32.png": (SWAGGER_UI / "vendor" / "favicon-32x32.png", "image/png"),
    "explorer.js": (HERE / "explorer.js", "text/javascript; charset=utf-8"),
}
PAGE_TYPE = "text/html; charset=utf-8"
CONTENT_TYPES = sorted({PAGE_TYPE} | {content_type for _, content_type in ASSETS.values()})  # for the OpenAPI
PAGE = (HERE / "explorer.html").read_text(encoding="utf-8")
# Swagger UI draws its icons as data: images and sets styles from script (allowed: not inline markup).
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
MAX_AGE = 3600


@api(auth="none")
def handler(request: Request) -> Response:
    name = request.path_params.get("asset")
    if name is None:
        return content(
            PAGE, "text/html; charset=utf-8", public_max_age=MAX_AGE, headers={"Content-Security-Policy": CSP}
        )
    if name not in ASSETS:
        raise NotFound(f"No such file: {name[:60]}")
    path, content_type = ASSETS[name]
    body = path.read_bytes() if content_type == "image/png" else path.read_text(encoding="utf-8")
    return content(body, content_type, public_max_age=MAX_AGE)
