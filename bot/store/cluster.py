"""The Redis Cluster client: redis-py's ``RedisCluster``, with seeds from the URL and honest errors.

``redis+cluster://[user:password@]host:port[,host:port...][/0]`` (``rediss+cluster://`` for TLS):
every listed node is a seed, and one reachable seed is enough to learn the whole cluster. List
two or three, so that a web host can still start while one Redis node is down.

Guarantee: when no node can serve a command (every node unreachable, or a slot nobody serves),
the client raises ``ClusterUnreachable``, a ``redis.exceptions.ConnectionError``, exactly as
``redis.Redis`` does when its server is down. redis-py itself raises ``RedisClusterException``
there, which is *not* a ``RedisError``, so without this the webhook's honest "system busy" answer
and the dispute spool would be skipped. Cluster errors that are bugs (keys of one script in
different slots, CROSSSLOT) are left as they are. Nothing connects at import time.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator
from urllib.parse import unquote, urlsplit

from redis.cluster import ClusterNode, RedisCluster
from redis.exceptions import ConnectionError, RedisClusterException, SlotNotCoveredError, TimeoutError

from bot.errors import ConfigError


class ClusterUnreachable(ConnectionError):
    """No node of the Redis Cluster could serve the command (see module doc)."""


def _unreachable(exc: RedisClusterException) -> bool:
    # "Redis Cluster cannot be connected" is raised *from* the last connection error.
    return isinstance(exc, SlotNotCoveredError) or isinstance(exc.__cause__, (ConnectionError, TimeoutError,
                                                                                  OSError))


@contextmanager
def _honest() -> Iterator[None]:
    try:
        yield
    except RedisClusterException as exc:
        if _unreachable(exc):
            raise ClusterUnreachable(str(exc)) from exc
        raise


class HonestCluster(RedisCluster):
    """``RedisCluster`` whose commands, scripts and pipelines raise ``ClusterUnreachable`` (module doc)."""

    def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        with _honest():
            return super().execute_command(*args, **kwargs)  # type: ignore[no-untyped-call]

    def pipeline(self, transaction: Any = None, shard_hint: Any = None) -> Any:
        pipe = super().pipeline(transaction=transaction, shard_hint=shard_hint)  # type: ignore[no-untyped-call]
        execute = pipe.execute

        def honest_execute(*args: Any, **kwargs: Any) -> Any:
            with _honest():
                return execute(*args, **kwargs)

        pipe.execute = honest_execute
        return pipe


def seeds(url: str) -> tuple[list[ClusterNode], dict[str, Any]]:
    """The seed nodes named by a cluster URL, and its credentials and TLS options."""
    parts = urlsplit(url)
    userinfo, _, hostlist = parts.netloc.rpartition("@")
    nodes = []
    for item in filter(None, (h.strip() for h in hostlist.split(","))):
        host, colon, port = item.rpartition(":")
        if not colon or "]" in port:  # no port given (an IPv6 address alone keeps its colons in [])
            host, port = item, "6379"
        try:
            nodes.append(ClusterNode(host.strip("[]"), int(port)))  # type: ignore[no-untyped-call]
        except ValueError:
            raise ConfigError(f"config key redis.url: {item!r} is not host:port") from None
    if not nodes:
        raise ConfigError("config key redis.url names no Redis Cluster node")
    user, _, password = userinfo.partition(":")
    auth = {"username": unquote(user) or None, "password": unquote(password) or None,
            "ssl": parts.scheme.startswith("rediss")}
    return nodes, auth


def connect_cluster(url: str, **options: Any) -> HonestCluster:
    """A cluster client for ``url`` (see module doc); raises ``ClusterUnreachable`` when no seed answers.

    ``require_full_coverage=False``: if one shard is lost, the keys of the others keep working
    (the servers run with ``cluster-require-full-coverage no`` for the same reason).
    """
    nodes, auth = seeds(url)
    with _honest():
        return HonestCluster(startup_nodes=nodes, require_full_coverage=False, **auth, **options)
