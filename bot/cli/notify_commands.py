"""``pufabot notify``: the work-group robots (see ``bot.notify``)."""

from __future__ import annotations

import json

import click

from bot.cli import load_config


@click.group("notify")
def notify() -> None:
    """Alerts to the township's work group (企业微信/政务微信, 钉钉 robots)."""


@notify.command("test")
def notify_test() -> None:
    """Send a test message to every robot in [notify] now and print each robot's answer.

    Exits 1 when a robot refused it or did not answer (the answer says why: a wrong key is 93000
    for 企业微信, a wrong signature 310000 for 钉钉)."""
    from bot.notify.compose import trial_alert
    from bot.notify.robots import LABELS, configured
    from bot.services import load_texts

    config = load_config()
    robots = configured(config.notify)
    if not robots:
        raise click.ClickException("没有配置工作群机器人：请在 [notify] 设置 wecom_webhook 或 dingtalk_webhook "
                                   "（或环境变量 PUFABOT_NOTIFY__WECOM_WEBHOOK / PUFABOT_NOTIFY__DINGTALK_WEBHOOK）")
    alert = trial_alert(load_texts(config.bot))
    refused = False
    for name, robot in robots.items():
        answer = robot.send(robot.body(alert.text))
        refused = refused or not answer.ok
        click.echo(f"{LABELS[name]} " + json.dumps({"errcode": answer.errcode, "errmsg": answer.errmsg},
                                                  ensure_ascii=False))
    if refused:
        raise SystemExit(1)
