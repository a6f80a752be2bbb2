"""Admin page 工作群提醒: what the alerts outbox still holds and why, what went out lately.

Admins see every alert not yet taken by a robot (with the robot's last answer: a failure is shown,
never hidden), can have one tried again at once, and the menu shows how many are failing. The page
shows what the alerts say: ticket numbers, kinds and villages, never a villager's personal data.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from flask import flash, redirect, render_template, url_for
from redis.exceptions import RedisError
from werkzeug.wrappers import Response

from bot.console.auth import admin_required, bp, record, services, text
from bot.disputes.tickets import TZ
from bot.notify.robots import LABELS


def _failing() -> int:
    """Alerts that a robot refused or never answered at least once and are still waiting."""
    try:
        return sum(1 for m in services().notifier.outbox.waiting() if int(m.get("attempts") or 0) > 0)
    except RedisError:
        return 0


@bp.app_context_processor
def _alerts_menu() -> dict[str, Any]:
    return {"alerts_failing": _failing}


@bp.get("/admin/alerts")
@admin_required
def alerts_page() -> str:
    notifier = services().notifier
    now = time.time()
    waiting = notifier.outbox.waiting()
    paused = {name: until for name in notifier.robots if (until := notifier.outbox.paused_until(name)) > now}
    return render_template("staff_alerts.html", waiting=waiting, sent=notifier.outbox.sent(30), now=now,
                           robots=notifier.robots, labels=LABELS, paused=paused, config=notifier.config,
                           sent_today=notifier.outbox.sent_since(now - 86400),
                           next_digest=f"{datetime.fromtimestamp(notifier.next_digest(now), TZ):%m-%d %H:%M}")


@bp.post("/admin/alerts/<path:message_id>/retry")
@admin_required
def alert_retry(message_id: str) -> Response:
    if services().notifier.outbox.send_now(message_id, time.time()):
        record("alert_retry", message_id.partition("@")[0])
        services().notifier.kick()
        flash(text("console_alert_retry"))
    return redirect(url_for("staff.alerts_page"), code=303)
