"""``pufabot tickets``: the dispute queue from a terminal (list, show, spool-replay). Stable interface.

Phone numbers are masked in the table output; ``--json`` prints the stored ticket as is (operators
piping it somewhere are responsible for it).
"""

from __future__ import annotations

import json
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import click

from bot.cli import load_config
from bot.disputes.tickets import TZ, TicketState


def _disputes() -> Any:
    """The facade without the knowledge base (fast: no jieba) — what these commands need."""
    from bot.store import connect
    from bot.disputes import Disputes
    from bot.store.keys import Keys
    from bot.store.state import ConversationStore
    from bot.texts import Texts
    from bot.wechat.api import WeChatAPI

    config = load_config()
    redis = connect.connect(config.redis)
    keys = Keys(config.redis.key_prefix)
    b = config.bot
    services = SimpleNamespace(
        config=config, redis=redis, keys=keys,
        texts=Texts.load(defaults={"name": b.name, "township": b.township, "office_phone": b.office_phone,
                                   "office_address": b.office_address}),
        wechat=WeChatAPI(config.wechat, redis, keys),
        conversations=ConversationStore(redis, keys, b.state_ttl, b.draft_ttl))
    return Disputes(services)


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, TZ).strftime("%Y-%m-%d %H:%M") if ts else "-"


@click.group("tickets")
def tickets() -> None:
    """The dispute queue of the 村民说事室."""


@tickets.command("list")
@click.option("--state", type=click.Choice([s.value for s in TicketState]), default=None, help="Only this state.")
@click.option("--limit", type=click.IntRange(1, 100000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_cmd(state: str | None, limit: int, as_json: bool) -> None:
    """Tickets, newest first."""
    disputes = _disputes()
    page, total = disputes.list(state=state, limit=limit)
    for ticket in page:
        if as_json:
            click.echo(json.dumps(ticket.to_json(), ensure_ascii=False))
        else:
            click.echo(f"{ticket.id}  {_when(ticket.created_at)}  {disputes.state_label(ticket.state):<12}  "
                       f"{ticket.village:<6}  {disputes.kind_label(ticket.kind):<10}  {ticket.claimed_by or '-'}")
    if not as_json:
        click.echo(f"共 {total} 件" + (f"（显示 {len(page)} 件）" if len(page) < total else ""))


@tickets.command("show")
@click.argument("ticket_id")
@click.option("--json", "as_json", is_flag=True, help="The ticket and its history as one JSON object.")
def show_cmd(ticket_id: str, as_json: bool) -> None:
    """One ticket with its history."""
    from bot.logs import mask

    disputes = _disputes()
    ticket = disputes.get(ticket_id.upper())
    if ticket is None:
        raise click.ClickException(f"没有找到事项 {ticket_id}")
    history = disputes.history(ticket.id)
    if as_json:
        click.echo(json.dumps({**ticket.to_json(), "history": history}, ensure_ascii=False, indent=2))
        return
    lines = [f"编号：{ticket.id}", f"状态：{disputes.state_label(ticket.state)}", f"类别：{disputes.kind_label(ticket.kind)}",
             f"村：{ticket.village}", f"登记：{_when(ticket.created_at)}", f"应答期限：{_when(ticket.due_at)}",
             f"电话：{mask(ticket.phone) or '不留'}", f"经过：{ticket.description}",
             f"附件：{len(ticket.attachments)} 个", f"结果：{ticket.outcome or '-'}", "记录："]
    lines += [f"  {_when(h['at'])}  {h['who']}  {h['what']}  {h.get('note', '')}" for h in history]
    click.echo("\n".join(lines))


@tickets.command("spool-replay")
def spool_replay_cmd() -> None:
    """Bring reports saved while Redis was down into Redis (idempotent; safe to run any time), then
    handle the villagers' messages kept meanwhile and send each answer."""
    disputes = _disputes()
    waiting = len(disputes.spool.pending())
    done = disputes.replay_spool()
    click.echo(f"已补登 {done} 件（补登前本地暂存 {waiting} 件）。")
    from bot.wechat.inbound import spool_for

    kept = len(spool_for(disputes.config).pending())
    if kept:  # the full services (knowledge base, handlers) only when there is something to answer
        from bot.services import build_services

        services = build_services(disputes.config)
        try:
            answered = services.inbound.replay(services)
        finally:
            services.close()
        click.echo(f"已处理维护期间保存的村民消息 {answered} 条（共 {kept} 条）。")
