"""The bot's own counters: batched in memory, written to Redis in one pipeline, never lost to a race."""

from __future__ import annotations

import threading
import time
from typing import Any

from bot.store.counters import BufferedCounters
from bot.store.keys import Keys


class SlowPipelines:
    """A Redis client whose pipelines take their time to execute (a busy server, a slow network)."""

    def __init__(self, redis: Any, delay: float):
        self.redis, self.delay = redis, delay
        self.executing = threading.Event()

    def pipeline(self, transaction: bool = False) -> Any:
        pipe = self.redis.pipeline(transaction=transaction)
        execute = pipe.execute

        def slow_execute() -> Any:
            self.executing.set()
            time.sleep(self.delay)
            return execute()

        pipe.execute = slow_execute
        return pipe


def test_a_flush_waits_for_one_another_thread_has_in_flight(redis_client: Any) -> None:
    """The report flushes, then reads: counts the background thread was writing must be in it."""
    slow = SlowPipelines(redis_client, delay=0.3)
    counters = BufferedCounters(slow, Keys("t"), interval=3600)
    counters.add([("faq", "wages"), ("post_reach", "weekly", 40)], ts=1_780_000_000)
    background = threading.Thread(target=counters.flush)  # as the flush thread does every few seconds
    background.start()
    assert slow.executing.wait(5)
    counters.flush()  # the report's flush: nothing new to write, but it must not return early
    day = counters.day(1_780_000_000)
    assert redis_client.hgetall(Keys("t").stats(f"day:{day}")) == {"faq|wages": "1", "post_reach|weekly": "40"}
    background.join()


def test_counts_with_amounts_add_up(redis_client: Any) -> None:
    counters = BufferedCounters(redis_client, Keys("t"), interval=3600)
    counters.add([("post_reach", "a", 5), ("post_reach", "a", 7), ("faq", "b")], ts=1_780_000_000)
    counters.flush()
    day = counters.day(1_780_000_000)
    assert counters.read_days([day])[day] == {"post_reach|a": 12, "faq|b": 1}


def test_a_forked_worker_runs_its_own_flush_thread(redis_client: Any) -> None:
    """gunicorn forks workers from a master that may have counted already: each needs its own thread."""
    import os

    counters = BufferedCounters(redis_client, Keys("t"), interval=3600)
    counters.add([("faq", "parent")], ts=1_780_000_000)
    parent_thread = counters._thread
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            counters.add([("faq", "child")], ts=1_780_000_000)
            ok = counters._thread is not parent_thread and counters._thread is not None and counters._thread.is_alive()
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"
    assert counters._thread is parent_thread and parent_thread is not None and parent_thread.is_alive()
    counters.close()
