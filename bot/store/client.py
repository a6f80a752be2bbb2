"""The Redis client type every part of the bot takes: one server (or the embedded one) or a cluster.

``bot.store.connect.connect`` returns one of these; constructors say ``redis: RedisClient`` so that
mypy knows what they are given (responses are decoded strings: ``decode_responses=True``).
"""

from __future__ import annotations

from typing import Any, Mapping, TypeAlias, cast

from redis import Redis
from redis.cluster import RedisCluster
from redis.typing import EncodableT, FieldT

RedisClient: TypeAlias = "Redis | RedisCluster"
# What a hash or stream write takes (redis-py's own types: keys and values may be str, bytes, numbers).
Fields: TypeAlias = "dict[FieldT, EncodableT]"


def as_fields(mapping: Mapping[str, Any]) -> Fields:
    """A str-keyed mapping as redis-py's write type (its values are str, numbers: what Redis takes)."""
    return cast(Fields, mapping)


def text(value: object) -> str:
    """A reply the client has decoded (``decode_responses=True``): a str at run time."""
    return cast(str, value)


def text_map(value: object) -> dict[str, str]:
    """A decoded HGETALL/stream-entry reply: str to str at run time."""
    return cast("dict[str, str]", value)
