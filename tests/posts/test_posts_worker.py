"""``pufabot worker``: the weekly job at its time, housekeeping, a loop that survives, real signals."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from bot.worker import Job, Worker, heartbeats
from tests.conftest import APPID, APPSECRET, EXAMPLE_CONFIG
from tests.processes import workers
from tests.posts.conftest import TZ, at


REDIS_KINDS = ("single", "cluster")  # run on one server and on a Redis Cluster



class Clock:
    """The patched clock: tests move it by hand."""

    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_the_weekly_job_runs_at_its_time_each_week(services: Any, standin: Any) -> None:
    clock = Clock(at("2026-03-01 23:00"))  # a Sunday night
    worker = Worker(services, clock=clock)
    assert worker.tick() == ["weekly-post", "reclaim-abandoned", "replay-spool", "archive-media", "replay-inbound",
                            "send-alerts"]
    for now in ("2026-03-02 08:58", "2026-03-02 08:59:30"):
        clock.now = at(now)
        worker.tick()
    assert standin.state.mass_sends == []
    clock.now = at("2026-03-02 09:00:45")
    assert "weekly-post" in worker.tick()
    assert len(standin.state.mass_sends) == 1
    for now in ("2026-03-02 09:02", "2026-03-03 09:00", "2026-03-08 23:59"):
        clock.now = at(now)
        worker.tick()
    assert len(standin.state.mass_sends) == 1
    standin.state.advance(7 * 86400)  # the stand-in's day quota follows its own clock
    clock.now = at("2026-03-09 09:00:10")
    worker.tick()
    assert [s["clientmsgid"] for s in standin.state.mass_sends] == ["weekly-2026-03-02", "weekly-2026-03-09"]


def test_a_job_runs_again_only_after_its_interval(services: Any, standin: Any) -> None:
    clock = Clock(at("2026-03-01 12:00"))
    worker = Worker(services, clock=clock, interval=60)
    assert len(worker.tick()) == len(worker.jobs)
    clock.now += 59
    assert worker.tick() == []
    clock.now += 1
    assert len(worker.tick()) == len(worker.jobs)


def test_a_failing_job_never_kills_the_loop(services: Any, standin: Any, caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock(at("2026-03-02 09:00"))
    worker = Worker(services, clock=clock, interval=0.01)

    def broken(now: float) -> None:
        raise RuntimeError("injected failure")

    worker.jobs.insert(0, Job("broken", broken, every=0))
    standin.state.fail_next("material/add_material", -1)  # and the weekly post fails once too
    with caplog.at_level(logging.INFO):
        worker.run(max_ticks=3)
    failures = [r for r in caplog.records if r.getMessage() == "worker job failed"]
    assert [r.job for r in failures] == ["broken"] * 3  # type: ignore[attr-defined]
    assert all(r.exc_info or getattr(r, "exc_text", None) for r in failures)
    assert services.posts.alerts()[0]["kind"] == "retry"  # the post's failure was recorded, not raised
    clock.now += 61
    worker.tick()
    assert len(standin.state.mass_sends) == 1


def test_housekeeping_calls_the_dispute_queue(services: Any, standin: Any) -> None:
    if services.disputes is None:
        pytest.skip("the dispute queue is not built")
    worker = Worker(services, clock=Clock(at("2026-03-01 12:00")))
    names = [job.name for job in worker.jobs]
    assert names == ["weekly-post", "reclaim-abandoned", "replay-spool", "archive-media", "replay-inbound",
                     "send-alerts"]
    assert worker.tick() == names


def test_the_first_stop_request_is_warm_and_the_second_cold(services: Any, standin: Any) -> None:
    worker = Worker(services, clock=Clock(at("2026-03-01 12:00")), interval=0.05)
    thread = threading.Thread(target=worker.run)
    thread.start()
    time.sleep(0.2)
    worker.request_stop()
    thread.join(timeout=5)
    assert not thread.is_alive()
    with pytest.raises(SystemExit):
        worker.request_stop()


def test_the_heartbeat_shows_a_running_worker(services: Any, standin: Any) -> None:
    now = time.time()
    worker = Worker(services, clock=lambda: now)
    worker.tick()
    beats = heartbeats(services.redis, services.keys, now)
    assert [b["name"] for b in beats] == [worker.name]
    assert heartbeats(services.redis, services.keys, now + 181) == []  # gone quiet: dropped


# -- the real process -------------------------------------------------------------------------------
def real_now() -> dt.datetime:
    """The wall clock a subprocess sees, also while this suite runs with its clock moved
    (``PUFABOT_TEST_NOW``, tests/conftest.py): time-machine moves this process only."""
    import time_machine

    if time_machine.escape_hatch.is_travelling():
        return dt.datetime.fromtimestamp(time_machine.escape_hatch.time.time(), TZ)
    return dt.datetime.now(TZ)


@pytest.fixture
def worker_env(redis_url: str, redis_client: Any, standin: Any, tmp_path: Path) -> dict[str, str]:
    """Environment of a ``pufabot worker`` whose weekly post fell due a minute ago (empty Redis)."""
    due = real_now() - dt.timedelta(minutes=1)  # the worker process runs on the real clock
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUFABOT_")}
    env.update({
        "PUFABOT_CONFIG": str(EXAMPLE_CONFIG), "REDIS_URL": redis_url, "WECHAT_APPID": APPID,
        "WECHAT_APPSECRET": APPSECRET, "PUFABOT_WECHAT__API_BASE_URL": standin.url,
        "PUFABOT_WECHAT__REQUEST_TIMEOUT": "30", "PUFABOT_BOT__SPOOL_DIR": str(tmp_path / "spool"),
        "PUFABOT_POSTS__WEEKDAY": str(due.weekday()), "PUFABOT_POSTS__TIME": due.strftime("%H:%M"),
        "PUFABOT_LOG__JSON": "false",
    })
    return env


@pytest.fixture
def start_worker(worker_env: dict[str, str]) -> Iterator[Any]:
    with workers(worker_env) as start:
        yield start


def wait_for(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.slow
def test_sigterm_lets_the_job_in_progress_finish(start_worker: Any, standin: Any) -> None:
    standin.state.hang_next("material/add_material", 2.0)
    proc = start_worker()
    wait_for(lambda: standin.state.calls_to("material/add_material"))
    signalled = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, output
    assert time.monotonic() - signalled > 1.0  # it waited for WeChat's answer...
    assert len(standin.state.mass_sends) == 1  # ...and finished the week's post
    assert "warm shutdown" in output


@pytest.mark.slow
def test_a_second_sigterm_stops_at_once(start_worker: Any, standin: Any) -> None:
    standin.state.hang_next("material/add_material", 30.0)
    proc = start_worker()
    wait_for(lambda: standin.state.calls_to("material/add_material"))
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    signalled = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=10)
    assert time.monotonic() - signalled < 5
    assert proc.returncode == 1 and "cold shutdown" in output
    assert standin.state.mass_sends == []
