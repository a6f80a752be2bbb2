"""Running the simulator: ``pufabot simulate`` (the web chat page with a local WeChat API stand-in)
and ``pufabot chat`` (the same conversation in a terminal).

Kept apart from the blueprint (``bot.dev.simulator``) because these start the whole app: the app
factory registers the blueprint, and only these runners import the factory, so nothing imports in
a circle.
"""

from __future__ import annotations

import logging
import secrets
import string
import threading
from typing import Any

from bot.app import create_app
from bot.config import Config
from bot.dev import wire
from bot.dev.simulator import SELF_URL
from bot.serving import ensure_port_free, ensure_redis_reachable, ensure_redis_url


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


def with_robots(config: Config, robots: Any, console_url: str) -> Config:
    """Alerts go to the local robot stand-in (``bot.dev.robots``) unless real robots are configured:
    the developer sees what staff would see in their work group."""
    n = config.notify
    if n.wecom_webhook or n.dingtalk_webhook:
        return config
    return config.replace(notify={**robots.config(), "duty_phone": n.duty_phone or "13800000000",
                                  "console_url": n.console_url or console_url})


def _start_standin(config: Config) -> Any:
    from bot.dev.standin import StandinServer

    server = StandinServer()
    server.start()
    return server


def run_simulation(config: Config, host: str, port: int) -> None:
    from werkzeug.serving import make_server

    ensure_port_free(host, port)  # before anything starts or any banner says it did
    standin = _start_standin(config)
    config = ensure_redis_url(simulation_config(config, standin.url))
    ensure_redis_reachable(config)
    config = config.replace(wechat={"appid": standin.state.appid, "appsecret": standin.state.secret})
    from bot.dev.robots import RobotStandin

    robots = RobotStandin().start()
    config = with_robots(config, robots, f"http://{'127.0.0.1' if host in ('0.0.0.0', '::', '') else host}:{port}")
    app = create_app(config)
    app.config[SELF_URL] = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::', '') else host}:{port}"
    from bot.dev.pushes import WebhookPusher

    # The stand-in reports finished mass sends to our webhook, as WeChat does (MASSSENDJOBFINISH).
    standin.state.pusher = WebhookPusher(wire.http_transport(f"http://{host}:{port}/wechat", timeout=5),
                                         config.wechat.token)
    _exit_on_sigterm()
    server = make_server(host, port, app, threaded=True)  # binds now: the banner below is true
    print(f"\n  pufabot 模拟器已启动：打开 http://{host}:{port}/dev/chat 开始聊天", flush=True)
    print(f"  员工后台：http://{host}:{port}/staff   （先运行 .venv/bin/pufabot staff add NAME --role admin）",
          flush=True)
    print(f"  工作群（模拟机器人）：{robots.url}/_robots/   （紧急求助、新反映的提醒在这里出现）\n", flush=True)
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
