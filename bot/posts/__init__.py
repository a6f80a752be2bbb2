"""Weekly law-popularisation posts (国旗下普法 on the official account).

``build(services)`` returns ``Posts``, the one object the rest of the bot uses: the chat asks it
for this week's post (``current``) and for a related post under a topic answer
(``with_related``); the worker calls ``run_due`` every minute; the CLI plans, pushes, renders for
review, exports slogans and shows the status; the public blueprint (``bot.posts.pages``) serves
the rendered posts. Parts: ``library`` (load + lint), ``planner`` (pure calendar), ``render``
(Markdown → WeChat HTML), ``cover``, ``publisher`` (exactly once: lock + record).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.store.client import RedisClient
from bot.store.keys import Keys
from bot.posts import planner, render
from bot.posts.cover import cover
from bot.posts.library import Library, Post
from bot.posts.publisher import Article, Outcome, Publisher, Status
from bot.wechat.api import WeChatAPI, WeChatError

if TYPE_CHECKING:
    from bot.services import Services
    from bot.store.counters import BufferedCounters
    from bot.texts import Texts

log = logging.getLogger(__name__)
DEMAND_DAYS = 28  # "what villagers asked most recently"
MAX_REPLY_BYTES = 2048  # WeChat's limit for one passive text reply (platform notes §8)
# A week's post may start this long after its scheduled time (a worker restarted late catches up);
# later it is recorded as missed and staff are told, rather than reaching followers days late.
CATCH_UP_SECONDS = 24 * 3600


@dataclass(frozen=True)
class WeeklyPost:
    """This week's post as the chat shows it (a one-article news reply)."""

    slug: str
    title: str
    digest: str
    url: str
    image: str
    week: dt.date


class Posts:
    def __init__(self, config: Config, redis: RedisClient, keys: Keys, wechat: WeChatAPI, counters: BufferedCounters,
                 texts: Texts, library: Library | None = None):
        self.config = config
        self.settings = config.posts
        self.tz = ZoneInfo(config.posts.timezone)
        self.counters = counters
        self.texts = texts
        self.library = library if library is not None else Library.load()
        self.publisher = Publisher(redis, keys, wechat, config.posts, self._alert_text)
        for name, why in self.library.broken.items():
            log.error("post file skipped: %s", why, extra={"file": name})

    # -- calendar ---------------------------------------------------------------------------------
    def today(self, now: float | None = None) -> dt.date:
        return dt.datetime.fromtimestamp(time.time() if now is None else now, self.tz).date()

    def active_week(self, now: float) -> dt.date:
        s = self.settings
        return planner.active_week(now, s.weekday, s.time, s.timezone)

    def scheduled_at(self, week: dt.date) -> dt.datetime:
        s = self.settings
        return planner.scheduled_at(week, s.weekday, s.time, s.timezone)

    def demand(self, today: dt.date) -> dict[str, int]:
        """Topic id → questions answered in the last ``DEMAND_DAYS`` days (the bot's counters)."""
        days = [(today - dt.timedelta(days=n)).isoformat() for n in range(DEMAND_DAYS)]
        totals: dict[str, int] = {}
        for fields in self.counters.read_days(days).values():
            for name, count in fields.items():
                if name.startswith("faq|"):
                    totals[name[4:]] = totals.get(name[4:], 0) + int(count)
        return totals

    def plan(self, first_week: dt.date, weeks: int, now: float | None = None) -> list[planner.Choice]:
        """The coming weeks as the worker would publish them (recorded weeks keep their post)."""
        return planner.plan(self.library, first_week, weeks, weekday=self.settings.weekday,
                            history=self.publisher.history(), demand=self.demand(self.today(now)),
                            no_repeat_weeks=self.settings.no_repeat_weeks)

    def choose(self, week: dt.date, now: float | None = None) -> planner.Choice:
        history = {w: s for w, s in self.publisher.history().items() if w != week}
        return planner.choose(self.library, week, weekday=self.settings.weekday, history=history,
                              demand=self.demand(self.today(now)), no_repeat_weeks=self.settings.no_repeat_weeks)

    # -- publishing -------------------------------------------------------------------------------
    def run_due(self, now: float) -> Outcome:
        """The worker's weekly job: publish (or retry, or finish) the active week if it is due."""
        week = self.active_week(now)
        record = self.publisher.record(week)
        if record.get("publish_id") and not record.get("article_url") and int(record.get("publish_status") or 1) < 2:
            try:
                self.publisher.refresh_article_url(week, record)
            except WeChatError as exc:  # only the link waits; the next minute asks again
                log.warning("could not read the publication's article URL: %s", exc, extra={"week": week.isoformat()})
        start_by = self.scheduled_at(week).timestamp() + CATCH_UP_SECONDS
        return self.publisher.run(week, now, lambda: self._pick(week, now), self.article, start_by=start_by)

    def push(self, week: dt.date, now: float) -> Outcome:
        """An operator's push: now, whatever the schedule; restarts a failed, missed or skipped week;
        never sends a week twice."""
        return self.publisher.run(planner.week_of(week), now, lambda: self._pick(week, now), self.article, force=True)

    def _pick(self, week: dt.date, now: float) -> tuple[str | None, dict[str, str]]:
        choice = self.choose(week, now)
        post = self.library.get(choice.slug) if choice.slug else None
        fields = {"reason": choice.reason, "campaign": choice.campaign, "score": str(choice.score)}
        if post:
            fields.update(title=post.title, digest=post.digest)
        return choice.slug, fields

    def article(self, slug: str) -> Article:
        post = self.library.get(slug)
        if post is None:
            raise LookupError(f"post {slug!r} is not in knowledge/posts (renamed or removed?)")
        name, image = cover(post)
        source = self._url(slug) if self.settings.public_base_url else ""
        content = render.to_html(post.body, self.texts.get("post_footer"))
        return Article(slug, post.title, post.author, post.digest, content, name, image, source)

    def dry_run(self, week: dt.date, out_dir: Path, now: float | None = None) -> Path:
        """Render the week's post to ``out_dir/weekly-<Monday>-<slug>.html`` (+ its cover) for review."""
        week = planner.week_of(week)
        record = self.publisher.record(week)
        choice = self.choose(week, now)
        slug = record.get("slug") or choice.slug
        if not slug:
            raise LookupError(f"no post can be used in the week of {week}")
        post, art = self.library.get(slug), self.article(slug)
        assert post is not None
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = f"weekly-{week.isoformat()}-{slug}"
        (out_dir / f"{stem}-{art.cover_name}").write_bytes(art.cover)
        review = {"周": f"{week} （{self.scheduled_at(week):%Y-%m-%d %H:%M} 推送）",
                  "选择原因": self.reason_label(record.get("reason") or choice.reason), "活动": post.campaign or "无",
                  "摘要": post.digest, "作者": post.author, "LED标语": post.slogan,
                  "正文字数": str(post.chars), "HTML字符数": str(len(art.content)),
                  "记录状态": record.get("status", "未发送")}
        html = render.page(post.title, post.author, art.content, f"{stem}-{art.cover_name}", review)
        path = out_dir / f"{stem}.html"
        path.write_text(html, encoding="utf-8")
        return path

    # -- what the chat and the public pages show ---------------------------------------------------
    def current(self, now: float | None = None) -> WeeklyPost | None:
        """The latest post sent up to the active week (None before the first one)."""
        weeks = self.publisher.weeks(until=self.active_week(now or time.time()), limit=8)
        for week, record in zip(weeks, self.publisher.records(weeks)):
            if record.get("status") == Status.SENT.value and record.get("slug"):
                slug = record["slug"]
                return WeeklyPost(slug, record.get("title", ""), record.get("digest", ""),
                                  record.get("article_url") or self._url(slug),
                                  record.get("cover_url") or self._url(slug) + "/cover.png", week)
        return None

    def with_related(self, topic_id: str, reply: str, now: float | None = None) -> str:
        """``reply`` plus a line linking a post about ``topic_id``; ``reply`` alone when there is no
        such post, no ``[posts] public_base_url``, or the line would take it over WeChat's 2048 bytes.
        Reads no Redis (the chat calls it on every topic answer)."""
        if not self.settings.public_base_url:
            return reply
        post = self.library.related(topic_id, self.today(now or None))
        if post is None:
            return reply
        line = "\n" + self.texts.get("post_related", title=post.title, url=self._url(post.slug))
        return reply + line if len((reply + line).encode("utf-8")) <= MAX_REPLY_BYTES else reply

    def page(self, slug: str) -> str | None:
        post = self.library.get(slug)
        if post is None:
            return None
        content = render.to_html(post.body, self.texts.get("post_footer"))
        return render.page(post.title, post.author, content, f"{self._url(slug)}/cover.png")

    def cover(self, slug: str) -> tuple[str, bytes] | None:
        post = self.library.get(slug)
        return cover(post) if post else None

    def _url(self, slug: str) -> str:
        base = self.settings.public_base_url or self.config.web.public_url
        return f"{base.rstrip('/')}/posts/{slug}"

    # -- operators ----------------------------------------------------------------------------------
    def status(self, limit: int = 8) -> dict[str, Any]:
        """Recent weeks' records and alerts, for ``pufabot posts status`` and the staff console."""
        weeks = self.publisher.weeks(limit=limit)
        return {"weeks": self.publisher.records(weeks), "alerts": self.publisher.alerts(20)}

    def alerts(self, limit: int = 50) -> list[dict[str, Any]]:
        return self.publisher.alerts(limit)

    def mass_send_finished(self, msg_id: str, status: str, *, total: int, filtered: int, sent: int, errors: int,
                           now: float) -> dict[str, str] | None:
        """WeChat reported a mass send done: record it on its week and return that week's record;
        None when the send was not one of our weekly posts (staff may mass-send from the WeChat
        console, and a forged push names any MsgID): the caller records those apart."""
        record = self.publisher.record_mass_result(msg_id, {
            "status": status, "total": total, "filtered": filtered, "sent": sent, "errors": errors,
            "finished_at": int(now)})
        if record is None:
            log.info("mass send finished that no weekly post made", extra={"msg_id": msg_id, "status": status})
            return None
        if not mass_send_succeeded(status):
            self.publisher.alert("mass_failed", record, now)
        return record

    def reason_label(self, reason: str) -> str:
        key = f"post_reason_{reason}"
        return self.texts.get(key) if key in self.texts else reason

    def _alert_text(self, kind: str, record: dict[str, str]) -> str:
        values = {k: record.get(k, "") for k in ("week", "title", "attempts", "error", "errcode", "publish_status",
                                                   "mass_status")}
        return str(self.texts.get(f"post_alert_{kind}", **values))


def mass_send_succeeded(status: str) -> bool:
    """MASSSENDJOBFINISH's ``Status`` for a delivered send: ``send success``, also spelled
    ``sendsuccess`` in the wild."""
    return status.strip().lower().replace(" ", "") == "sendsuccess"


def build(services: Services) -> Posts:
    """The posts facade over the bot's services (Redis, WeChat client, counters, texts)."""
    return Posts(services.config, services.redis, services.keys, services.wechat, services.counters, services.texts)


__all__ = ["Post", "Posts", "WeeklyPost", "build"]
