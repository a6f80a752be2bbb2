"""Trying the bot without an official account: the chat page at ``/dev/chat`` (this blueprint;
``bot.dev.run`` starts it, and the terminal chat).

Both are real WeChat-protocol clients (``bot.dev.wire``): every message is built as WeChat builds
it, signed (and encrypted in safe mode) and POSTed over HTTP to this server's own ``/wechat``. The
WeChat API the bot calls (customer-service messages for staff replies, menus, posts) is the local
stand-in (``bot.dev.standin``); the page polls it to show what staff sent the villager.
Registered only when ``web.dev_mode`` is on.
"""

from __future__ import annotations

import secrets
from typing import Any

import requests
from flask import Blueprint, current_app, jsonify, render_template, request

from bot.config import Config
from bot.dev import wire

bp = Blueprint("simulator", __name__, url_prefix="/dev", template_folder="templates", static_folder="static")


SELF_URL = "PUFABOT_SELF_URL"  # app.config key: where this very server listens (set by run_simulation)


def own_address(config: Config) -> str:
    """This server's own base URL: the simulator's listening address, else ``web.public_url``.

    Never the request's ``Host``: the simulator signs pushes with the configured token, and a
    request naming another host would have it send a validly signed push there."""
    return str(current_app.config.get(SELF_URL) or config.web.public_url).rstrip("/")


def real_account_configured(config: Config) -> bool:
    """A real WeChat token and app id are set: the simulator would sign pushes a real server accepts."""
    return bool(config.wechat.token and config.wechat.appid)


DEV_MODE_REFUSED = ("dev mode (the chat simulator) refused: a real WeChat token and app id are configured, and the "
                    "simulator signs pushes with that token. Use a config without them, or pass --i-know.")


def _villager(openid: str, safe: bool) -> wire.Villager:
    svc = current_app.extensions["pufabot"]
    url = own_address(svc.config) + "/wechat"
    cipher = current_app.extensions["pufabot.cipher"]
    return wire.Villager(wire.http_transport(url), svc.config.wechat.token, cipher, openid, safe and cipher is not None)


def _standin_url() -> str:
    return str(current_app.extensions["pufabot"].config.wechat.api_base_url).rstrip("/")


@bp.get("/chat")
def chat_page() -> str:
    svc = current_app.extensions["pufabot"]
    return render_template("simulator.html", menu=svc.config.menu.button, name=svc.config.bot.name,
                           safe_available=current_app.extensions["pufabot.cipher"] is not None)


@bp.post("/chat/send")
def chat_send() -> Any:
    data = request.get_json(force=True, silent=True) or {}
    openid = str(data.get("openid") or "")
    if not (openid.startswith("oSIM") and len(openid) == 28):
        return jsonify(error="bad openid"), 400
    villager = _villager(openid, bool(data.get("safe")))
    kind = data.get("kind", "text")
    try:
        requests.post(_standin_url() + "/_standin/user_message", json={"openid": openid}, timeout=2)
    except requests.RequestException:
        pass  # the stand-in is optional for the chat itself
    if kind == "click":
        reply = villager.click(str(data.get("key", "")))
    elif kind == "voice":
        reply = villager.voice(_sample_media("voice"), str(data.get("content", "")))
    elif kind == "image":
        reply = villager.image(_sample_media("image"))
    elif kind == "location":
        reply = villager.location(43.8, 87.6, str(data.get("content") or "村委会附近"))
    elif kind == "subscribe":
        reply = villager.event("subscribe", EventKey="")
    else:
        reply = villager.say(str(data.get("content", "")))
    return jsonify(kind=reply.kind, content=reply.content, title=reply.title, description=reply.description,
                   url=reply.url, status=reply.status)


def _sample_media(kind: str) -> str:
    """A fresh media id whose sample (a tiny photo, a 2-second voice) the stand-in serves."""
    media_id = f"SIM{kind.upper()}{secrets.token_hex(6)}"
    try:
        requests.post(_standin_url() + "/_standin/sample_media", json={"media_id": media_id, "kind": kind}, timeout=2)
    except requests.RequestException:
        pass  # without the stand-in the console says WeChat did not have the media: true enough
    return media_id


@bp.get("/chat/inbox")
def chat_inbox() -> Any:
    """Messages staff sent this villager (customer-service / template), as the stand-in recorded them."""
    try:
        res = requests.get(_standin_url() + "/_standin/messages",
                           params={"openid": request.args.get("openid", ""), "after": request.args.get("after", "0")},
                           timeout=2)
        return jsonify(res.json())
    except (requests.RequestException, ValueError):
        return jsonify([])
