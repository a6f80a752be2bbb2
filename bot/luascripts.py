"""Lua scripts on the webhook's hot path, run with as little client work as the client allows.

redis-py's ``Script`` goes through the connection pool, its retry wrapper and its observability
hooks on every call: about 50 µs of CPU per call on our machines, more than the round trip itself
(``benchmarks/webhook.py``). For a single Redis server, ``DirectScript`` keeps one connection per
thread (gunicorn's gthread workers have a fixed set of threads) and talks to it directly:

- EVALSHA, and on NOSCRIPT (a restarted or flushed server) EVAL once, which loads it again;
- errors are redis-py's own (``ConnectionError``, ``TimeoutError``, ``ResponseError``); a connection
  that failed is closed, and a ``ConnectionError`` on a connection that had been idle in between is
  retried once on a fresh one (the server may have restarted: the scripts are written so that a
  repeated call is harmless);
- a forked child (gunicorn workers) never uses its parent's connection.

A Redis Cluster client keeps redis-py's ``Script``, which routes by hash slot.
"""

from __future__ import annotations

import hashlib
import os
import threading
from typing import Any, Callable, Sequence

from redis import Redis
from redis.exceptions import ConnectionError, NoScriptError, ResponseError

ScriptCall = Callable[[Sequence[str], Sequence[Any]], Any]


class DirectScript:
    """One Lua script on a single ``redis.Redis`` server, one connection per thread."""

    def __init__(self, client: Redis, source: str):
        pool = client.connection_pool
        self._connection_class = pool.connection_class
        self._connection_kwargs = dict(pool.connection_kwargs)
        self.source = source
        self.sha = hashlib.sha1(source.encode("utf-8")).hexdigest()
        self._local = threading.local()

    def _connection(self) -> Any:
        local = self._local
        conn = getattr(local, "conn", None)
        if conn is None or local.pid != os.getpid():
            conn = local.conn = self._connection_class(**self._connection_kwargs)
            local.pid, local.used = os.getpid(), False
        return conn

    def _send(self, conn: Any, command: str, script: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        conn.send_packed_command(conn.pack_command(command, script, len(keys), *keys, *args))
        return conn.read_response()

    def _call(self, conn: Any, keys: Sequence[str], args: Sequence[Any]) -> Any:
        try:
            return self._send(conn, "EVALSHA", self.sha, keys, args)
        except NoScriptError:
            return self._send(conn, "EVAL", self.source, keys, args)

    def __call__(self, keys: Sequence[str], args: Sequence[Any]) -> Any:
        conn = self._connection()
        local = self._local
        try:
            reply = self._call(conn, keys, args)
        except ConnectionError:
            conn.disconnect()
            if not local.used:
                raise
            local.used = False
            reply = self._call(conn, keys, args)  # a stale socket (server restarted): once more, fresh
        except ResponseError:
            raise  # the server answered with an error; the connection is in step
        except BaseException:
            conn.disconnect()  # a half-read reply must never be read by the next call
            local.used = False
            raise
        local.used = True
        return reply

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.disconnect()


def lua_script(client: Any, source: str) -> ScriptCall:
    """The cheapest way to run ``source`` on ``client``: ``script(keys, args)``."""
    if isinstance(client, Redis):
        return DirectScript(client, source)
    script = client.register_script(source)
    return lambda keys, args: script(keys=list(keys), args=list(args))
