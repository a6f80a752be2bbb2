"""``pufabot staff``: console accounts — add, passwd, disable, enable, list.

Thin commands over ``bot.console.accounts.StaffAccounts`` (Redis only: no app, no knowledge base).
Passwords are prompted twice without echo, or read from standard input with ``--password-stdin``
(for scripts); they never appear on the command line.
"""

from __future__ import annotations

import sys
from datetime import datetime

import click

from bot.cli import load_config
from bot.console import Console
from bot.console.accounts import ROLES, AccountError, check_password
from bot.disputes.tickets import TZ  # dates in Beijing time, whatever the server's zone


def _console() -> Console:
    """The console's parts exactly as the web console builds them (``bot.console.build``)."""
    from bot.console import build
    from bot.services import build_services

    return build(build_services(load_config(), knowledge="lazy"))


def _audit(parts: Console, action: str, name: str, detail: str = "") -> None:
    """Account changes made here appear in the console's audit log too, as 命令行:<OS user>."""
    import getpass

    try:
        who = f"命令行:{getpass.getuser()}"
    except (KeyError, OSError):
        who = "命令行"
    parts.audit.record(who, action, name, detail)


def _password(from_stdin: bool, name: str) -> str:
    """The new password, checked (length, common, the name) before it is asked a second time."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = str(click.prompt("密码", hide_input=True))
    _run(lambda: check_password(first, name))
    if str(click.prompt("再输入一次", hide_input=True)) != first:
        raise click.ClickException("两次输入的密码不一致")
    return first


def _run(action: object) -> None:
    try:
        action()  # type: ignore[operator]
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None


@click.group("staff")
def staff() -> None:
    """Staff console accounts (村民说事室 工作人员)."""


@staff.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="mediator", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def add(name: str, role: str, password_stdin: bool) -> None:
    """Create an account (mediator or admin)."""
    parts = _console()
    store = parts.accounts
    password = _password(password_stdin, name)
    _run(lambda: store.add(name, password, role))
    _audit(parts, "staff_add", name, role)
    click.echo(f"已创建{'管理员' if role == 'admin' else '调解员'}账号 {name}。")


@staff.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def passwd(name: str, password_stdin: bool) -> None:
    """Set a new password (signs the account out everywhere)."""
    parts = _console()
    store = parts.accounts
    password = _password(password_stdin, name)
    _run(lambda: store.set_password(name, password))
    _audit(parts, "staff_passwd", name)
    click.echo(f"已修改 {name} 的密码，原有登录已全部退出。")


@staff.command("disable")
@click.argument("name")
def disable(name: str) -> None:
    """Disable an account (signs it out everywhere)."""
    parts = _console()
    store = parts.accounts
    _run(lambda: store.set_disabled(name, True))
    _audit(parts, "staff_disable", name)
    click.echo(f"已停用账号 {name}。")


@staff.command("enable")
@click.argument("name")
def enable(name: str) -> None:
    """Enable a disabled account again."""
    parts = _console()
    store = parts.accounts
    _run(lambda: store.set_disabled(name, False))
    _audit(parts, "staff_enable", name)
    click.echo(f"已启用账号 {name}。")


@staff.command("unlock")
@click.argument("name")
def unlock(name: str) -> None:
    """Lift the login delay that failed logins put on an account."""
    parts = _console()
    store = parts.accounts
    if store.get(name) is None:
        raise click.ClickException(f"没有用户 {name}")
    store.unlock(name=name)
    _audit(parts, "staff_unlock", name)
    click.echo(f"已解除 {name} 的登录等待。")


@staff.command("list")
def list_cmd() -> None:
    """List the accounts."""
    parts = _console()
    store = parts.accounts
    users = store.list()
    if not users:
        click.echo("还没有账号。用 pufabot staff add 姓名 --role admin 创建。")
        return
    for user in users:
        role = "管理员" if user.is_admin else "调解员"
        wait = store.waiting(user.name)
        status = "已停用" if user.disabled else f"登录需等{wait}秒（失败次数过多；unlock 可解除）" if wait else "正常"
        created = datetime.fromtimestamp(user.created_at, TZ).strftime("%Y-%m-%d") if user.created_at else ""
        click.echo(f"{user.name}\t{role}\t{status}\t{created}")
