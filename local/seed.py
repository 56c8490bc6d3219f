"""`--seed`: demo users, one per portal, created through the app's own HTTP API (dev-only credentials)."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request

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


def _post(url: str, body: dict | None) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    method = "POST" if body is not None else "GET"
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"}, method=method)
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


def seed(base_url: str, out=print, wait_seconds: float = 20.0) -> list[dict]:
    """Register the demo users and verify their emails; an existing one (409) counts as done. Failures are
    reported, never raised."""
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
    return report
