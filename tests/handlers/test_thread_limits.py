"""A ticket's thread has limits (security review 2026-12-07, N9, N12): a message longer than
``thread_max_chars`` or beyond ``thread_max_messages`` is not taken and the villager is told what to do;
a location whose coordinates are not numbers gets a clear answer, never an apology with an error."""

from __future__ import annotations

import logging
from typing import Any, Callable

import pytest

from bot.dev import wire
from bot.dev.wire import build_xml


@pytest.fixture
def config(config: Any) -> Any:
    return config.replace(bot={"thread_max_chars": 30, "thread_max_messages": 3})


@pytest.fixture
def in_thread(villager: Any, new_ticket: Any) -> Callable[[], tuple[wire.Villager, Any]]:  # noqa: F811
    """A villager with an open ticket who has said 「补充」: their messages go to its thread."""
    def make() -> tuple[wire.Villager, Any]:
        v = villager()
        ticket = new_ticket(openid=v.openid)
        assert ticket.id in v.say("补充").content
        return v, ticket

    return make


def test_a_message_longer_than_the_limit_is_not_taken_and_the_villager_is_told(
        in_thread: Any, services: Any) -> None:
    v, ticket = in_thread()
    long = "对方" * 20
    answer = v.say(long).content
    assert "40字，太长了，没有转给工作人员" in answer and "每次不超过30字" in answer
    assert services.disputes.thread.entries(ticket.id) == []
    v.say("对方把墙推倒了")
    assert [e["text"] for e in services.disputes.thread.entries(ticket.id)] == ["对方把墙推倒了"], "a shorter one is taken"


def test_beyond_the_message_limit_nothing_more_is_taken_and_the_villager_is_told(
        in_thread: Any, services: Any) -> None:
    v, ticket = in_thread()
    for i in range(3):
        v.say(f"第{i + 1}条补充")
    before = services.disputes.thread.live_version()
    answer = v.say("第4条补充").content
    assert f"这件事（编号{ticket.id}）的补充消息已经很多了" in answer and "打电话" in answer
    villager_texts = [e["text"] for e in services.disputes.thread.entries(ticket.id) if e["from"] == "villager"]
    assert villager_texts == ["第1条补充", "第2条补充", "第3条补充"]
    assert services.disputes.thread.live_version() == before, "open consoles are not sent to re-download"


def test_an_emergency_beyond_the_limit_still_gets_the_emergency_number_first(
        in_thread: Any) -> None:
    v, _ = in_thread()
    for i in range(3):
        v.say(f"第{i + 1}条补充")
    answer = v.say("他拿刀说要砍死我").content
    assert "110" in answer.splitlines()[0] and "补充消息已经很多了" in answer


def test_a_location_with_words_for_coordinates_gets_a_clear_answer_and_no_error(
        in_thread: Any, services: Any, caplog: pytest.LogCaptureFixture) -> None:
    v, ticket = in_thread()
    with caplog.at_level(logging.WARNING):
        answer = v.push(build_xml("location", v.openid, Location_X="43.8", Location_Y='116.3" onmouseover="alert(7)',
                                  Scale=15, Label="东村")).content
    assert "没能读出这个位置" in answer
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert services.disputes.thread.entries(ticket.id) == []
    v.location(43.8, 87.6, "东村村口")
    assert [e["media"]["lat"] for e in services.disputes.thread.entries(ticket.id)] == [43.8], "a real one is taken"


def test_a_location_with_words_for_coordinates_mid_report_keeps_the_report_going(villager: Any) -> None:
    v = villager()
    v.say("我要反映")
    answer = v.push(build_xml("location", v.openid, Location_X="north", Location_Y="east", Scale=15, Label="")).content
    assert "没能读出这个位置" in answer
