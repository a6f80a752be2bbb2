"""The bot's own counters (questions per topic, unanswered questions, menu use...), batched.

Counting must not cost the webhook a Redis round trip, so counts gather in memory and a daemon
thread flushes them every few seconds in one pipeline (and once more at exit). A worker killed
with SIGKILL loses at most one interval of counts; the report says "about".

Layout: one hash per day ``stats:day:<YYYY-MM-DD>`` with fields ``<metric>|<label>``; unanswered
questions (already masked by the caller) in the capped list ``stats:unanswered`` as JSON.
"""

from __future__ import annotations

import atexit
import json
import logging
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from bot.store import forks
from bot.store.keys import Keys

log = logging.getLogger(__name__)
UNANSWERED_KEEP = 5000


class BufferedCounters:
    def __init__(self, redis: Any, keys: Keys, tz: str = "Asia/Shanghai", interval: float = 2.0):
        self.redis = redis
        self.keys = keys
        self.tz = ZoneInfo(tz)
        self.interval = interval
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()
        self._unanswered: list[str] = []
        self._thread: threading.Thread | None = None
        self._thread_process = -1  # the process whose flush thread runs (a forked worker starts its own)
        self._flush_lock: Any = None
        self._flush_lock_process = -1
        self._stop = threading.Event()
        self._day_cache: tuple[float, float, str] = (0.0, 0.0, "")

    def day(self, ts: float | None = None) -> str:
        """The local calendar day of ``ts`` (cached: this runs on every message)."""
        ts = time.time() if ts is None else ts
        start, end, day = self._day_cache
        if start <= ts < end:
            return day
        local = datetime.fromtimestamp(ts, self.tz)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        day = midnight.strftime("%Y-%m-%d")
        self._day_cache = (midnight.timestamp(), (midnight + timedelta(days=1)).timestamp(), day)
        return day

    def add(self, items: Iterable[tuple[str, str] | tuple[str, str, int]], ts: float | None = None) -> None:
        """Count ``(metric, label)`` once, or ``(metric, label, n)`` n times, on the day of ``ts``."""
        if not items:
            return
        day = self.day(ts)
        with self._lock:
            for metric, label, *n in items:
                self._counts[(day, f"{metric}|{label}")] += n[0] if n else 1
                if metric == "unanswered" and label:
                    self._unanswered.append(json.dumps({"day": day, "q": label}, ensure_ascii=False))
        self._ensure_thread()

    def flush(self) -> None:
        """Write the counts so far. Returns only once they, and those of a flush another thread
        had in flight, are in Redis: a report read right after a flush sees every count."""
        with self._flushing():
            self._flush()

    def _flushing(self) -> Any:
        """This process's flush lock, made in the process on first use (see ``_ensure_thread``:
        under the gevent worker it must be a greenlet lock, since it is held across Redis I/O)."""
        process = forks.generation()
        if self._flush_lock_process != process:
            with self._lock:
                if self._flush_lock_process != process:
                    self._flush_lock, self._flush_lock_process = threading.Lock(), process
        return self._flush_lock

    def _flush(self) -> None:
        with self._lock:
            counts, self._counts = self._counts, Counter()
            unanswered, self._unanswered = self._unanswered, []
        if not counts and not unanswered:
            return
        try:
            pipe = self.redis.pipeline(transaction=False)
            for (day, field), n in counts.items():
                pipe.hincrby(self.keys.stats(f"day:{day}"), field, n)
            if unanswered:
                pipe.lpush(self.keys.stats("unanswered"), *unanswered)
                pipe.ltrim(self.keys.stats("unanswered"), 0, UNANSWERED_KEEP - 1)
            pipe.execute()
        except Exception:  # Redis down: keep the counts for the next flush
            log.warning("counter flush failed; will retry", exc_info=True)
            with self._lock:
                self._counts.update(counts)
                self._unanswered[:0] = unanswered

    def _ensure_thread(self) -> None:
        """Start this process's flush thread, once. Its thread and stop event are made here, in the
        process that uses them: in gunicorn's gevent worker that is after monkey-patching, so they
        are greenlets (an Event made before the fork would block the whole worker while it waits).
        ``_lock`` is never held across the start: a greenlet switch inside it would deadlock."""
        process = forks.generation()
        if self._thread_process == process:
            return
        with self._lock:
            if self._thread_process == process:
                return
            self._thread_process = process
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="counter-flush", daemon=True)
        self._thread.start()
        atexit.register(self.flush)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush()

    def close(self) -> None:
        self._stop.set()
        self.flush()

    def read_days(self, days: Iterable[str]) -> dict[str, dict[str, int]]:
        pipe = self.redis.pipeline(transaction=False)
        days = list(days)
        for day in days:
            pipe.hgetall(self.keys.stats(f"day:{day}"))
        return {d: {k: int(v) for k, v in h.items()} for d, h in zip(days, pipe.execute())}

    def unanswered(self, limit: int = 200) -> list[dict[str, str]]:
        return [json.loads(x) for x in self.redis.lrange(self.keys.stats("unanswered"), 0, limit - 1)]
