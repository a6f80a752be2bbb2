"""What an alert says (pure: no Flask, no redis, no network).

An alert names the ticket, its kind, village and a console link; never a villager's phone, name,
ID number, openid or their own words (the description may hold any of them). Its ``id`` makes it
once-only: ``<event>:<ticket>`` or ``digest:<day>``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime

from bot.disputes.tickets import CONSULT, TZ, Ticket
from bot.texts import Texts

EVENTS = ("urgent", "new_report", "new_consultation", "overdue", "digest")


@dataclass(frozen=True)
class Alert:
    id: str  # once-only key: "urgent:JF20261208-0001", "digest:20261208"
    event: str  # one of EVENTS
    title: str  # the first line
    body: str  # the lines after it (ticket, kind, village, link)
    link: str
    mention: bool = False  # @ the person on duty (urgent only)

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.body}"

    @property
    def markdown(self) -> str:
        lines = [f"**{self.title}**", *(f"> {line}" for line in self.body.splitlines() if line)]
        return "\n".join(lines).replace(self.link, f"[{self.link}]({self.link})")

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> Alert:
        return cls(**json.loads(raw))


def event_of(ticket: Ticket) -> str:
    """Which event a newly created ticket is."""
    if ticket.urgent:
        return "urgent"
    return "new_consultation" if ticket.kind == CONSULT else "new_report"


def _label(texts: Texts, key: str, fallback: str) -> str:
    return texts.get(key) if key in texts else fallback


def ticket_alert(texts: Texts, ticket: Ticket, event: str, console_url: str, urgent_kind: str = "") -> Alert:
    """The alert about one ticket (``event``: urgent, new_report, new_consultation or overdue)."""
    link = f"{console_url.rstrip('/')}/staff/tickets/{ticket.id}"
    kind = (texts.get("notify_kind_chat_alert") if ticket.source == "urgent"
            else _label(texts, f"dispute_kind_{ticket.kind}", ticket.kind))
    lines = [texts.get("notify_ticket", ticket=ticket.id, kind=kind,
                       village=ticket.village or texts.get("notify_village_unknown"), link=link)]
    if event == "urgent":
        if urgent_kind:
            lines.insert(0, texts.get("notify_urgent_kind",
                                      what=_label(texts, f"urgent_kind_{urgent_kind}", urgent_kind)))
        if ticket.source == "urgent":
            lines.append(texts.get("notify_urgent_told"))
    if event == "overdue":
        lines.append(texts.get("notify_due", due=f"{datetime.fromtimestamp(ticket.due_at, TZ):%m-%d %H:%M}"))
    return Alert(f"{event}:{ticket.id}", event, texts.get(f"notify_title_{event}"), "\n".join(lines), link,
                 mention=event == "urgent")


def digest_alert(texts: Texts, day: str, counts: dict[str, int], console_url: str) -> Alert:
    """The daily digest: ``counts`` has new, overdue, unanswered and urgent_open."""
    link = f"{console_url.rstrip('/')}/staff/"
    full = texts.get("notify_digest", day=f"{day[:4]}-{day[4:6]}-{day[6:]}", link=link, **counts)
    title, _, body = full.partition("\n")
    return Alert(f"digest:{day}", "digest", title, body, link)


def trial_alert(texts: Texts) -> Alert:
    return Alert("test", "test", texts.get("notify_test"), "", "")


def batched(texts: Texts, alerts: list[Alert], limit: int) -> list[list[Alert]]:
    """Alerts grouped so that each group's text (see ``batch_text``) stays within ``limit`` bytes."""
    groups: list[list[Alert]] = []
    for alert in alerts:
        if groups and len(batch_text(texts, [*groups[-1], alert]).encode()) <= limit:
            groups[-1].append(alert)
        else:
            groups.append([alert])
    return groups


def batch_text(texts: Texts, alerts: list[Alert]) -> str:
    """One message for several alerts (a robot takes 20 a minute): the first in full, then the rest."""
    if len(alerts) == 1:
        return alerts[0].text
    rest = "\n\n".join(a.text for a in alerts[1:])
    return f"{alerts[0].text}\n\n{texts.get('notify_batch', count=len(alerts) - 1)}\n\n{rest}"
