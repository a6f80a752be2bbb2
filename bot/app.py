"""The only Flask app factory.

``create_app(config=None, services=None)``: the config defaults to ``bot.config.load()``; tests pass
their own config and, to share one knowledge base across many apps, prebuilt services. The WeChat
webhook (``/wechat``) is mounted in front of Flask's WSGI entry as a lean WSGI app (``bot.wechat.webhook``
says why); everything else is Flask blueprints.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from bot import config as config_mod
from bot import health, logs
from bot.config import Config
from bot.console import init_app as init_console
from bot.posts.pages import bp as posts_bp
from bot.services import Services, build_services
from bot.wechat import webhook
from bot.wechat.menu import check_keys
from bot.wechat.protocol import Cipher

log = logging.getLogger(__name__)


def create_app(config: Config | None = None, services: Services | None = None) -> Flask:
    config = config or config_mod.load()
    logs.setup(config.log.level, config.log.json)
    app = Flask(__name__)
    app.config.update(
        MAX_CONTENT_LENGTH=config.wechat.max_body_bytes,
        SECRET_KEY=config.web.secret_key or None,
        SESSION_COOKIE_SECURE=config.web.session_cookie_secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    if services is None:
        services = build_services(config)
    check_keys(config.menu, services.routes.clicks)  # a menu button the bot cannot answer stops start-up
    app.extensions["pufabot"] = services
    w = config.wechat
    app.extensions["pufabot.cipher"] = Cipher(w.token, w.aes_key, w.appid) if w.aes_key else None

    app.wsgi_app = webhook.mount(app.wsgi_app, webhook.Webhook(services, app.extensions["pufabot.cipher"]))  # type: ignore[method-assign,assignment]
    app.wsgi_app = TrustedProxies(app.wsgi_app, config.web.trusted_proxies)  # type: ignore[method-assign]
    app.register_blueprint(health.bp)
    _register_features(app, config)
    _register_errors(app)
    app.after_request(security_headers)
    return app


# No inline script anywhere (page scripts are static files); inline styles stay allowed for the
# posts' article HTML, which WeChat's editor format needs. Villagers' photos come through /staff/media.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
PERSONAL_PREFIXES = ("/staff", "/dev")  # pages showing villagers' messages, tickets, phones


class TrustedProxies:
    """werkzeug's ProxyFix, for requests whose peer is one of ``[web] trusted_proxies`` only.

    Their ``X-Forwarded-For`` (the last hop, which the proxy appended) becomes ``REMOTE_ADDR``, the
    address login delays and the audit log use, when it is an IP address (anything else is ignored:
    the peer's own address stays). From any other peer the ``X-Forwarded-*`` headers are dropped:
    anything on the host, or a browser, could otherwise name any address. The first time a forwarded
    request arrives while ``trusted_proxies`` is empty, a loud warning says so: behind a proxy every
    browser then shares the proxy's address and its login delay."""

    FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
                 "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_PREFIX", "HTTP_FORWARDED")

    def __init__(self, app: Any, proxies: Any):
        from werkzeug.middleware.proxy_fix import ProxyFix

        self.app = app
        self.fixed = ProxyFix(app, x_for=1, x_proto=1)
        self.networks = [ipaddress.ip_network(p, strict=False) for p in proxies]
        self.warned = False

    def _trusted(self, addr: str) -> bool:
        ip = _ip(addr)
        return ip is not None and any(ip in net for net in self.networks)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.networks and self._trusted(environ.get("REMOTE_ADDR", "")):
            last_hop = environ.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
            if _ip(last_hop) is None:
                environ.pop("HTTP_X_FORWARDED_FOR", None)
            return self.fixed(environ, start_response)
        if not self.networks and not self.warned and environ.get("HTTP_X_FORWARDED_FOR"):
            self.warned = True
            log.warning("PROXY DETECTED but [web] trusted_proxies is empty: a request from %s carried "
                        "X-Forwarded-For, so every browser behind that proxy shares its address and its login "
                        "delay (one outsider's failures slow every colleague without a device cookie). "
                        "Set web.trusted_proxies (PUFABOT_WEB__TRUSTED_PROXIES) to the proxy's address.",
                        environ.get("REMOTE_ADDR", "?"))
        for name in self.FORWARDED:
            environ.pop(name, None)
        return self.app(environ, start_response)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def security_headers(response: Response) -> Response:
    """Headers every Flask response gets (``/wechat`` answers WeChat, not a browser)."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    path = request.path
    if path.startswith(PERSONAL_PREFIXES) and "/static/" not in path:
        headers["Cache-Control"] = "no-store"
    return response


def _register_features(app: Flask, config: Config) -> None:
    """The staff console, the public post pages and, in dev mode only, the chat simulator."""
    init_console(app)
    app.register_blueprint(posts_bp)
    if config.web.dev_mode:
        from bot.dev import simulator  # dev only: not imported in production

        app.register_blueprint(simulator.bp)


def _register_errors(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        if (exc.code or 500) >= 500:
            log.error("http error %s", exc.code, extra={"path": request.path})
        return Response(f"{exc.code} {exc.name}", status=exc.code or 500, mimetype="text/plain")

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("unexpected error", extra={"path": request.path})
        return Response("系统出了点问题，请稍后再试。", status=500, mimetype="text/plain")

