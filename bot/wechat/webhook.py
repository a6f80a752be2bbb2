"""``/wechat``: WeChat's URL check and its pushes, served as a lean WSGI app in front of Flask.

verify signature → read and parse (plain, compatible or safe mode) → ``pipeline.process`` → render
(and encrypt when the push was encrypted). Every failure is answered with a clear status and a short
body, logged once with personal data masked; WeChat never sees a 500 or a traceback.

Why not a Flask view: this is the one path that runs for every villager's message, and Flask's
request machinery (request and app contexts, the routing adapter, response objects) costs more
than all of our own work here; on our 2-core machines it halved throughput (README, Benchmarks).
``mount`` puts this endpoint in front of the Flask app, which keeps serving every other path (staff
console, posts, ``/healthz``, the simulator); the Flask app factory stays the only place that
builds the app, and Flask's test client reaches ``/wechat`` through the same WSGI entry.
"""

from __future__ import annotations

import logging
import secrets
import time
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Callable, Iterable
from urllib.parse import parse_qsl

from bot.wechat import pipeline, protocol
from redis.exceptions import RedisError

from bot.errors import BadRequest, SignatureError
from bot.store.replay import ReplayCheck
from bot.wechat.message import Message
from bot.wechat.replies import News, NoReply, Reply, Text

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

PATH = "/wechat"
PLAIN = "text/plain; charset=utf-8"
XML = "application/xml; charset=utf-8"

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def query(environ: dict[str, Any]) -> dict[str, str]:
    """The query string's parameters (the first of repeated names, as Flask's ``request.args``)."""
    args: dict[str, str] = {}
    for name, value in parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True):
        args.setdefault(name, value)
    return args


def read_body(environ: dict[str, Any], limit: int) -> bytes:
    """The request body, refused with 413 beyond ``limit`` bytes (read no further than that)."""
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    if length:
        try:
            size = int(length)
        except ValueError:
            raise BadRequest("Content-Length is not a number") from None
        if size > limit:
            raise BadRequest(f"body of {size} bytes is over the limit", 413)
        return bytes(stream.read(size)) if size > 0 else b""
    if environ.get("wsgi.input_terminated"):  # chunked: read one byte past the limit to tell
        body = bytes(stream.read(limit + 1))
        if len(body) > limit:
            raise BadRequest("chunked body is over the limit", 413)
        return body
    return b""


class Webhook:
    """The ``/wechat`` endpoint: ``webhook(environ, start_response)``."""

    def __init__(self, services: Services, cipher: protocol.Cipher | None):
        self.services = services
        self.cipher = cipher
        self.token = services.config.wechat.token
        self.window = services.config.wechat.replay_window
        self.max_body = services.config.wechat.max_body_bytes
        self.encrypted_only = services.config.wechat.message_mode != "plain"

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        headers: list[tuple[str, str]] = []
        status, content_type = 200, PLAIN
        try:
            if method == "POST":
                content_type, text = self.receive(environ)
            elif method in ("GET", "HEAD"):
                text = self.url_check(environ)
            else:
                status, text = 405, HTTPStatus(405).phrase.lower()
                headers.append(("Allow", "GET, HEAD, POST"))
        except BadRequest as exc:
            log.warning("refused request: %s", exc.reason, extra={"path": PATH, "status": exc.status})
            status, content_type, text = exc.status, PLAIN, HTTPStatus(exc.status).phrase.lower()
        except Exception:
            log.exception("unexpected error", extra={"path": PATH})
            # WeChat shows "该公众号暂时无法提供服务" for anything but a valid reply: answer success.
            status, content_type, text = 200, PLAIN, "success"
        body = text.encode("utf-8")
        headers += [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [b""] if method == "HEAD" else [body]

    def _verify(self, args: dict[str, str]) -> None:
        protocol.check_signature(self.token, args.get("signature"), args.get("timestamp"), args.get("nonce"),
                                 window=self.window)

    def url_check(self, environ: dict[str, Any]) -> str:
        args = query(environ)
        self._verify(args)
        return args.get("echostr", "")

    def receive(self, environ: dict[str, Any]) -> tuple[str, str]:
        args = query(environ)
        self._verify(args)
        # Any Content-Type (form-encoded, text/plain, none), as WeChat-compatible servers take it:
        # the body decides; parse_xml refuses what is not XML.
        body = read_body(environ, self.max_body)
        check = self._admit(args, body)
        fields, envelope = self._read(args, body)
        message = protocol.to_message(fields)
        reply = pipeline.process(self.services, message, fields, replay=check)
        return self._render(reply, message, envelope)

    def _admit(self, args: dict[str, str], body: bytes) -> ReplayCheck:
        """Refuse a signed URL reused with another body (``bot.store.replay`` says why); the check the
        pipeline runs within its Redis call (single server) or that was run here (cluster)."""
        replays = self.services.replays
        check = replays.check(args["timestamp"], args["nonce"], body)
        if replays.host.conflicts(check.key, check.digest):  # seen here while Redis was away
            raise SignatureError("signed URL reused with another body (this host's record)")
        if check.folded:
            return check
        try:
            admitted = replays.admit(check)
        except RedisError:
            log.warning("redis unreachable: replay check against this host's record", extra={"path": PATH})
            admitted = replays.host.admit(check.key, check.digest)
        if not admitted:
            raise SignatureError("signed URL reused with another body")
        return check

    def _read(self, args: dict[str, str], body: bytes) -> tuple[dict[str, Any], protocol.Envelope]:
        data = protocol.parse_xml(body)
        ts, nonce = args["timestamp"], args["nonce"]
        if args.get("encrypt_type", "raw").lower() != "aes":
            if self.encrypted_only:
                raise SignatureError("plaintext push refused in compatible/safe message mode")
            return data, protocol.Envelope(False, ts, nonce)
        if self.cipher is None:
            raise BadRequest("encrypted push but wechat.aes_key is not configured")
        inner = self.cipher.decrypt(data, args.get("msg_signature"), ts, nonce)
        return protocol.parse_xml(inner), protocol.Envelope(True, ts, nonce)

    def _render(self, reply: Reply, message: Message, envelope: protocol.Envelope) -> tuple[str, str]:
        if isinstance(reply, NoReply):
            return PLAIN, "success"
        if isinstance(reply, News):
            xml = protocol.render_news(message, reply.title, reply.description, reply.url, reply.image)
        else:
            assert isinstance(reply, Text)
            xml = protocol.render_text(message, reply.content)
        if envelope.encrypted:
            assert self.cipher is not None
            xml = self.cipher.encrypt(xml, secrets.token_hex(8), str(int(time.time())))
        return XML, xml


def mount(flask_wsgi: WSGIApp, webhook: Webhook) -> WSGIApp:
    """A WSGI app that sends ``/wechat`` to ``webhook`` and every other path to Flask."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == PATH:
            return webhook(environ, start_response)
        return flask_wsgi(environ, start_response)

    return app
