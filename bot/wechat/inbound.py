"""What villagers said while Redis was away: kept on disk, handled when it is back.

When Redis is unreachable the pipeline cannot know a villager's conversation (a confirm "1", a
description, an answer to staff mean nothing without it). Such a message, verified and decrypted,
is kept here instead of being dropped, and the villager is told honestly that it is kept and will
be answered. Guarantees:
- Durable before the answer: ``keep`` returns after the record is fsync'd (``bot.disputes.spool``).
- Once: a retry of a kept message (WeChat pushes the same MsgId again when the answer was slow) is
  not kept again.
- In order per villager: records are replayed in the order they were kept (one file, appended in
  arrival order; files in creation order).
- Every verified push is kept while Redis is away, including those answered at once (an emergency's
  step, a question asked outright: ``bot.wechat.pipeline``); what was said at once is kept with it.
- ``replay`` (the worker's ``replay-inbound`` job, and ``pufabot tickets spool-replay``) hands each
  record to the pipeline as if just received, so it is routed by the villager's conversation as it
  was (nothing could change it while Redis was away), and sends the reply as a customer-service
  message, unless it is what the villager was already told at once.
  The pipeline's dedupe answers a record replayed twice (a replay cut short) with its stored reply,
  and such a reply is not sent again.
- Nothing forged: a record carries its push's captured-URL check (``bot.store.replay``), run against
  Redis' record on replay; a record whose signed URL Redis saw with another body is refused (logged)
  and not handled, and set aside in ``inbound/refused/`` (never silently dropped).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import runtime_dir
from bot.disputes.spool import Spool
from bot.logs import mask_openid
from bot.errors import SignatureError
from bot.store.dedupe import fingerprint
from bot.store.replay import ReplayCheck

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)


def spool_for(config: Any) -> InboundSpool:
    """The inbound spool under ``[bot] spool_dir`` (relative to the working directory)."""
    return InboundSpool(runtime_dir(config.bot.spool_dir) / "inbound")


class InboundSpool:
    def __init__(self, directory: Path):
        self.spool = Spool(directory)
        self.refused = Spool(directory / "refused")  # kept pushes refused on replay, for an operator to see

    def keep(self, fields: dict[str, Any], now: float, replay: ReplayCheck | None = None,
             answered: str | None = None, claim: str | None = None) -> bool:
        """Keep one verified push (its parsed fields, its captured-URL check, the reply JSON it was
        answered with at once if any, the claim Redis holds on it if any); False when that very
        message is already kept."""
        openid = str(fields.get("FromUserName") or "")
        key = f"{openid}|{fingerprint(fields)}"
        if any(r.get("idem_key") == key for r in self.spool.pending()):
            return False
        record: dict[str, Any] = {"idem_key": key, "openid": openid, "fields": fields, "kept_at": now}
        if replay is not None:
            record["replay"] = replay.as_json()
        if answered is not None:
            record["answered"] = answered
        if claim is not None:
            record["claim"] = claim
        self.spool.append(record)
        log.warning("redis unreachable: message kept in the inbound spool", extra={"openid": mask_openid(openid)})
        return True

    def pending(self) -> list[dict[str, Any]]:
        return self.spool.pending()

    def replay(self, services: Services) -> int:
        """Handle every kept message in order (see module doc); how many were handled.

        Raises when Redis fails again: the records not yet handled stay for the next replay."""
        from bot.wechat import pipeline, protocol

        def handle(record: dict[str, Any]) -> None:
            fields = dict(record.get("fields") or {})
            message = protocol.to_message(fields)
            check = services.replays.kept(record.get("replay"))
            try:
                if check is not None and not check.folded and not services.replays.admit(check):
                    raise SignatureError("kept push: signed URL seen with another body")
                reply, fresh = pipeline.handle(services, message, fields, time.time(), spool=False, replay=check,
                                               marker=record.get("claim"))
            except SignatureError:
                log.warning("kept message refused: its signed URL carried another body first; set aside",
                            extra={"openid": mask_openid(message.source)})
                self.refused.append(record)  # a forgery, or (two hosts) a genuine message a forgery beat
                return
            if fresh and pipeline.dumps(reply) != record.get("answered"):
                pipeline.deliver(services, message.source, reply, "kept message answered")

        return self.spool.replay(handle)
