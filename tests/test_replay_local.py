"""This host's captured-URL record while Redis is away (bot/store/replay_local.py): one body per
signed URL across the host's worker processes, for as long as the URL is accepted, in bounded space."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

from bot.store.replay_local import HostReplays

URL = "t:replay:1765150000:48151623"


def test_the_first_body_wins_and_its_retry_still_passes(tmp_path: Path) -> None:
    record = HostReplays(tmp_path / "replay", ttl=600)
    assert not record.conflicts(URL, "genuine"), "nothing recorded yet: nothing to refuse"
    assert record.admit(URL, "genuine")
    assert record.admit(URL, "genuine"), "WeChat's retry of the same push"
    assert not record.admit(URL, "forged")
    assert record.conflicts(URL, "forged") and not record.conflicts(URL, "genuine")
    assert oct((tmp_path / "replay").stat().st_mode & 0o777) == "0o700"


def _admit_in_a_worker(directory: str, digest: str, results: Any) -> None:
    results.put((digest, HostReplays(Path(directory), ttl=600).admit(URL, digest)))


def test_two_worker_processes_racing_with_different_bodies_admit_one(tmp_path: Path) -> None:
    for attempt in range(5):
        directory = tmp_path / f"replay{attempt}"
        results: Any = multiprocessing.Queue()
        ctx = multiprocessing.get_context("fork")
        workers = [ctx.Process(target=_admit_in_a_worker, args=(str(directory), d, results)) for d in ("a", "b")]
        for w in workers:
            w.start()
        for w in workers:
            w.join(10)
        outcome = dict(results.get(timeout=5) for _ in workers)
        assert sorted(outcome.values()) == [False, True], outcome


def test_a_record_lives_as_long_as_the_signed_url_is_accepted(tmp_path: Path) -> None:
    record = HostReplays(tmp_path / "replay", ttl=600)
    assert record.admit(URL, "genuine")
    (path,) = (tmp_path / "replay").iterdir()
    old = time.time() - 601
    os.utime(path, (old, old))  # the URL's timestamp has left the window: the signature check refuses it now
    assert not record.conflicts(URL, "other")
    assert record.admit(URL, "other")


def test_a_flood_of_signed_urls_is_refused_beyond_the_bound_not_let_through(tmp_path: Path) -> None:
    record = HostReplays(tmp_path / "replay", ttl=600, max_records=5)
    assert all(record.admit(f"{URL}:{n}", "body") for n in range(5))
    assert not record.admit(f"{URL}:new", "body")
    assert record.admit(f"{URL}:3", "body"), "a retry of a recorded push still passes"
    assert len(list((tmp_path / "replay").iterdir())) == 5
