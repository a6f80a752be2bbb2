"""Staff reply, note and schedule visits; everything lands in the history, even WeChat's refusals."""

from __future__ import annotations

from typing import Any

import pytest

from bot.dev import wire
from bot.disputes import Disputes

REDIS_KINDS = ("single", "cluster")  # run on one server and on a Redis Cluster


def new_ticket(services: Any) -> Any:
    return services.disputes.submit(wire.fake_openid(), {"kind": "family", "village": "南村",
                                                          "description": "儿子不给赡养费"}, "k")


def test_a_reply_reaches_the_villager_as_a_customer_service_message(services: Any, standin: Any) -> None:
    ticket = new_ticket(services)
    standin.state.user_message(ticket.openid)
    result = services.disputes.reply(ticket.id, "调解员王五", "您好，明天上午到您家了解情况。")
    assert result.delivered and result.errcode is None
    (sent,) = standin.state.messages_for(ticket.openid)
    assert ticket.id in sent["text"] and "明天上午到您家" in sent["text"]
    last = services.disputes.history(ticket.id)[-1]
    assert (last["who"], last["what"], last["note"], last["delivered"]) == \
        ("调解员王五", "reply", "您好，明天上午到您家了解情况。", True)
    assert services.disputes.get(ticket.id).first_response_at is not None


def test_a_refused_reply_is_recorded_with_wechats_error(services: Any, standin: Any) -> None:
    ticket = new_ticket(services)  # the villager has not written for more than 48 hours
    result = services.disputes.reply(ticket.id, "调解员王五", "请回电话")
    assert not result.delivered and result.errcode == 45015 and "response out of time limit" in result.errmsg
    assert not result.template_sent
    last = services.disputes.history(ticket.id)[-1]
    assert (last["what"], last["delivered"], last["errcode"]) == ("reply", False, 45015)
    assert services.disputes.get(ticket.id).first_response_at is None  # nobody was reached


def test_a_closed_window_on_a_service_account_sends_the_template(config: Any, services: Any, standin: Any) -> None:
    standin.state.account_type = "service"
    standin.state.templates.add("TPL_TICKET_REPLY")
    services.config = config.replace(wechat={"account_type": "service", "template_ticket_reply": "TPL_TICKET_REPLY"})
    disputes = Disputes(services)
    ticket = new_ticket(services)
    standin.state.add_user(ticket.openid)  # a follower whose window is closed
    result = disputes.reply(ticket.id, "调解员王五", "请回电话")
    assert not result.delivered and result.errcode == 45015 and result.template_sent
    (template,) = standin.state.messages_for(ticket.openid)
    assert template["kind"] == "template" and template["body"]["data"]["keyword1"]["value"] == ticket.id
    last = disputes.history(ticket.id)[-1]
    assert last["template_sent"] is True and last["errcode"] == 45015


def test_notes_and_visits_are_in_the_history_in_order(services: Any) -> None:
    d = services.disputes
    ticket = new_ticket(services)
    d.claim(ticket.id, "调解员王五")
    d.add_note(ticket.id, "调解员王五", "儿子在外地打工")
    d.schedule_visit(ticket.id, "调解员王五", "11月28日上午", "带上村委会主任")
    history = d.history(ticket.id)
    assert [h["what"] for h in history] == ["submitted", "claimed", "note", "visit"]
    assert history[3]["when"] == "11月28日上午" and history[3]["note"] == "带上村委会主任"
    assert all(history[i]["at"] <= history[i + 1]["at"] for i in range(3))
    stored = d.get(ticket.id)
    assert stored.visit_at == "11月28日上午" and stored.first_response_at == history[3]["at"]


def test_ratings_are_one_to_five_from_the_ticket_owner_only(services: Any) -> None:
    from bot.disputes import TicketError

    d = services.disputes
    ticket = new_ticket(services)
    with pytest.raises(TicketError):
        d.record_rating(ticket.id, ticket.openid, 5)  # not closed yet
    d.close(ticket.id, "调解员王五")
    with pytest.raises(TicketError):
        d.record_rating(ticket.id, wire.fake_openid(), 5)
    with pytest.raises(TicketError):
        d.record_rating(ticket.id, ticket.openid, 6)
    d.record_rating(ticket.id, ticket.openid, 3)
    assert d.get(ticket.id).rating == 3
