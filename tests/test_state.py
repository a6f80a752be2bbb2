"""Conversation state and drafts: every method, on real Redis, with TTLs."""

from __future__ import annotations

from typing import Any

from bot.store.keys import Keys
from bot.store.state import ConversationStore


def test_state_round_trips_expires_and_is_per_villager(redis_client: Any) -> None:
    store = ConversationStore(redis_client, Keys("t"), state_ttl=1800, draft_ttl=86400)
    store.set("oA", {"flow": "report", "step": "kind"})
    assert store.get("oA") == {"flow": "report", "step": "kind"}
    assert store.get("oB") is None
    assert 0 < redis_client.ttl(Keys("t").state("oA")) <= 1800
    store.clear("oA")
    assert store.get("oA") is None


def test_a_draft_outlives_the_conversation_and_forget_drops_both(redis_client: Any) -> None:
    store = ConversationStore(redis_client, Keys("t"), state_ttl=60, draft_ttl=86400)
    store.set("oA", {"flow": "report"})
    store.set_draft("oA", {"text": "邻居占地"})
    assert redis_client.ttl(Keys("t").draft("oA")) > 60
    assert store.get_draft("oA") == {"text": "邻居占地"}
    store.clear_draft("oA")
    assert store.get_draft("oA") is None
    store.set_draft("oA", {"text": "x"})
    store.forget("oA")
    assert store.get("oA") is None and store.get_draft("oA") is None
