"""Lua scripts on the webhook's hot path, run with as little client work as the client allows.

redis-py's ``Script`` goes through the connection pool, its retry wrapper and its observability
hooks on every call: about 25 µs more CPU per call than talking to a connection directly, on a path
whose whole budget is a few hundred (``benchmarks/webhook.py``). For a single Redis server,
``DirectScript`` keeps its own small pool of redis-py connections and talks to one directly:

- a call takes an idle connection (or opens one), sends EVALSHA, reads the reply and gives the
  connection back; on NOSCRIPT (a restarted or flushed server) it sends EVAL once, which loads it;
- the pool is a plain list: ``pop`` and ``append`` are atomic under the GIL and never switch
  greenlets, so one connection serves one call at a time under gthread, sync and gevent workers
  alike (a per-thread connection would be shared by every greenlet of a gevent worker);
- errors are redis-py's own (``ConnectionError``, ``TimeoutError``, ``ResponseError``). A connection
  that failed is closed and not given back; a ``ConnectionError`` on a connection that had been idle
  in the pool is retried once on a fresh one (the server may have restarted: the scripts are written
  so that a repeated call is harmless);
- a forked child (gunicorn workers) never uses its parent's connections.

On a Redis Cluster, ``ClusterDirectScript`` sends the script straight to the primary that owns its
keys' slot (a ``DirectScript`` per node: about half the time of redis-py's cluster client per call),
and whenever that does not work (a node down, a slot moved, a cluster reconfiguring) hands the
call to redis-py's cluster ``Script``, which follows redirects, refreshes its slot table and fails
over; the next calls then go to the node it learned.
"""

from __future__ import annotations

import hashlib
from typing import Any, Callable, Sequence

from redis import Redis
from redis.cluster import RedisCluster
from redis.exceptions import (AskError, ClusterDownError, ConnectionError, NoScriptError, ResponseError,
                              TimeoutError, TryAgainError)

from bot.store import forks

ScriptCall = Callable[[Sequence[str], Sequence[Any]], Any]


class DirectScript:
    """One Lua script on a single ``redis.Redis`` server, over a pool of direct connections."""

    def __init__(self, client: Redis, source: str, max_idle: int = 64):
        pool = client.connection_pool
        self._connection_class = pool.connection_class
        self._connection_kwargs = dict(pool.connection_kwargs)
        self.source = source
        self.sha = hashlib.sha1(source.encode("utf-8")).hexdigest()
        self.max_idle = max_idle
        self._idle: list[Any] = []
        self._generation = forks.generation()

    def _take(self) -> tuple[Any, bool]:
        """An idle connection (True: it may have gone stale meanwhile) or a new one (False)."""
        if self._generation != forks.generation():  # forked: the parent's sockets are not ours to use
            self._idle, self._generation = [], forks.generation()
        try:
            return self._idle.pop(), True
        except IndexError:
            return self._connection_class(**self._connection_kwargs), False

    def _give_back(self, conn: Any) -> None:
        if len(self._idle) < self.max_idle and self._generation == forks.generation():
            self._idle.append(conn)
        else:
            conn.disconnect()

    def _send(self, conn: Any, command: str, script: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        conn.send_packed_command(conn.pack_command(command, script, len(keys), *keys, *args))
        return conn.read_response()

    def _call(self, conn: Any, keys: Sequence[str], args: Sequence[Any]) -> Any:
        try:
            return self._send(conn, "EVALSHA", self.sha, keys, args)
        except NoScriptError:
            return self._send(conn, "EVAL", self.source, keys, args)

    def __call__(self, keys: Sequence[str], args: Sequence[Any]) -> Any:
        conn, was_idle = self._take()
        try:
            try:
                reply = self._call(conn, keys, args)
            except ConnectionError:
                conn.disconnect()
                if not was_idle:
                    raise
                reply = self._call(conn, keys, args)  # a stale socket (server restarted): once more, fresh
        except ResponseError:
            self._give_back(conn)  # the server answered with an error; the connection is in step
            raise
        except BaseException:
            conn.disconnect()  # a half-read reply must never be read by the next call
            raise
        self._give_back(conn)
        return reply

    def close(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.disconnect()


# What sends a call the slow, self-healing way: the node is gone or the cluster moved the slot.
_CLUSTER_DETOURS = (ConnectionError, TimeoutError, AskError, TryAgainError, ClusterDownError)


class ClusterDirectScript:
    """One Lua script on a Redis Cluster: direct to the slot's primary, redis-py's way when that fails."""

    def __init__(self, client: RedisCluster, source: str):
        self.client = client
        self.source = source
        self._script = client.register_script(source)
        self._nodes: dict[str, DirectScript] = {}

    def _direct(self, key: str) -> DirectScript:
        node = self.client.get_node_from_key(key)  # type: ignore[no-untyped-call]
        direct = self._nodes.get(node.name)
        if direct is None:
            connection = node.redis_connection or self.client.get_redis_connection(node)
            direct = self._nodes[node.name] = DirectScript(connection, self.source)
        return direct

    def __call__(self, keys: Sequence[str], args: Sequence[Any]) -> Any:
        try:
            return self._direct(keys[0])(keys, args)
        except _CLUSTER_DETOURS:
            # The scripts are written so that a repeated call is harmless (module doc).
            return self._script(keys=list(keys), args=list(args))


def lua_script(client: Any, source: str) -> ScriptCall:
    """The cheapest way to run ``source`` on ``client``: ``script(keys, args)``."""
    if isinstance(client, Redis):
        return DirectScript(client, source)
    if isinstance(client, RedisCluster):
        return ClusterDirectScript(client, source)
    script = client.register_script(source)
    return lambda keys, args: script(keys=list(keys), args=list(args))
