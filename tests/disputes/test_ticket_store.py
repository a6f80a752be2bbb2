"""Tickets in real Redis: idempotent submission, per-day numbers, indexes, listing without SCAN."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from bot.disputes.tickets import TZ
from bot.dev import wire

REDIS_KINDS = ("single", "cluster")  # run on one server and on a Redis Cluster


def draft(**values: Any) -> dict[str, Any]:
    base = {"kind": "neighbours", "village": "东村", "description": "邻居占了我家地", "phone": "13800000000",
            "contact_pref": "visit", "attachments": []}
    return {**base, **values}


def at(day: int, hour: int = 10) -> float:
    return datetime(2026, 11, day, hour, tzinfo=TZ).timestamp()


def test_a_submission_is_stored_with_everything_the_villager_said(services: Any) -> None:
    openid = wire.fake_openid()
    services.disputes.clock = lambda: at(24)
    ticket = services.disputes.submit(openid, draft(attachments=[{"kind": "voice", "media_id": "V1", "at": 1.0}]),
                                      "k1")
    assert ticket.id == "JF20261124-0001" and not ticket.spooled
    stored = services.disputes.get(ticket.id)
    assert stored == ticket
    assert stored.due_at == at(24) + 48 * 3600 and stored.state == "new"
    assert stored.attachments == [{"kind": "voice", "media_id": "V1", "at": 1.0}]
    assert [h["what"] for h in services.disputes.history(ticket.id)] == ["submitted"]


def test_numbers_restart_each_shanghai_day(services: Any) -> None:
    ids = []
    for day, hour in ((24, 9), (24, 23), (25, 0)):
        services.disputes.clock = lambda d=day, h=hour: at(d, h)
        ids.append(services.disputes.submit(wire.fake_openid(), draft(), f"k{day}{hour}").id)
    assert ids == ["JF20261124-0001", "JF20261124-0002", "JF20261125-0001"]


def test_the_same_idempotency_key_submitted_at_once_is_one_ticket(services: Any) -> None:
    openid, barrier = wire.fake_openid(), threading.Barrier(8)

    def submit(_: int) -> str:
        barrier.wait()
        return str(services.disputes.submit(openid, draft(), f"{openid}:draft1").id)

    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(submit, range(8)))
    assert len(ids) == 1 and len(services.disputes.for_villager(openid)) == 1


def test_invalid_draft_values_are_normalised_not_refused(services: Any) -> None:
    ticket = services.disputes.submit(wire.fake_openid(), draft(kind="aliens", phone="12345", contact_pref="fax",
                                                                 text="用 text 也行", description=""), "k")
    assert (ticket.kind, ticket.phone, ticket.contact_pref, ticket.description) == ("other", "", "none", "用 text 也行")


def _many(services: Any, n: int = 30) -> list[str]:
    ids = []
    for i in range(n):
        services.disputes.clock = lambda i=i: at(1 + i % 20, 10) + i
        ticket = services.disputes.submit(wire.fake_openid(), draft(village=("东村", "西村", "南村")[i % 3],
                                                                     kind=("land", "wages")[i % 2]), f"m{i}")
        ids.append(ticket.id)
    return ids


def test_listing_filters_by_state_village_kind_and_days(services: Any) -> None:
    _many(services)
    d = services.disputes
    d.clock = lambda: at(28)
    page, total = d.list(limit=5)
    assert total == 30 and len(page) == 5
    assert [t.created_at for t in page] == sorted((t.created_at for t in page), reverse=True)
    oldest, _ = d.list(limit=3, oldest_first=True)
    assert oldest[0].created_at == min(t.created_at for t in d.list(limit=100)[0])
    east, n_east = d.list(village="东村", limit=100)
    assert n_east == 10 and {t.village for t in east} == {"东村"}
    east_land, n = d.list(village="东村", kind="land", state="new", limit=100)
    assert n == len(east_land) == 5 and {(t.village, t.kind) for t in east_land} == {("东村", "land")}
    days, n_days = d.list(since=at(5, 0), until=at(7, 0), limit=100)
    assert n_days == len(days) and all(at(5, 0) <= t.created_at <= at(7, 0) for t in days) and n_days >= 2
    second_page, _ = d.list(village="东村", offset=5, limit=5)
    assert {t.id for t in second_page}.isdisjoint({t.id for t in east[:5]})


def test_overdue_lists_unanswered_tickets_past_their_promised_time(services: Any) -> None:
    d = services.disputes
    d.clock = lambda: at(1)
    late = d.submit(wire.fake_openid(), draft(), "late")
    answered = d.submit(wire.fake_openid(), draft(), "answered")
    d.clock = lambda: at(4)
    fresh = d.submit(wire.fake_openid(), draft(), "fresh")
    d.schedule_visit(answered.id, "调解员王五", "明天上午")
    assert [t.id for t in d.list(overdue=True)[0]] == [late.id]
    assert {t.id for t in d.list(overdue=False)[0]} == {answered.id, fresh.id}
    assert d.list(overdue=True, village="西村")[1] == 0


def test_counts_by_state_follow_every_change(services: Any) -> None:
    ids = _many(services, 6)
    d = services.disputes
    d.claim(ids[0], "王五")
    d.claim(ids[1], "王五")
    d.transition(ids[1], "mediating", "王五")
    d.transition(ids[2], "referred", "赵六", outcome="转派出所")
    assert d.counts_by_state() == {"new": 3, "claimed": 1, "mediating": 1, "resolved": 0, "referred": 1, "closed": 0}
    assert d.get(ids[2]).referred_to == "派出所"


def test_listing_ten_thousand_tickets_never_scans(services: Any, redis_client: Any) -> None:
    keys, d = services.keys, services.disputes
    pipe = redis_client.pipeline(transaction=False)
    for i in range(10000):  # bulk-load index entries the way submit writes them
        ticket_id = f"JF20260101-{i:05d}"
        pipe.hset(keys.ticket(ticket_id), mapping={"id": ticket_id, "openid": "o", "state": "new",
                                                   "village": "东村", "kind": "land", "created_at": i, "rev": 0,
                                                   "attachments": json.dumps([])})
        for name, value in (("state", "new"), ("village", "东村"), ("kind", "land"), ("created", "")):
            pipe.zadd(keys.ticket_index(name, value), {ticket_id: i})
    pipe.execute()
    redis_client.config_resetstat()
    page, total = d.list(state="new", village="东村", kind="land", limit=50)
    assert total == 10000 and page[0].id == "JF20260101-09999" and len(page) == 50
    stats = redis_client.info("commandstats")
    assert not any(name.startswith(("cmdstat_scan", "cmdstat_keys")) for name in stats)
    assert not redis_client.keys(keys.ticket_tmp("*"))  # scratch sets are deleted
