"""The one-round-trip dedupe script: speculative replies, claims, retries, commits."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from bot.store.dedupe import BEGIN, KEEP, Deduper, fingerprint, is_pending
from bot.store.keys import Keys
from bot.store.scripts import lua_script

REPLY = json.dumps({"t": "text", "content": "答复"})


def make(redis_client: Any) -> Deduper:
    return Deduper(redis_client, Keys("t"), dedupe_ttl=60, state_ttl=1800)


def test_without_state_the_speculative_reply_is_stored_in_one_call(redis_client: Any) -> None:
    d = make(redis_client)
    assert d.begin("oA", "m:1", REPLY, {"flow": "choose"}, True).outcome == "done"
    again = d.begin("oA", "m:1", json.dumps({"t": "text", "content": "别的"}))
    assert again.outcome == "dup" and again.stored == REPLY
    assert json.loads(redis_client.get(Keys("t").state("oA"))) == {"flow": "choose"}


def test_with_state_the_message_is_claimed_and_the_state_returned(redis_client: Any) -> None:
    d = make(redis_client)
    redis_client.set(Keys("t").state("oA"), json.dumps({"flow": "report"}))
    begin = d.begin("oA", "m:2", REPLY)
    assert begin.outcome == "state" and begin.state == {"flow": "report"}
    assert is_pending(d.begin("oA", "m:2", REPLY).stored)
    d.commit("oA", "m:2", REPLY, None, True)
    assert d.begin("oA", "m:2", REPLY).stored == REPLY
    assert redis_client.get(Keys("t").state("oA")) is None


def test_claim_mode_never_applies_a_speculative_outcome(redis_client: Any) -> None:
    d = make(redis_client)
    begin = d.begin("oA", "e:1:unsubscribe:")
    assert begin.outcome == "state" and begin.state is None


def test_a_retry_waits_for_the_first_delivery_reply(redis_client: Any) -> None:
    d = make(redis_client)
    d.begin("oA", "m:3")
    threading.Timer(0.2, lambda: d.commit("oA", "m:3", REPLY, None, False)).start()
    assert d.wait("oA", "m:3", time.monotonic() + 2) == REPLY
    assert d.wait("oA", "m:4", time.monotonic() + 0.1) is None


def test_fingerprints_key_messages_on_msgid_and_events_on_time_and_event() -> None:
    assert fingerprint({"MsgId": "123", "CreateTime": "1"}) == "m:123"
    assert fingerprint({"MsgId": "0", "CreateTime": "5", "Event": "CLICK", "EventKey": "K"}) == "e:5:CLICK:K"
    assert fingerprint({"CreateTime": "5", "Event": "subscribe"}) == "e:5:subscribe:"
    assert fingerprint({"CreateTime": "5", "Event": "MASSSENDJOBFINISH", "MsgID": "1000"}) == "e:5:MASSSENDJOBFINISH:1000"


def test_a_repeated_call_after_a_broken_connection_is_not_taken_for_a_wechat_retry(redis_client: Any) -> None:
    begin = lua_script(redis_client, BEGIN)
    keys = (Keys("t").dedupe("oA", "m:9"), Keys("t").state("oA"))
    claim = ("claim", "", 60, KEEP, 1800, "__pending__:call-1")
    assert begin(keys, claim) == ["state", ""]
    assert begin(keys, claim) == ["state", ""], "the same call, repeated by the client, still owns its claim"
    other = begin(keys, (*claim[:5], "__pending__:call-2"))
    assert other[0] == "dup" and is_pending(other[1]), "a second delivery from WeChat waits for the first"


def test_claim_markers_differ_between_calls_and_between_forked_workers() -> None:
    import os

    from bot.store.dedupe import claim_marker

    first, second = claim_marker(), claim_marker()
    assert first != second and is_pending(first)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # a gunicorn worker forked from the master
        os.write(write, claim_marker().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 200).decode()
    assert child.split(".")[0] != first.split(".")[0], "a forked worker draws its own token"


def test_a_retry_that_gives_up_marks_the_claim_late_and_the_commit_reports_it(redis_client: Any) -> None:
    d = make(redis_client)
    assert d.begin("oA", "m:7").outcome == "state"  # the first delivery claims the message
    assert d.give_up("oA", "m:7") is None and d.give_up("oA", "m:7") is None, "still at work: now late"
    assert is_pending(d.begin("oA", "m:7", REPLY).stored), "a later retry still waits for the same claim"
    assert d.commit("oA", "m:7", REPLY, None, False) is True, "the first delivery learns it must send by CS"
    assert d.give_up("oA", "m:7") == REPLY, "after the commit a retry gets the reply itself"


def test_a_commit_nobody_gave_up_on_is_answered_passively(redis_client: Any) -> None:
    d = make(redis_client)
    d.begin("oA", "m:8")
    assert d.commit("oA", "m:8", REPLY, None, False) is False
