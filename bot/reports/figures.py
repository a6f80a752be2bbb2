"""The yearly law-based-government report's figures, for any date range, by month, village and kind.

Used by the console's ``/staff/stats`` and by ``pufabot report``. ``compute`` is pure (tickets and
counter days in, figures out); ``build_report`` gathers the inputs from the dispute facade and the
bot's counters. Definitions (each count is attributed to the period of its own event):

- 受理纠纷件数 ``received``: tickets created in the period, less consultations and chat alerts.
- 紧急求助件数 ``urgent_alerts``: urgent items the bot opened for a villager's danger messages
  (``source = "urgent"``, one per episode: handlers/urgent.py) created in the period and that staff
  have not mediated. Each is a 风险隐患 and counts in 响应率 (against its hours-long deadline), never in
  受理纠纷, 化解, 转办, 调解率 or 解决率; once staff start mediation or record a mediation outcome it
  is a dispute received like any report.
- 转人工法律咨询件数 ``consult_received``: legal questions villagers handed to a person (tickets of
  kind ``consult``, handlers/consult.py) created in the period. They count in 接待咨询 when staff
  answer, in 响应率 and 满意率, and never in 受理纠纷, 化解, 调解率, 解决率 or 风险隐患.
- 接待咨询人次 ``consultations`` = questions the bot answered from the knowledge base (counter
  ``faq``) + villagers answered by staff (tickets whose first response — a delivered reply, a
  scheduled visit, mediation started or an outcome — falls in the period).
- 受理业务总量 ``requests_total`` = 接待咨询人次 + 受理纠纷件数.
- 化解纠纷件数 ``resolved``: outcome 调解成功 recorded in the period; 调解率 ``mediation_rate`` =
  调解成功 / (调解成功 + 调解不成), both recorded in the period. ``referred``: 转… recorded.
- 风险隐患 ``risks_found``: tickets created in the period whose words (description, typed or
  transcribed attachments) contain a ``RISK_WORDS`` entry (violence, threats, self-harm, group
  petitions), or that were referred to the police; ``risks_resolved``: of those, outcome 调解成功;
  ``risks_referred``: of those, handed on (转…).
- 响应率 ``response_rate``: of the tickets created in the period whose response is due (or came),
  the share answered by ``due_at``. 解决率 ``solve_rate``: of the tickets created in the period,
  the share with 调解成功 or a referral. 满意率 ``satisfaction_rate``: of the ratings given to
  tickets closed in the period, the share of 4 and 5.
- 普法推送期数 ``posts_sent``: mass sends WeChat reported as delivered (MASSSENDJOBFINISH, status
  ``send success``) in the period; 普法推送送达人次 ``posts_reached``: the followers they reached
  (its ``SentCount``), counted on the day WeChat reported it.
- Tickets created more than ``LOOKBACK_DAYS`` before the period are not read (an outcome recorded
  in the period for such an old ticket is not counted).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Iterable
from zoneinfo import ZoneInfo

from bot.disputes.tickets import CONSULT  # a legal question handed to a person (pure module)

if TYPE_CHECKING:
    from bot.disputes import Disputes
    from bot.disputes.tickets import Ticket
    from bot.services import Services

SUCCESS, FAILED = "调解成功", "调解不成"
REFERRALS = ("转12345", "转司法所", "转法院", "转派出所")
MEDIATED = (SUCCESS, FAILED, "部分化解")  # outcomes that say staff mediated
RISK_WORDS = ("打架", "打人", "动手", "动刀", "拿刀", "持刀", "杀人", "威胁", "报复", "寻死", "自杀", "轻生",
              "喝农药", "喝药", "跳楼", "上访", "闹事", "堵路", "聚集", "群体", "拼命", "放火", "烧房")
LOOKBACK_DAYS = 400
PAGE = 500

# Column order and Chinese labels, shared by the page, the Markdown report and the CSV.
LABELS = {
    "requests_total": "受理业务总量", "consultations": "接待咨询人次", "consultations_bot": "其中：智能问答",
    "consultations_staff": "其中：工作人员答复", "consult_received": "转人工法律咨询件数",
    "urgent_alerts": "紧急求助件数", "received": "受理纠纷件数", "resolved": "化解纠纷件数",
    "mediation_rate": "调解率", "referred": "转办件数", "risks_found": "发现风险隐患",
    "risks_resolved": "化解风险隐患", "risks_referred": "移交风险隐患", "response_rate": "响应率",
    "solve_rate": "解决率", "satisfaction_rate": "满意率", "average_rating": "平均评分",
    "rated": "评价件数", "posts_sent": "普法推送期数", "posts_reached": "普法推送送达人次",
    "unanswered": "未答出的问题",
}
RATES = ("mediation_rate", "response_rate", "solve_rate", "satisfaction_rate")


MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True)
class Period:
    """A span of whole days. ``parse`` keeps to years the office can mean (dates near 9999-12-31 would
    overflow the day after ``end``)."""

    start: date
    end: date  # inclusive

    @classmethod
    def parse(cls, start: str, end: str) -> Period:
        try:
            period = cls(date.fromisoformat(start.strip()), date.fromisoformat(end.strip()))
        except ValueError:
            raise ValueError("日期格式应为 2026-01-01") from None
        if not (MIN_YEAR <= period.start.year and period.end.year <= MAX_YEAR):
            raise ValueError(f"日期应在{MIN_YEAR}年至{MAX_YEAR}年之间")
        if period.end < period.start:
            raise ValueError("结束日期早于开始日期")
        if (period.end - period.start).days > 3660:
            raise ValueError("时间跨度不能超过十年")
        return period

    @classmethod
    def this_year(cls, tz: str, now: float | None = None) -> Period:
        today = datetime.fromtimestamp(now or time.time(), ZoneInfo(tz)).date()
        return cls(date(today.year, 1, 1), today)

    def bounds(self, tz: str) -> tuple[float, float]:
        """[start, end) as epoch seconds: local midnight of start to local midnight after end."""
        zone = ZoneInfo(tz)
        begin = datetime.combine(self.start, datetime.min.time(), zone)
        finish = datetime.combine(self.end + timedelta(days=1), datetime.min.time(), zone)
        return begin.timestamp(), finish.timestamp()

    def days(self) -> list[str]:
        n = (self.end - self.start).days + 1
        return [(self.start + timedelta(days=i)).isoformat() for i in range(n)]

    def months(self) -> list[tuple[str, Period]]:
        out, cursor = [], self.start
        while cursor <= self.end:
            first_next = (cursor.replace(day=28) + timedelta(days=4)).replace(day=1)
            out.append((cursor.strftime("%Y-%m"), Period(cursor, min(self.end, first_next - timedelta(days=1)))))
            cursor = first_next
        return out

    def label(self) -> str:
        return f"{self.start.isoformat()} 至 {self.end.isoformat()}"


@dataclass
class Figures:
    received: int = 0
    consultations_bot: int = 0
    consultations_staff: int = 0
    consult_received: int = 0
    urgent_alerts: int = 0
    resolved: int = 0
    failed: int = 0
    referred: int = 0
    risks_found: int = 0
    risks_resolved: int = 0
    risks_referred: int = 0
    response_due: int = 0
    responded_on_time: int = 0
    solved: int = 0
    rated: int = 0
    satisfied: int = 0
    rating_sum: int = 0
    posts_sent: int = 0
    posts_reached: int = 0
    unanswered: int = 0

    @property
    def consultations(self) -> int:
        return self.consultations_bot + self.consultations_staff

    @property
    def requests_total(self) -> int:
        return self.consultations + self.received

    @property
    def mediation_rate(self) -> float | None:
        return ratio(self.resolved, self.resolved + self.failed)

    @property
    def response_rate(self) -> float | None:
        return ratio(self.responded_on_time, self.response_due)

    @property
    def solve_rate(self) -> float | None:
        return ratio(self.solved, self.received)

    @property
    def satisfaction_rate(self) -> float | None:
        return ratio(self.satisfied, self.rated)

    @property
    def average_rating(self) -> float | None:
        return round(self.rating_sum / self.rated, 2) if self.rated else None

    def value(self, name: str) -> Any:
        return getattr(self, name)


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def show(name: str, value: Any) -> str:
    """A figure as people read it: rates as percentages, missing as a dash."""
    if name in RATES:
        return percent(value)
    return "—" if value is None else str(value)


def ticket_words(ticket: Ticket) -> str:
    parts = [ticket.description or ""]
    for item in ticket.attachments or []:
        parts += [str(item.get(k, "")) for k in ("text", "recognition", "label")]
    return " ".join(parts)


def is_risk(ticket: Ticket) -> bool:
    words = ticket_words(ticket)
    if getattr(ticket, "source", "") == "urgent":  # an emergency the bot alerted staff to
        return True
    return ticket.outcome == "转派出所" or any(w in words for w in RISK_WORDS)


def is_alert_only(ticket: Any) -> bool:
    """An urgent item the bot opened for danger messages, which staff have not (yet) mediated."""
    mediated = ticket.state == "mediating" or ticket.outcome in MEDIATED
    return getattr(ticket, "source", "") == "urgent" and not mediated


def _within(ts: float | None, start: float, end: float) -> bool:
    return ts is not None and start <= ts < end


def compute(tickets: Iterable[Any], counter_days: dict[str, dict[str, int]], start: float, end: float,
            now: float) -> Figures:
    """The figures of [start, end) (pure). ``counter_days``: the bot's day hashes of that period."""
    f = Figures()
    for day in counter_days.values():
        for key, n in day.items():
            metric = key.split("|", 1)[0]
            if metric == "faq":
                f.consultations_bot += n
            elif metric == "unanswered":
                f.unanswered += n
            elif metric == "post_sent":
                f.posts_sent += n
            elif metric == "post_reach":
                f.posts_reached += n
    for t in tickets:
        _count_ticket(f, t, start, end, now)
    return f


def _count_response(f: Figures, t: Any, now: float) -> None:
    if t.first_response_at is not None or t.due_at <= now:
        f.response_due += 1
        f.responded_on_time += t.first_response_at is not None and t.first_response_at <= t.due_at


def _count_ticket(f: Figures, t: Any, start: float, end: float, now: float) -> None:
    if _within(t.first_response_at, start, end):
        f.consultations_staff += 1
    alert = is_alert_only(t)
    if _within(t.resolved_at, start, end) and t.kind != CONSULT and not alert:
        f.resolved += t.outcome == SUCCESS
        f.failed += t.outcome == FAILED
        f.referred += t.outcome in REFERRALS
    if _within(t.closed_at, start, end) and t.rating is not None:
        f.rated += 1
        f.satisfied += t.rating >= 4
        f.rating_sum += int(t.rating)
    if not _within(t.created_at, start, end):
        return
    if t.kind == CONSULT:  # a question handed to a person: a consultation, not a dispute
        f.consult_received += 1
        _count_response(f, t, now)
        return
    _count_response(f, t, now)
    if alert:  # a danger the bot alerted staff to: a risk, not a dispute received
        f.urgent_alerts += 1
    else:
        f.received += 1
        f.solved += t.outcome == SUCCESS or t.outcome in REFERRALS
    if alert or is_risk(t):
        f.risks_found += 1
        f.risks_resolved += t.outcome == SUCCESS
        f.risks_referred += t.outcome in REFERRALS


@dataclass
class Report:
    period: Period
    generated_at: float
    totals: Figures
    by_month: list[tuple[str, Figures]] = field(default_factory=list)
    by_village: list[tuple[str, Figures]] = field(default_factory=list)
    by_kind: list[tuple[str, Figures]] = field(default_factory=list)
    top_topics: list[tuple[str, int]] = field(default_factory=list)
    unanswered: list[tuple[str, int, str]] = field(default_factory=list)  # (question, times, last day)
    rating_comments: list[tuple[str, str, int, str]] = field(default_factory=list)  # (day closed, ticket, score, words)


def rating_comments(tickets: Iterable[Any], start: float, end: float, tz: str) -> list[tuple[str, str, int, str]]:
    """What villagers said with their ratings of tickets closed in [start, end), oldest first,
    masked (``bot.logs.mask``: a phone or name typed in a comment never reaches the report)."""
    from bot.logs import mask

    rows = [(float(t.closed_at), str(t.id), int(t.rating), mask(str(t.rating_comment))) for t in tickets
            if _within(t.closed_at, start, end) and t.rating is not None and t.rating_comment]
    return [(datetime.fromtimestamp(at, ZoneInfo(tz)).strftime("%Y-%m-%d"), ticket, score, words)
            for at, ticket, score, words in sorted(rows)]


def top_topics(counter_days: dict[str, dict[str, int]], limit: int = 20) -> list[tuple[str, int]]:
    counts: Counter[str] = Counter()
    for day in counter_days.values():
        for key, n in day.items():
            metric, _, label = key.partition("|")
            if metric == "faq" and label:
                counts[label] += n
    return counts.most_common(limit)


def unanswered_todo(items: Iterable[dict[str, str]], period: Period, limit: int = 100) -> list[tuple[str, int, str]]:
    """The questions the bot could not answer in the period, most asked first (the KB's to-do list).

    Masked again here (``bot.logs.mask``): entries written before the masking learnt a form
    (phones with spaces, names after 我叫) must not reach the console, the CSV or the report."""
    from bot.logs import mask

    first, last = period.start.isoformat(), period.end.isoformat()
    counts: Counter[str] = Counter()
    latest: dict[str, str] = {}
    for item in items:
        day, question = item.get("day", ""), mask(" ".join(str(item.get("q", "")).split()))
        if question and first <= day <= last:
            counts[question] += 1
            latest[question] = max(latest.get(question, ""), day)
    ranked = sorted(counts.items(), key=lambda kv: latest[kv[0]], reverse=True)  # recent first on ties
    ranked.sort(key=lambda kv: kv[1], reverse=True)
    return [(q, n, latest[q]) for q, n in ranked[:limit]]


def compose(tickets: list[Any], counter_days: dict[str, dict[str, int]], unanswered: list[dict[str, str]],
            period: Period, tz: str, villages: Iterable[str], kinds: Iterable[str], now: float) -> Report:
    """The whole report from its inputs (pure)."""
    start, end = period.bounds(tz)
    report = Report(period, now, compute(tickets, counter_days, start, end, now))
    for label, month in period.months():
        m_start, m_end = month.bounds(tz)
        days = {d: counter_days.get(d, {}) for d in month.days()}
        report.by_month.append((label, compute(tickets, days, m_start, m_end, now)))
    seen_villages = list(villages) + sorted({t.village for t in tickets if t.village} - set(villages))
    report.by_village = [(v, compute([t for t in tickets if t.village == v], {}, start, end, now))
                         for v in seen_villages]
    report.by_kind = [(k, compute([t for t in tickets if t.kind == k], {}, start, end, now)) for k in kinds]
    report.top_topics = top_topics(counter_days)
    report.unanswered = unanswered_todo(unanswered, period)
    report.rating_comments = rating_comments(tickets, start, end, tz)
    return report


def load_tickets(disputes: Disputes, start: float, end: float) -> list[Ticket]:
    """Every ticket created from ``LOOKBACK_DAYS`` before ``start`` up to ``end``, page by page."""
    since, offset, out = start - LOOKBACK_DAYS * 86400, 0, []
    while True:
        rows, total = disputes.list(since=since, until=end, offset=offset, limit=PAGE, oldest_first=True)
        out.extend(rows)
        offset += PAGE
        if not rows or offset >= total:
            return out


def build_report(services: Services, period: Period, now: float | None = None) -> Report:
    """Gather tickets and counters for ``period`` and compose the report."""
    from bot.disputes.tickets import ALL_KINDS

    now = time.time() if now is None else now
    tz = services.config.posts.timezone
    start, end = period.bounds(tz)
    services.counters.flush()  # this process's buffered counts belong in the figures too
    counter_days = services.counters.read_days(period.days())
    tickets = load_tickets(services.disputes, start, end)
    unanswered = services.counters.unanswered(limit=5000)
    return compose(tickets, counter_days, unanswered, period, tz, services.config.bot.villages, ALL_KINDS, now)
