"""``pufabot posts``: lint the library, show the plan, push (or preview) a week, slogans, status.

Thin commands: parse, call ``bot.posts.Posts``, print. None needs the Flask app; ``lint`` and
``slogans`` need no Redis either.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.cli import load_config
from bot.config import Config

if TYPE_CHECKING:
    from bot.posts import Posts

ACTIONS = {"sent": "已发送", "already": "本周已发送过，不会重复发送", "skipped": "本周没有可用文章，已跳过并提醒管理员",
           "failed": "发送失败，已达最大重试次数，已提醒管理员", "retrying": "发送失败，稍后自动重试，已提醒管理员",
           "waiting": "等待下次重试", "busy": "另一个进程正在发送这一周的文章",
           "missed": "已错过推送时间（超过24小时），未推送"}
STATUS = {"planned": "待发送", "retrying": "重试中", "sent": "已发送", "failed": "失败", "skipped": "跳过",
          "missed": "错过"}
WEEKDAYS = "一二三四五六日"


def build_posts(config: Config) -> Posts:
    """The posts facade (the knowledge base is not loaded: these commands start fast)."""
    from bot.services import build_services

    return build_services(config, knowledge="lazy").posts


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} 不是 YYYY-MM-DD 格式的日期") from None


@click.group("posts")
def posts() -> None:
    """Weekly 普法 posts: lint, plan, push, slogans, status."""


@posts.command("lint")
def lint_cmd() -> None:
    """Check every post in knowledge/posts/ (format, lengths, topics, campaigns)."""
    from bot.posts.library import Library, lint

    errors = lint()
    for error in errors:
        click.echo(str(error))
    if errors:
        raise click.ClickException(f"{len(errors)} 个问题需要修改")
    click.echo(f"{len(Library.load())} 篇文章，全部通过检查。")


@posts.command("plan")
@click.option("--weeks", type=click.IntRange(1, 520), default=8, show_default=True, help="How many weeks.")
@click.option("--from", "start", default=None, help="First week (any day of it, YYYY-MM-DD; default: this week).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def plan_cmd(weeks: int, start: str | None, as_json: bool) -> None:
    """Show which post goes out each coming week, and why."""
    from bot.posts import planner

    p = build_posts(load_config())
    first = _date(start) or p.today()
    choices = p.plan(planner.week_of(first), weeks)
    rows = []
    for c in choices:
        post = p.library.get(c.slug) if c.slug else None
        rows.append({"week": c.week.isoformat(), "at": p.scheduled_at(c.week).isoformat(), "slug": c.slug,
                     "title": post.title if post else None, "campaign": c.campaign or None, "reason": c.reason,
                     "score": c.score})
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row, c in zip(rows, choices):
        when = p.scheduled_at(c.week)
        title = row["title"] or "（本周不推送：不重复期内没有可用文章）"
        click.echo(f"{when:%Y-%m-%d} 周{WEEKDAYS[when.weekday()]} {when:%H:%M}  {p.reason_label(c.reason):<6}  "
                   f"{c.campaign or '-':<18}  {title}  ({c.slug or '-'})")


@posts.command("push")
@click.option("--dry-run", is_flag=True, help="Only render the article to a local HTML file for review; call nothing.")
@click.option("--date", "date_", default=None, help="The week to push (any day of it, YYYY-MM-DD; default: today).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("var/posts-preview"),
              show_default=True, help="Where --dry-run writes.")
def push_cmd(dry_run: bool, date_: str | None, out: Path) -> None:
    """Push a week's post now (still once per week: a sent week is never sent again)."""
    p = build_posts(load_config())
    day = _date(date_) or p.today()
    if dry_run:
        try:
            path = p.dry_run(day, out)
        except LookupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"已生成预览：{path.resolve()}")
        return
    outcome = p.push(day, time.time())
    record = outcome.record
    click.echo(f"{record.get('week', day)}《{record.get('title', '')}》：{ACTIONS.get(outcome.action, outcome.action)}")
    if record.get("error") and outcome.action in ("failed", "retrying"):
        click.echo(f"微信返回：{record.get('errcode', '')} {record['error']}")
    if outcome.action in ("failed", "retrying", "busy"):
        sys.exit(1)


@posts.command("slogans")
@click.option("--campaign", default=None, help="Only this campaign's slogans (e.g. constitution-week).")
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-",
              help="Output file (default: stdout).")
def slogans_cmd(campaign: str | None, output: Any) -> None:
    """Export the LED-screen slogans, one per line."""
    from bot.posts.library import CAMPAIGNS, Library

    if campaign and campaign not in CAMPAIGNS:
        raise click.BadParameter(f"活动只能是：{', '.join(CAMPAIGNS)}", param_hint="--campaign")
    for slogan in Library.load().slogans(campaign):
        output.write(slogan + "\n")


@posts.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status_cmd(as_json: bool) -> None:
    """Recent weeks' records, alerts, and whether a worker is running."""
    from bot.worker import heartbeats

    p = build_posts(load_config())
    now = time.time()
    data = p.status()
    data["workers"] = heartbeats(p.publisher.redis, p.publisher.keys, now)
    week = p.active_week(now)
    data["next"] = p.scheduled_at(week + dt.timedelta(days=7)).isoformat()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"下次推送：{data['next']}")
    click.echo(f"运行中的 worker：{len(data['workers'])} 个" + ("" if data["workers"] else "（没有！请启动 pufabot worker）"))
    for r in data["weeks"]:
        extra = f"  错误：{r.get('errcode', '')} {r['error']}" if r.get("error") else ""
        if r.get("mass_status"):
            extra += f"  群发结果：{r['mass_status']}，送达 {r.get('mass_sent', 0)}/{r.get('mass_total', 0)} 人"
        click.echo(f"{r.get('week')}  {STATUS.get(r.get('status', ''), r.get('status'))}  《{r.get('title', '')}》"
                   f"  尝试 {r.get('attempts', 0)} 次{extra}")
    for a in data["alerts"][:10]:
        click.echo(f"提醒 {time.strftime('%m-%d %H:%M', time.localtime(float(a['at'])))}  {a['text']}")
