"""`--seed`: demo users, one per portal, and a small living marketplace - published pitches (two behind an
NDA, one seeking investment), a pending and a signed NDA, a follow and the notifications these produce -
all created through the app's own HTTP API, so the data is what real use makes (dev-only credentials).

Idempotent: what exists already (a user: 409; a pitch: same title among the creator's; an NDA: the
requester's NDA for that pitch) is kept, and an NDA is moved on only from where it stands.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

DEMO_PASSWORD = "Demo-pass-123"  # noqa: S105 (development only; documented in docs/local-runtime.md)
ADMIN_EMAIL = "admin@demo.pitchey.dev"  # the AdminBootstrapEmail under --seed: registers as admin
DEMO_USERS = [
    {
        "portal": "creator",
        "email": "creator@demo.pitchey.dev",
        "username": "demo_creator",
        "firstName": "Casey",
        "lastName": "Creator",
    },
    {
        "portal": "investor",
        "email": "investor@demo.pitchey.dev",
        "username": "demo_investor",
        "firstName": "Ivy",
        "lastName": "Investor",
    },
    {
        "portal": "production",
        "email": "production@demo.pitchey.dev",
        "username": "demo_production",
        "firstName": "Parker",
        "lastName": "Producer",
        "companyName": "Demo Productions",
    },
    {
        # Admin is a flag, not a portal: the demo admin signs in through the creator portal.
        "portal": "creator",
        "email": ADMIN_EMAIL,
        "username": "demo_admin",
        "firstName": "Ada",
        "lastName": "Admin",
    },
]


def _post(
    url: str, body: dict | None, token: str | None = None, method: str | None = None
) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    method = method or ("POST" if body is not None else "GET")
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data, headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError as error:
        return 0, str(error)


_VERIFY_LINK = re.compile(r"/api/auth/verify-email\?token=([A-Za-z0-9_.%-]+)")


def _verify(base_url: str, email: str, wait_seconds: float) -> str:
    """Verify a demo user's email as its owner would: the token from the captured mail, POSTed back."""
    deadline = time.monotonic() + wait_seconds
    query = urllib.parse.urlencode({"to": email})
    while True:
        status, text = _post(f"{base_url}/_local/emails?{query}", None)
        mails = json.loads(text) if status == 200 else []
        tokens = [m.group(1) for mail in mails if (m := _VERIFY_LINK.search(mail.get("text") or ""))]
        if tokens:
            break
        if time.monotonic() > deadline:
            return "created, email NOT verified (no verification mail)"
        time.sleep(0.1)
    status, text = _post(f"{base_url}/api/auth/verify-email", {"token": urllib.parse.unquote(tokens[-1])})
    return "created, email verified" if status == 200 else f"created, verification FAILED ({status})"


def seed(base_url: str, out=print, wait_seconds: float = 20.0, content: bool = True) -> list[dict]:
    """Register the demo users and verify their emails; an existing one (409) counts as done; then (with
    `content`) the demo marketplace. Failures are reported, never raised."""
    report = []
    for user in DEMO_USERS:
        body = {k: v for k, v in user.items() if k != "portal"} | {"password": DEMO_PASSWORD}
        status, text = _post(f"{base_url}/api/auth/{user['portal']}/register", body)
        outcome = {201: "created", 409: "already there"}.get(status, f"FAILED ({status}: {text[:200]})")
        if status == 201:
            outcome = _verify(base_url, user["email"], wait_seconds)
        report.append(
            {"portal": user["portal"], "email": user["email"], "status": status, "outcome": outcome}
        )
    out("Demo users (development only):")
    for row in report:
        out(f"  {row['portal']:<11} {row['email']:<28} password {DEMO_PASSWORD}  -> {row['outcome']}")
    if content:
        lines = seed_marketplace(base_url)
        out("Demo marketplace:")
        for line in lines:
            out(f"  {line}")
    return report


DEMO_PITCHES = [
    {
        "title": "The Lighthouse Keeper",
        "logline": "A keeper alone on a storm-cut island finds the logbook of every keeper who vanished.",
        "genre": "drama",
        "format": "feature",
        "shortSynopsis": "An isolated keeper pieces together a century of disappearances.",
        "longSynopsis": "The full treatment, for NDA signers only: the logbooks, the island, the ending.",
        "themes": ["isolation", "memory"],
        "targetAudience": "Adults 25-54",
        "budgetCents": 350_000_000,
        "requiresNDA": True,
        "ndaType": "basic",
    },
    {
        "title": "Orbital Decay",
        "logline": "The last crew of a dying space station has ninety days to choose who goes home.",
        "genre": "scifi",
        "format": "tv",
        "shortSynopsis": "Eight episodes aboard a station falling out of orbit.",
        "longSynopsis": "Season arc and finale, for NDA signers only.",
        "themes": ["survival", "sacrifice"],
        "targetAudience": "Genre fans 18-49",
        "budgetCents": 1_200_000_000,
        "seekingInvestment": True,
        "fundingGoalCents": 50_000_000,
        "minInvestmentCents": 100_000,
        "requiresNDA": True,
        "ndaType": "enhanced",
    },
    {
        "title": "Second Helpings",
        "logline": "Two rival food-truck owners are forced to share one truck for a summer.",
        "genre": "comedy",
        "format": "webseries",
        "shortSynopsis": "A ten-episode comedy of burnt toast and truces.",
        "themes": ["rivalry", "friendship"],
        "targetAudience": "Everyone",
    },
    {
        "title": "Night Shift",
        "logline": "A night porter sees the same patient admitted every night for a week.",
        "genre": "thriller",
        "format": "short",
        "shortSynopsis": "Twelve minutes, one corridor, one patient who should not be there.",
        "themes": ["dread"],
        "targetAudience": "Adults",
    },
]
# (requester portal, pitch title, how far the NDA goes)
DEMO_NDAS = [("investor", "The Lighthouse Keeper", "pending"), ("production", "Orbital Decay", "signed")]


def _call(
    base_url: str, method: str, path: str, token: str | None, body: dict | None = None
) -> tuple[int, Any]:
    status, text = _post(f"{base_url}{path}", body, token, method)
    try:
        payload = json.loads(text) if text else None
    except ValueError:
        payload = None
    data = payload.get("data") if isinstance(payload, dict) and "data" in payload else payload
    return status, data


def _login(base_url: str, portal: str, email: str) -> str | None:
    status, data = _call(
        base_url, "POST", f"/api/auth/{portal}/login", None, {"email": email, "password": DEMO_PASSWORD}
    )
    return data.get("accessToken") if status == 200 and isinstance(data, dict) else None


def _items(data: Any) -> list[dict]:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        return data.get("items") or data.get("data") or []
    return []


def seed_marketplace(base_url: str) -> list[str]:
    """The demo pitches, NDAs, a follow and the notifications they cause; one line per thing, as it went."""
    users = {user["portal"]: user for user in DEMO_USERS[:3]}
    tokens = {portal: _login(base_url, portal, user["email"]) for portal, user in users.items()}
    missing = [portal for portal, token in tokens.items() if not token]
    if missing:
        return [f"skipped: cannot sign in as the demo {', '.join(missing)} user(s)"]
    lines: list[str] = []
    creator = tokens["creator"]
    status, mine = _call(base_url, "GET", "/api/pitches/my?limit=100", creator)
    existing = {pitch["title"]: pitch for pitch in _items(mine) if isinstance(pitch, dict)}
    pitch_ids: dict[str, str] = {}
    for spec in DEMO_PITCHES:
        pitch = existing.get(spec["title"])
        if pitch is None:
            status, pitch = _call(base_url, "POST", "/api/pitches", creator, spec)
            if status != 201:
                lines.append(f"pitch {spec['title']!r}: FAILED ({status}: {str(pitch)[:200]})")
                continue
        if pitch.get("status") != "published":
            status, answer = _call(
                base_url, "PUT", f"/api/pitches/{pitch['id']}", creator, {"status": "published"}
            )
            if status != 200:
                lines.append(f"pitch {spec['title']!r}: publishing FAILED ({status}: {str(answer)[:200]})")
                continue
            lines.append(f"pitch {spec['title']!r}: published")
        else:
            lines.append(f"pitch {spec['title']!r}: already there")
        pitch_ids[spec["title"]] = pitch["id"]
    for portal, title, goal in DEMO_NDAS:
        if title in pitch_ids:
            lines.append(_seed_nda(base_url, tokens[portal], creator, pitch_ids[title], title, goal, portal))
    # A follow and a like: the creator gets a new_follower notification, the pitch a like.
    investor = tokens["investor"]
    _, me = _call(base_url, "GET", "/api/auth/me", creator)
    me = (me.get("user") or me) if isinstance(me, dict) else {}
    creator_id = me.get("id")
    if creator_id:
        status, _ = _call(
            base_url, "POST", "/api/follows", investor, {"targetType": "user", "targetId": creator_id}
        )
        lines.append(
            f"investor follows the creator: {'ok' if status in (200, 201) else f'FAILED ({status})'}"
        )
    if "Second Helpings" in pitch_ids:
        status, _ = _call(base_url, "POST", f"/api/pitches/{pitch_ids['Second Helpings']}/like", investor)
        lines.append(f"investor likes 'Second Helpings': {'ok' if status == 200 else f'FAILED ({status})'}")
    return lines


def _seed_nda(
    base_url: str, requester: str, creator: str, pitch_id: str, title: str, goal: str, portal: str
) -> str:
    """Request (and for `signed`: approve, then sign) the requester's NDA for the pitch, from where it is."""
    what = f"NDA {portal} -> {title!r}"
    status, outgoing = _call(base_url, "GET", "/api/ndas/outgoing-requests?limit=100", requester)
    nda = next((n for n in _items(outgoing) if isinstance(n, dict) and n.get("pitchId") == pitch_id), None)
    if nda is None:
        message = "Keen to read the full treatment."
        status, nda = _call(
            base_url, "POST", "/api/ndas/request", requester, {"pitchId": pitch_id, "message": message}
        )
        if status != 201:
            return f"{what}: request FAILED ({status}: {str(nda)[:200]})"
    if goal == "signed" and nda["status"] == "pending":
        status, nda = _call(base_url, "POST", f"/api/ndas/{nda['id']}/approve", creator, {})
        if status != 200:
            return f"{what}: approve FAILED ({status}: {str(nda)[:200]})"
    if goal == "signed" and nda["status"] == "approved":
        body = {"signerName": "Parker Producer", "accept": True}
        status, nda = _call(base_url, "POST", f"/api/ndas/{nda['id']}/sign", requester, body)
        if status != 200:
            return f"{what}: sign FAILED ({status}: {str(nda)[:200]})"
    return f"{what}: {nda['status']}"
