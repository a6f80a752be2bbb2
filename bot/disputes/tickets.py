"""The ticket model: states, outcomes, kinds, ids and how a ticket is stored in a Redis hash (pure).

A ticket goes ``new → claimed → mediating → resolved / referred → closed``. Staff may also release
a claimed ticket (back to ``new``) and close from any open state (e.g. a duplicate). Every change is
one entry in an append-only history. Ids look like ``JF20261124-0007``: the Asia/Shanghai day the
villager confirmed, then that day's counter. Timestamps are floats (epoch seconds).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
ID_PATTERN = re.compile(r"^JF\d{8}-\d{4,}$")


class TicketState(str, Enum):
    NEW = "new"
    CLAIMED = "claimed"
    MEDIATING = "mediating"
    RESOLVED = "resolved"
    REFERRED = "referred"
    CLOSED = "closed"


class Outcome(str, Enum):
    SUCCESS = "调解成功"
    FAILED = "调解不成"
    HOTLINE = "转12345"
    JUDICIAL = "转司法所"
    COURT = "转法院"
    POLICE = "转派出所"
    PARTLY = "部分化解"
    WITHDRAWN = "当事人撤回"


# Finished without a referral. 调解率 counts only 调解成功 and 调解不成 (bot.reports.figures).
RESOLVED_OUTCOMES = frozenset({Outcome.SUCCESS, Outcome.FAILED, Outcome.PARTLY, Outcome.WITHDRAWN})
REFERRAL_OUTCOMES = frozenset({Outcome.HOTLINE, Outcome.JUDICIAL, Outcome.COURT, Outcome.POLICE})

# Where a ticket may go from each state (claim/release included).
TRANSITIONS: dict[TicketState, frozenset[TicketState]] = {
    TicketState.NEW: frozenset({TicketState.CLAIMED, TicketState.MEDIATING, TicketState.RESOLVED,
                                TicketState.REFERRED, TicketState.CLOSED}),
    TicketState.CLAIMED: frozenset({TicketState.NEW, TicketState.MEDIATING, TicketState.RESOLVED,
                                    TicketState.REFERRED, TicketState.CLOSED}),
    TicketState.MEDIATING: frozenset({TicketState.RESOLVED, TicketState.REFERRED, TicketState.CLOSED}),
    TicketState.RESOLVED: frozenset({TicketState.MEDIATING, TicketState.CLOSED}),
    TicketState.REFERRED: frozenset({TicketState.MEDIATING, TicketState.CLOSED}),
    TicketState.CLOSED: frozenset(),
}
OPEN_STATES = (TicketState.NEW, TicketState.CLAIMED, TicketState.MEDIATING)
# Kinds of dispute, in the order villagers are offered them (labels: knowledge/replies/disputes.toml).
KINDS = ("neighbours", "land", "family", "inheritance", "wages", "debts", "traffic", "consumer", "other")
# A legal question handed to a person (handlers/consult.py): queued and answered like a dispute, but
# counted as a consultation (接待咨询), never as a dispute received or in 调解 figures.
CONSULT = "consult"
ALL_KINDS = (*KINDS, CONSULT)
CONTACT_PREFS = ("visit", "call", "none")
ATTACHMENT_KINDS = ("text", "voice", "image", "location")


_OPTIONAL_FLOATS = frozenset({"claimed_at", "first_response_at", "resolved_at", "closed_at", "touched_at"})


class TicketError(ValueError):
    """A ticket operation that is not allowed (unknown ticket, forbidden transition, bad outcome)."""


@dataclass
class Ticket:
    id: str
    openid: str
    kind: str = "other"
    village: str = ""
    description: str = ""
    attachments: list[dict[str, Any]] = field(default_factory=list)
    phone: str = ""  # "" when the villager declined
    address: str = ""  # where to visit, when the villager asked for a visit without a phone
    contact_pref: str = "none"  # visit | call | none
    topic: str = ""
    state: str = TicketState.NEW.value
    created_at: float = 0.0
    updated_at: float = 0.0
    due_at: float = 0.0
    claimed_by: str = ""
    claimed_at: float | None = None
    first_response_at: float | None = None
    outcome: str = ""
    referred_to: str = ""
    rating: int | None = None
    rating_comment: str = ""  # the villager's own words with the rating (「还行吧 就是来得有点慢」)
    resolved_at: float | None = None
    closed_at: float | None = None
    touched_at: float | None = None  # last staff action while claimed (abandonment clock)
    visit_at: str = ""  # the latest scheduled visit, as staff typed it
    source: str = "text"  # text | voice (registered from an untranscribed voice)
    urgent: bool = False  # set from the intent layer (fraud, violence, danger...): shown first in the queue
    urgent_kind: str = ""  # the emergency the bot answered (violence-now, self-harm...), for an urgent item
    language: str = ""  # the villager wrote in another script (bot.matching.scripts.LANGUAGES); "" = Chinese
    stream_id: str = ""
    rev: int = 0  # bumped by every change; updates compare-and-set on it
    spooled: bool = False  # not stored: True when Redis was down and the ticket waits in the spool

    @property
    def ticket_state(self) -> TicketState:
        return TicketState(self.state)

    @property
    def is_open(self) -> bool:
        return self.ticket_state in OPEN_STATES

    def overdue(self, now: float) -> bool:
        """Past the promised response time without any response yet."""
        return self.first_response_at is None and self.is_open and now > self.due_at

    def to_hash(self) -> dict[str, str]:
        """Redis hash fields (strings; None becomes "")."""
        out: dict[str, str] = {}
        for f in fields(self):
            if f.name == "spooled":
                continue
            value = getattr(self, f.name)
            if f.name == "attachments":
                out[f.name] = json.dumps(value, ensure_ascii=False)
            elif f.name == "urgent":
                out[f.name] = "1" if value else ""
            else:
                out[f.name] = "" if value is None else str(value)
        return out

    @classmethod
    def from_hash(cls, data: dict[str, str]) -> Ticket:
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            raw = data[f.name]
            if f.name == "attachments":
                kwargs[f.name] = json.loads(raw) if raw else []
            elif f.name in {"created_at", "updated_at", "due_at"}:
                kwargs[f.name] = float(raw or 0)
            elif f.name in _OPTIONAL_FLOATS:
                kwargs[f.name] = float(raw) if raw else None
            elif f.name == "rating":
                kwargs[f.name] = int(raw) if raw else None
            elif f.name == "urgent":
                kwargs[f.name] = raw in ("1", "True", "true")
            elif f.name == "rev":
                kwargs[f.name] = int(raw or 0)
            elif f.name == "spooled":
                continue
            else:
                kwargs[f.name] = raw
        return cls(**kwargs)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def day_of(ts: float) -> str:
    """The Asia/Shanghai calendar day of a timestamp, as ``YYYYMMDD``."""
    return datetime.fromtimestamp(ts, TZ).strftime("%Y%m%d")


def format_id(day: str, number: int) -> str:
    return f"JF{day}-{number:04d}"


def is_ticket_id(text: str) -> bool:
    return bool(ID_PATTERN.match(text))


def history_entry(at: float, who: str, what: str, note: str = "", **extra: Any) -> dict[str, Any]:
    """One history line: who did what when, with an optional note and details."""
    entry: dict[str, Any] = {"at": at, "who": who, "what": what, "note": note}
    entry.update({k: v for k, v in extra.items() if v is not None})
    return entry


def attachment(kind: str, at: float, **values: Any) -> dict[str, Any]:
    """An attachment dict (kind text|voice|image|location); only the given values are kept."""
    if kind not in ATTACHMENT_KINDS:
        raise TicketError(f"unknown attachment kind {kind!r}")
    return {"kind": kind, "at": at, **{k: v for k, v in values.items() if v not in (None, "")}}
