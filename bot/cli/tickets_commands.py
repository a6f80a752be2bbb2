"""``pufabot tickets``: the dispute queue from a terminal (list, show, reply, close, spool-replay).

A stable interface other tools rely on:
- ``show ID --json``: the stored ticket with ``"history"``, ``"thread"`` (``[{"from": "villager"|
  "staff"|"bot", "at": ISO time in Beijing time, "text": ..., "media": {"type": ..., "media_id": ...}
  or null}]``, oldest first) and ``"rating"`` (1-5 or null);
- ``reply ID --as STAFF --text TEXT``: the console's reply (customer-service message, history,
  thread, audit log);
- ``close ID --as STAFF --outcome resolved|partly|unresolved|withdrawn [--note TEXT]``: records the
  outcome if it changed, closes, sends the villager the outcome with the rating invitation, and
  says whether WeChat delivered it.
STAFF must be an enabled console account. Phone numbers are masked in the table output; ``--json``
prints the stored ticket as is (operators piping it somewhere are responsible for it).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from bot.cli import load_config
from bot.disputes.tickets import TZ, Outcome, TicketError, TicketState

CLOSE_OUTCOMES = {"resolved": Outcome.SUCCESS.value, "partly": Outcome.PARTLY.value,
                  "unresolved": Outcome.FAILED.value, "withdrawn": Outcome.WITHDRAWN.value}

if TYPE_CHECKING:
    from bot.disputes import Disputes


def _disputes() -> Disputes:
    """The dispute facade (the knowledge base is not loaded: these commands start fast)."""
    from bot.services import build_services

    return build_services(load_config(), knowledge="lazy").disputes


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
        thread = [{**e, "at": _iso(e["at"])} for e in disputes.thread.entries(ticket.id)]
        click.echo(json.dumps({**ticket.to_json(), "history": history, "thread": thread}, ensure_ascii=False,
                              indent=2))
        return
    lines = [f"编号：{ticket.id}", f"状态：{disputes.state_label(ticket.state)}", f"类别：{disputes.kind_label(ticket.kind)}",
             f"村：{ticket.village}", f"登记：{_when(ticket.created_at)}", f"应答期限：{_when(ticket.due_at)}",
             f"电话：{mask(ticket.phone) or '不留'}", f"经过：{ticket.description}",
             f"附件：{len(ticket.attachments)} 个", f"结果：{ticket.outcome or '-'}", "记录："]
    lines += [f"  {_when(h['at'])}  {h['who']}  {h['what']}  {h.get('note', '')}" for h in history]
    click.echo("\n".join(lines))


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, TZ).isoformat(timespec="seconds")


def _staff_and_ticket(disputes: Disputes, staff: str, ticket_id: str) -> Any:
    """The ticket, once ``staff`` is known to be an enabled console account (else a clear error)."""
    from bot.console.accounts import StaffAccounts

    user = StaffAccounts(disputes.store.redis, disputes.store.keys).get(staff)
    if user is None or user.disabled:
        raise click.ClickException(f"没有可用的工作人员账号 {staff}（pufabot staff list 可查看）")
    ticket = disputes.get(ticket_id.upper())
    if ticket is None:
        raise click.ClickException(f"没有找到事项 {ticket_id}")
    return ticket


def _audit(disputes: Disputes, staff: str, action: str, ticket_id: str, detail: str) -> None:
    from bot.console.audit import AuditLog

    AuditLog(disputes.store.redis, disputes.store.keys).record(staff, action, ticket_id, f"命令行 {detail}".strip())


@tickets.command("reply")
@click.argument("ticket_id")
@click.option("--as", "staff", required=True, help="The console account replying.")
@click.option("--text", "text", required=True, help="What the villager receives (up to 600 characters).")
def reply_cmd(ticket_id: str, staff: str, text: str) -> None:
    """Send a staff reply to the villager (the console's reply box)."""
    disputes = _disputes()
    ticket = _staff_and_ticket(disputes, staff, ticket_id)
    body = text.strip()[:600]
    if not body:
        raise click.ClickException("回复内容不能为空")
    result = disputes.reply(ticket.id, staff, body)
    if result.delivered:
        _audit(disputes, staff, "reply", ticket.id, f"{len(body)} 字")
        click.echo(f"已发送给 {ticket.id} 的村民。")
        return
    _audit(disputes, staff, "reply_failed", ticket.id, f"errcode {result.errcode}: {result.errmsg}")
    note = "；已发模板消息提醒村民进入公众号" if result.template_sent else ""
    raise click.ClickException(f"微信未送达（errcode {result.errcode}: {result.errmsg}），回复已记入事项{note}")


@tickets.command("close")
@click.argument("ticket_id")
@click.option("--as", "staff", required=True, help="The console account closing the ticket.")
@click.option("--outcome", type=click.Choice(list(CLOSE_OUTCOMES)), required=True,
              help="resolved 调解成功, partly 部分化解, unresolved 调解不成, withdrawn 当事人撤回.")
@click.option("--note", default="", help="A note for the history.")
def close_cmd(ticket_id: str, staff: str, outcome: str, note: str) -> None:
    """Close a ticket with its outcome; the villager is asked to rate the handling."""
    disputes = _disputes()
    ticket = _staff_and_ticket(disputes, staff, ticket_id)
    chosen = CLOSE_OUTCOMES[outcome]
    note = note.strip()[:300]
    try:
        if ticket.state in (TicketState.RESOLVED.value, TicketState.REFERRED.value) and ticket.outcome != chosen:
            disputes.transition(ticket.id, TicketState.MEDIATING.value, staff, note="命令行改结果")
            ticket = disputes.get(ticket.id)
        if ticket.is_open:
            disputes.transition(ticket.id, TicketState.RESOLVED.value, staff, note=note, outcome=chosen)
        disputes.close(ticket.id, staff, note)
    except TicketError as exc:
        raise click.ClickException(f"不能结案：{exc}") from exc
    _audit(disputes, staff, "close", ticket.id, chosen)
    click.echo(f"{ticket.id} 已办结（{chosen}），{_invitation(disputes, ticket.id)}")


def _invitation(disputes: Disputes, ticket_id: str) -> str:
    """Whether the villager got the closing message with the rating invitation, as recorded."""
    sent = disputes.invitation(ticket_id)
    if sent.delivered:
        return "已请村民评价。"
    why = f"（微信错误码 {sent.errcode}）" if sent.errcode is not None else ""
    return (f"但结案消息和评价邀请没有送到村民{why}。村民回复“查询”时能看到处理结果；需要时请电话告知。")


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
