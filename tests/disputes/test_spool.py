"""The local spool keeps reports made while Redis was away, durably, until they are replayed once."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib

from bot.dev import wire
from bot.disputes import Disputes
from bot.disputes.spool import Spool


def record(i: int) -> dict[str, Any]:
    return {"idem_key": f"k{i}", "openid": "oTESTspool0000000000000000000", "created_at": 1.0 + i,
            "draft": {"description": f"第{i}件"}}


def test_appends_from_many_threads_are_whole_lines(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    threads = [threading.Thread(target=spool.append, args=(record(i),)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r["idem_key"] for r in spool.pending()) == sorted(f"k{i}" for i in range(40))


def test_replay_submits_everything_and_empties_the_spool(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    for i in range(3):
        spool.append(record(i))
    seen: list[str] = []
    assert spool.replay(lambda r: seen.append(r["idem_key"])) == 3
    assert seen == ["k0", "k1", "k2"] and spool.pending() == []
    assert spool.replay(lambda r: seen.append("again")) == 0


def test_a_replay_cut_short_keeps_the_file_for_next_time(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    for i in range(3):
        spool.append(record(i))

    def flaky(r: dict[str, Any]) -> None:
        if r["idem_key"] == "k1":
            raise redis_lib.ConnectionError("gone again")

    with pytest.raises(redis_lib.ConnectionError):
        spool.replay(flaky)
    spool.append(record(3))  # new reports keep arriving meanwhile
    seen: list[str] = []
    assert spool.replay(lambda r: seen.append(r["idem_key"])) == 4
    assert seen == ["k0", "k1", "k2", "k3"]  # k0 again: submit is idempotent, so that is harmless


def test_a_torn_last_line_is_set_aside_not_lost(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.append(record(0))
    with open(tmp_path / "tickets.jsonl", "ab") as f:
        f.write(b'{"idem_key": "k1", "openid": "o')  # the process died mid-write
    seen: list[str] = []
    assert spool.replay(lambda r: seen.append(r["idem_key"])) == 1
    (bad,) = list(tmp_path.glob("*.bad"))
    assert b'"k1"' in bad.read_bytes()


def _dead_redis_disputes(services: Any) -> Disputes:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = redis_lib.Redis(host="127.0.0.1", port=port, socket_timeout=0.2, socket_connect_timeout=0.2,
                           decode_responses=True)
    services.redis = dead
    return Disputes(services)


def test_a_submission_without_redis_is_spooled_then_replayed_once(services: Any, redis_client: Any) -> None:
    live = services.disputes
    down = _dead_redis_disputes(services)
    openid = wire.fake_openid()
    placeholder = down.submit(openid, {"description": "羊被偷了", "village": "东村"}, f"{openid}:d1")
    assert placeholder.spooled and placeholder.id == "" and placeholder.description == "羊被偷了"
    assert json.loads((Path(down.spool.directory) / "tickets.jsonl").read_text())["idem_key"] == f"{openid}:d1"
    assert live.replay_spool() == 1
    again = live.submit(openid, {"description": "羊被偷了"}, f"{openid}:d1")  # the villager confirms again
    (ticket,) = live.for_villager(openid)
    assert ticket.id == again.id and ticket.description == "羊被偷了"
    assert live.replay_spool() == 0
