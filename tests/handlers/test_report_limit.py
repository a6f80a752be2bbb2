"""One follower cannot flood the queue: a daily report limit with a kind reply, never for urgent reports (issue 15.17)."""

from __future__ import annotations

from typing import Any

from bot.dev import wire

PHONE = "13800000000"


def report(v: wire.Villager, what: str) -> str:
    """A whole report through /wechat: intent, village, description, done, phone, contact, confirm."""
    for message in ("我要反映 " + what, "1", "好了", PHONE, "1"):
        v.say(message)
    return v.say("1").content


def test_the_fourth_report_of_a_day_gets_a_kind_reply_and_an_urgent_one_still_goes_through(
        villager: Any, services: Any) -> None:
    assert services.config.bot.max_reports_per_day == 3
    v = villager()
    for n in range(3):
        assert "已登记" in report(v, f"邻居占了我家地第{n + 1}回")
    refused = report(v, "邻居的鸡吃了我家菜")
    assert "您今天已经反映了3件事" in refused and "110" in refused and "已登记" not in refused
    assert len(services.disputes.for_villager(v.openid)) == 3
    assert services.conversations.get_draft(v.openid), "the draft is kept for tomorrow"
    urgent = v.say("我要反映 邻居拿刀威胁要打人 就在我家门口").content
    assert urgent.startswith("【紧急】") and "110" in urgent.split("\n", 1)[0]  # never held back
    assert len(services.disputes.for_villager(v.openid)) == 4  # staff are alerted all the same
    other = villager()
    assert "已登记" in report(other, "邻居占了我家地"), "the limit is per villager"
