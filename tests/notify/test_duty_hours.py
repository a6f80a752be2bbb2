"""The bot's 「已通知工作人员」 is true: in office hours staff were told; outside them the villager
hears when staff will see it and the emergency number again. Office hours come from one place
([bot] office_days / office_periods), the same in 「人工」 and 「联系我们」."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bot.duty import OfficeHours, staff_told

TZ = ZoneInfo("Asia/Shanghai")
DANGER = "有人在我家门口拿刀要砍我"


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def hours(services: Any) -> OfficeHours:
    return OfficeHours.from_config(services.config.bot)


def test_office_hours_are_read_from_the_config_and_spoken_once(hours: OfficeHours) -> None:
    assert hours.spoken() == "北京时间周一至周五 10:00—14:00、16:00—19:30"
    assert hours.is_open(at("2031-05-05 10:00").timestamp())  # a Monday
    assert not hours.is_open(at("2031-05-05 14:00").timestamp())  # the lunch break
    assert not hours.is_open(at("2031-05-10 11:00").timestamp())  # a Saturday
    assert hours.next_open(at("2031-05-05 14:30").timestamp()) == at("2031-05-05 16:00")
    assert hours.next_open(at("2031-05-09 20:00").timestamp()) == at("2031-05-12 10:00")  # Friday night → Monday


def test_the_line_after_an_emergency_is_true_at_every_hour(services: Any, hours: OfficeHours) -> None:
    texts = services.texts
    assert "已通知" in staff_told(texts, hours, at("2031-05-06 11:00").timestamp(), "threat", False)
    night = staff_told(texts, hours, at("2031-05-06 23:10").timestamp(), "threat", False)
    assert "下班时间" in night and "明天10:00" in night and "110" in night and "已通知" not in night
    lunch = staff_told(texts, hours, at("2031-05-06 14:20").timestamp(), "injury", False)
    assert "今天16:00" in lunch and "120" in lunch
    weekend = staff_told(texts, hours, at("2031-05-10 09:00").timestamp(), "self-harm", True)
    assert "5月12日（周一）10:00" in weekend and "12356" in weekend and "值班人员" in weekend


@pytest.mark.parametrize(("moment", "says", "never"), [
    ("2031-05-06 11:00", "我们已通知", "下班时间"),  # a Tuesday morning
    ("2031-05-10 06:13", "5月12日（周一）10:00", "我们已通知"),  # a Saturday at dawn
])
def test_through_wechat_the_villager_in_danger_hears_the_truth_about_staff(
        villager: Any, moment: str, says: str, never: str) -> None:
    with time_machine.travel(at(moment), tick=True):
        reply = villager().say(DANGER).content
    lines = reply.splitlines()
    assert "110" in lines[0]  # the emergency number first, always
    assert says in lines[-1] and never not in reply
    if says != "我们已通知":
        assert "110" in lines[-1]  # repeated: nobody reads the message before Monday


def test_people_and_contact_name_the_same_office_hours(villager: Any, hours: OfficeHours) -> None:
    v = villager()
    assert hours.spoken() in v.say("转人工").content
    assert hours.spoken() in v.click("MENU_CONTACT").content
