"""GET /api/openapi.json (public): the OpenAPI 3.1 document, generated from the code (`make openapi`).

openapi.json beside this module is a link to docs/openapi.json; `sam build` copies the file it points to.
Gzipped for a client that accepts it (`Accept-Encoding`)."""

import gzip
from pathlib import Path

from pitchey.auth.http import api
from pitchey.core.http import Request, Response, content

DOCUMENT = (Path(__file__).parent / "openapi.json").read_text(encoding="utf-8")
# ~400 KB of JSON, ~10 % of that gzipped, and API Gateway's HTTP API does not compress: less to send, and
# less for Lambda's answer to carry.
GZIPPED = gzip.compress(DOCUMENT.encode(), compresslevel=6, mtime=0)
VARY = {"Vary": "Accept-Encoding"}


def accepts_gzip(accept_encoding: str) -> bool:
    """RFC 9110: `gzip` listed without `q=0`, or else `*` listed without it (`gzip` itself wins over `*`)."""
    acceptable: dict[str, bool] = {}
    for item in accept_encoding.lower().split(","):
        coding, _, params = item.partition(";")
        name, _, value = params.partition("=")
        acceptable[coding.strip()] = not (name.strip() == "q" and _is_zero(value.strip()))
    return acceptable.get("gzip", acceptable.get("*", False))


def _is_zero(quality: str) -> bool:
    try:
        return float(quality) == 0
    except ValueError:
        return False


@api(auth="none")
def handler(request: Request) -> Response:
    if accepts_gzip(request.headers.get("accept-encoding", "")):
        headers = {**VARY, "Content-Encoding": "gzip"}
        return content(GZIPPED, "application/json", public_max_age=300, headers=headers)
    return content(DOCUMENT, "application/json", public_max_age=300, headers=VARY)
