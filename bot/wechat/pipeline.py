"""One verified, parsed message in; one reply out. Dedupe, state and handlers meet here (no Flask).

Round trips: a message that needs no conversation state costs exactly one Redis round trip (the
``begin`` script stores the reply computed speculatively); one in a conversation costs two.
A retry of a message still at work waits for its reply; when WeChat's 5 s are nearly spent it tells
the villager the answer is coming, and the first delivery sends it by customer-service message
(``bot.store.dedupe`` explains the hand-over).
When Redis is unreachable every verified message is kept in the inbound spool (``bot.wechat.inbound``)
and handled once Redis is back, by the villager's conversation as it was then (a description sent
mid-report lands in the report, a message to staff in the thread). What is safe to say at once is
said at once (``_said_now``): an emergency gets its emergency step, a question asked outright its
answer from the in-memory knowledge base; anything else is told honestly that it is kept and will be
answered. The captured-URL check then runs against this host's record (``bot.store.replay_local``).
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from bot.errors import SignatureError
from bot.store.dedupe import claim_marker, fingerprint, is_pending
from bot.store.replay import ReplayCheck
from bot.logs import mask_openid
from bot.wechat.context import EMERGENCY, LAW_ANSWER, Context
from bot.wechat.message import said
from bot.wechat.replies import News, Reply, Text, normalize, reply_from_json, reply_to_json

if TYPE_CHECKING:
    from bot.services import Services
    from bot.wechat.message import Message
    from handlers import Route

log = logging.getLogger(__name__)


def dumps(reply: Reply) -> str:
    """A reply as stored (dedupe record, kept message)."""
    return json.dumps(reply_to_json(reply), ensure_ascii=False)


def _run(services: Services, route: Route, message: Message, ctx: Context) -> Reply:
    """Run a handler; a bug becomes an honest apology (logged once), never a 500."""
    try:
        return normalize(route.handler(message, ctx))
    except RedisError:
        raise
    except Exception:
        log.exception("handler failed", extra={"openid": mask_openid(ctx.openid), "msg_type": message.type})
        ctx.discard()
        return Text(services.texts.get("system_error"))


def process(services: Services, message: Message, fields: dict[str, Any], now: float | None = None,
            replay: ReplayCheck | None = None) -> Reply:
    return handle(services, message, fields, time.time() if now is None else now, replay=replay)[0]


def handle(services: Services, message: Message, fields: dict[str, Any], now: float, spool: bool = True,
           replay: ReplayCheck | None = None, marker: str | None = None) -> tuple[Reply, bool]:
    """The reply, and whether this call handled the message (False: a retry answered from the dedupe
    record, or kept for later). With ``spool`` False (a replay) a Redis failure is raised.
    ``replay``: the captured-URL check, run within the dedupe call when ``replay.folded`` (else the
    webhook ran it); SignatureError when it fails. ``marker``: the claim marker of a kept message
    (``bot.store.dedupe``), so that its replay owns the claim its first delivery left behind."""
    started = time.monotonic()
    openid = message.source
    fp = fingerprint(fields)
    deduper = services.deduper
    route = services.routes.route(message, None)
    spec_ctx = Context(openid, services, None, now, speculative=True) if route.pure else None
    spec: Reply | None = None
    folded = replay if replay is not None and replay.folded else None
    marker = marker or claim_marker()
    try:
        if spec_ctx is not None:
            spec = _run(services, route, message, spec_ctx)
            begin = deduper.begin(openid, fp, dumps(spec), spec_ctx.new_state, spec_ctx.state_changed, folded,
                                  marker)
        else:
            begin = deduper.begin(openid, fp, replay=folded, marker=marker)
    except RedisError:
        if not spool:
            raise
        return _degraded(services, spec, spec_ctx, message, fields, now, replay)

    if begin.outcome == "replayed":
        raise SignatureError("signed URL reused with another body")
    if begin.outcome == "done":
        assert spec is not None and spec_ctx is not None
        services.counters.add(spec_ctx.counts, now)
        _run_effects(spec_ctx)
        return spec, True
    if begin.outcome == "dup":
        stored: str | None = begin.stored
        if is_pending(begin.stored):
            deadline = started + services.config.wechat.reply_deadline
            try:
                stored = deduper.wait(openid, fp, deadline) or deduper.give_up(openid, fp)
            except RedisError:
                log.warning("redis failed while a retry waited", extra={"openid": mask_openid(openid)})
                return Text(services.texts.get("system_busy")), False
        log.info("retry answered from dedupe record", extra={"openid": mask_openid(openid), "pending": stored is None})
        if stored is None:
            return Text(services.texts.get("still_working")), False
        return reply_from_json(json.loads(stored)), False

    ctx = Context(openid, services, begin.state, now)
    try:
        reply = _run(services, services.routes.route(message, begin.state), message, ctx)
    except RedisError:
        log.warning("redis failed inside a conversation", extra={"openid": mask_openid(openid)})
        if not spool:
            raise
        return _told_kept(services, _keep(services, fields, now, replay, claim=marker)), False
    late = False
    try:
        late = deduper.commit(openid, fp, dumps(reply), ctx.new_state, ctx.state_changed)
    except RedisError:
        log.warning("could not store reply and state", extra={"openid": mask_openid(openid)})
    services.counters.add(ctx.counts, now)
    _run_effects(ctx)
    if late:
        deliver(services, openid, reply, "late reply sent by customer-service message")
    return reply, True


def _run_effects(ctx: Context) -> None:
    """What the handler asked to do once its reply is committed (e.g. alert staff of an emergency)."""
    for effect in ctx.effects:
        try:
            effect()
        except Exception:  # noqa: BLE001  the villager has the reply; the failure must be loud here
            log.exception("effect after reply failed", extra={"openid": mask_openid(ctx.openid)})
    ctx.effects.clear()


def deliver(services: Services, openid: str, reply: Reply, why: str) -> None:
    """Send a reply as a customer-service message: WeChat stopped listening for it (a retry said it
    was coming), or it answers a message kept while Redis was away."""
    if isinstance(reply, Text):
        content = reply.content
    elif isinstance(reply, News):
        content = f"{reply.title}\n{reply.description}\n{reply.url}".strip()
    else:
        return
    try:
        services.wechat.send_text(openid, content)
        log.info(why, extra={"openid": mask_openid(openid)})
    except Exception:  # WeChatError, network: the villager was told to wait; say so loudly here
        log.error("reply could not be sent by customer-service message", exc_info=True,
                  extra={"openid": mask_openid(openid)})


MIN_MEMORY_ANSWER_CHARS = 4  # while Redis is away, "确认", "1", "好了" are steps of a conversation we cannot see


def _said_now(spec: Reply | None, spec_ctx: Context | None, message: Message) -> Reply | None:
    """What is safe to say while Redis is away, before the message is handled for real (on replay):
    an emergency's step (its first line is the number to call), and the answer to a question asked
    outright (at least ``MIN_MEMORY_ANSWER_CHARS`` characters: shorter ones are steps of a conversation).
    None: only that the message is kept."""
    if spec is None or spec_ctx is None or not isinstance(spec, Text):
        return None
    if spec_ctx.reply_kind == EMERGENCY:
        return spec
    if spec_ctx.reply_kind == LAW_ANSWER and len(said(message).strip()) >= MIN_MEMORY_ANSWER_CHARS:
        return spec
    return None


def _degraded(services: Services, spec: Reply | None, spec_ctx: Context | None, message: Message,
              fields: dict[str, Any], now: float, replay: ReplayCheck | None) -> tuple[Reply, bool]:
    """Redis is unreachable: check the captured URL against this host's record, keep the message for
    when Redis is back (its handler's effects, such as a staff alert, run then), and answer what is
    safe to answer now (``_said_now``), else that it is kept."""
    openid = message.source
    log.warning("redis unreachable; message kept for later", extra={"openid": mask_openid(openid)})
    if replay is not None and replay.folded:
        try:
            admitted = services.replays.host.admit(replay.key, replay.digest)
        except OSError:  # neither Redis nor this host's disk: nothing can be checked or kept
            log.error("captured-URL record not writable", exc_info=True, extra={"openid": mask_openid(openid)})
            return Text(services.texts.get("system_busy")), False
        if not admitted:
            raise SignatureError("signed URL reused with another body (this host's record)")
    now_said = _said_now(spec, spec_ctx, message)
    kept = _keep(services, fields, now, replay, now_said)
    if now_said is None:
        return _told_kept(services, kept), False
    if not kept and spec_ctx is not None:
        _run_effects(spec_ctx)  # the disk failed too: alert staff now, as far as that still goes
    return now_said, False


def _keep(services: Services, fields: dict[str, Any], now: float, replay: ReplayCheck | None,
          said_now: Reply | None = None, claim: str | None = None) -> bool:
    """Keep the message for when Redis is back; False only when the disk fails too. ``claim``: the
    marker of the claim left on the message when Redis failed after ``begin``."""
    try:
        services.inbound.keep(fields, now, replay, dumps(said_now) if said_now is not None else None, claim)
    except OSError:
        log.error("message could not be kept: the spool is not writable", exc_info=True,
                  extra={"openid": mask_openid(str(fields.get("FromUserName") or ""))})
        return False
    return True


def _told_kept(services: Services, kept: bool) -> Text:
    """Tell the villager their message is kept; if it could not be, ask for it again."""
    return Text(services.texts.get("message_kept" if kept else "system_busy"))
