"""`--seed`: demo users, one per portal, created through the app's own HTTP API (dev-only credentials)."""

from __future__ import annotations

import json
import urllib.error
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


def _post(url: str, body: dict) -> tuple[int, str]:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError as error:
        return 0, str(error)


def seed(base_url: str, out=print) -> list[dict]:
    """Register the demo users; an existing one (409) counts as done. Failures are reported, never raised."""
    report = []
    for user in DEMO_USERS:
        body = {k: v for k, v in user.items() if k != "portal"} | {"password": DEMO_PASSWORD}
        status, text = _post(f"{base_url}/api/auth/{user['portal']}/register", body)
        outcome = {201: "created", 409: "already there"}.get(status, f"FAILED ({status}: {text[:200]})")
        report.append(
            {"portal": user["portal"], "email": user["email"], "status": status, "outcome": outcome}
        )
    out("Demo users (development only):")
    for row in report:
        out(f"  {row['portal']:<11} {row['email']:<28} password {DEMO_PASSWORD}  -> {row['outcome']}")
    return report
