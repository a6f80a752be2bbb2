"""Running the web app under gunicorn: the options come from ``[serve]``; used by ``pufabot serve``.

The embedded Redis (when ``redis.url`` is empty) is started here, in gunicorn's master, before any
worker forks, and handed to the workers as ``REDIS_URL``: all workers share one server.
"""

from __future__ import annotations

import gc
import os
from typing import Any

from gunicorn.app.base import BaseApplication

from bot.config import Config


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
    }


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
    from bot.redisconn import embedded_server

    url = embedded_server(config.redis.embedded_dir).url
    os.environ["REDIS_URL"] = url
    return config.replace(redis={"url": url})


def serve(config: Config, host: str | None = None, port: int | None = None, workers: int | None = None) -> None:
    config = ensure_redis_url(config)
    PufabotServer(config, gunicorn_options(config, host, port, workers)).run()
