"""Running the web app under gunicorn: the options come from ``[serve]``; used by ``pufabot serve``.

The embedded Redis (when ``redis.url`` is empty) is started here, in gunicorn's master, before any
worker forks, and handed to the workers as ``REDIS_URL``: all workers share one server.
"""

from __future__ import annotations

import gc
import logging
import os
import socket
from collections import Counter
from typing import Any, Iterable
from urllib.parse import urlsplit

import redis
from gunicorn.app.base import BaseApplication

from bot.config import Config
from bot.console import MIN_SECRET
from bot.errors import StartupError

log = logging.getLogger(__name__)


def gunicorn_options(config: Config, host: str | None = None, port: int | None = None,
                     workers: int | None = None) -> dict[str, Any]:
    s = config.serve
    return {
        "bind": f"{host or s.host}:{port or s.port}",
        "workers": workers or s.workers,
        "worker_class": s.worker_class,
        "threads": s.threads,
        "timeout": s.timeout,
        "graceful_timeout": 10,
        "keepalive": 5,
        "preload_app": True,  # the knowledge base and matcher are built once, shared copy-on-write
        "accesslog": None,
        "errorlog": "-",
        "loglevel": config.log.level.lower(),
        "forwarded_allow_ips": "127.0.0.1",
        "proxy_allow_ips": "127.0.0.1",
        "limit_request_line": 4094,
        "limit_request_field_size": 8190,
        # gunicorn >= 25 opens a control socket ($XDG_RUNTIME_DIR or ~/.gunicorn/gunicorn.ctl) by default:
        # one path for every instance the user runs, so one instance's gunicornc reaches another's.
        "control_socket_disable": True,
        **(affinity_hooks() if s.cpu_affinity == "auto" else {}),
    }


# -- CPU affinity ---------------------------------------------------------------------------------
# A worker runs Python on one core at a time (the GIL), however many threads it has. Left to the OS,
# its threads wander between cores, and every hand-over (a thread waiting on Redis, gthread's
# poller passing a connection to a pool thread) wakes another core: on a virtual machine that is an
# interrupt and a VM exit each time, and cold caches after. Pinned, the hand-overs stay on one core.

def choose_cpu(allowed: Iterable[int], taken: Iterable[int]) -> int:
    """The allowed CPU with the fewest live workers pinned to it (the lowest number on a tie)."""
    load = Counter(taken)
    return min(sorted(allowed), key=lambda cpu: load[cpu])


def _pre_fork(server: Any, worker: Any) -> None:  # in the master, before each worker is forked
    taken = [getattr(w, "pufabot_cpu", None) for w in server.WORKERS.values()]
    worker.pufabot_cpu = choose_cpu(os.sched_getaffinity(0), [c for c in taken if c is not None])


def _post_fork(server: Any, worker: Any) -> None:  # in the new worker, before it starts threads
    cpu = getattr(worker, "pufabot_cpu", None)
    if cpu is None:
        return
    try:
        os.sched_setaffinity(0, {cpu})
    except OSError as exc:  # a container may forbid it: serve unpinned
        log.warning("could not pin worker to CPU %s: %s", cpu, exc)


def affinity_hooks() -> dict[str, Any]:
    """gunicorn settings that pin each worker to one CPU ({} where the OS has no affinity calls)."""
    if not hasattr(os, "sched_setaffinity"):
        return {}
    return {"pre_fork": _pre_fork, "post_fork": _post_fork}


class PufabotServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, config: Config, options: dict[str, Any]):
        self.pufabot_config = config
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self) -> Any:
        from bot.app import create_app

        app = create_app(self.pufabot_config)
        # The knowledge base and matcher live as long as the process: move them out of the cyclic
        # garbage collector's sight, so that its full passes stay short and forked workers do not
        # copy those pages just to update GC bookkeeping.
        gc.freeze()
        return app


def ensure_redis_url(config: Config) -> Config:
    """With no Redis configured, start the embedded one now and return a config naming it."""
    if config.redis.url or os.environ.get("REDIS_URL"):
        return config
    from bot.store.connect import embedded_server

    url = embedded_server(config.redis.embedded_dir).url
    os.environ["REDIS_URL"] = url
    return config.replace(redis={"url": url})


def ensure_port_free(host: str, port: int) -> None:
    """Raise StartupError naming the port when something already listens there (checked before any
    "started" message, so the operator is not told the bot runs when it does not)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise StartupError(f"port {port} on {host} is already in use ({exc.strerror}): stop what runs "
                               f"there or choose another port (--port, [serve] port, make run PORT=...)") from None


def ensure_redis_reachable(config: Config) -> None:
    """Raise StartupError naming redis.url / REDIS_URL when Redis does not answer a PING."""
    from bot.store import connect

    client = connect.connect(config.redis)
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        where = mask_url(config.redis.url or os.environ.get("REDIS_URL", ""))
        raise StartupError(f"Redis at {where} (config key redis.url, or REDIS_URL) cannot be reached: "
                           f"{type(exc).__name__}: {exc}") from None
    finally:
        client.close()


def mask_url(url: str) -> str:
    """The URL without its password (redis://:secret@host -> redis://:***@host)."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


def check_can_serve(config: Config, host: str, port: int) -> None:
    """What ``pufabot serve`` needs before it starts: the WeChat token, Redis, a free port."""
    if not config.wechat.token:
        raise StartupError("config key wechat.token (environment WECHAT_TOKEN) is not set: WeChat signs every "
                           "push with the Token set in its console, and without it every push is refused")
    secret = config.web.secret_key
    if secret and len(secret) < MIN_SECRET:  # set, but too short to sign staff sessions: a mistake, not a choice
        raise StartupError(f"config key web.secret_key (environment SECRET_KEY) has {len(secret)} characters; "
                           f"the staff console needs at least {MIN_SECRET} (make one: python3 -c "
                           "'import secrets; print(secrets.token_hex(32))')")
    ensure_port_free(host, port)
    ensure_redis_reachable(config)


def serve(config: Config, host: str | None = None, port: int | None = None, workers: int | None = None) -> None:
    host, port = host or config.serve.host, port or config.serve.port
    config = ensure_redis_url(config)
    check_can_serve(config, host, port)
    PufabotServer(config, gunicorn_options(config, host, port, workers)).run()
