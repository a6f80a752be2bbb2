"""The report's figures, computed from tickets and the bot's counters (pure; definitions in bot/reports/figures.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.reports import figures
from bot.disputes.tickets import Ticket
from bot.reports.figures import Period

TZ = "Asia/Shanghai"
YEAR = Period(date(2026, 1, 1), date(2026, 12, 31))
NOW = datetime(2027, 1, 10, tzinfo=ZoneInfo(TZ)).timestamp()
HOUR = 3600


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(TZ)).timestamp()


def ticket(created: str, **fields: Any) -> Ticket:
    at = ts(created)
    base: dict[str, Any] = dict(id=f"JF-{created}", openid="oTEST", kind="land", village="东村",
                                description="地界不清", created_at=at, updated_at=at, due_at=at + 48 * HOUR)
    base.update(fields)
    return Ticket(**base)


def year(tickets: list[Ticket], counters: dict[str, dict[str, int]] | None = None) -> figures.Figures:
    start, end = YEAR.bounds(TZ)
    return figures.compute(tickets, counters or {}, start, end, NOW)


def test_received_counts_tickets_created_in_the_period_by_beijing_time() -> None:
    f = year([ticket("2025-12-31T23:30"), ticket("2026-01-01T00:10"), ticket("2026-12-31T23:59"),
              ticket("2027-01-01T00:00")])
    assert f.received == 2


def test_consultations_are_bot_answers_plus_villagers_answered_by_staff() -> None:
    counters = {"2026-03-01": {"faq|wages": 7, "faq|land": 3, "unanswered|牛跑了": 2, "chat|thanks": 9}}
    answered = ticket("2026-03-01T09:00", first_response_at=ts("2026-03-01T15:00"))
    waiting = ticket("2026-03-02T09:00")
    f = year([answered, waiting], counters)
    assert (f.consultations_bot, f.consultations_staff, f.consultations) == (10, 1, 11)
    assert f.requests_total == 11 + 2 and f.unanswered == 2


def test_resolved_and_mediation_rate_count_outcomes_recorded_in_the_period() -> None:
    old_case = ticket("2025-12-20T10:00", outcome="调解成功", resolved_at=ts("2026-01-05T10:00"))
    tickets = [old_case] + [ticket(f"2026-02-0{i}T10:00", outcome="调解成功", resolved_at=ts(f"2026-02-0{i}T18:00"))
                            for i in (1, 2)]
    tickets.append(ticket("2026-02-05T10:00", outcome="调解不成", resolved_at=ts("2026-02-09T10:00")))
    tickets.append(ticket("2026-02-06T10:00", outcome="转法院", referred_to="法院", resolved_at=ts("2026-02-07T10:00")))
    f = year(tickets)
    assert (f.resolved, f.failed, f.referred) == (3, 1, 1)
    assert f.mediation_rate == pytest.approx(0.75)
    assert f.received == 4 and f.solved == 3 and f.solve_rate == pytest.approx(0.75)


def test_response_rate_counts_answers_within_the_promise_among_tickets_that_are_due() -> None:
    on_time = ticket("2026-05-01T10:00", first_response_at=ts("2026-05-02T10:00"))
    late = ticket("2026-05-01T10:00", first_response_at=ts("2026-05-05T10:00"))
    ignored = ticket("2026-05-01T10:00")
    not_due_yet = ticket("2027-01-09T10:00")  # outside the year anyway
    f = year([on_time, late, ignored, not_due_yet])
    assert (f.responded_on_time, f.response_due) == (1, 3)
    near_now = Period(date(2027, 1, 1), date(2027, 1, 31))
    start, end = near_now.bounds(TZ)
    assert figures.compute([not_due_yet], {}, start, end, NOW).response_due == 0


def test_satisfaction_counts_fours_and_fives_among_tickets_closed_in_the_period() -> None:
    closed = [ticket("2026-06-01T10:00", state="closed", closed_at=ts("2026-06-03T10:00"), rating=r)
              for r in (5, 4, 2)]
    unrated = ticket("2026-06-01T10:00", state="closed", closed_at=ts("2026-06-03T10:00"))
    f = year([*closed, unrated])
    assert (f.rated, f.satisfied) == (3, 2)
    assert f.satisfaction_rate == pytest.approx(2 / 3) and f.average_rating == pytest.approx(3.67)


def test_risks_are_violent_or_desperate_words_or_police_referrals_and_count_how_they_ended() -> None:
    fought = ticket("2026-07-01T10:00", description="为了浇水的事他动手打人了", outcome="调解成功",
                    resolved_at=ts("2026-07-02T10:00"))
    voice = ticket("2026-07-01T10:00", description="", attachments=[{"kind": "voice", "recognition": "我不想活了要喝农药"}])
    police = ticket("2026-07-01T10:00", description="羊被偷了", outcome="转派出所", resolved_at=ts("2026-07-01T12:00"))
    calm = ticket("2026-07-01T10:00", description="宰羊分肉的钱没算清")
    f = year([fought, voice, police, calm])
    assert (f.risks_found, f.risks_resolved, f.risks_referred) == (3, 1, 1)


def test_the_report_breaks_figures_down_by_month_village_and_kind() -> None:
    tickets = [ticket("2026-03-05T10:00", village="西村", kind="wages"),
               ticket("2026-03-20T10:00", village="东村", outcome="调解成功", resolved_at=ts("2026-04-02T10:00")),
               ticket("2026-04-01T10:00", village="外村", kind="family")]
    counters = {"2026-03-05": {"faq|wages": 4}, "2026-04-01": {"faq|land": 1}}
    report = figures.compose(tickets, counters, [], Period(date(2026, 3, 1), date(2026, 4, 30)), TZ,
                           ["东村", "西村", "南村"], ["land", "wages", "family"], NOW)
    months = dict(report.by_month)
    assert list(months) == ["2026-03", "2026-04"]
    assert (months["2026-03"].received, months["2026-03"].consultations_bot, months["2026-03"].resolved) == (2, 4, 0)
    assert (months["2026-04"].received, months["2026-04"].resolved) == (1, 1)
    villages = dict(report.by_village)
    assert list(villages) == ["东村", "西村", "南村", "外村"]
    assert [villages[v].received for v in villages] == [1, 1, 0, 1]
    assert {k: f.received for k, f in report.by_kind} == {"land": 1, "wages": 1, "family": 1}
    assert report.totals.received == 3 and report.top_topics == [("wages", 4), ("land", 1)]


def test_the_unanswered_list_is_the_knowledge_bases_to_do_list_most_asked_first() -> None:
    items = [{"day": "2026-05-02", "q": "牛  跑到别人地里吃了庄稼"}, {"day": "2026-05-01", "q": "牛 跑到别人地里吃了庄稼"},
             {"day": "2026-05-03", "q": "低保怎么申请"}, {"day": "2025-12-01", "q": "去年的问题"},
             {"day": "2026-05-04", "q": "彩礼退不退"}]
    todo = figures.unanswered_todo(items, YEAR)
    assert todo == [("牛 跑到别人地里吃了庄稼", 2, "2026-05-02"), ("彩礼退不退", 1, "2026-05-04"),
                    ("低保怎么申请", 1, "2026-05-03")]


def test_periods_parse_check_and_split_into_months() -> None:
    period = Period.parse("2026-01-15", "2026-03-02")
    assert [(m, p.start.day, p.end.day) for m, p in period.months()] == [
        ("2026-01", 15, 31), ("2026-02", 1, 28), ("2026-03", 1, 2)]
    assert len(period.days()) == 47
    for bad in (("2026-13-01", "2026-12-31"), ("2026-12-31", "2026-01-01"), ("昨天", "今天")):
        with pytest.raises(ValueError):
            Period.parse(*bad)


def test_rates_without_a_denominator_show_a_dash_not_zero() -> None:
    f = year([])
    assert f.mediation_rate is None and figures.show("mediation_rate", f.mediation_rate) == "—"
    assert figures.show("response_rate", 0.875) == "87.5%" and figures.show("received", 0) == "0"
