"""``pufabot worker``: the scheduled process (weekly post + housekeeping), see ``bot.worker``."""

from __future__ import annotations

import click

from bot.cli import load_config


@click.command("worker")
@click.option("--once", is_flag=True, help="Run each job once, then exit (for troubleshooting).")
@click.option("--interval", type=click.FloatRange(1, 3600), default=60.0, show_default=True,
              help="Seconds between two checks.")
def worker(once: bool, interval: float) -> None:
    """Run the scheduled process: the weekly post, abandoned claims, the spool.

    A separate process from `pufabot serve`. The first SIGTERM/Ctrl-C finishes the current job and
    exits; a second one exits at once.
    """
    from bot import logs
    from bot.errors import StartupError
    from bot.serving import ensure_redis_reachable
    from bot.services import build_services
    from bot.worker import Worker

    config = load_config()
    logs.setup(config.log.level, config.log.json)
    try:
        ensure_redis_reachable(config)
    except StartupError as exc:
        raise click.ClickException(str(exc)) from None
    services = build_services(config)
    try:
        Worker(services, interval=interval).run(max_ticks=1 if once else None)
    finally:
        services.close()
