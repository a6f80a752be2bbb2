"""The staff console of the 村民说事室: a server-rendered Flask blueprint under ``/staff``.

``init_app(app)`` registers it. Without a ``web.secret_key`` (``SECRET_KEY``) of at least 16
characters the console refuses to start: every ``/staff`` address answers 503 saying why, and the
rest of the app (the WeChat webhook) runs on. Modules: ``accounts`` (staff, lockout, sessions;
no Flask), ``audit`` (the audit log; no Flask), ``canned`` (canned replies), ``auth`` (the gate,
login, logout), ``views`` (queue, ticket, media proxy), ``ticket_actions`` (what staff do to a ticket),
``admin`` (audit page, canned replies, accounts), ``alerts`` (the work-group alerts' outbox), ``statspage`` (figures and charts).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.console.accounts import StaffAccounts
    from bot.console.audit import AuditLog
    from bot.console.canned import CannedReplies
    from bot.console.limits import SearchLimit
    from bot.services import Services

log = logging.getLogger(__name__)
MIN_SECRET = 16


@dataclass
class Console:
    """The console's own parts, kept in ``app.extensions["pufabot.console"]``; the CLI's ``staff``
    commands build the very same parts with ``build`` (one way, so neither can drift)."""

    accounts: StaffAccounts
    audit: AuditLog
    canned: CannedReplies
    searches: SearchLimit


def build(services: Services) -> Console:
    """The console's parts on the services' Redis, with the config's login rules."""
    from bot.console.accounts import accounts_for
    from bot.console.audit import AuditLog
    from bot.console.canned import CannedReplies
    from bot.console.limits import SearchLimit

    return Console(accounts=accounts_for(services), audit=AuditLog(services.redis, services.keys),
                   canned=CannedReplies(services.redis, services.keys, services.texts),
                   searches=SearchLimit(services.redis, services.keys, services.config.web.searches_per_minute))


def init_app(app: Any) -> None:
    services = app.extensions["pufabot"]
    secret = app.config.get("SECRET_KEY") or ""
    if len(str(secret)) < MIN_SECRET:
        log.error("staff console not started: web.secret_key (SECRET_KEY) is missing or shorter than %d "
                  "characters", MIN_SECRET)
        _register_refusal(app, services.texts.get("console_no_secret"))
        return
    # Importing the view modules attaches their routes to the blueprint before it is registered.
    from bot.console import admin, alerts, statspage, ticket_actions, views  # noqa: F401
    from bot.console.auth import ConsoleSessions, bp

    app.extensions["pufabot.console"] = build(services)
    app.session_interface = ConsoleSessions()
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=12)
    app.register_blueprint(bp)


def _register_refusal(app: Any, message: str) -> None:
    from flask import Response

    def refuse(path: str = "") -> Response:
        return Response(message, status=503, mimetype="text/plain")

    app.add_url_rule("/staff", "staff_disabled", refuse, methods=["GET", "POST"])
    app.add_url_rule("/staff/", "staff_disabled_root", refuse, methods=["GET", "POST"])
    app.add_url_rule("/staff/<path:path>", "staff_disabled_path", refuse, methods=["GET", "POST"])
