"""The ``pufabot`` command: every operator task has a sub-command here.

``serve`` (production, gunicorn), ``simulate`` (dev server + chat page + local WeChat stand-in),
``chat`` (the same conversation in a terminal), ``menu push``; feature groups (``kb``, ``tickets``,
``staff``, ``posts``, ``report``, ``worker``, ``notify``) live in their own modules and are added below.
"""

from __future__ import annotations

import json
import os

import click

from bot import config as config_mod
from bot.errors import ConfigError, StartupError


class PufabotGroup(click.Group):
    """The root group: a command that finds Redis out of reach says so in one line naming the
    setting (``redis.url`` / ``REDIS_URL``), never with a redis-py traceback."""

    def invoke(self, ctx: click.Context) -> object:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        try:
            return super().invoke(ctx)
        except (RedisConnectionError, RedisTimeoutError) as exc:
            from bot.serving import mask_url

            where = mask_url(os.environ.get("REDIS_URL", "") or _configured_redis_url()) or "the configured Redis"
            raise click.ClickException(f"Redis at {where} (config key redis.url, or REDIS_URL) cannot be "
                                       f"reached: {exc}") from None


def _configured_redis_url() -> str:
    try:
        return config_mod.load().redis.url
    except ConfigError:
        return ""


@click.group("pufabot", cls=PufabotGroup)
@click.version_option(package_name="pufabot", prog_name="pufabot", message="%(prog)s %(version)s")
def cli() -> None:
    """pufabot: the township law office's WeChat official-account bot.

    Settings come from ./config.toml (or the file PUFABOT_CONFIG names) and PUFABOT_* / WECHAT_* /
    REDIS_URL / SECRET_KEY environment variables; without them the built-in defaults apply.
    """


def load_config() -> config_mod.Config:
    try:
        return config_mod.load()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@cli.command("serve")
@click.option("--host", default=None, help="Address to bind (default: [serve] host).")
@click.option("--port", type=int, default=None, help="Port (default: [serve] port).")
@click.option("--workers", type=int, default=None, help="gunicorn worker processes (default: [serve] workers).")
@click.option("--i-know", "i_know", is_flag=True, help="Allow web.dev_mode with a real WeChat token and app id.")
def serve_cmd(host: str | None, port: int | None, workers: int | None, i_know: bool) -> None:
    """Run the production server (gunicorn) on the configuration."""
    from bot.dev.simulator import DEV_MODE_REFUSED, real_account_configured
    from bot.serving import serve

    config = load_config()
    if config.web.dev_mode and real_account_configured(config) and not i_know:
        raise click.ClickException(DEV_MODE_REFUSED)
    try:
        serve(config, host, port, workers)
    except (ConfigError, StartupError) as exc:
        raise click.ClickException(str(exc)) from None


@cli.command("simulate")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--i-know", "i_know", is_flag=True, help="Run even though a real WeChat token and app id are configured.")
def simulate_cmd(host: str, port: int, i_know: bool) -> None:
    """Run the bot with a local chat page (/dev/chat) and a local WeChat API stand-in."""
    from bot.dev.run import run_simulation
    from bot.dev.simulator import DEV_MODE_REFUSED, real_account_configured

    config = load_config()
    if real_account_configured(config) and not i_know:
        raise click.ClickException(DEV_MODE_REFUSED)
    try:
        run_simulation(config, host, port)
    except (ConfigError, StartupError) as exc:
        raise click.ClickException(str(exc)) from None


@cli.command("chat")
@click.option("--url", default=None, help="A running pufabot (default: start one in-process).")
@click.option("--openid", default=None, help="Pretend to be this villager (default: a random test openid).")
@click.option("--safe-mode", is_flag=True, help="Encrypt messages as WeChat's safe mode does.")
def chat_cmd(url: str | None, openid: str | None, safe_mode: bool) -> None:
    """Talk to the bot from the terminal, through the real WeChat protocol."""
    from bot.dev.run import terminal_chat

    terminal_chat(load_config(), url, openid, safe_mode)


@cli.group("menu")
def menu_group() -> None:
    """The official account's custom menu."""


@menu_group.command("push")
@click.option("--dry-run", is_flag=True, help="Print the menu JSON instead of sending it.")
def menu_push(dry_run: bool) -> None:
    """Create the custom menu from [menu] through the WeChat API."""
    from bot.wechat.menu import check_keys, menu_json
    from handlers import ROUTES

    config = load_config()
    try:
        check_keys(config.menu, ROUTES.clicks)
        body = menu_json(config.menu)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if dry_run:
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    from bot.services import build_services
    from bot.wechat.api import WeChatError

    try:
        build_services(config, knowledge="lazy").wechat.create_menu(body)
    except WeChatError as exc:
        if exc.errcode is None:  # no answer from WeChat at all: not a refusal
            raise click.ClickException(f"连不上微信接口，菜单未创建（{exc.errmsg}）：请检查网络和 [wechat] "
                                       f"api_base_url 后重试") from None
        raise click.ClickException(f"微信拒绝了菜单 (errcode {exc.errcode}): {exc.errmsg}") from None
    click.echo("菜单已更新（用户重新进入公众号后可见）。")


# Command groups in their own modules (they import ``load_config`` from here, hence at the end).
from bot.cli.kb_commands import kb  # noqa: E402
from bot.cli.notify_commands import notify  # noqa: E402
from bot.cli.posts_commands import posts  # noqa: E402
from bot.cli.report_commands import report  # noqa: E402
from bot.cli.staff_commands import staff  # noqa: E402
from bot.cli.tickets_commands import tickets  # noqa: E402
from bot.cli.worker_commands import worker  # noqa: E402

for _command in (kb, tickets, staff, posts, report, worker, notify):
    cli.add_command(_command)
