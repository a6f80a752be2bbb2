"""Office hours, from one place (``[bot] office_days`` and ``office_periods``, Beijing time). Pure.

What villagers are told about when staff read messages (「人工」, 「联系我们」, the hand-over of a
question) is ``spoken()``; whether staff are at work now (the line after an emergency reply says
staff were told, or when they will see it) is ``is_open(now)``; when they are back is
``next_open(now)``. Public holidays are not known here: on a holiday weekday the bot counts the
office as open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import BotConfig
from bot.disputes.tickets import TZ
from bot.texts import Texts

DAY_NAMES = ("", "周一", "周二", "周三", "周四", "周五", "周六", "周日")  # ISO weekday → name


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class OfficeHours:
    days: tuple[int, ...]  # ISO weekdays, 1 = Monday
    periods: tuple[tuple[int, int], ...]  # (start, end) in minutes after midnight, Beijing time

    @classmethod
    def from_config(cls, bot: BotConfig) -> OfficeHours:
        periods = tuple(sorted((_minutes(p.split("-")[0]), _minutes(p.split("-")[1])) for p in bot.office_periods))
        return cls(tuple(sorted(set(bot.office_days))), periods)

    def is_open(self, now: float) -> bool:
        local = datetime.fromtimestamp(now, TZ)
        minute = local.hour * 60 + local.minute
        return local.isoweekday() in self.days and any(start <= minute < end for start, end in self.periods)

    def next_open(self, now: float) -> datetime:
        """When the office next opens after ``now`` (Beijing time); ``now`` itself when open."""
        local = datetime.fromtimestamp(now, TZ).replace(second=0, microsecond=0)
        for offset in range(8):
            day = local + timedelta(days=offset)
            if day.isoweekday() not in self.days:
                continue
            for start, end in self.periods:
                opens = day.replace(hour=start // 60, minute=start % 60)
                closes = day.replace(hour=end // 60, minute=end % 60)
                if local < closes:
                    return max(opens, local)
        raise ValueError("office hours name no day")  # config validation makes this unreachable

    def spoken(self) -> str:
        """「北京时间周一至周五 10:00—14:00、16:00—19:30」 (no brackets: replies put it inside theirs)."""
        days = list(self.days)
        if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
            named = f"{DAY_NAMES[days[0]]}至{DAY_NAMES[days[-1]]}"
        else:
            named = "、".join(DAY_NAMES[d] for d in days)
        times = "、".join(f"{_clock(start)}—{_clock(end)}" for start, end in self.periods)
        return f"北京时间{named} {times}"


def spoken_when(at: datetime, now: float) -> str:
    """「今天16:00」, 「明天10:00」 or 「12月14日（周一）10:00」."""
    today = datetime.fromtimestamp(now, TZ).date()
    days = (at.date() - today).days
    if days == 0:
        return f"今天{at:%H:%M}"
    if days == 1:
        return f"明天{at:%H:%M}"
    return f"{at.month}月{at.day}日（{DAY_NAMES[at.isoweekday()]}）{at:%H:%M}"


def staff_told(texts: Texts, hours: OfficeHours, now: float, kind: str, duty_alerted: bool) -> str:
    """The line after an emergency reply, true at ``now``: staff were told (office hours), or when
    they will see it, with the kind's emergency number again (outside them; ``duty_alerted`` when
    the person on duty got the alert on their phone)."""
    if hours.is_open(now):
        return texts.get("urgent_told_in_hours")
    number_key = f"urgent_number_{kind}"
    number = texts.get(number_key) if number_key in texts else "110"
    key = "urgent_told_off_hours_duty" if duty_alerted else "urgent_told_off_hours"
    return texts.get(key, when=spoken_when(hours.next_open(now), now), number=number)
