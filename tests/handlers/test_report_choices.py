"""Answers villagers really give while reporting: Chinese numerals (「三」), a village not on the list
(「其他」, then its name), and a visit (上门) that needs a phone or an address."""

from __future__ import annotations

from typing import Any

from tests.handlers.test_dispute_flow import PHONE, talk


def test_chinese_numerals_choose_like_digits(villager: Any, services: Any) -> None:
    v = villager()
    talk(v, "我要反映 邻居占了我家地")
    assert "您已经说了" in talk(v, "三")  # 南村
    talk(v, "好了", PHONE)
    summary = talk(v, "第二个")  # 打电话
    assert "村：南村" in summary and "打电话" in summary
    talk(v, "一")
    (ticket,) = services.disputes.for_villager(v.openid)
    assert ticket.village == "南村" and ticket.contact_pref == "call"


def test_other_village_then_its_name(villager: Any, services: Any) -> None:
    v = villager()
    asked = talk(v, "我要反映 邻居占了我家地")
    assert "4. 其他" in asked
    assert "哪个村或哪个地方" in talk(v, "4")
    assert "您已经说了" in talk(v, "北山牧业队")
    talk(v, "好了", PHONE, "3", "1")
    (ticket,) = services.disputes.for_villager(v.openid)
    assert ticket.village == "北山牧业队"


def test_a_visit_without_a_phone_asks_for_a_phone_or_an_address(villager: Any, services: Any) -> None:
    v = villager()
    talk(v, "我要反映 邻居占了我家地", "1", "好了", "不留")
    asked = talk(v, "1")  # 上门
    assert "手机号" in asked and "住址" in asked
    summary = talk(v, "东村三组12号")
    assert "上门调解" in summary and "东村三组12号" in summary
    talk(v, "1")
    (ticket,) = services.disputes.for_villager(v.openid)
    assert ticket.contact_pref == "visit" and ticket.address == "东村三组12号" and ticket.phone == ""


def test_a_visit_declined_again_asks_how_else_to_reply(villager: Any, services: Any) -> None:
    v = villager()
    talk(v, "我要反映 邻居占了我家地", "1", "好了", "不留", "1")
    assert "怎么联系您" in talk(v, "不留")
    summary = talk(v, "3")
    assert "在公众号里回复" in summary


def test_a_status_query_with_the_last_digits_of_the_ticket(villager: Any, services: Any) -> None:
    from tests.handlers.test_status import report

    v = villager()
    report(v)
    (ticket,) = services.disputes.for_villager(v.openid)
    number = ticket.id.rsplit("-", 1)[-1]
    detail = v.say(f"{number}进度怎么样").content
    assert f"编号：{ticket.id}" in detail
    assert f"编号：{ticket.id}" in v.say(f"{int(number)}号的进度怎么样了").content
    other = villager()
    assert ticket.id not in other.say(f"{number}进度怎么样").content  # only one's own tickets
