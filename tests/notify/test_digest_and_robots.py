"""The daily digest at its time (the worker's fixed clock), what each robot is sent, and DingTalk's
signature as its robot checks it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from bot.dev.robots import DINGTALK_SECRET, RobotStandin, RobotState
from bot.notify.robots import Robot, dingtalk_sign
from bot.worker import Worker

TZ = ZoneInfo("Asia/Shanghai")


def at(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ).timestamp()


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def digests(robots: Any, robot: str = "wecom") -> list[str]:
    return [m.content for m in robots.state.of(robot) if m.content.startswith("【每日汇总】")]


@pytest.mark.clock
def test_the_daily_digest_goes_out_once_a_day_at_its_time(quiet_web: Any, robots: Any, new_ticket: Any) -> None:
    services = quiet_web
    services.notifier.config = services.config.replace(notify={"digest": ["wecom"], "send_from_web": False}).notify
    new_ticket(at=at("2031-05-05 08:00"))  # 48 hours promised: overdue from 05-07 08:00
    new_ticket(at=at("2031-05-06 20:00"), urgent=True)  # an urgent item: 2 hours promised, overdue too
    new_ticket(at=at("2031-05-07 07:00"))
    clock = Clock(at("2031-05-07 08:29"))
    worker = Worker(services, clock=clock)
    worker.jobs = [job for job in worker.jobs if job.name == "send-alerts"]  # the weekly post has its own tests
    worker.tick()
    assert digests(robots) == []
    clock.now = at("2031-05-07 08:30:20")
    worker.tick()
    (digest,) = digests(robots)
    assert "2031-05-07" in digest and "https://console.example.invalid/staff/" in digest
    assert "过去24小时新收：2 件" in digest and "超时未联系：2 件" in digest
    assert "尚未答复：3 件" in digest and "紧急未结：1 件" in digest
    for later in ("2031-05-07 09:31", "2031-05-07 23:59"):
        clock.now = at(later)
        worker.tick()
    assert len(digests(robots)) == 1 and digests(robots, "dingtalk") == []
    clock.now = at("2031-05-08 08:31")
    worker.tick()
    assert len(digests(robots)) == 2 and "2031-05-08" in digests(robots)[1]


def test_dingtalk_takes_a_signed_call_and_refuses_a_wrong_signature(robots: Any, config: Any) -> None:
    good = Robot("dingtalk", robots.config()["dingtalk_webhook"], config.notify)
    assert good.send(good.body("【测试】签名正确")).ok
    wrong = config.replace(notify={"dingtalk_secret": "SECnot-the-robots-secret"}).notify
    refused = Robot("dingtalk", robots.config()["dingtalk_webhook"], wrong).send(good.body("【测试】签名错误"))
    assert (refused.ok, refused.errcode) == (False, 310000)
    unsigned = requests.post(robots.config()["dingtalk_webhook"], json=good.body("【测试】没有签名"), timeout=5)
    assert unsigned.json()["errcode"] == 310000
    assert [m.content for m in robots.state.messages] == ["【测试】签名正确"]


def test_the_signature_is_dingtalks_documented_hmac() -> None:
    """base64(HMAC-SHA256(secret, "<timestamp>\\n<secret>")), as DingTalk's robot page computes it."""
    state = RobotState(secret=DINGTALK_SECRET)
    stamp = int(dt.datetime.now().timestamp() * 1000)
    assert state.signed(str(stamp), dingtalk_sign(DINGTALK_SECRET, stamp))
    assert not state.signed(str(stamp - 2 * 3600 * 1000), dingtalk_sign(DINGTALK_SECRET, stamp - 2 * 3600 * 1000))


def test_wecom_markdown_when_configured_but_urgent_alerts_stay_text_to_mention_the_duty_phone(
        config: Any) -> None:
    from bot.notify.compose import Alert

    cfg = config.replace(notify={"wecom_msgtype": "markdown"}).notify
    robot = Robot("wecom", "http://127.0.0.1:9/cgi-bin/webhook/send?key=k", cfg)
    calm = Alert("new_report:JF1", "new_report", "【新反映】", "编号：JF1\n处理：https://c/x", "https://c/x")
    assert robot.body(calm.text, calm.markdown)["markdown"]["content"].startswith("**【新反映】**")
    urgent = robot.body("【紧急】", "**【紧急】**", mention=True)
    assert urgent == {"msgtype": "text", "text": {"content": "【紧急】", "mentioned_mobile_list": ["13800000000"]}}


def test_pufabot_notify_test_sends_and_prints_the_robots_answers(robots: RobotStandin, config: Any,
                                                                 monkeypatch: Any, tmp_path: Any) -> None:
    from click.testing import CliRunner

    from bot.cli import cli

    for key, value in robots.config().items():
        monkeypatch.setenv(f"PUFABOT_NOTIFY__{key.upper()}", value)
    monkeypatch.setenv("REDIS_URL", config.redis.url)
    monkeypatch.setenv("PUFABOT_CONFIG", config.source if config.source.endswith(".toml") else "")
    robots.state.fail_next("dingtalk", 130101)
    result = CliRunner().invoke(cli, ["notify", "test"])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("企业微信") and '"errcode": 0' in line for line in lines), result.output
    assert any(line.startswith("钉钉") and "130101" in line for line in lines), result.output
    (message,) = robots.state.messages
    assert message.robot == "wecom" and message.content.startswith("【测试】")
    assert json.loads(lines[0].split(" ", 1)[1])["errcode"] == 0
