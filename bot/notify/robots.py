"""The two kinds of group robot alerts go to, over HTTP (``requests``; no Flask, no redis).

- 企业微信 / 政务微信 group robot: ``POST <wecom_webhook>`` (``…/cgi-bin/webhook/send?key=…``) with
  ``{"msgtype": "text", "text": {"content": …, "mentioned_mobile_list": [duty phone]}}`` or
  ``{"msgtype": "markdown", "markdown": {"content": …}}`` (markdown cannot @ by phone: urgent alerts
  go as text). Text content at most 2048 bytes, markdown 4096. Too fast (20 a minute): errcode 45009.
- 钉钉 custom robot: ``POST <dingtalk_webhook>&timestamp=<ms>&sign=<sign>`` where ``sign`` is
  base64(HMAC-SHA256(key=secret, msg="<timestamp>\\n<secret>")), URL-encoded; the timestamp must be
  within an hour of DingTalk's clock. ``{"msgtype": "text", "text": {"content": …}, "at":
  {"atMobiles": […], "isAtAll": false}}``. Too fast (20 a minute): errcode 130101, and the robot is
  held for 10 minutes.

Both answer ``{"errcode": 0, "errmsg": "ok"}`` on success. ``send`` never raises: a refusal, an HTTP
error or no answer at all is an ``Answer`` with ``ok`` False (``errcode`` None when nobody answered).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

import requests

from bot.config import NotifyConfig

THROTTLED = {"wecom": frozenset({45009}), "dingtalk": frozenset({130101})}
PAUSE_SECONDS = {"wecom": 60, "dingtalk": 600}  # how long a robot that said "too fast" is left alone
TEXT_LIMIT = {"wecom": 2048, "dingtalk": 4096}  # bytes of one message's text we send (DingTalk takes more)
LABELS = {"wecom": "企业微信", "dingtalk": "钉钉"}


@dataclass(frozen=True)
class Answer:
    ok: bool
    errcode: int | None
    errmsg: str
    throttled: bool = False

    def describe(self) -> str:
        return "ok" if self.ok else f"{self.errcode if self.errcode is not None else '-'}: {self.errmsg}"


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """The ``sign`` query value of a signed DingTalk call (base64 of the HMAC; URL-encode it)."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _clip(text: str, limit: int) -> str:
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[:limit - 3].decode(errors="ignore") + "…"


class Robot:
    """One configured robot: builds the body and sends it."""

    def __init__(self, name: str, url: str, config: NotifyConfig, session: requests.Session | None = None):
        self.name = name
        self.url = url
        self.config = config
        self.session = session or requests.Session()

    @property
    def text_limit(self) -> int:
        return TEXT_LIMIT[self.name]

    def body(self, text: str, markdown: str = "", mention: bool = False) -> dict[str, Any]:
        mobiles = [self.config.duty_phone] if mention and self.config.duty_phone else []
        if self.name == "dingtalk":
            return {"msgtype": "text", "text": {"content": _clip(text, self.text_limit)},
                    "at": {"atMobiles": mobiles, "isAtAll": False}}
        if markdown and self.config.wecom_msgtype == "markdown" and not mobiles:
            return {"msgtype": "markdown", "markdown": {"content": _clip(markdown, 4096)}}
        return {"msgtype": "text", "text": {"content": _clip(text, self.text_limit),
                                            "mentioned_mobile_list": mobiles}}

    def address(self) -> str:
        if self.name != "dingtalk" or not self.config.dingtalk_secret:
            return self.url
        stamp = int(time.time() * 1000)  # DingTalk checks it against its own clock: the real one
        sign = urllib.parse.quote_plus(dingtalk_sign(self.config.dingtalk_secret, stamp))
        return f"{self.url}&timestamp={stamp}&sign={sign}"

    def send(self, body: dict[str, Any]) -> Answer:
        try:
            res = self.session.post(self.address(), json=body, timeout=self.config.request_timeout)
        except requests.RequestException as exc:
            return Answer(False, None, f"{type(exc).__name__}: no answer from the robot")
        try:
            data = res.json()
        except ValueError:
            return Answer(False, None, f"HTTP {res.status_code}, not JSON")
        if not isinstance(data, dict):
            return Answer(False, None, f"HTTP {res.status_code}, unexpected answer")
        code = data.get("errcode")
        message = str(data.get("errmsg", ""))[:200]
        if code == 0:
            return Answer(True, 0, message or "ok")
        errcode = code if isinstance(code, int) else None
        return Answer(False, errcode, message or f"HTTP {res.status_code}", errcode in THROTTLED[self.name])


def configured(config: NotifyConfig) -> dict[str, Robot]:
    """The robots the config names (none, one or both)."""
    session = requests.Session()
    urls = {"wecom": config.wecom_webhook, "dingtalk": config.dingtalk_webhook}
    return {name: Robot(name, url, config, session) for name, url in urls.items() if url}
