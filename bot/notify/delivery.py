"""Sending what the outbox holds: claim, send, record; back-off, rate limits and batching.

``Delivery.run(now)`` sends every due message once, robot by robot:
- urgent alerts go one by one (each @-mentions the duty phone); the others due at the same time go
  together as one message per robot (as many as fit its text limit): a robot takes 20 a minute;
- before each send a slot of the robot's 20 a minute is taken (counted in Redis, across hosts); with
  none free, the rest wait for one (not a failure);
- a robot's "too fast" answer (45009 / 130101) pauses that robot (60 s / 10 min); its messages wait;
- any other failure (refusal, HTTP error, no answer) is retried after ``retry_base_seconds * 2^n``
  (at most ``retry_max_seconds``) and shown to admins with the robot's answer; the rest of that
  robot's messages wait for the same time (a robot that is down is not called again and again).
Each message is claimed just before its send with a short lease (see ``bot.notify.outbox``).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from redis.exceptions import RedisError

from bot.config import NotifyConfig
from bot.notify.compose import batch_text, batched
from bot.notify.outbox import Outbox, answer_json, robot_of
from bot.notify.robots import PAUSE_SECONDS, Answer, Robot
from bot.texts import Texts

log = logging.getLogger(__name__)


@dataclass
class Report:
    sent: int = 0  # messages recorded sent
    calls: int = 0  # calls to robots
    failed: int = 0  # messages put back after a failure
    waiting: int = 0  # messages left for later (rate limit, pause)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any] | int:
        """0 when nothing happened (the worker logs it quietly), else the figures."""
        if not (self.calls or self.waiting):
            return 0
        return {"sent": self.sent, "calls": self.calls, "failed": self.failed, "waiting": self.waiting,
                "errors": self.errors[:3]}


class Delivery:
    def __init__(self, outbox: Outbox, robots: dict[str, Robot], config: NotifyConfig, texts: Texts):
        self.outbox = outbox
        self.robots = robots
        self.config = config
        self.texts = texts
        self.unrecorded: list[tuple[str, float, str]] = []  # sent, but Redis was away to record it

    @property
    def lease(self) -> float:
        """Seconds a sender holds a message: one call, with room to spare."""
        return 2 * self.config.request_timeout + 10

    def backoff(self, attempts: int) -> float:
        return float(min(self.config.retry_max_seconds, self.config.retry_base_seconds * 2 ** max(0, attempts)))

    def run(self, now: float) -> Report:
        report = Report()
        self._record_unrecorded()
        self.outbox.reclaim(now)
        by_robot: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for message in self.outbox.due(now):
            by_robot[robot_of(message["id"])].append(message)
        for name, messages in by_robot.items():
            robot = self.robots.get(name)
            if robot is None or self.outbox.paused_until(name) > now:
                continue  # not configured (any more) or told to wait: shown on the console page
            self._robot(robot, messages, now, report)
        return report

    def _units(self, robot: Robot, messages: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        urgent = [[m] for m in messages if m["alert"].mention]
        others = [m for m in messages if not m["alert"].mention]
        by_alert = {id(m["alert"]): m for m in others}
        groups = batched(self.texts, [m["alert"] for m in others], robot.text_limit)
        return urgent + [[by_alert[id(a)] for a in group] for group in groups]

    def _robot(self, robot: Robot, messages: list[dict[str, Any]], now: float, report: Report) -> None:
        units = self._units(robot, messages)
        for i, unit in enumerate(units):
            claimed = [(m, token) for m in unit if (token := self.outbox.claim(m["id"], now, now + self.lease))]
            if not claimed:
                continue  # another sender has them
            wait = self.outbox.take_slot(robot.name, now, self.config.per_minute)
            if wait:
                self._put_back(claimed, now + wait, "", attempt=False)
                self._release_rest(units[i + 1:], now + wait, "", report)
                report.waiting += len(claimed)
                return
            answer = self._send(robot, [m["alert"] for m, _ in claimed])
            report.calls += 1
            if answer.ok:
                for message, _ in claimed:
                    report.sent += self._record(message["id"], now, answer_json(answer.errcode, answer.errmsg))
                continue
            report.errors.append(f"{robot.name}: {answer.describe()}")
            if answer.throttled:
                pause = PAUSE_SECONDS[robot.name]
                self.outbox.pause(robot.name, now + pause, pause)
                later, error = now + pause, f"{answer.describe()} (发送过快，{pause} 秒后再发)"
            else:
                attempts = max(int(m.get("attempts") or 0) for m, _ in claimed)
                later, error = now + self.backoff(attempts), answer.describe()
            log.warning("alert not taken by the robot", extra={"robot": robot.name, "answer": answer.describe(),
                                                                "alerts": len(claimed)})
            self._put_back(claimed, later, error, attempt=True)
            report.failed += len(claimed)
            self._release_rest(units[i + 1:], later, "", report)
            return

    def _record(self, message_id: str, now: float, answer: str) -> int:
        """Record a message the robot took; kept in memory while Redis is away (1 if recorded now)."""
        try:
            if not self.outbox.finish(message_id, now, answer):
                log.warning("alert was sent a second time", extra={"alert": message_id})
                return 0
            return 1
        except RedisError:
            log.warning("alert sent but not recorded (redis); recorded on the next run", extra={"alert": message_id})
            self.unrecorded.append((message_id, now, answer))
            return 0

    def _record_unrecorded(self) -> None:
        waiting, self.unrecorded = self.unrecorded, []
        for message_id, at, answer in waiting:
            self._record(message_id, at, answer)

    def _send(self, robot: Robot, alerts: list[Any]) -> Answer:
        text = batch_text(self.texts, alerts)
        markdown = alerts[0].markdown if len(alerts) == 1 else ""
        return robot.send(robot.body(text, markdown, mention=any(a.mention for a in alerts)))

    def _put_back(self, claimed: list[tuple[dict[str, Any], str]], at: float, error: str, attempt: bool) -> None:
        for message, token in claimed:
            self.outbox.retry(message["id"], token, at, error, attempt)

    def _release_rest(self, units: list[list[dict[str, Any]]], at: float, error: str, report: Report) -> None:
        """Messages not tried in this run wait until ``at`` (moved without counting an attempt)."""
        for unit in units:
            for message in unit:
                token = self.outbox.claim(message["id"], at, at)
                if token:
                    self.outbox.retry(message["id"], token, at, error, attempt=False)
                    report.waiting += 1
