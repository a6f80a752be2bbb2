"""The console's gate: login, logout, the signed-in staff member, CSRF and role checks.

Every request to the ``staff`` blueprint passes ``_gate`` first:
- a POST without the form's ``csrf_token`` equal to the one in the signed session cookie is refused
  (400) before anything else happens, the login form included;
- anyone not signed in is sent to the login page (pages and actions alike); only the login page
  and the stylesheet are open;
- ``g.staff`` is the account re-read from Redis on every request (disable and role changes apply
  at once). ``admin_required`` refuses mediators with 403.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING, Any, Callable, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from werkzeug.wrappers import Response

from bot.console import devices
from bot.console.accounts import NAME_RE, StaffAccounts
from bot.console.audit import AuditLog

if TYPE_CHECKING:
    from bot.console import Console
    from bot.services import Services

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates",
               static_folder="static", static_url_path="/static")
OPEN_ENDPOINTS = {"staff.login", "staff.static"}
# What open pages fetch on their own (live.js): they never keep a session alive, only a person's
# action does (N10); nor do they re-issue the session cookie (``ConsoleSessions``).
POLLED_ENDPOINTS = {"staff.live", "staff.thread_since"}
LIVE_HEADER = "X-Pufabot-Live"  # live.js's own refresh of a page (a person did not ask for it)
F = TypeVar("F", bound=Callable[..., Any])


def services() -> Services:
    found: Services = current_app.extensions["pufabot"]
    return found


def console() -> Console:
    found: Console = current_app.extensions["pufabot.console"]
    return found


def accounts() -> StaffAccounts:
    return console().accounts


def audit_log() -> AuditLog:
    return console().audit


def text(key: str, **values: Any) -> str:
    return services().texts.get(key, **values)


def client_ip() -> str:
    """The browser's address: behind one of ``[web] trusted_proxies``, the address that proxy saw
    (``bot.app.TrustedProxies`` has put it in ``REMOTE_ADDR``); from anyone else, the peer itself."""
    return (request.remote_addr or "")[:64]


def record(action: str, target: str = "", detail: str = "") -> None:
    """One audit entry for the signed-in staff member (or the name tried, for logins)."""
    who = g.staff.name if g.get("staff") else ""
    audit_log().record(who, action, target, detail, client_ip())


def polled() -> bool:
    """Whether this request is a page's own polling or refresh, not a person's action (N10)."""
    return request.endpoint in POLLED_ENDPOINTS or request.headers.get(LIVE_HEADER) == "1"


class ConsoleSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except that a polled request does not refresh the cookie."""

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if polled() and not session.modified:
            return False
        return super().should_set_cookie(app, session)


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


@bp.app_template_global("csrf_field")
def csrf_field() -> Any:
    from markupsafe import Markup

    return Markup(f'<input type="hidden" name="csrf_token" value="{csrf_token()}">')


@bp.before_request
def _gate() -> Response | None:
    g.staff = None
    if request.endpoint == "staff.static":
        return None
    if request.method == "POST":
        sent = request.form.get("csrf_token", "")
        expected = session.get("csrf", "")
        if not sent or not expected or not hmac.compare_digest(str(sent), str(expected)):
            return _page("staff_message.html", 400, message=text("console_csrf_failed"))
    g.staff = accounts().resume_session(session.get("sid", ""), extend=not polled())
    if g.staff is None and request.endpoint not in OPEN_ENDPOINTS:
        if request.method == "GET":
            flash(text("console_login_needed"))
        return redirect(url_for("staff.login", next=request.full_path if request.method == "GET" else None))
    return None


def admin_required(view: F) -> F:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not g.staff.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def _page(template: str, status: int, **context: Any) -> Response:
    return Response(render_template(template, **context), status=status, mimetype="text/html")


@bp.errorhandler(403)
def _forbidden(exc: Any) -> Response:
    return _page("staff_message.html", 403, message=text("console_forbidden"))


@bp.errorhandler(RedisConnectionError)
@bp.errorhandler(RedisTimeoutError)
def _maintenance(exc: Any) -> Response:
    """Redis is away: staff get a plain 「系统维护中」 page (503, retry shortly), never a 500."""
    current_app.logger.warning("staff console without Redis: %s", type(exc).__name__)
    response = Response(render_template("staff_maintenance.html", message=text("console_maintenance")),
                        status=503, mimetype="text/html")
    response.headers["Retry-After"] = "30"
    return response


@bp.errorhandler(404)
def _not_found(exc: Any) -> Response:
    return _page("staff_message.html", 404, message=text("console_not_found"))


def wait_words(seconds: int) -> str:
    """A wait as staff read it: "30 秒", "4 分钟"."""
    return f"{seconds} 秒" if seconds < 60 else f"{(seconds + 59) // 60} 分钟"


def _safe_next(target: str | None) -> str:
    # No control characters: CR/LF in a Location header is refused by werkzeug (a 500), and "\\" or a
    # netloc would leave the site.
    if target and target.startswith("/staff") and not urlsplit(target).netloc and "\\" not in target \
            and target.isprintable():
        return target
    return url_for("staff.queue")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        if g.staff is not None:
            return redirect(url_for("staff.queue"))
        return render_template("staff_login.html", next=request.args.get("next", ""))
    name = request.form.get("username", "").strip()
    result = accounts().authenticate(name, request.form.get("password", ""), client_ip(),
                                     device=devices.device_for(name[:64]))
    if not result.ok or result.user is None:
        waiting = result.reason in ("locked", "ip_locked")
        audit_log().record(login_name(name), "login_locked" if waiting else "login_failed", "", result.reason,
                           client_ip())
        key = {"locked": "console_login_locked", "ip_locked": "console_login_ip_locked",
               "disabled": "console_login_disabled"}.get(result.reason, "console_login_bad")
        if result.reason == "bad" and result.retry_after:
            key = "console_login_bad_wait"
        response = _page("staff_login.html", 429 if waiting else 401, error=text(key, wait=wait_words(result.retry_after)),
                         next=request.form.get("next", ""), username=name)
        if result.retry_after:
            response.headers["Retry-After"] = str(result.retry_after)
        return response
    session.clear()
    session.permanent = True
    session["sid"] = accounts().start_session(result.user, client_ip())
    session["csrf"] = secrets.token_urlsafe(32)
    g.staff = result.user
    record("login")
    response = redirect(_safe_next(request.form.get("next")))
    devices.remember(response, result.user.name)
    return response


def login_name(name: str) -> str:
    """The name a failed login is audited under: an account's own name as typed, anything else (a
    password typed into the name field, a guess) as a keyed digest that tells repeats apart but
    never shows what was typed."""
    name = name[:64]
    if NAME_RE.fullmatch(name) and accounts().get(name) is not None:
        return name
    digest = hmac.new(str(current_app.secret_key).encode(), name.encode(), hashlib.sha256).hexdigest()[:8]
    return text("console_login_unknown_name", digest=digest)


@bp.post("/logout")
def logout() -> Response:
    record("logout")
    accounts().end_session(session.get("sid", ""))
    session.clear()
    flash(text("console_logged_out"))
    return redirect(url_for("staff.login"))
