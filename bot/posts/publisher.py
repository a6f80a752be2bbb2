"""Publishing one week's post exactly once, through the WeChat API (Redis, no Flask).

One record per week, ``{posts}:week:<Monday>`` (a hash), says what happened: the post chosen, the
status, WeChat's ids (cover ``thumb_media_id``, draft ``media_id``, mass-send ``msg_id``,
``publish_id``, ``article_url``), attempts and the last error. The steps (platform notes §14-15):
permanent cover → draft/add → message/mass/sendall with the clientmsgid ``weekly-<Monday>``
(mode ``mass_send`` or ``both``) and/or draft/add → freepublish/submit (``publish`` or ``both``;
a draft is spent once sent or published, so ``both`` makes two drafts).

Guarantees:
- Exactly once per week across workers, hosts and restarts: only the holder of the week's lock
  (``SET NX EX``) works on it, every result is written, by a Lua script, only while that lock is
  still held (a worker that lost its lock stops before the next WeChat call), and each step is
  skipped when its id is already recorded. If a send went through but the record did not, the
  retry sends the same clientmsgid and WeChat answers 45065, which counts as sent.
- A failure is never silent: each failed attempt is written to the record, pushed to the alerts
  list the staff console shows (``{posts}:alerts``) and logged at ERROR with WeChat's errcode.
  Attempts are retried after ``retry_base_seconds * 2**(n-1)`` until ``max_attempts``, then the
  week is ``failed`` until an operator pushes it again (``pufabot posts push``). A week nobody
  started in time is ``missed`` and one without a usable post ``skipped``; both are alerts too.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import time
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable

from bot.config import PostsConfig
from bot.store import lua
from bot.store.client import RedisClient, as_fields, text, text_map
from bot.store.keys import Keys
from bot.wechat.api import WeChatAPI, WeChatError

log = logging.getLogger(__name__)
LOCK_SECONDS = 300
ALERTS_KEEP = 200
DUPLICATE_CLIENTMSGID = 45065
INVALID_MEDIA_ID = 40007

SAVE = lua.source("post_save.lua")  # KEYS and ARGV documented in the file
RELEASE = lua.source("lock_release.lua")  # KEYS and ARGV documented in the file


class Status(str, Enum):
    PLANNED = "planned"  # chosen, not sent yet
    RETRYING = "retrying"  # an attempt failed; another follows at next_attempt_at
    SENT = "sent"  # done: mass-sent and/or published as the mode says
    FAILED = "failed"  # max_attempts used; waits for an operator
    SKIPPED = "skipped"  # no post could be chosen for the week
    MISSED = "missed"  # nobody started it in time (no worker ran); waits for an operator


DONE = {Status.SENT.value, Status.SKIPPED.value}
STOPPED = {Status.FAILED.value, Status.MISSED.value}  # only an operator's push restarts these


class PublishRefused(WeChatError):
    """WeChat finished the publication with a failure status (review, originality, ...)."""


class LockLost(Exception):
    """Another worker took the week over (our lock expired): stop before touching WeChat again."""


@dataclass(frozen=True)
class Article:
    """Everything WeChat needs for one post."""

    slug: str
    title: str
    author: str
    digest: str
    content: str
    cover_name: str
    cover: bytes
    source_url: str = ""

    def draft(self, thumb_media_id: str) -> dict[str, Any]:
        return {"title": self.title, "author": self.author, "digest": self.digest, "content": self.content,
                "content_source_url": self.source_url, "thumb_media_id": thumb_media_id,
                "need_open_comment": 0, "only_fans_can_comment": 0}


@dataclass(frozen=True)
class Outcome:
    """What one call to ``Publisher.run`` did: ``action`` is sent / already / skipped / failed /
    retrying / waiting / busy / not-due; ``record`` the week's record afterwards."""

    action: str
    record: dict[str, str]


class Publisher:
    def __init__(self, redis: RedisClient, keys: Keys, wechat: WeChatAPI, config: PostsConfig,
                 alert_text: Callable[[str, dict[str, str]], str] | None = None):
        self.redis = redis
        self.keys = keys
        self.wechat = wechat
        self.config = config
        self.alert_text = alert_text or (lambda kind, record: kind)
        self._save_script = redis.register_script(SAVE)
        self._release_script = redis.register_script(RELEASE)

    # -- reading ----------------------------------------------------------------------------------
    def record(self, week: dt.date) -> dict[str, str]:
        return dict(text_map(self.redis.hgetall(self.keys.posts(f"week:{week.isoformat()}"))))

    def weeks(self, until: dt.date | None = None, limit: int = 12) -> list[dt.date]:
        """Recorded weeks, newest first (up to ``until``)."""
        top = until.toordinal() if until else "+inf"
        found = self.redis.zrevrangebyscore(self.keys.posts("weeks"), top, "-inf", start=0, num=limit)
        return [dt.date.fromisoformat(text(w)) for w in found]

    def records(self, weeks: list[dt.date]) -> list[dict[str, str]]:
        pipe = self.redis.pipeline(transaction=False)
        for week in weeks:
            pipe.hgetall(self.keys.posts(f"week:{week.isoformat()}"))
        return [dict(r) for r in pipe.execute()]

    def history(self) -> dict[dt.date, str]:
        """Week → slug of every week that has a post (sent, or chosen and still being sent)."""
        weeks = self.weeks(limit=10000)
        return {w: r["slug"] for w, r in zip(weeks, self.records(weeks)) if r.get("slug")}

    def alerts(self, limit: int = 50) -> list[dict[str, Any]]:
        return [json.loads(a) for a in self.redis.lrange(self.keys.posts("alerts"), 0, limit - 1)]

    # -- WeChat's report on a mass send -----------------------------------------------------------
    def record_mass_result(self, msg_id: str, result: dict[str, Any], search_weeks: int = 12) -> dict[str, str] | None:
        """Write MASSSENDJOBFINISH's figures to the record of the week whose ``msg_id`` it names
        (among the last ``search_weeks``); None when no week of ours sent it (a console send)."""
        if not msg_id or msg_id == "0":
            return None
        weeks = self.weeks(limit=search_weeks)
        for week, record in zip(weeks, self.records(weeks)):
            if record.get("msg_id") == msg_id:
                fields = {f"mass_{k}": str(v) for k, v in result.items()}
                self.redis.hset(self.keys.posts(f"week:{week.isoformat()}"), mapping=as_fields(fields))
                return {**record, **fields}
        return None

    # -- the job ----------------------------------------------------------------------------------
    def run(self, week: dt.date, now: float, pick: Callable[[], tuple[str | None, dict[str, str]]],
            article: Callable[[str], Article], force: bool = False, start_by: float | None = None) -> Outcome:
        """Do (or finish) the week's publication if it is due; safe to call from any number of workers.

        ``pick()`` chooses the post (slug or None, plus fields to record) the first time only;
        ``article(slug)`` renders it. A week not started by ``start_by`` is recorded as missed
        (and staff are told) instead of going out late. ``force`` (an operator's push) ignores
        the back-off and restarts a failed, missed or skipped week; a sent week is never sent again.
        """
        record = self.record(week)
        if not force and not self._due(record, now):
            return Outcome(self._settled(record), record)
        token = secrets.token_hex(16)
        lock = self.keys.posts(f"lock:{week.isoformat()}")
        if not self.redis.set(lock, token, nx=True, ex=LOCK_SECONDS):
            return Outcome("busy", record)
        try:
            return self._run_locked(week, token, now, pick, article, force, start_by)
        except LockLost:
            log.warning("weekly post: lost the lock, another worker continues", extra={"week": week.isoformat()})
            return Outcome("busy", self.record(week))
        finally:
            self._release_script(keys=[lock], args=[token])

    def _run_locked(self, week: dt.date, token: str, now: float, pick: Callable[[], tuple[str | None, dict[str, str]]],
                    article: Callable[[str], Article], force: bool, start_by: float | None) -> Outcome:
        record = self.record(week)  # again, under the lock
        if record.get("status") == Status.SENT.value or (record.get("status") in DONE and not force):
            return Outcome(self._settled(record), record)
        if not force and not self._due(record, now):
            return Outcome(self._settled(record), record)
        if not record and not force and start_by is not None and now > start_by:
            record = self._save(week, token, {"week": week.isoformat(), "slug": "", "created_at": now,
                                              "attempts": 0, "status": Status.MISSED.value})
            self.alert("missed", record, now)
            return Outcome("missed", record)
        if not record.get("slug"):  # first time, or an operator restarts a missed/skipped week
            slug, fields = pick()
            record = self._save(week, token, {**fields, "week": week.isoformat(), "slug": slug or "",
                                              "created_at": now, "attempts": 0, "mode": self.config.mode,
                                              "status": (Status.PLANNED if slug else Status.SKIPPED).value})
            if not slug:
                self.alert("skipped", record, now)
                return Outcome("skipped", record)
        if force and record.get("status") in STOPPED:
            record = self._save(week, token, {"attempts": 0, "status": Status.RETRYING.value})
        try:
            record = self._steps(week, token, record, article(record["slug"]), now)
        except LockLost:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure (WeChat, network, a bug) is an attempt
            return self._failed(week, token, record, exc, now)
        recovered = record.get("status") == Status.RETRYING.value
        record = self._save(week, token, {"status": Status.SENT.value, "sent_at": now, "error": "", "errcode": ""})
        log.info("weekly post sent", extra={"week": week.isoformat(), "slug": record["slug"],
                                            "msg_id": record.get("msg_id", ""),
                                            "publish_id": record.get("publish_id", "")})
        if recovered:
            self.alert("recovered", record, now)
        return Outcome("sent", record)

    def _due(self, record: dict[str, str], now: float) -> bool:
        status = record.get("status", "")
        if status in DONE or status in STOPPED:
            return False
        return status != Status.RETRYING.value or now >= float(record.get("next_attempt_at") or 0)

    @staticmethod
    def _settled(record: dict[str, str]) -> str:
        return {"sent": "already", "skipped": "skipped", "failed": "failed", "missed": "missed"}.get(
            record.get("status", ""), "waiting")

    # -- the WeChat steps, each recorded as soon as it succeeds -----------------------------------
    def _steps(self, week: dt.date, token: str, record: dict[str, str], article: Article, now: float) -> dict[str, str]:
        mode = self.config.mode
        if not record.get("thumb_media_id"):
            res = self.wechat.upload_media("image", article.cover_name, article.cover, permanent=True)
            record = self._save(week, token, {"thumb_media_id": res["media_id"], "cover_url": res.get("url", "")})
        if mode in ("mass_send", "both") and not record.get("msg_id"):
            record = self._mass_send(week, token, record, article)
        if mode in ("publish", "both") and not record.get("publish_id"):
            record = self._publish(week, token, record, article)
        if record.get("publish_id") and not record.get("article_url"):
            try:
                record = self.refresh_article_url(week, record, token)
            except PublishRefused:
                raise
            except WeChatError as exc:  # published all the same: the worker asks again next minute
                log.warning("weekly post: article URL not known yet: %s", exc, extra={"week": week.isoformat()})
        return record

    def _draft(self, week: dt.date, token: str, record: dict[str, str], article: Article, field: str) -> dict[str, str]:
        if record.get(field):
            return record
        try:
            res = self.wechat.add_draft([article.draft(record["thumb_media_id"])])
        except WeChatError as exc:
            if exc.errcode == INVALID_MEDIA_ID:  # the cover is gone: upload it again next attempt
                self._save(week, token, {"thumb_media_id": ""})
            raise
        return self._save(week, token, {field: res["media_id"]})

    def _mass_send(self, week: dt.date, token: str, record: dict[str, str], article: Article) -> dict[str, str]:
        record = self._draft(week, token, record, article, "draft_media_id")
        try:
            res = self.wechat.mass_send(record["draft_media_id"], self.config.tag_id, client_msg_id=clientmsgid(week))
        except WeChatError as exc:
            if exc.errcode == DUPLICATE_CLIENTMSGID:  # sent before the record was written
                log.warning("weekly post: clientmsgid already used, counting it as sent",
                            extra={"week": week.isoformat()})
                return self._save(week, token, {"msg_id": "duplicate", "msg_data_id": ""})
            if exc.errcode == INVALID_MEDIA_ID:  # the draft is gone: make a new one next attempt
                self._save(week, token, {"draft_media_id": ""})
            raise
        return self._save(week, token, {"msg_id": res.get("msg_id", ""), "msg_data_id": res.get("msg_data_id", "")})

    def _publish(self, week: dt.date, token: str, record: dict[str, str], article: Article) -> dict[str, str]:
        record = self._draft(week, token, record, article, "publish_draft_media_id")
        try:
            res = self.wechat.submit_publish(record["publish_draft_media_id"])
        except WeChatError as exc:
            if exc.errcode == INVALID_MEDIA_ID:
                self._save(week, token, {"publish_draft_media_id": ""})
            raise
        return self._save(week, token, {"publish_id": res.get("publish_id", "")})

    def refresh_article_url(self, week: dt.date, record: dict[str, str], token: str | None = None) -> dict[str, str]:
        """Ask WeChat whether the publication finished and keep its article URL (freepublish/get).

        Without ``token`` (a later check) it writes without the lock: only the URL fields change.
        """
        res = self.wechat.call("post", "freepublish/get", data={"publish_id": record["publish_id"]})
        status = int(res.get("publish_status", 1))
        fields: dict[str, Any] = {"publish_status": status}
        items = (res.get("article_detail") or {}).get("item") or []
        if status == 0 and items:
            fields["article_url"] = items[0].get("article_url", "")
        if token is None:
            self.redis.hset(self.keys.posts(f"week:{week.isoformat()}"), mapping=as_fields(fields))
            record = {**record, **{k: str(v) for k, v in fields.items()}}
            if status >= 2:
                self.alert("publish_failed", record, time.time())
            return record
        if status >= 2:  # refused or failed: publish again (new draft) on the next attempt
            self._save(week, token, {"publish_id": "", "publish_draft_media_id": "", **fields})
            raise PublishRefused(None, f"freepublish failed with publish_status {status}")
        return self._save(week, token, fields)

    # -- records, failures, alerts ----------------------------------------------------------------
    def _save(self, week: dt.date, token: str, fields: dict[str, Any]) -> dict[str, str]:
        fields = {**fields, "updated_at": time.time()}
        values = {k: str(v.value if isinstance(v, Enum) else v) for k, v in fields.items()}
        args: list[Any] = [token, week.toordinal(), week.isoformat()]
        for key, value in values.items():
            args += [key, value]
        keys = [self.keys.posts(f"lock:{week.isoformat()}"), self.keys.posts(f"week:{week.isoformat()}"),
                self.keys.posts("weeks")]
        if not self._save_script(keys=keys, args=args):
            raise LockLost(week.isoformat())
        return self.record(week)

    def _failed(self, week: dt.date, token: str, record: dict[str, str], exc: Exception, now: float) -> Outcome:
        attempts = int(record.get("attempts") or 0) + 1
        final = attempts >= self.config.max_attempts
        errcode = getattr(exc, "errcode", None)
        errmsg = getattr(exc, "errmsg", None) or f"{type(exc).__name__}: {exc}"
        wait = self.config.retry_base_seconds * 2 ** (attempts - 1)
        record = self._save(week, token, {
            "attempts": attempts, "status": (Status.FAILED if final else Status.RETRYING).value,
            "next_attempt_at": "" if final else now + wait, "errcode": "" if errcode is None else errcode,
            "error": errmsg[:300], "failed_at": now})
        log.error("weekly post attempt %d/%d failed", attempts, self.config.max_attempts,
                  exc_info=not isinstance(exc, WeChatError),
                  extra={"week": week.isoformat(), "slug": record.get("slug", ""), "errcode": errcode,
                         "errmsg": errmsg[:300], "final": final, "retry_in": None if final else wait})
        self.alert("failed" if final else "retry", record, now)
        return Outcome("failed" if final else "retrying", record)

    def alert(self, kind: str, record: dict[str, str], now: float) -> None:
        alert = {"at": now, "kind": kind, "week": record.get("week", ""), "slug": record.get("slug", ""),
                 "title": record.get("title", ""), "attempts": record.get("attempts", ""),
                 "errcode": record.get("errcode", ""), "error": record.get("error", ""),
                 "text": self.alert_text(kind, record)}
        pipe = self.redis.pipeline(transaction=False)
        pipe.lpush(self.keys.posts("alerts"), json.dumps(alert, ensure_ascii=False))
        pipe.ltrim(self.keys.posts("alerts"), 0, ALERTS_KEEP - 1)
        pipe.execute()
        if kind in ("skipped", "missed", "mass_failed"):
            log.error("weekly post %s: %s", kind, alert["text"], extra={"week": alert["week"]})


def clientmsgid(week: dt.date) -> str:
    """The mass send's dedupe id: the same for every attempt of one week (WeChat keeps it 24 h)."""
    return f"weekly-{week.isoformat()}"
