"""What staff do to a ticket, from claiming it to closing it and reading the villager's rating."""

from __future__ import annotations

import threading
from typing import Any

from tests.console.conftest import StaffClient, flashes


def followed(res: Any) -> str:
    return str(res.get_data(as_text=True))


def test_claiming_a_new_ticket_makes_it_mine_and_is_audited(staff_client: Any, new_ticket: Any, services: Any,
                                                           audit: Any) -> None:
    ticket = new_ticket()
    browser = staff_client()
    res = browser.post(f"/staff/tickets/{ticket.id}/claim")
    assert res.status_code == 303 and res.headers["Location"].endswith(f"/staff/tickets/{ticket.id}")
    assert f"已认领事项 {ticket.id}。" in flashes(browser.page(f"/staff/tickets/{ticket.id}"))
    after = services.disputes.get(ticket.id)
    assert after.state == "claimed" and after.claimed_by == "张调解"
    assert [(e.who, e.action, e.target) for e in audit.page(action="claim")[0]] == [("张调解", "claim", ticket.id)]


def test_two_mediators_clicking_claim_at_once_one_wins_and_the_other_is_told(
        staff_client: Any, new_ticket: Any, services: Any) -> None:
    zhang, li = staff_client("张调解"), staff_client("李调解")
    for _ in range(10):
        ticket = new_ticket()
        start = threading.Barrier(2)
        results: dict[str, Any] = {}

        def click(name: str, browser: StaffClient, ticket_id: str = ticket.id) -> None:
            start.wait()  # noqa: B023 - the threads are joined within this iteration
            results[name] = browser.post(f"/staff/tickets/{ticket_id}/claim")  # noqa: B023

        threads = [threading.Thread(target=click, args=(n, b)) for n, b in (("张调解", zhang), ("李调解", li))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winner = services.disputes.get(ticket.id).claimed_by
        loser = "李调解" if winner == "张调解" else "张调解"
        assert results[winner].status_code == 303
        assert results[loser].status_code == 409
        assert f"晚了一步：事项 {ticket.id} 已被 {winner} 认领。" in flashes(followed(results[loser]))
        claims = [h for h in services.disputes.history(ticket.id) if h["what"] == "claimed"]
        assert [h["who"] for h in claims] == [winner]


def test_releasing_puts_the_ticket_back_in_the_queue(staff_client: Any, new_ticket: Any, services: Any) -> None:
    ticket = new_ticket()
    browser = staff_client()
    browser.post(f"/staff/tickets/{ticket.id}/claim")
    res = browser.post(f"/staff/tickets/{ticket.id}/release", follow_redirects=True)
    assert f"已放弃认领，事项 {ticket.id} 回到待认领。" in flashes(followed(res))
    after = services.disputes.get(ticket.id)
    assert after.state == "new" and not after.claimed_by


def test_a_reply_reaches_the_villager_through_a_customer_service_message(
        staff_client: Any, new_ticket: Any, services: Any, standin: Any) -> None:
    ticket = new_ticket()
    browser = staff_client()
    browser.post(f"/staff/tickets/{ticket.id}/claim")
    res = browser.post(f"/staff/tickets/{ticket.id}/reply", {"text": "您好，我们周三上午到村里。"}, follow_redirects=True)
    assert "回复已发送给村民。" in flashes(followed(res))
    sent = standin.state.messages_for(ticket.openid)
    assert len(sent) == 1 and "您好，我们周三上午到村里。" in sent[0]["body"]["text"]["content"]
    assert ticket.id in sent[0]["body"]["text"]["content"]
    assert services.disputes.get(ticket.id).first_response_at is not None


def test_a_canned_reply_can_be_picked_instead_of_typing(staff_client: Any, new_ticket: Any, standin: Any,
                                                        app: Any) -> None:
    ticket = new_ticket()
    canned = app.extensions["pufabot.console"].canned.all()
    browser = staff_client()
    browser.post(f"/staff/tickets/{ticket.id}/claim")
    browser.post(f"/staff/tickets/{ticket.id}/reply", {"canned": "2", "text": ""})
    assert canned[2] in standin.state.messages_for(ticket.openid)[0]["body"]["text"]["content"]


def test_a_reply_wechat_refuses_is_still_recorded_and_the_error_is_shown(
        staff_client: Any, new_ticket: Any, services: Any, standin: Any, audit: Any) -> None:
    ticket = new_ticket()
    browser = staff_client()
    browser.post(f"/staff/tickets/{ticket.id}/claim")
    standin.state.fail_next("message/custom/send", errcode=45015)
    res = browser.post(f"/staff/tickets/{ticket.id}/reply", {"text": "请您回个电话。"}, follow_redirects=True)
    html = followed(res)
    assert any("微信没有送达（错误码 45015" in f for f in flashes(html))
    assert "请您回个电话。" in html and "微信未送达（错误码 45015" in html
    reply = [h for h in services.disputes.history(ticket.id) if h["what"] == "reply"][0]
    assert reply["note"] == "请您回个电话。" and reply["delivered"] is False and reply["errcode"] == 45015
    assert services.disputes.get(ticket.id).first_response_at is None
    assert [e.action for e in audit.page(target=ticket.id)[0]] == ["view_ticket", "reply_failed", "claim"]


def test_an_empty_reply_is_not_sent(staff_client: Any, new_ticket: Any, standin: Any) -> None:
    ticket = new_ticket()
    browser = staff_client()
    browser.post(f"/staff/tickets/{ticket.id}/claim")
    res = browser.post(f"/staff/tickets/{ticket.id}/reply", {"text": "   ", "canned": ""}, follow_redirects=True)
    assert "回复内容不能为空。" in flashes(followed(res))
    assert standin.state.messages_for(ticket.openid) == []


def test_scheduling_a_visit_records_the_time(staff_client: Any, new_ticket: Any, services: Any) -> None:
    ticket = new_ticket()
    browser = staff_client()
    browser.post(f"/staff/tickets/{ticket.id}/claim")
    res = browser.post(f"/staff/tickets/{ticket.id}/visit", {"when": "2026-12-02T10:30", "note": "带上土地证"},
                       follow_redirects=True)
    assert "已安排走访：2026-12-02 10:30。" in flashes(followed(res))
    assert services.disputes.get(ticket.id).visit_at == "2026-12-02 10:30"
    bad = browser.post(f"/staff/tickets/{ticket.id}/visit", {"when": "明天"}, follow_redirects=True)
    assert "请填写走访时间。" in flashes(followed(bad))


def test_mediation_then_the_outcome_then_closing_asks_the_villager_for_a_rating(
        staff_client: Any, new_ticket: Any, services: Any, standin: Any, villager: Any) -> None:
    ticket = new_ticket()
    browser = staff_client()
    browser.post(f"/staff/tickets/{ticket.id}/claim")
    assert "已进入调解" in followed(browser.post(f"/staff/tickets/{ticket.id}/mediate", follow_redirects=True))
    res = browser.post(f"/staff/tickets/{ticket.id}/outcome", {"outcome": "调解成功", "note": "双方签了协议"},
                       follow_redirects=True)
    assert "已记录处理结果：调解成功。" in flashes(followed(res))
    assert services.disputes.get(ticket.id).state == "resolved"
    res = browser.post(f"/staff/tickets/{ticket.id}/close", follow_redirects=True)
    assert f"事项 {ticket.id} 已办结，已请村民评价。" in flashes(followed(res))
    assert services.disputes.get(ticket.id).state == "closed"
    asked = standin.state.messages_for(ticket.openid)[-1]["body"]["text"]["content"]
    assert "回复1到5" in asked
    answer = villager(openid=ticket.openid).say("5")
    assert "谢谢您的评价" in answer.content
    assert services.disputes.get(ticket.id).rating == 5
    page = browser.page(f"/staff/tickets/{ticket.id}")
    assert "5 / 5" in page and "村民 · 村民评价" in page and "认领这件事" not in page


def test_closing_says_so_when_wechat_did_not_deliver_the_invitation(
        staff_client: Any, services: Any, standin: Any) -> None:
    from bot.dev import wire

    openid = wire.fake_openid()  # this villager has not written for 48 hours: no customer-service window
    ticket = services.disputes.submit(openid, {"kind": "land", "village": "东村", "description": "地界"}, "quiet")
    browser = staff_client()
    browser.post(f"/staff/tickets/{ticket.id}/claim")
    browser.post(f"/staff/tickets/{ticket.id}/outcome", {"outcome": "调解成功"})
    told = flashes(followed(browser.post(f"/staff/tickets/{ticket.id}/close", follow_redirects=True)))
    assert any(f"事项 {ticket.id} 已办结，但结案消息和评价邀请没有送到村民（微信错误码 45015）" in f for f in told), told
    assert not any("已请村民评价" in f for f in told) and standin.state.messages_for(openid) == []


def test_a_referral_outcome_names_where_the_case_went(staff_client: Any, new_ticket: Any, services: Any) -> None:
    ticket = new_ticket()
    browser = staff_client()
    browser.post(f"/staff/tickets/{ticket.id}/claim")
    browser.post(f"/staff/tickets/{ticket.id}/outcome", {"outcome": "转派出所"})
    after = services.disputes.get(ticket.id)
    assert after.state == "referred" and after.outcome == "转派出所" and after.referred_to == "派出所"
    assert "转至 派出所" in browser.page(f"/staff/tickets/{ticket.id}")


def test_an_unknown_outcome_is_refused(staff_client: Any, new_ticket: Any, services: Any) -> None:
    ticket = new_ticket()
    browser = staff_client()
    browser.post(f"/staff/tickets/{ticket.id}/claim")
    res = browser.post(f"/staff/tickets/{ticket.id}/outcome", {"outcome": "不了了之"}, follow_redirects=True)
    assert "请选择处理结果。" in flashes(followed(res))
    assert services.disputes.get(ticket.id).state == "claimed"


def test_closing_without_an_outcome_needs_a_reason(staff_client: Any, new_ticket: Any, services: Any) -> None:
    ticket = new_ticket()
    browser = staff_client()
    browser.post(f"/staff/tickets/{ticket.id}/claim")
    res = browser.post(f"/staff/tickets/{ticket.id}/close", {"note": ""}, follow_redirects=True)
    assert any("请先记录处理结果" in f for f in flashes(followed(res)))
    assert services.disputes.get(ticket.id).state == "claimed"
    browser.post(f"/staff/tickets/{ticket.id}/close", {"note": "重复反映，已合并到另一件"})
    assert services.disputes.get(ticket.id).state == "closed"


def test_a_change_the_ticket_no_longer_allows_is_a_message_not_an_error(
        staff_client: Any, new_ticket: Any, services: Any) -> None:
    ticket = new_ticket()
    admin = staff_client("王管理", role="admin")
    admin.post(f"/staff/tickets/{ticket.id}/claim")
    admin.post(f"/staff/tickets/{ticket.id}/close", {"note": "重复"})
    res = admin.post(f"/staff/tickets/{ticket.id}/outcome", {"outcome": "调解成功"}, follow_redirects=True)
    assert res.status_code == 200
    assert any("事项当前为“已办结”，不能这样操作" in f for f in flashes(followed(res)))
    res = admin.post(f"/staff/tickets/{ticket.id}/claim")
    assert res.status_code == 409 and f"事项 {ticket.id} 当前不能认领。" in flashes(followed(res))


def test_an_admin_may_take_over_a_ticket_someone_else_claimed(staff_client: Any, new_ticket: Any,
                                                              services: Any) -> None:
    ticket = new_ticket()
    staff_client("张调解").post(f"/staff/tickets/{ticket.id}/claim")
    admin = staff_client("王管理", role="admin")
    admin.post(f"/staff/tickets/{ticket.id}/release")
    assert services.disputes.get(ticket.id).state == "new"
