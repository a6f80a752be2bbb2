"""One verified, parsed message in; one reply out. Dedupe, state and handlers meet here (no Flask).

Round trips: a message that needs no conversation state costs exactly one Redis round trip (the
``begin`` script stores the reply computed speculatively); one in a conversation costs two.
When Redis is unreachable the villager is told so honestly, except that a plain legal question is
still answered from the in-memory knowledge base.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from redis.exceptions import RedisError

from bot.dedupe import fingerprint, is_pending
from bot.logs import mask_openid
from handlers import ROUTES
from handlers.context import Context, NoReply, Reply, Text, normalize, reply_from_json, reply_to_json

log = logging.getLogger(__name__)


def _dumps(reply: Reply) -> str:
    return json.dumps(reply_to_json(reply), ensure_ascii=False)


def _run(services: Any, route: Any, message: Any, ctx: Context) -> Reply:
    """Run a handler; a bug becomes an honest apology (logged once), never a 500."""
    try:
        return normalize(route.handler(message, ctx))
    except RedisError:
        raise
    except Exception:
        log.exception("handler failed", extra={"openid": mask_openid(ctx.openid), "msg_type": message.type})
        ctx.discard()
        return Text(services.texts.get("system_error"))


def process(services: Any, message: Any, fields: dict[str, Any], now: float | None = None) -> Reply:
    now = time.time() if now is None else now
    started = time.monotonic()
    openid = message.source
    fp = fingerprint(fields)
    deduper = services.deduper
    route = ROUTES.route(message, None)
    spec_ctx = Context(openid, services, None, now, speculative=True) if route.pure else None
    spec: Reply | None = None
    try:
        if spec_ctx is not None:
            spec = _run(services, route, message, spec_ctx)
            begin = deduper.begin(openid, fp, _dumps(spec), spec_ctx.new_state, spec_ctx.state_changed)
        else:
            begin = deduper.begin(openid, fp)
    except RedisError:
        return _degraded(services, spec, spec_ctx, openid)

    if begin.outcome == "done":
        assert spec is not None and spec_ctx is not None
        services.counters.add(spec_ctx.counts, now)
        return spec
    if begin.outcome == "dup":
        stored: str | None = begin.stored
        if is_pending(begin.stored):
            deadline = started + services.config.wechat.reply_deadline
            try:
                stored = deduper.wait(openid, fp, deadline)
            except RedisError:
                stored = None
        log.info("retry answered from dedupe record", extra={"openid": mask_openid(openid), "pending": stored is None})
        return reply_from_json(json.loads(stored)) if stored else NoReply()

    ctx = Context(openid, services, begin.state, now)
    try:
        reply = _run(services, ROUTES.route(message, begin.state), message, ctx)
    except RedisError:
        log.warning("redis failed inside a conversation", extra={"openid": mask_openid(openid)})
        return Text(services.texts.get("system_busy"))
    try:
        deduper.commit(openid, fp, _dumps(reply), ctx.new_state, ctx.state_changed)
    except RedisError:
        log.warning("could not store reply and state", extra={"openid": mask_openid(openid)})
    services.counters.add(ctx.counts, now)
    return reply


def _degraded(services: Any, spec: Reply | None, spec_ctx: Context | None, openid: str) -> Reply:
    log.warning("redis unreachable; answering without it", extra={"openid": mask_openid(openid)})
    if spec is not None and spec_ctx is not None and not spec_ctx.state_changed and isinstance(spec, Text) \
            and spec_ctx.counts and spec_ctx.counts[0][0] == "faq":
        return spec
    return Text(services.texts.get("system_busy"))
