"""``/wechat`` (WeChat's URL check and pushes) and ``/healthz``: a thin adapter over the pipeline.

verify signature → parse (plain, compatible or safe mode) → ``pipeline.process`` → render (and
encrypt when the push was encrypted). Every failure is answered with a clear status and a short
body, logged once with personal data masked; WeChat never sees a 500 or a traceback.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any

from flask import Blueprint, Response, current_app, request
from redis.exceptions import RedisError

from bot import pipeline, protocol
from bot.errors import BadRequest
from handlers.context import News, NoReply, Reply, Text

log = logging.getLogger(__name__)
bp = Blueprint("webhook", __name__)
XML_TYPES = ("text/xml", "application/xml", "")


def services() -> Any:
    return current_app.extensions["pufabot"]


def _plain(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/plain")


def _verify(svc: Any) -> None:
    cfg = svc.config.wechat
    protocol.check_signature(cfg.token, request.args.get("signature"), request.args.get("timestamp"),
                             request.args.get("nonce"), window=cfg.replay_window)


@bp.get("/wechat")
def url_check() -> Response:
    _verify(services())
    return _plain(request.args.get("echostr", ""))


@bp.post("/wechat")
def receive() -> Response:
    svc = services()
    _verify(svc)
    if request.mimetype not in XML_TYPES:
        raise BadRequest(f"unsupported content type {request.mimetype}", 415)
    fields, envelope = _read(svc)
    message = protocol.to_message(fields)
    reply = pipeline.process(svc, message, fields)
    return _render(svc, reply, message, envelope)


def _read(svc: Any) -> tuple[dict[str, Any], protocol.Envelope]:
    body = request.get_data(cache=False)
    data = protocol.parse_xml(body)
    ts, nonce = request.args["timestamp"], request.args["nonce"]
    if request.args.get("encrypt_type", "raw").lower() != "aes":
        return data, protocol.Envelope(False, ts, nonce)
    cipher = current_app.extensions["pufabot.cipher"]
    if cipher is None:
        raise BadRequest("encrypted push but wechat.aes_key is not configured")
    inner = cipher.decrypt(data, request.args.get("msg_signature"), ts, nonce)
    return protocol.parse_xml(inner), protocol.Envelope(True, ts, nonce)


def _render(svc: Any, reply: Reply, message: Any, envelope: protocol.Envelope) -> Response:
    if isinstance(reply, NoReply):
        return _plain("success")
    if isinstance(reply, News):
        xml = protocol.render_news(message, reply.title, reply.description, reply.url, reply.image)
    else:
        assert isinstance(reply, Text)
        xml = protocol.render_text(message, reply.content)
    if envelope.encrypted:
        xml = current_app.extensions["pufabot.cipher"].encrypt(xml, secrets.token_hex(8), str(int(time.time())))
    return Response(xml, mimetype="application/xml")


@bp.get("/healthz")
def healthz() -> tuple[dict[str, Any], int]:
    svc = services()
    checks: dict[str, Any] = {"knowledge_base": len(svc.kb.topics)}
    try:
        svc.redis.ping()
        checks["redis"] = "ok"
    except RedisError as exc:
        checks["redis"] = f"unreachable: {type(exc).__name__}"
    ok = checks["redis"] == "ok" and checks["knowledge_base"] > 0
    return {"status": "ok" if ok else "degraded", **checks}, 200 if ok else 503
