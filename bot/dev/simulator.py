"""Trying the bot without an official account: a chat page at ``/dev/chat`` and a terminal chat.

Both are real WeChat-protocol clients (``bot.dev.wire``): every message is built as WeChat builds
it, signed (and encrypted in safe mode) and POSTed over HTTP to this server's own ``/wechat``. The
WeChat API the bot calls (customer-service messages for staff replies, menus, posts) is the local
stand-in (``bot.dev.standin``); the page polls it to show what staff sent the villager.
Registered only when ``web.dev_mode`` is on.
"""

from __future__ import annotations

import logging
import secrets
import string
import threading
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


def simulation_config(config: Config, standin_url: str) -> Config:
    """The config with dev mode on, the stand-in as WeChat, and throwaway secrets where none are set."""
    w = config.wechat
    alphabet = string.ascii_letters + string.digits
    return config.replace(
        wechat={"token": w.token or "simtoken" + secrets.token_hex(4),
                "appid": w.appid or "wx" + secrets.token_hex(8),
                "appsecret": w.appsecret or secrets.token_hex(16),
                "aes_key": w.aes_key or "".join(secrets.choice(alphabet) for _ in range(43)),
                "api_base_url": standin_url},
        web={"dev_mode": True, "secret_key": config.web.secret_key or secrets.token_hex(32),
             "session_cookie_secure": False},
        log={"json": False},
    )


def _start_standin(config: Config) -> Any:
    from bot.dev.standin import StandinServer

    server = StandinServer()
    server.start()
    return server


def run_simulation(config: Config, host: str, port: int) -> None:
    from werkzeug.serving import make_server

    from bot.app import create_app
    from bot.serving import ensure_port_free, ensure_redis_reachable, ensure_redis_url

    ensure_port_free(host, port)  # before anything starts or any banner says it did
    standin = _start_standin(config)
    config = ensure_redis_url(simulation_config(config, standin.url))
    ensure_redis_reachable(config)
    config = config.replace(wechat={"appid": standin.state.appid, "appsecret": standin.state.secret})
    app = create_app(config)
    app.config[SELF_URL] = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::', '') else host}:{port}"
    from bot.dev.pushes import WebhookPusher

    # The stand-in reports finished mass sends to our webhook, as WeChat does (MASSSENDJOBFINISH).
    standin.state.pusher = WebhookPusher(wire.http_transport(f"http://{host}:{port}/wechat", timeout=5),
                                         config.wechat.token)
    _exit_on_sigterm()
    server = make_server(host, port, app, threaded=True)  # binds now: the banner below is true
    print(f"\n  pufabot 模拟器已启动：打开 http://{host}:{port}/dev/chat 开始聊天", flush=True)
    print(f"  员工后台：http://{host}:{port}/staff   （先运行 .venv/bin/pufabot staff add NAME --role admin）\n",
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _exit_on_sigterm() -> None:
    """SIGTERM ends the simulator as Ctrl-C does: a normal exit, so the embedded redis-server
    (stopped at exit) and the stand-in do not outlive it."""
    import signal
    import sys

    def stop(signum: int, frame: Any) -> None:
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)


def terminal_chat(config: Config, url: str | None, openid: str | None, safe_mode: bool) -> None:
    """A REPL: type a message; ``/menu KEY``, ``/voice [transcript]``, ``/image``, ``/quit``."""
    server = None
    if url is None:
        from werkzeug.serving import make_server

        from bot.app import create_app
        from bot.serving import ensure_redis_url

        standin = _start_standin(config)
        config = ensure_redis_url(simulation_config(config, standin.url))
        config = config.replace(wechat={"appid": standin.state.appid, "appsecret": standin.state.secret})
        server = make_server("127.0.0.1", 0, create_app(config), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}/wechat"
    from bot.wechat.protocol import Cipher

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # keep the conversation readable
    w = config.wechat
    cipher = Cipher(w.token, w.aes_key, w.appid) if w.aes_key else None
    villager = wire.Villager(wire.http_transport(url), w.token, cipher, openid or wire.fake_openid(), safe_mode)
    print("输入消息与机器人对话；/menu MENU_REPORT 点菜单，/voice 发语音，/image 发图片，/quit 退出。")
    try:
        while True:
            try:
                line = input("我> ").strip()
            except EOFError:
                break
            if line in ("/quit", "/exit"):
                break
            if line.startswith("/menu "):
                reply = villager.click(line.split(None, 1)[1])
            elif line.startswith("/voice"):
                reply = villager.voice("CLIVOICE" + secrets.token_hex(6), line[len("/voice"):].strip())
            elif line == "/image":
                reply = villager.image("CLIIMAGE" + secrets.token_hex(6))
            else:
                reply = villager.say(line)
            if reply.kind == "news":
                print(f"机器人> [图文] {reply.title}\n         {reply.description}\n         {reply.url}")
            else:
                print("机器人> " + (reply.content or "（无回复）"))
    finally:
        if server is not None:
            server.shutdown()
