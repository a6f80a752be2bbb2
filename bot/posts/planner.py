"""Which post goes out which week: a pure, rule-based calendar (no Flask, no redis, no clock).

Weeks are named by their Monday; the post goes out on ``Monday + weekday`` (the *day*). For each
week, in this order:

1. a post whose fixed ``date`` falls in that week;
2. when a campaign is on, that campaign's post (see ``campaign_on``);
3. otherwise the best-ranked everyday post (no campaign): never used before first, then the one
   whose topics villagers asked about most (``demand``: topic id → recent question count), then
   the one used longest ago, then the library order;
4. when no everyday post is left, a post of another campaign, if using it now still leaves that
   campaign enough posts for all of its weeks next time (see ``_spare``);
5. otherwise nothing (``Choice.slug`` is None): the caller reports it.

Guaranteed: a post is never chosen within ``no_repeat_weeks`` weeks of a week it was used in, nor
before its ``earliest`` date, and a fixed-date post only in its own week. Same inputs, same plan.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Mapping
from zoneinfo import ZoneInfo

from bot.posts.library import Post

WEEK = dt.timedelta(days=7)


@dataclass(frozen=True)
class Choice:
    week: dt.date  # the Monday
    day: dt.date  # the publication day
    slug: str | None
    reason: str  # fixed | campaign | demand | fallback | exhausted
    campaign: str = ""
    score: int = 0


def week_of(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


def scheduled_at(week: dt.date, weekday: int, at: str, tz: str) -> dt.datetime:
    """When ``week``'s job is due: ``Monday + weekday`` at ``at`` ("09:00") local time in ``tz``."""
    hour, minute = (int(x) for x in at.split(":"))
    day = week_of(week) + dt.timedelta(days=weekday)
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(tz))


def active_week(now: float, weekday: int, at: str, tz: str) -> dt.date:
    """The latest week whose scheduled time is not after ``now`` (its job is due until the next one's)."""
    today = dt.datetime.fromtimestamp(now, ZoneInfo(tz)).date()
    week = week_of(today)
    if scheduled_at(week, weekday, at, tz).timestamp() > now:
        week -= WEEK
    return week


def campaign_on(day: dt.date) -> str:
    """The campaign a publication on ``day`` belongs to, or "".

    consumer-day: the Monday-Sunday week holding 3·15; constitution-month: April;
    civil-code-month: May; anti-drug-day: the week holding 6·26; constitution-week: the week holding
    12·4 (国家宪法日), so the post goes out on or before 12·4 (the Monday before it, or 12·4 itself).
    """
    if week_of(day) == week_of(dt.date(day.year, 3, 15)):
        return "consumer-day"
    if day.month == 4:
        return "constitution-month"
    if day.month == 5:
        return "civil-code-month"
    if week_of(day) == week_of(dt.date(day.year, 6, 26)):
        return "anti-drug-day"
    if week_of(day) == week_of(dt.date(day.year, 12, 4)):
        return "constitution-week"
    return ""


def next_campaign_weeks(campaign: str, week: dt.date, weekday: int, horizon: int = 60) -> list[dt.date]:
    """The weeks of ``campaign``'s next run after ``week`` (consecutive weeks; [] within ``horizon``)."""
    found: list[dt.date] = []
    for n in range(1, horizon):
        later = week + n * WEEK
        if campaign_on(later + dt.timedelta(days=weekday)) == campaign:
            found.append(later)
        elif found:
            break
    return found


def score(post: Post, demand: Mapping[str, int]) -> int:
    return sum(int(demand.get(topic, 0)) for topic in post.topics)


def choose(posts: Iterable[Post], week: dt.date, *, weekday: int = 0, history: Mapping[dt.date, str] | None = None,
           demand: Mapping[str, int] | None = None, no_repeat_weeks: int = 26) -> Choice:
    """The post for ``week`` (a Monday), given what was used when (``history``: week → slug)."""
    week = week_of(week)
    day = week + dt.timedelta(days=weekday)
    history, demand = history or {}, demand or {}
    last = _last_use(history, week)
    posts = list(posts)
    free = [p for p in posts if _eligible(p, week, day, history, no_repeat_weeks)]
    fixed = [p for p in free if p.date is not None]
    if fixed:
        return _pick("fixed", fixed, week, day, last, demand)
    campaign = campaign_on(day)
    if campaign:
        ours = [p for p in free if p.campaign == campaign]
        if ours:
            return _pick("campaign", ours, week, day, last, demand, campaign)
    everyday = [p for p in free if not p.campaign]
    if everyday:
        return _pick("demand", everyday, week, day, last, demand, campaign)
    spare = [p for p in free if p.campaign and p.campaign != campaign
             and _spare(p, posts, week, weekday, history, no_repeat_weeks)]
    if spare:
        return _pick("fallback", spare, week, day, last, demand, campaign)
    return Choice(week, day, None, "exhausted", campaign)


def plan(posts: Iterable[Post], first_week: dt.date, weeks: int, *, weekday: int = 0,
         history: Mapping[dt.date, str] | None = None, demand: Mapping[str, int] | None = None,
         no_repeat_weeks: int = 26) -> list[Choice]:
    """``weeks`` consecutive choices from ``first_week``; each week sees the ones planned before it.

    A week already in ``history`` keeps its post (what was published stays published).
    """
    posts = list(posts)
    known = dict(history or {})
    out: list[Choice] = []
    for n in range(weeks):
        week = week_of(first_week) + n * WEEK
        if week in known:
            out.append(Choice(week, week + dt.timedelta(days=weekday), known[week], "recorded",
                              campaign_on(week + dt.timedelta(days=weekday))))
            continue
        choice = choose(posts, week, weekday=weekday, history=known, demand=demand, no_repeat_weeks=no_repeat_weeks)
        if choice.slug:
            known[week] = choice.slug
        out.append(choice)
    return out


def _eligible(post: Post, week: dt.date, day: dt.date, history: Mapping[dt.date, str], no_repeat_weeks: int) -> bool:
    if post.earliest > day:
        return False
    if post.date is not None and week_of(post.date) != week:
        return False
    window = no_repeat_weeks * 7
    return not any(slug == post.slug and abs((week - used).days) < window for used, slug in history.items())


def _spare(post: Post, posts: list[Post], week: dt.date, weekday: int, history: Mapping[dt.date, str],
           no_repeat_weeks: int) -> bool:
    """Whether ``post``'s campaign can do without it at its next run if it is used in ``week``."""
    run = next_campaign_weeks(post.campaign, week, weekday)
    if not run or (run[0] - week).days >= no_repeat_weeks * 7:
        return True  # used now, it is free again by then
    others = [q for q in posts if q.campaign == post.campaign and q.slug != post.slug
              and q.date is None and _eligible(q, run[0], run[-1], history, no_repeat_weeks)]
    return len(others) >= len(run)


def _last_use(history: Mapping[dt.date, str], before: dt.date) -> dict[str, dt.date]:
    last: dict[str, dt.date] = {}
    for used, slug in history.items():
        if used < before and (slug not in last or used > last[slug]):
            last[slug] = used
    return last


def _pick(reason: str, posts: list[Post], week: dt.date, day: dt.date, last: Mapping[str, dt.date],
          demand: Mapping[str, int], campaign: str = "") -> Choice:
    def rank(post: Post) -> tuple[int, int, dt.date, dt.date, str]:
        used = last.get(post.slug)
        return (0 if used is None else 1, -score(post, demand), used or dt.date.min, post.earliest, post.slug)

    best = min(posts, key=rank)
    return Choice(week, day, best.slug, reason, campaign, score(best, demand))
