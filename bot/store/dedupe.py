"""WeChat's retries: each message is handled once, and every retry gets the same reply.

A message is identified by its sender **and** MsgId (MsgIds have collided across users); an event
(no MsgId: wechatpy reports 0) by sender + CreateTime + event name + key. The record lives under
the sender's hash tag, next to their conversation state, so that one Lua script can look at both:

``begin`` is the webhook's only round trip for most messages. The webhook first computes the reply
*as if* the villager had no conversation going on (pure handlers only), then the script either
- finds the message already handled (a retry): returns the stored reply, or ``pending`` while the
  first delivery is still at work;
- finds a conversation state: claims the message (``pending``) and returns the state, so the
  webhook recomputes the reply with it and calls ``commit`` (a second round trip);
- otherwise stores the speculative reply and state change at once: done.

A retry that finds the first delivery still at work waits for its reply (``wait``) until WeChat's
5 s are nearly spent; then ``give_up`` marks the claim *late* and the retry tells the villager that
the answer is on its way. ``commit`` reports that mark, so the first delivery, whose own HTTP
answer WeChat no longer reads, sends its reply by customer-service message instead (platform
notes §4). Both steps are atomic in Redis: the reply is delivered once, never lost between them.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import time
from dataclasses import dataclass
from typing import Any

from bot.store import lua
from bot.store.keys import Keys
from bot.store.replay import ReplayCheck
from bot.store.scripts import lua_script

PENDING = "__pending__"  # a claimed record holds PENDING + ":" + a marker of the claiming call
LATE = "|late"  # appended to a claim that a retry gave up waiting for
KEEP = "__keep__"
CLEAR = "__clear__"

# The scripts (bot/store/lua/*.lua, KEYS and ARGV documented at the top of each).
BEGIN = lua.source("dedupe_begin.lua", "store_reply.lua")  # with a third key, the captured-URL check first
COMMIT = lua.source("dedupe_commit.lua", "store_reply.lua")
GIVE_UP = lua.source("dedupe_give_up.lua")


def fingerprint(fields: dict[str, Any]) -> str:
    """The message's identity within its sender's keys (see module doc)."""
    msg_id = (fields.get("MsgId") or "").strip()
    if msg_id and msg_id != "0":
        return f"m:{msg_id}"
    key = fields.get("EventKey") or fields.get("MsgID") or ""  # MsgID: a job's id (MASSSENDJOBFINISH...)
    return f"e:{fields.get('CreateTime', '')}:{fields.get('Event') or fields.get('MsgType')}:{key}"[:300]


_process_token = secrets.token_hex(8)
_calls = itertools.count()


def _new_process_token() -> None:
    global _process_token, _calls
    _process_token, _calls = secrets.token_hex(8), itertools.count()


os.register_at_fork(after_in_child=_new_process_token)  # each gunicorn worker draws its own


def claim_marker() -> str:
    """Unique per call (a random token per process and a counter), with no system call per message."""
    return f"{PENDING}:{_process_token}.{next(_calls)}"


def is_pending(stored: str) -> bool:
    """A record claimed by a delivery still at work (its reply not stored yet)."""
    return stored.startswith(PENDING)


@dataclass(frozen=True)
class Begin:
    outcome: str  # "dup" | "state" | "done" | "replayed" (a captured URL with another body: refuse)
    stored: str = ""  # the stored reply JSON (dup) or PENDING
    state: dict[str, Any] | None = None


class Deduper:
    def __init__(self, redis: Any, keys: Keys, dedupe_ttl: int, state_ttl: int):
        self.redis = redis
        self.keys = keys
        self.dedupe_ttl = dedupe_ttl
        self.state_ttl = state_ttl
        self._begin = lua_script(redis, BEGIN)
        self._commit = lua_script(redis, COMMIT)
        self._give_up = lua_script(redis, GIVE_UP)

    def _state_arg(self, new_state: Any, changed: bool) -> str:
        if not changed:
            return KEEP
        return CLEAR if new_state is None else json.dumps(new_state, ensure_ascii=False)

    def begin(self, openid: str, fp: str, reply_json: str | None = None,
              new_state: Any = None, state_changed: bool = False, replay: ReplayCheck | None = None,
              marker: str | None = None) -> Begin:
        """One round trip; with ``reply_json`` None only claims the message (see module doc).
        With ``replay`` the captured-URL check runs first, in the same call (single server only).
        ``marker``: this delivery's claim marker (``claim_marker()``); a message kept after its claim
        is replayed with the marker it was claimed with, so that the replay owns the claim."""
        mode = "claim" if reply_json is None else "spec"
        keys: tuple[str, ...] = (self.keys.dedupe(openid, fp), self.keys.state(openid))
        args: tuple[Any, ...] = (mode, reply_json or "", self.dedupe_ttl, self._state_arg(new_state, state_changed),
                                 self.state_ttl, marker or claim_marker())
        if replay is not None:
            kind, value = self._begin((*keys, replay.key), (*args, replay.digest, replay.ttl))
        else:
            kind, value = self._begin(keys, args)
        if kind == "state":
            return Begin("state", state=json.loads(value) if value else None)
        return Begin(kind, stored=value)

    def commit(self, openid: str, fp: str, reply_json: str, new_state: Any, state_changed: bool) -> bool:
        """Store the reply of a claimed message and its state change, atomically (one round trip).

        True when a retry gave up waiting meanwhile: the reply must go by customer-service message."""
        prev = str(self._commit((self.keys.dedupe(openid, fp), self.keys.state(openid)),
                                (reply_json, self.dedupe_ttl, self._state_arg(new_state, state_changed),
                                 self.state_ttl)) or "")
        return is_pending(prev) and prev.endswith(LATE)

    def give_up(self, openid: str, fp: str) -> str | None:
        """A retry stops waiting: the stored reply if it came meanwhile, else None (the claim is now late)."""
        kind, value = self._give_up((self.keys.dedupe(openid, fp),), ())
        return str(value) if kind == "stored" and value else None

    def wait(self, openid: str, fp: str, deadline: float) -> str | None:
        """A retry arrived while the first delivery works: wait for its reply until ``deadline``."""
        key = self.keys.dedupe(openid, fp)
        while time.monotonic() < deadline:
            value = self.redis.get(key)
            if value and not is_pending(value):
                return str(value)
            time.sleep(0.05)
        return None
