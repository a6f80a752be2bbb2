"""A legal question the knowledge base does not cover reaches a person: the villager is told so
honestly, 「转人工」 makes a 法律咨询 ticket with the question as its first thread message, staff answer
from the console, the villager's next words join the thread, and the report counts a consultation
(never a dispute)."""

from __future__ import annotations

from typing import Any

from bot.reports.figures import Period, build_report
from tests.console.conftest import flashes

QUESTION = "我注册的商标被别人抢注了 还在网店上用我的牌子卖东西 能告他吗"


def test_an_uncovered_question_becomes_a_consultation_staff_answer_and_the_report_counts(
        villager: Any, services: Any, standin: Any, staff_client: Any) -> None:
    v = villager()
    standin.state.user_message(v.openid)  # the villager wrote today: customer-service messages may go
    honest = v.say(QUESTION).content
    first_line = honest.strip().splitlines()[0]
    assert "超出了我能可靠回答的范围" in first_line, honest
    assert "12348" in honest and "转人工" in honest and "司法所" in honest

    started = v.say("转人工").content
    (ticket,) = services.disputes.for_villager(v.openid)
    assert (ticket.kind, ticket.state, ticket.description) == ("consult", "new", QUESTION)
    assert f"咨询编号{ticket.id}" in started
    assert v.say("商标是前年在网上申请下来的").kind == "none"  # joins the thread quietly
    thread = services.disputes.thread.entries(ticket.id)
    assert [(e["from"], e["text"]) for e in thread] == [("villager", QUESTION),
                                                         ("villager", "商标是前年在网上申请下来的")]

    browser = staff_client()
    queue = browser.page("/staff/?kind=consult")
    assert ticket.id in queue and "法律咨询" in queue
    browser.post(f"/staff/tickets/{ticket.id}/claim")
    res = browser.post(f"/staff/tickets/{ticket.id}/reply", {"text": "商标的事请带注册证到县市场监管局咨询。"},
                       follow_redirects=True)
    assert "回复已发送给村民。" in flashes(res.get_data(as_text=True))
    (sent,) = standin.state.messages_for(v.openid)
    assert "县市场监管局" in sent["body"]["text"]["content"]

    assert "转人工法律咨询 1 件" in browser.page("/staff/stats")
    report = build_report(services, Period.this_year(services.config.posts.timezone))
    totals = report.totals
    assert (totals.consult_received, totals.received, totals.consultations_staff) == (1, 0, 1)
    assert totals.mediation_rate is None and totals.solve_rate is None
    assert dict(report.by_kind)["consult"].consult_received == 1


def test_the_same_handover_sent_twice_makes_one_ticket(villager: Any, services: Any) -> None:
    v = villager()
    v.say(QUESTION)
    state = services.conversations.get(v.openid)
    from bot.dev import wire

    push = wire.build_xml("text", v.openid, Content="转人工", msg_id=880000111)
    v.push(push)
    v.push(push)  # WeChat retries a push it got no answer to in time
    assert len(services.disputes.for_villager(v.openid)) == 1
    assert state["flow"] == "consult"


def test_anything_else_after_the_offer_is_a_new_message(villager: Any, services: Any) -> None:
    v = villager()
    v.say(QUESTION)
    assert "12333" in v.say("老板跑了工钱不给咋整").content  # answered as a legal question
    assert services.disputes.for_villager(v.openid) == []


def test_none_of_the_menu_offers_a_person(villager: Any, services: Any) -> None:
    v = villager()
    menu = v.say("赔偿").content
    assert "您是想问哪一个" in menu and "都不是" in menu
    offer = v.say("都不是").content
    assert "没能找到可靠的答案" in offer and "转人工" in offer
    v.say("转人工")
    (ticket,) = services.disputes.for_villager(v.openid)
    assert ticket.kind == "consult" and ticket.description == "赔偿"


def test_a_villager_hands_over_at_most_the_daily_limit(villager: Any, services: Any) -> None:
    v = villager()
    limit = services.config.bot.max_reports_per_day
    questions = ["我注册的商标被别人抢注了 能告他吗", "公积金离职了能全部取出来吗", "在县城买的期房 开发商延期交房一年了 违约金怎么算",
                 "公司股东不给我分红 我持股百分之十 能查公司的账吗"]
    replies = []
    for question in questions[: limit + 1]:
        v.say(question)
        replies.append(v.say("转人工").content)
        v.say("退出")  # leaves the consultation's thread: the next message is a new question
    assert len(services.disputes.for_villager(v.openid)) == limit
    assert f"您今天已经转了{limit}个问题" in replies[-1] and "12348" in replies[-1]
