"""Staff take tickets from the stream queue: one claim wins, releases and abandoned claims return."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bot.disputes import TicketError
from bot.dev import wire

REDIS_KINDS = ("single", "cluster")  # run on one server and on a Redis Cluster


def new_ticket(services: Any, key: str = "k") -> Any:
    return services.disputes.submit(wire.fake_openid(), {"kind": "wages", "village": "东村",
                                                          "description": "工钱不给"}, key)


def test_two_staff_clicking_claim_at_once_exactly_one_wins(services: Any) -> None:
    d = services.disputes
    for round_ in range(15):
        ticket = new_ticket(services, f"k{round_}")
        barrier = threading.Barrier(2)

        def claim(staff: str) -> bool:
            barrier.wait()  # noqa: B023 - called within this iteration
            return bool(d.claim(ticket.id, staff))  # noqa: B023

        with ThreadPoolExecutor(2) as pool:
            results = dict(zip(("王五", "赵六"), pool.map(claim, ("王五", "赵六"))))
        assert sorted(results.values()) == [False, True]
        winner = next(staff for staff, won in results.items() if won)
        stored = d.get(ticket.id)
        assert stored.state == "claimed" and stored.claimed_by == winner
        assert [h["who"] for h in d.history(ticket.id) if h["what"] == "claimed"] == [winner]
        assert d.queue.holders()[ticket.id] == winner


def test_claiming_again_is_harmless_and_a_release_puts_it_back(services: Any) -> None:
    d = services.disputes
    ticket = new_ticket(services)
    assert d.claim(ticket.id, "王五") and d.claim(ticket.id, "王五")
    d.release(ticket.id, "王五")
    stored = d.get(ticket.id)
    assert (stored.state, stored.claimed_by, stored.claimed_at) == ("new", "", None)
    assert d.queue.holders()[ticket.id] == "queue"
    assert d.claim(ticket.id, "赵六")
    with pytest.raises(TicketError):
        d.release(new_ticket(services, "other").id, "赵六")  # not claimed


def test_an_abandoned_claim_returns_to_the_queue(services: Any) -> None:
    d = services.disputes
    d.queue.claim_timeout = 1
    idle, busy, untouched = new_ticket(services, "a"), new_ticket(services, "b"), new_ticket(services, "c")
    d.claim(idle.id, "王五")
    d.claim(busy.id, "赵六")
    time.sleep(0.7)
    d.add_note(busy.id, "赵六", "已电话联系双方")  # activity resets the clock
    time.sleep(0.5)
    assert d.reclaim_abandoned() == 1
    assert d.get(idle.id).state == "new" and d.get(idle.id).claimed_by == ""
    assert d.get(busy.id).claimed_by == "赵六" and d.get(untouched.id).state == "new"
    assert d.history(idle.id)[-1]["what"] == "returned_to_queue"
    holders = d.queue.holders()
    assert holders[idle.id] == "queue" and holders[busy.id] == "赵六"
    assert d.claim(idle.id, "赵六")  # anyone may take it now


def test_mediation_acknowledges_the_stream_entry(services: Any) -> None:
    d = services.disputes
    ticket = new_ticket(services)
    d.claim(ticket.id, "王五")
    d.transition(ticket.id, "mediating", "王五", note="约了周五到村委会")
    assert ticket.id not in d.queue.holders()
    d.queue.claim_timeout = 0
    assert d.reclaim_abandoned() == 0 and d.get(ticket.id).state == "mediating"


def test_outcomes_are_checked_and_recorded(services: Any) -> None:
    d = services.disputes
    ticket = new_ticket(services)
    d.claim(ticket.id, "王五")
    with pytest.raises(TicketError):
        d.transition(ticket.id, "resolved", "王五", outcome="转法院")
    with pytest.raises(TicketError):
        d.transition(ticket.id, "referred", "王五", outcome="调解成功")
    done = d.transition(ticket.id, "resolved", "王五", note="双方签了协议", outcome="调解成功")
    assert (done.state, done.outcome) == ("resolved", "调解成功") and done.resolved_at and done.first_response_at
    closed = d.close(ticket.id, "王五")
    assert closed.closed_at and closed.state == "closed"
    with pytest.raises(TicketError):
        d.transition(ticket.id, "mediating", "王五")
    steps = [(h["what"], h.get("from"), h.get("to")) for h in d.history(ticket.id)]
    assert steps[:4] == [("submitted", None, None), ("claimed", None, None), ("state", "claimed", "resolved"),
                         ("state", "resolved", "closed")]


def test_unknown_tickets_are_reported_not_invented(services: Any) -> None:
    with pytest.raises(TicketError):
        services.disputes.claim("JF20200101-0001", "王五")
    assert services.disputes.get("JF20200101-0001") is None
