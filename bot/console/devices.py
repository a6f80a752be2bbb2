"""Device cookies: a browser that has signed in as a person before is recognised at the next login.

OWASP's "slow down online guessing attacks with device cookies": a successful login leaves a cookie
signed with the app's secret key that names the account and a random device id. At the next login
on that name, ``StaffAccounts.authenticate`` counts the attempt on the device's own key, so an
outsider's failures (on the name, or from behind the same proxy) never slow this browser; only its
own failures do. One cookie holds the devices of the last few names signed in on the browser (an
office PC shared by several staff). The cookie grants nothing on its own: the password is still
checked.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

COOKIE = "pufabot_device"
MAX_AGE = 180 * 24 * 3600
MAX_NAMES = 6
_SALT = "pufabot.console.device"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(current_app.secret_key), salt=_SALT)


def _devices() -> dict[str, str]:
    raw = request.cookies.get(COOKIE, "")
    if not raw:
        return {}
    try:
        data: Any = _serializer().loads(raw, max_age=MAX_AGE)
    except BadSignature:  # forged, tampered, expired or from another secret key: a stranger's browser
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): str(v) for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def device_for(name: str) -> str:
    """The device id this browser's signed cookie carries for ``name`` ("" when none)."""
    return _devices().get(name, "")


def remember(response: Response, name: str) -> None:
    """After a successful login: (re)issue the cookie with a fresh device id for ``name``."""
    devices = {k: v for k, v in _devices().items() if k != name}
    devices[name] = secrets.token_urlsafe(16)
    kept = dict(list(devices.items())[-MAX_NAMES:])
    response.set_cookie(COOKIE, _serializer().dumps(kept), max_age=MAX_AGE, path="/staff", httponly=True,
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")), samesite="Lax")
