"""A local stand-in of the work-group robots (企业微信 group robot and 钉钉 custom robot).

Dev and tests only; production code never imports it. It speaks what ``bot.notify.robots`` sends:
- ``POST /cgi-bin/webhook/send?key=<key>`` (WeCom): text (``mentioned_mobile_list``) or markdown;
  an unknown key is errcode 93000, a bad body 40008 (stand-in choice of codes for the shapes);
- ``POST /robot/send?access_token=<token>&timestamp=<ms>&sign=<sign>`` (DingTalk): with a secret
  set, the signature is checked (310000 "sign not match" when wrong or more than an hour off);
- like the real robots, each takes ``per_minute`` (20) messages a minute: the next is refused with
  45009 (WeCom) or 130101 (DingTalk).
Every message taken is kept (``messages``) as staff would see it in the group. Switches for tests:
``fail_next(robot, errcode)`` refuses the next call(s), ``down`` answers HTTP 502 to everything,
``stall_next()`` holds the next call until ``release()``: released with ``deliver=False`` it is
dropped unread, as a connection cut before the robot took it.

``GET /_robots/`` shows the group as a page (the simulator prints its address), ``/_robots/messages``
as JSON.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

WECOM_KEY = "standin-wecom-key"
DINGTALK_TOKEN = "standin-dingtalk-token"
DINGTALK_SECRET = "SECstandin-not-a-real-secret"
THROTTLE_CODES = {"wecom": 45009, "dingtalk": 130101}


@dataclass
class RobotMessage:
    robot: str  # wecom | dingtalk
    at: float
    msgtype: str
    content: str
    mentioned: list[str] = field(default_factory=list)


class RobotState:
    def __init__(self, secret: str = DINGTALK_SECRET, per_minute: int = 20):
        self.secret = secret
        self.per_minute = per_minute
        self.messages: list[RobotMessage] = []
        self.calls: list[tuple[str, int]] = []  # (robot, errcode answered)
        self.down = False
        self._fail: list[tuple[str, int]] = []
        self._stall = 0
        self.stalled = threading.Event()  # set while a call is held
        self._release = threading.Event()
        self._deliver_stalled = True
        self.lock = threading.Lock()
        self.clock = time.time

    # -- switches -----------------------------------------------------------------------------------
    def fail_next(self, robot: str, errcode: int, times: int = 1) -> None:
        with self.lock:
            self._fail += [(robot, errcode)] * times

    def stall_next(self) -> None:
        with self.lock:
            self._stall += 1
            self._release.clear()

    def release(self, deliver: bool = True) -> None:
        self._deliver_stalled = deliver
        self._release.set()

    def of(self, robot: str) -> list[RobotMessage]:
        return [m for m in self.messages if m.robot == robot]

    # -- the rules -----------------------------------------------------------------------------------
    def take(self, robot: str, body: Any) -> tuple[int, str]:
        """(errcode, errmsg) for one well-addressed call."""
        with self.lock:
            stall = self._stall > 0
            if stall:
                self._stall -= 1
        if stall:
            self.stalled.set()
            self._release.wait(timeout=60)
            self.stalled.clear()
            if not self._deliver_stalled:
                return -2, "dropped (stand-in: connection cut before the robot took it)"
        with self.lock:
            for i, (name, code) in enumerate(self._fail):
                if name == robot:
                    del self._fail[i]
                    return self._answer(robot, code, "injected failure")
            message = _parse(robot, body)
            if message is None:
                return self._answer(robot, 40008, "invalid message body")
            now = self.clock()
            recent = [c for c in self.messages if c.robot == robot and now - c.at < 60]
            if len(recent) >= self.per_minute:
                return self._answer(robot, THROTTLE_CODES[robot], "send too fast, exceed 20 times per minute")
            self.messages.append(RobotMessage(robot, now, *message))
            return self._answer(robot, 0, "ok")

    def _answer(self, robot: str, code: int, message: str) -> tuple[int, str]:
        self.calls.append((robot, code))
        return code, message

    def signed(self, timestamp: str, sign: str) -> bool:
        if not timestamp.isdigit() or abs(int(timestamp) / 1000 - time.time()) > 3600:
            return False
        digest = hmac.new(self.secret.encode(), f"{timestamp}\n{self.secret}".encode(), hashlib.sha256).digest()
        return hmac.compare_digest(base64.b64encode(digest).decode(), sign)


def _parse(robot: str, body: Any) -> tuple[str, str, list[str]] | None:
    if not isinstance(body, dict):
        return None
    msgtype = body.get("msgtype")
    part = body.get(msgtype) if isinstance(msgtype, str) else None
    if msgtype not in ("text", "markdown") or not isinstance(part, dict):
        return None
    content = part.get("content")
    if not isinstance(content, str) or not content.strip():
        return None
    limit = 2048 if (robot, msgtype) == ("wecom", "text") else 4096 if robot == "wecom" else 20000
    if len(content.encode()) > limit:
        return None
    if robot == "wecom":
        mentioned = part.get("mentioned_mobile_list") or []
    else:
        mentioned = (body.get("at") or {}).get("atMobiles") or []
    return msgtype, content, [str(m) for m in mentioned]


def create_robots_app(state: RobotState) -> Flask:
    app = Flask(__name__)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    def answer(code: int, message: str) -> Any:
        if code == -2:
            return "", 502
        return jsonify({"errcode": code, "errmsg": message})

    @app.post("/cgi-bin/webhook/send")
    def wecom() -> Any:
        if state.down:
            return "bad gateway", 502
        if request.args.get("key") != WECOM_KEY:
            return answer(93000, "invalid webhook url")
        return answer(*state.take("wecom", request.get_json(force=True, silent=True)))

    @app.post("/robot/send")
    def dingtalk() -> Any:
        if state.down:
            return "bad gateway", 502
        if request.args.get("access_token") != DINGTALK_TOKEN:
            return answer(300001, "token is not exist")
        if state.secret and not state.signed(request.args.get("timestamp", ""), request.args.get("sign", "")):
            return answer(310000, "sign not match")
        return answer(*state.take("dingtalk", request.get_json(force=True, silent=True)))

    @app.get("/_robots/messages")
    def messages() -> Any:
        return jsonify([m.__dict__ for m in state.messages])

    @app.get("/_robots/")
    def page() -> Any:
        rows = "".join(f"<li><b>{'企业微信' if m.robot == 'wecom' else '钉钉'}</b> "
                       f"{time.strftime('%H:%M:%S', time.localtime(m.at))}"
                       f"{' @' + ','.join('值班手机' for _ in m.mentioned) if m.mentioned else ''}"
                       f"<pre>{html.escape(m.content)}</pre></li>" for m in reversed(state.messages))
        return (f"<!doctype html><meta charset=utf-8><meta http-equiv=refresh content=3>"
                f"<title>工作群（模拟）</title><h1>工作群收到的提醒（模拟）</h1><ul>{rows or '<li>还没有</li>'}</ul>")

    return app


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class RobotStandin:
    """Both robots on 127.0.0.1 and a free port, in a daemon thread. ``config()`` is the
    ``[notify]`` part that points pufabot at it."""

    def __init__(self, state: RobotState | None = None):
        self.state = state or RobotState()
        self.app = create_robots_app(self.state)
        self._server: BaseWSGIServer | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("RobotStandin is not running; call start() first")
        return f"http://127.0.0.1:{self._server.server_port}"

    def config(self) -> dict[str, str]:
        return {"wecom_webhook": f"{self.url}/cgi-bin/webhook/send?key={WECOM_KEY}",
                "dingtalk_webhook": f"{self.url}/robot/send?access_token={DINGTALK_TOKEN}",
                "dingtalk_secret": self.state.secret}

    def start(self) -> RobotStandin:
        if self._server is None:
            self._server = make_server("127.0.0.1", 0, self.app, threaded=True, request_handler=_QuietHandler)
            threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                             name="robot-standin", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self.state.release(deliver=False)
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> RobotStandin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
