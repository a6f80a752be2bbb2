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

from bot.store.keys import Keys
from bot.store.replay import FOLDED, ReplayCheck
from bot.store.scripts import lua_script

PENDING = "__pending__"  # a claimed record holds PENDING + ":" + a marker of the claiming call
LATE = "|late"  # appended to a claim that a retry gave up waiting for
KEEP = "__keep__"
CLEAR = "__clear__"

# Store a reply and apply a state change. KEYS[1] dedupe record, KEYS[2] conversation state;
# ARGV[r] reply JSON, ARGV[t] dedupe TTL, ARGV[s] new state JSON | __keep__ | __clear__, ARGV[u] state TTL.
_STORE = """
redis.call('SET', KEYS[1], ARGV[{r}], 'EX', ARGV[{t}])
if ARGV[{s}] == '__clear__' then
  redis.call('DEL', KEYS[2])
elseif ARGV[{s}] ~= '__keep__' then
  redis.call('SET', KEYS[2], ARGV[{s}], 'EX', ARGV[{u}])
end
"""

# ARGV[1] mode: "spec" (ARGV[2], ARGV[4] are a speculative outcome) or "claim"; ARGV[2] reply JSON,
# ARGV[3] dedupe TTL, ARGV[4] new state, ARGV[5] state TTL, ARGV[6] this call's claim marker.
# A record holding this call's own marker is this call repeated (the client retries once when a
# connection broke), not a retry from WeChat.
# Returns {"dup", stored} | {"state", state or ""} | {"done", ""}.
BEGIN = """
local prev = redis.call('GET', KEYS[1])
if prev and string.sub(prev, 1, #ARGV[6]) ~= ARGV[6] then return {'dup', prev} end
local state = redis.call('GET', KEYS[2])
if state or ARGV[1] == 'claim' then
  redis.call('SET', KEYS[1], ARGV[6], 'EX', ARGV[3])
  return {'state', state or ''}
end
""" + _STORE.format(r=2, t=3, s=4, u=5) + """
return {'done', ''}
"""

# BEGIN with the captured-URL check first (bot/store/replay.py): KEYS[3] its record, ARGV[7] the
# body's digest, ARGV[8] its TTL. Returns {"replayed", ""} for a signed URL reused with another body.
BEGIN_CHECKED = FOLDED.format(k=3, d=7, t=8) + BEGIN

# ARGV[1] reply JSON, ARGV[2] dedupe TTL, ARGV[3] new state, ARGV[4] state TTL.
# Returns what the record held before: the claim, possibly marked late.
COMMIT = "local prev = redis.call('GET', KEYS[1]) or ''\n" + _STORE.format(r=1, t=2, s=3, u=4) + "return prev\n"

# KEYS[1] dedupe record. Still claimed: mark it late, return {"late", ""}; answered meanwhile (or
# gone): return {"stored", reply or ""}.
GIVE_UP = """
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, 11) == '__pending__' then
  if string.sub(v, -5) ~= '|late' then redis.call('SET', KEYS[1], v .. '|late', 'KEEPTTL') end
  return {'late', ''}
end
return {'stored', v or ''}
"""


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
        self._begin_checked = lua_script(redis, BEGIN_CHECKED)
        self._commit = lua_script(redis, COMMIT)
        self._give_up = lua_script(redis, GIVE_UP)

    def _state_arg(self, new_state: Any, changed: bool) -> str:
        if not changed:
            return KEEP
        return CLEAR if new_state is None else json.dumps(new_state, ensure_ascii=False)

    def begin(self, openid: str, fp: str, reply_json: str | None = None,
              new_state: Any = None, state_changed: bool = False, replay: ReplayCheck | None = None) -> Begin:
        """One round trip; with ``reply_json`` None only claims the message (see module doc).
        With ``replay`` the captured-URL check runs first, in the same call (single server only)."""
        mode = "claim" if reply_json is None else "spec"
        keys: tuple[str, ...] = (self.keys.dedupe(openid, fp), self.keys.state(openid))
        args: tuple[Any, ...] = (mode, reply_json or "", self.dedupe_ttl, self._state_arg(new_state, state_changed),
                                 self.state_ttl, claim_marker())
        if replay is not None:
            kind, value = self._begin_checked((*keys, replay.key), (*args, replay.digest, replay.ttl))
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
