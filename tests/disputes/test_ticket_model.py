"""The ticket model: ids, states, outcomes and the hash round trip (pure)."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.disputes.tickets import (KINDS, TRANSITIONS, TZ, Outcome, Ticket, TicketError, TicketState, attachment,
                                  day_of, format_id, is_ticket_id)


def test_ids_use_the_shanghai_day_and_four_digits() -> None:
    early_morning = datetime(2026, 11, 24, 1, 30, tzinfo=TZ).timestamp()  # still the 23rd in UTC
    assert day_of(early_morning) == "20261124"
    assert format_id("20261124", 7) == "JF20261124-0007"
    assert is_ticket_id("JF20261124-0007") and not is_ticket_id("JF2026-7")


def test_a_ticket_survives_the_redis_hash_round_trip() -> None:
    ticket = Ticket(id="JF20261124-0007", openid="oTESTmodel00000000000000000", kind="land", village="东村",
                    description="界桩被拔", attachments=[attachment("image", 1.5, media_id="M1", pic_url="")],
                    phone="13800000000", contact_pref="visit", created_at=1.5, updated_at=2.0, due_at=3.0,
                    claimed_at=2.5, rating=4, rev=3)
    back = Ticket.from_hash(ticket.to_hash())
    assert back == ticket
    assert back.attachments == [{"kind": "image", "at": 1.5, "media_id": "M1"}]
    assert back.first_response_at is None and back.rating == 4


def test_states_flow_forward_and_closed_is_final() -> None:
    assert TicketState.CLAIMED in TRANSITIONS[TicketState.NEW]
    assert TicketState.NEW in TRANSITIONS[TicketState.CLAIMED]  # release
    assert TicketState.NEW not in TRANSITIONS[TicketState.MEDIATING]
    assert TRANSITIONS[TicketState.CLOSED] == frozenset()
    assert [o.value for o in Outcome] == ["调解成功", "调解不成", "转12345", "转司法所", "转法院", "转派出所",
                                         "部分化解", "当事人撤回"]
    assert len(KINDS) == 9 and KINDS[-1] == "other"


def test_overdue_means_open_past_due_and_unanswered() -> None:
    ticket = Ticket(id="JF20261124-0001", openid="o", created_at=0, due_at=100)
    assert ticket.overdue(101) and not ticket.overdue(99)
    ticket.first_response_at = 50
    assert not ticket.overdue(101)


def test_unknown_attachment_kinds_are_refused() -> None:
    with pytest.raises(TicketError):
        attachment("video", 0)
