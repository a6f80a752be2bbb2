"""Alerts to the township's work group (企业微信/政务微信, 钉钉 group robots): ``Notifier``.

Staff live in their phones' work groups, not in the console. ``[notify]`` in the config names the
robots and which events go to which (``bot.config.NotifyConfig``):
- ``ticket_created`` (called where a ticket is made, ``bot.disputes``): an urgent item, a new report
  or a new consultation is queued in the Redis outbox (``bot.notify.outbox``) at once, and the web
  process sends it in a background thread (``kick``: never in the villager's request);
- ``run(now)`` (the worker's ``send-alerts`` job, every interval): queues what is due by time (a
  ticket past its promised response time without a response; the daily digest at ``digest_time``,
  Beijing time), queues again any ticket of the last hours whose alert was not queued (a process
  killed between making the ticket and queueing), then sends everything due (``bot.notify.delivery``).
Queueing is idempotent per event, so the web process, the worker and several hosts may all do it.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any, Callable

from redis.exceptions import RedisError

from bot.config import Config
from bot.disputes.store import TicketStore
from bot.disputes.tickets import OPEN_STATES, TZ, Ticket, day_of
from bot.notify.compose import Alert, digest_alert, event_of, ticket_alert, trial_alert
from bot.notify.delivery import Delivery, Report
from bot.notify.outbox import Outbox
from bot.notify.robots import Answer, configured
from bot.store.keys import Keys
from bot.texts import Texts

__all__ = ["Notifier", "Report"]
log = logging.getLogger(__name__)
SWEEP_SECONDS = 2 * 3600  # tickets this recent get their alert queued again if it is missing
OVERDUE_LOOKBACK = 7 * 86400  # overdue alerts for tickets whose promise passed this recently


class Notifier:
    def __init__(self, config: Config, redis: Any, keys: Keys, texts: Texts):
        self.config = config.notify
        self.console_url = config.notify.console_url or config.web.public_url
        self.texts = texts
        self.keys = keys
        self.redis = redis
        self.outbox = Outbox(redis, keys)
        self.tickets = TicketStore(redis, keys)
        self.robots = configured(config.notify)
        self.delivery = Delivery(self.outbox, self.robots, config.notify, texts)
        self.clock: Callable[[], float] = time.time
        self._kick_lock = threading.Lock()
        self._kick_again = False
        self._kicking = False

    @property
    def enabled(self) -> bool:
        return bool(self.robots)

    def robots_for(self, event: str) -> list[str]:
        return [name for name in getattr(self.config, event) if name in self.robots]

    # -- events -----------------------------------------------------------------------------------
    def queue(self, alert: Alert, now: float) -> int:
        """Queue ``alert`` for every robot its event goes to; how many messages were new."""
        return sum(self.outbox.enqueue(alert, robot, now) for robot in self.robots_for(alert.event))

    def ticket_created(self, ticket: Ticket, urgent_kind: str = "", kick: bool = True) -> None:
        """A ticket was made: its alert is queued (and sent at once from here when configured).
        Never raises: a failure is logged and the worker's sweep queues it later."""
        if not self.enabled or not ticket.id:
            return
        try:
            event = event_of(ticket)
            new = self.queue(ticket_alert(self.texts, ticket, event, self.console_url, urgent_kind), self.clock())
        except RedisError:
            log.warning("alert not queued (redis); the worker's sweep will", extra={"ticket": ticket.id})
            return
        except Exception:  # noqa: BLE001 - a villager's report must never fail for its alert
            log.exception("alert not queued", extra={"ticket": ticket.id})
            return
        if new and kick and self.config.send_from_web:
            self.kick()

    # -- the web process: send now, in the background ------------------------------------------------
    def kick(self) -> None:
        """Send what is due in a background thread (one at a time per process; a kick while one
        runs makes it run once more)."""
        with self._kick_lock:
            if self._kicking:
                self._kick_again = True
                return
            self._kicking = True
        threading.Thread(target=self._kicked, name="alerts-sender", daemon=True).start()

    def _kicked(self) -> None:
        while True:
            try:
                self.delivery.run(self.clock())
            except Exception:  # noqa: BLE001 - the worker sends it later; a background thread must not die loudly
                log.warning("sending alerts from the web process failed; the worker will", exc_info=True)
            with self._kick_lock:
                if not self._kick_again:
                    self._kicking = False
                    return
                self._kick_again = False

    # -- the worker's job ------------------------------------------------------------------------
    def run(self, now: float) -> Report:
        """Queue what time made due, then send every due message (the worker calls it)."""
        if not self.enabled:
            return Report()
        self.sweep(now)
        self.queue_overdue(now)
        self.queue_digest(now)
        self.outbox.trim(now)
        return self.delivery.run(now)

    def sweep(self, now: float) -> int:
        """Tickets made in the last hours whose alert is missing get it now; how many."""
        ids = self.redis.zrange(self.keys.ticket_index("created"), repr(now - SWEEP_SECONDS), repr(now),
                                byscore=True)
        new = 0
        for ticket in self.tickets.get_many(ids):
            new += self.queue(ticket_alert(self.texts, ticket, event_of(ticket), self.console_url), now)
        return new

    def queue_overdue(self, now: float) -> int:
        """One alert per open ticket whose promised response time passed without a response."""
        if not self.robots_for("overdue"):
            return 0
        ids = self.redis.zrange(self.keys.ticket_index("awaiting"), repr(now - OVERDUE_LOOKBACK), repr(now),
                                byscore=True)
        new = 0
        for ticket in self.tickets.get_many(ids):
            if ticket.overdue(now):
                new += self.queue(ticket_alert(self.texts, ticket, "overdue", self.console_url), now)
        return new

    def queue_digest(self, now: float) -> bool:
        """Today's digest, once, from ``digest_time`` (Beijing time) on."""
        if not self.robots_for("digest"):
            return False
        local = datetime.fromtimestamp(now, TZ)
        hour, minute = (int(part) for part in self.config.digest_time.split(":"))
        if local < local.replace(hour=hour, minute=minute, second=0, microsecond=0):
            return False
        return bool(self.queue(digest_alert(self.texts, day_of(now), self.counts(now), self.console_url), now))

    def counts(self, now: float) -> dict[str, int]:
        """The digest's figures: new in the last 24 hours, overdue, unanswered, urgent and open."""
        k, r = self.keys, self.redis
        created = k.ticket_index("created")
        open_ids: list[str] = []
        for state in OPEN_STATES:
            open_ids += r.zrange(k.ticket_index("state", state.value), 0, -1)
        return {"new": int(r.zcount(created, repr(now - 86400), repr(now))),
                "overdue": int(r.zcount(k.ticket_index("awaiting"), "-inf", repr(now))),
                "unanswered": int(r.zcard(k.ticket_index("awaiting"))),
                "urgent_open": sum(1 for t in self.tickets.get_many(open_ids) if t.urgent)}

    # -- operators ---------------------------------------------------------------------------------
    def test(self) -> dict[str, Answer]:
        """Send a test message to every configured robot now (not through the outbox): the answers."""
        alert = trial_alert(self.texts)
        return {name: robot.send(robot.body(alert.text)) for name, robot in self.robots.items()}

    def next_digest(self, now: float) -> float:
        """When the next digest is queued (for the console page)."""
        local = datetime.fromtimestamp(now, TZ)
        hour, minute = (int(part) for part in self.config.digest_time.split(":"))
        at = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
        return (at if at > local else at + timedelta(days=1)).timestamp()
