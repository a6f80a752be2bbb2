"""The calendar: campaigns on their dates, demand decides the other weeks, no repeats, ever."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from bot.posts import planner
from bot.posts.library import Library, Post
from bot.posts.planner import campaign_on, choose, plan, week_of

LIBRARY = list(Library.load())
BY_SLUG = {p.slug: p for p in LIBRARY}


def mondays(year: int) -> list[dt.date]:
    first = week_of(dt.date(year, 1, 1))
    first += dt.timedelta(days=7) if first.year < year else dt.timedelta(0)
    return [first + dt.timedelta(weeks=n) for n in range(53) if (first + dt.timedelta(weeks=n)).year == year]


@pytest.mark.parametrize("day, campaign", [
    ("2026-03-09", "consumer-day"),      # 3·15 is a Sunday: its Monday is the 9th
    ("2026-03-16", ""),
    ("2027-03-15", "consumer-day"),
    ("2028-03-13", "consumer-day"),      # 3·15 is a Wednesday
    ("2026-04-06", "constitution-month"), ("2026-04-27", "constitution-month"),
    ("2026-05-04", "civil-code-month"), ("2026-05-25", "civil-code-month"),
    ("2026-06-22", "anti-drug-day"),     # week of 6·26 (a Friday)
    ("2026-06-29", ""), ("2026-06-15", ""),
    ("2026-11-30", "constitution-week"),  # 12·4 is a Friday: the post goes out the Monday before
    ("2027-11-29", "constitution-week"), ("2026-12-07", ""), ("2027-12-06", ""), ("2026-12-14", ""),
    ("2028-12-04", "constitution-week"),  # 12·4 is a Monday: on the day
    ("2026-01-05", ""), ("2026-10-05", ""),
])
def test_campaign_dates(day: str, campaign: str) -> None:
    assert campaign_on(dt.date.fromisoformat(day)) == campaign


@pytest.mark.parametrize("year", [2026, 2027, 2028])
def test_a_whole_year_follows_the_campaign_calendar(year: int) -> None:
    weeks = mondays(year)
    choices = plan(LIBRARY, weeks[0], len(weeks))
    campaign_weeks = [c for c in choices if c.campaign]
    assert len(campaign_weeks) >= 10  # 3·15, four or five in April and May, 6·26, 12·4
    for c in campaign_weeks:
        assert c.slug is not None and BY_SLUG[c.slug].campaign == c.campaign, c
    for campaign in ("consumer-day", "anti-drug-day", "constitution-week"):
        assert sum(c.campaign == campaign for c in choices) == 1
    everyday = [c for c in choices if not c.campaign and c.slug]
    assert len(everyday) >= 30 and all(c.reason in ("demand", "fallback") for c in everyday)


def test_no_post_repeats_within_the_no_repeat_period_over_three_years() -> None:
    choices = plan(LIBRARY, dt.date(2026, 1, 5), 156, no_repeat_weeks=26)
    used: dict[str, dt.date] = {}
    for c in choices:
        if c.slug is None:
            assert c.reason == "exhausted"
            continue
        if c.slug in used:
            assert (c.week - used[c.slug]).days >= 26 * 7, (c.slug, used[c.slug], c.week)
        used[c.slug] = c.week
    assert set(used) == set(BY_SLUG)  # every post gets its turn
    assert sum(c.slug is None for c in choices) < len(choices) // 5  # a week without a post is rare


def test_a_shorter_no_repeat_period_leaves_no_week_empty() -> None:
    choices = plan(LIBRARY, dt.date(2026, 1, 5), 104, no_repeat_weeks=12)
    assert all(c.slug for c in choices)


def test_everyday_weeks_follow_what_villagers_asked_most() -> None:
    week = dt.date(2026, 7, 6)
    assert choose(LIBRARY, week, demand={"telecom-fraud": 40, "wage-arrears": 3}).slug in {
        "fraud-fake-police-order-brushing", "fraud-lending-bank-phone-cards"}
    assert choose(LIBRARY, week, demand={"wage-arrears": 9}).slug == "wages-migrant-worker-arrears"
    two = plan(LIBRARY, week, 2, demand={"telecom-fraud": 40})
    assert {c.slug for c in two} == {"fraud-fake-police-order-brushing", "fraud-lending-bank-phone-cards"}


def test_a_post_used_recently_waits_even_when_most_asked() -> None:
    week = dt.date(2026, 7, 6)
    history = {week - dt.timedelta(weeks=3): "wages-migrant-worker-arrears"}
    choice = choose(LIBRARY, week, history=history, demand={"wage-arrears": 99})
    assert choice.slug != "wages-migrant-worker-arrears"
    wages = [BY_SLUG["wages-migrant-worker-arrears"]]
    assert choose(wages, week + dt.timedelta(weeks=22), history=history).slug is None  # 25 weeks after
    assert choose(wages, week + dt.timedelta(weeks=23), history=history).slug == wages[0].slug  # 26 weeks


def test_unused_posts_come_before_used_ones() -> None:
    week = dt.date(2026, 9, 7)
    history = {week - dt.timedelta(weeks=30): "wages-migrant-worker-arrears"}
    assert choose(LIBRARY, week, history=history, demand={"wage-arrears": 1}).slug != "wages-migrant-worker-arrears"


def test_earliest_and_fixed_dates_are_respected() -> None:
    base = BY_SLUG["wages-migrant-worker-arrears"]
    late = replace(base, slug="late-post", earliest=dt.date(2026, 8, 1), topics=("x",))
    fixed = replace(base, slug="fixed-post", date=dt.date(2026, 9, 10), topics=("y",))
    posts = [late, fixed]
    assert choose(posts, dt.date(2026, 7, 27)).slug is None
    assert choose(posts, dt.date(2026, 8, 3)).slug == "late-post"
    assert choose(posts, dt.date(2026, 9, 7)).reason == "fixed"
    assert choose([fixed], dt.date(2026, 9, 14)).slug is None


def test_campaign_posts_are_not_spent_before_their_campaign_needs_them() -> None:
    base = BY_SLUG["wages-migrant-worker-arrears"]
    constitution = [replace(base, slug=f"constitution-{n}", campaign="constitution-month") for n in range(5)]
    march = dt.date(2026, 3, 2)  # 5 weeks before April: using one now blocks it in April
    assert choose(constitution, march).slug is not None  # 5 posts, 4 Mondays: one can be spared
    history = {march: choose(constitution, march).slug or ""}
    assert choose(constitution, march + dt.timedelta(weeks=1), history=history).slug is None


def test_nothing_left_is_reported_not_repeated() -> None:
    post: Post = BY_SLUG["wages-migrant-worker-arrears"]
    week = dt.date(2026, 7, 6)
    choice = choose([post], week, history={week - dt.timedelta(weeks=1): post.slug})
    assert choice.slug is None and choice.reason == "exhausted"


def test_recorded_weeks_keep_their_post() -> None:
    week = dt.date(2026, 7, 6)
    choices = plan(LIBRARY, week, 2, history={week: "elder-support-duty"})
    assert choices[0].slug == "elder-support-duty" and choices[0].reason == "recorded"
    assert choices[1].slug != "elder-support-duty"


def test_the_plan_is_deterministic() -> None:
    a = plan(LIBRARY, dt.date(2026, 1, 5), 52, demand={"divorce": 3})
    b = plan(list(reversed(LIBRARY)), dt.date(2026, 1, 5), 52, demand={"divorce": 3})
    assert a == b


def test_schedule_in_the_configured_time_zone() -> None:
    at = planner.scheduled_at(dt.date(2026, 3, 11), 0, "09:00", "Asia/Shanghai")
    assert at.isoformat() == "2026-03-09T09:00:00+08:00"
    monday_0859 = at.timestamp() - 60
    assert planner.active_week(monday_0859, 0, "09:00", "Asia/Shanghai") == dt.date(2026, 3, 2)
    assert planner.active_week(at.timestamp(), 0, "09:00", "Asia/Shanghai") == dt.date(2026, 3, 9)
    wednesday = planner.scheduled_at(dt.date(2026, 3, 9), 2, "18:30", "Asia/Shanghai")
    assert wednesday.isoformat() == "2026-03-11T18:30:00+08:00"
