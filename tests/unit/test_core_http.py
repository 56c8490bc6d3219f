"""The HTTP conventions every endpoint inherits from `pitchey.core.http.api`, called here through
`pitchey.auth.http.api` (what handlers use: core's decorator with the caller resolved by auth)."""

from __future__ import annotations

import base64

import pytest

from pitchey.auth.http import api
from pitchey.core.cursor import decode_cursor, encode_cursor
from pitchey.core.errors import BadRequest, NotFound
from pitchey.core.http import Response, content, ok
from pitchey.core.schemas import InputModel
from tests.events import call, http_event, load_handler


class Thing(InputModel):
    title: str
    amount_cents: int


@api(auth="none")
def echo(request):
    thing = request.parse(Thing)
    return ok(thing.model_dump(by_alias=True))


@api(auth="none")
def boom(request):
    raise RuntimeError("secret internals")


def test_envelope_and_camel_case_aliases():
    answer = call(echo, http_event("POST", "/x", body={"title": "A", "amountCents": 5}))
    assert answer.status == 200
    assert answer.body["success"] is True
    assert answer.data == {"title": "A", "amountCents": 5}
    assert answer.body["timestamp"].endswith("Z")


def test_bad_json_is_400():
    answer = call(echo, http_event("POST", "/x", raw_body="{nope"))
    assert answer.status == 400 and answer.code == "BAD_REQUEST"


def test_unknown_field_is_422_with_field_details():
    answer = call(echo, http_event("POST", "/x", body={"title": "A", "amountCents": 5, "creatorId": "x"}))
    assert answer.status == 422 and answer.code == "VALIDATION_ERROR"
    assert {"field": "creatorId", "message": "Unknown or read-only field"} in answer.body["error"]["details"]


def test_wrong_type_is_422_naming_the_field():
    answer = call(echo, http_event("POST", "/x", body={"title": "A", "amountCents": "lots"}))
    assert answer.status == 422
    assert [d["field"] for d in answer.body["error"]["details"]] == ["amountCents"]


def test_non_object_body_is_422():
    answer = call(echo, http_event("POST", "/x", body=[1, 2]))
    assert answer.status == 422


def test_oversize_body_is_413():
    answer = call(echo, http_event("POST", "/x", raw_body="x" * (1024 * 1024 + 1)))
    assert answer.status == 413 and answer.code == "PAYLOAD_TOO_LARGE"


def test_base64_body_is_decoded():
    event = http_event("POST", "/x", raw_body=base64.b64encode(b'{"title":"B","amountCents":1}').decode())
    event["isBase64Encoded"] = True
    assert call(echo, event).data["title"] == "B"


def test_unexpected_error_is_500_envelope_without_internals():
    answer = call(boom, http_event("GET", "/boom"))
    assert answer.status == 500 and answer.code == "INTERNAL_ERROR"
    assert "secret internals" not in str(answer.body)
    assert answer.headers["X-Request-Id"] in answer.body["error"]["message"]


def test_protected_route_without_token_is_401():
    @api()
    def private(request):
        return Response(200, {})

    answer = call(private, http_event("GET", "/p"))
    assert answer.status == 401 and answer.code == "UNAUTHORIZED"


def test_authorizer_error_context_becomes_401_envelope():
    @api()
    def private(request):
        return Response(200, {})

    answer = call(private, http_event("GET", "/p", authorizer={"authError": "TOKEN_EXPIRED"}))
    assert answer.status == 401 and answer.code == "TOKEN_EXPIRED"


@pytest.mark.parametrize("limit", ["0", "101", "abc", "-1"])
def test_page_limit_outside_range_is_400(limit):
    @api(auth="none")
    def lister(request):
        return ok([], {"limit": request.page().limit})

    assert call(lister, http_event("GET", "/l", query={"limit": limit})).status == 400


def test_cursor_round_trip_and_forgery():
    key = {"id": {"S": "abc"}}
    cursor = encode_cursor(key, scope="browse")
    assert decode_cursor(cursor, scope="browse") == key
    with pytest.raises(BadRequest):
        decode_cursor(cursor, scope="other-list")
    forged = base64.urlsafe_b64encode(b"0" * 16 + b'{"id":{"S":"zzz"}}').decode()
    with pytest.raises(BadRequest):
        decode_cursor(forged, scope="browse")
    with pytest.raises(BadRequest):
        decode_cursor("!!!not-base64!!!")


def test_not_found_catch_all(aws):
    answer = call(load_handler("platform/not_found"), http_event("GET", "/api/nope"))
    assert answer.status == 404 and answer.code == "NOT_FOUND"
    assert not NotFound().details


def test_health_reports_dynamodb(aws):
    answer = call(load_handler("platform/health"), http_event("GET", "/api/health"))
    assert answer.status == 200
    assert answer.data["status"] == "ok" and answer.data["checks"] == {"dynamodb": "ok"}


def _counting_create():
    calls = []

    @api(auth="none", idempotent=True)
    def create(request):
        calls.append(request.json())
        return Response(201, {"id": f"thing-{len(calls)}"})

    return create, calls


def test_idempotency_key_replays_the_first_response_and_creates_once(aws):
    create, calls = _counting_create()
    event = http_event("POST", "/things", body={"title": "A"}, headers={"Idempotency-Key": "k-1"})
    first = call(create, event)
    again = call(
        create, http_event("POST", "/things", body={"title": "A"}, headers={"Idempotency-Key": "k-1"})
    )
    assert first.status == again.status == 201
    assert first.data == again.data == {"id": "thing-1"}
    assert len(calls) == 1


def test_idempotency_key_with_another_body_is_422_and_creates_nothing(aws):
    create, calls = _counting_create()
    call(create, http_event("POST", "/things", body={"title": "A"}, headers={"Idempotency-Key": "k-2"}))
    other = call(
        create, http_event("POST", "/things", body={"title": "B"}, headers={"Idempotency-Key": "k-2"})
    )
    assert other.status == 422 and other.code == "IDEMPOTENCY_KEY_REUSED"
    assert len(calls) == 1


def test_without_a_key_each_post_creates(aws):
    create, calls = _counting_create()
    call(create, http_event("POST", "/things", body={"title": "A"}))
    call(create, http_event("POST", "/things", body={"title": "A"}))
    assert len(calls) == 2


def test_a_failed_create_is_not_stored_so_a_fixed_retry_runs(aws):
    attempts = []

    @api(auth="none", idempotent=True)
    def flaky(request):
        attempts.append(1)
        if len(attempts) == 1:
            raise NotFound("not yet")
        return Response(201, {"ok": True})

    event = {"body": {"x": 1}, "headers": {"Idempotency-Key": "k-3"}}
    assert call(flaky, http_event("POST", "/f", **event)).status == 404
    assert call(flaky, http_event("POST", "/f", **event)).status == 201
    assert len(attempts) == 2


# --- security headers ---------------------------------------------------------------------------------
SECURITY = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}


@api(auth="optional")
def price_list(request):
    return ok({"price": 1}, public_max_age=300)


@pytest.mark.parametrize(
    ("handler", "event"),
    [
        (echo, http_event("POST", "/x", body={"title": "A", "amountCents": 5})),  # success
        (echo, http_event("POST", "/x", raw_body="{nope")),  # 4xx envelope
        (boom, http_event("GET", "/boom")),  # 500 envelope
    ],
)
def test_every_answer_carries_the_security_headers_and_no_store(handler, event):
    answer = call(handler, event)
    assert {k: answer.headers[k] for k in SECURITY} == SECURITY
    assert answer.headers["Cache-Control"] == "no-store"


def test_a_public_read_may_be_cached_only_when_the_caller_sent_no_credentials(aws):
    anonymous = call(price_list, http_event("GET", "/plans"))
    assert anonymous.headers["Cache-Control"] == "public, max-age=300"
    # a bad token is still credentials: the answer (here a 401) is personal and never stored
    with_token = call(price_list, http_event("GET", "/plans", token="not-a-jwt"))
    assert with_token.headers["Cache-Control"] == "no-store"
    with_cookie = {**http_event("GET", "/plans"), "cookies": ["session=x"]}
    assert call(price_list, with_cookie).headers["Cache-Control"] == "no-store"


def test_the_price_list_is_publicly_cacheable():
    plans = load_handler("payments/plans")
    assert call(plans, http_event("GET", "/api/payments/plans")).headers["Cache-Control"] == (
        "public, max-age=300"
    )


@api(auth="none")
def icon(request):
    return content(b"\x89PNG\r\n", "image/png", public_max_age=60, headers={"Content-Security-Policy": "x"})


def test_a_content_answer_is_the_body_itself_with_the_security_headers():
    result = icon(http_event("GET", "/icon.png"), None)
    assert result["statusCode"] == 200 and result["isBase64Encoded"] is True
    assert base64.b64decode(result["body"]) == b"\x89PNG\r\n"
    headers = result["headers"]
    assert headers["Content-Type"] == "image/png" and headers["Cache-Control"] == "public, max-age=60"
    assert headers["Content-Security-Policy"] == "x"  # the answer's own header wins
    assert headers["X-Content-Type-Options"] == "nosniff"
