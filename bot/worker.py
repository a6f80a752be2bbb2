"""The scheduled process, ``pufabot worker``: the weekly post and the housekeeping (no Flask).

It is its own process, next to the web workers (gunicorn) and built from the same services. Every
``interval`` seconds (60) it runs each job whose time has come, one after the other:

- ``weekly-post``: ``services.posts.run_due(now)``. The post goes out at ``[posts] weekday`` /
  ``time`` in ``[posts] timezone`` (the job is due from then until the next week's time, so a
  worker that was down catches up); failed attempts are retried with back-off. The publisher
  guarantees one publication per week, so several workers (or hosts) may run at once.
- ``reclaim-abandoned``, ``replay-spool`` and ``archive-media``: ``services.disputes``'s
  ``reclaim_abandoned()``, ``replay_spool()`` and ``media.archive_recent()``.
- ``replay-inbound``: messages kept while Redis was away are handled in order and answered by
  customer-service message (``bot.wechat.inbound``).
- ``send-alerts``: ``services.notifier.run(now)``: alerts to the work group that time made due
  (overdue tickets, the daily digest) are queued, and every due alert is sent (``bot.notify``);
  a worker killed mid-send leaves a lease that runs out, and the next run sends the alert.
- a heartbeat in Redis (``{worker}:heartbeats``, field ``<host>:<pid>``) that ``pufabot posts
  status`` shows; a beat older than 3 intervals means that worker is gone.

Guarantees: a failing job is logged at ERROR with its traceback and the loop goes on (the next
run tries again). The first SIGTERM/SIGINT asks for a warm shutdown: the job in progress finishes,
then the worker exits 0. A second one is a cold shutdown: ``SystemExit`` is raised at once,
interrupting the job; whatever it had recorded stays recorded (the publisher resumes from its record,
its lock expires after 5 minutes).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)
INTERVAL = 60.0


@dataclass
class Job:
    name: str
    run: Callable[[float], Any]
    every: float = INTERVAL
    next_at: float = 0.0


class Worker:
    def __init__(self, services: Services, clock: Callable[[], float] = time.time, interval: float = INTERVAL):
        self.services = services
        self.clock = clock
        self.interval = interval
        self.jobs = default_jobs(services, interval)
        self.stop_requested = threading.Event()
        self.signals = 0
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.started_at = clock()

    # -- the loop ---------------------------------------------------------------------------------
    def run(self, max_ticks: int | None = None) -> None:
        """Run until asked to stop (or ``max_ticks`` passes, for tests)."""
        self.install_signal_handlers()
        log.info("worker started", extra={"worker": self.name, "jobs": [j.name for j in self.jobs]})
        ticks = 0
        while not self.stop_requested.is_set():
            self.tick()
            ticks += 1
            if max_ticks is not None and ticks >= max_ticks:
                break
            self.stop_requested.wait(self.interval)
        self._clear_heartbeat()
        log.info("worker stopped (warm shutdown)" if self.signals else "worker stopped", extra={"worker": self.name})

    def tick(self) -> list[str]:
        """Run every job that is due now; the names of the jobs run. Never raises for a job's failure."""
        now = self.clock()
        ran = []
        for job in self.jobs:
            if self.stop_requested.is_set():
                break
            if now < job.next_at:
                continue
            job.next_at = now + job.every
            ran.append(job.name)
            self._run_job(job, now)
        self._heartbeat(now)
        return ran

    def _run_job(self, job: Job, now: float) -> None:
        started = time.monotonic()
        try:
            result = job.run(now)
        except Exception:  # noqa: BLE001 - the loop must survive any job; logged with traceback
            log.exception("worker job failed", extra={"job": job.name})
            return
        took = round(time.monotonic() - started, 3)
        quiet = result in (None, 0) or getattr(result, "action", "") in ("already", "waiting", "missed", "skipped")
        level = logging.DEBUG if quiet else logging.INFO
        log.log(level, "worker job done", extra={"job": job.name, "result": _describe(result), "seconds": took})

    # -- signals: first warm, second cold ----------------------------------------------------------
    def install_signal_handlers(self) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.request_stop)
            signal.signal(signal.SIGINT, self.request_stop)

    def request_stop(self, signum: int = signal.SIGTERM, frame: Any = None) -> None:
        self.signals += 1
        if self.signals == 1:
            log.warning("warm shutdown requested: finishing the current job", extra={"signal": signum})
            self.stop_requested.set()
            return
        log.warning("cold shutdown: stopping now", extra={"signal": signum})
        raise SystemExit(1)

    # -- heartbeat ----------------------------------------------------------------------------------
    def _heartbeat(self, now: float) -> None:
        beat = json.dumps({"name": self.name, "started_at": self.started_at, "last_tick": now,
                           "interval": self.interval})
        try:
            self.services.redis.hset(self.services.keys.worker("heartbeats"), self.name, beat)
        except Exception:  # noqa: BLE001 - Redis down: the jobs already logged it
            log.warning("worker heartbeat not written", exc_info=True)

    def _clear_heartbeat(self) -> None:
        try:
            self.services.redis.hdel(self.services.keys.worker("heartbeats"), self.name)
        except Exception:  # noqa: BLE001 - best effort; a stale beat ages out of ``heartbeats``
            pass


def default_jobs(services: Services, interval: float = INTERVAL) -> list[Job]:
    disputes = services.disputes
    return [
        Job("weekly-post", services.posts.run_due, interval),
        Job("reclaim-abandoned", lambda now: disputes.reclaim_abandoned(), interval),
        Job("replay-spool", lambda now: disputes.replay_spool(), interval),
        Job("archive-media", lambda now: disputes.media.archive_recent(disputes, now), interval),
        Job("replay-inbound", lambda now: services.inbound.replay(services), interval),
        Job("send-alerts", lambda now: services.notifier.run(now).summary(), interval),
    ]


def heartbeats(redis: Any, keys: Any, now: float | None = None) -> list[dict[str, Any]]:
    """The workers alive now: a beat within 3 intervals (older beats of killed workers are dropped)."""
    now = time.time() if now is None else now
    alive: list[dict[str, Any]] = []
    stale: list[str] = []
    for name, raw in redis.hgetall(keys.worker("heartbeats")).items():
        beat = json.loads(raw)
        if now - float(beat["last_tick"]) <= 3 * float(beat["interval"]):
            alive.append(beat)
        else:
            stale.append(name)
    if stale:
        redis.hdel(keys.worker("heartbeats"), *stale)
    return alive


def _describe(result: Any) -> Any:
    if hasattr(result, "action"):
        record = getattr(result, "record", {}) or {}
        return {"action": result.action, "week": record.get("week", ""), "slug": record.get("slug", "")}
    return result
