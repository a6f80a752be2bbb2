"""The ``pufabot`` command: every operator task has a sub-command here.

``serve`` (production, gunicorn), ``simulate`` (dev server + chat page + local WeChat stand-in),
``chat`` (the same conversation in a terminal), ``menu push``; feature groups (``kb``, ``tickets``,
``staff``, ``posts``, ``report``, ``worker``) live in their own modules and are added below.
"""

from __future__ import annotations

import json
from typing import Any

import click
from flask.cli import FlaskGroup

from bot import config as config_mod
from bot.errors import ConfigError


def _create_app() -> Any:
    from bot.app import create_app

    return create_app()


cli = FlaskGroup(name="pufabot", create_app=_create_app, add_default_commands=False,
                 help="pufabot: the township law office's WeChat official-account bot.")


def load_config() -> config_mod.Config:
    try:
        return config_mod.load()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@cli.command("serve", with_appcontext=False)
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
    serve(config, host, port, workers)


@cli.command("simulate", with_appcontext=False)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--i-know", "i_know", is_flag=True, help="Run even though a real WeChat token and app id are configured.")
def simulate_cmd(host: str, port: int, i_know: bool) -> None:
    """Run the bot with a local chat page (/dev/chat) and a local WeChat API stand-in."""
    from bot.dev.simulator import DEV_MODE_REFUSED, real_account_configured, run_simulation

    config = load_config()
    if real_account_configured(config) and not i_know:
        raise click.ClickException(DEV_MODE_REFUSED)
    run_simulation(config, host, port)


@cli.command("chat", with_appcontext=False)
@click.option("--url", default=None, help="A running pufabot (default: start one in-process).")
@click.option("--openid", default=None, help="Pretend to be this villager (default: a random test openid).")
@click.option("--safe-mode", is_flag=True, help="Encrypt messages as WeChat's safe mode does.")
def chat_cmd(url: str | None, openid: str | None, safe_mode: bool) -> None:
    """Talk to the bot from the terminal, through the real WeChat protocol."""
    from bot.dev.simulator import terminal_chat

    terminal_chat(load_config(), url, openid, safe_mode)


def wechat_client(config: config_mod.Config) -> Any:
    """The WeChat API client alone (for commands that need no knowledge base)."""
    from bot.store import connect
    from bot.store.keys import Keys
    from bot.wechat.api import WeChatAPI

    return WeChatAPI(config.wechat, connect.connect(config.redis), Keys(config.redis.key_prefix))


@cli.group("menu")
def menu_group() -> None:
    """The official account's custom menu."""


@menu_group.command("push", with_appcontext=False)
@click.option("--dry-run", is_flag=True, help="Print the menu JSON instead of sending it.")
def menu_push(dry_run: bool) -> None:
    """Create the custom menu from [menu] through the WeChat API."""
    from bot.wechat.menu import menu_json

    config = load_config()
    try:
        body = menu_json(config.menu)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if dry_run:
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    from bot.wechat.api import WeChatError

    try:
        wechat_client(config).create_menu(body)
    except WeChatError as exc:
        raise click.ClickException(f"微信拒绝了菜单 (errcode {exc.errcode}): {exc.errmsg}") from None
    click.echo("菜单已更新（用户重新进入公众号后可见）。")


def _add_feature_commands() -> None:
    """Feature command groups, each in its own module; absent ones are skipped."""
    import importlib

    for module_name, attr in (("bot.cli.kb_commands", "kb"), ("bot.cli.tickets_commands", "tickets"), ("bot.cli.staff_commands", "staff"),
                              ("bot.cli.posts_commands", "posts"), ("bot.cli.report_commands", "report"),
                              ("bot.cli.worker_commands", "worker")):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        cli.add_command(getattr(module, attr))


_add_feature_commands()
