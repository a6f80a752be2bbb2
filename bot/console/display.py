"""How the console shows times, ages, states, kinds and outcomes (pure; registered as Jinja filters).

Times are shown in the configured timezone (``posts.timezone``, Beijing time by default), since
that is the clock the township office works by.
"""

from __future__ import annotations

import time
import unicodedata
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from bot.disputes.tickets import Ticket
    from bot.texts import Texts

STATE_NAMES = {"new": "待认领", "claimed": "已认领", "mediating": "调解中", "resolved": "已出结果",
               "referred": "已转办", "closed": "已办结"}
STATE_ORDER = ("new", "claimed", "mediating", "resolved", "referred", "closed")
CONTACT_NAMES = {"visit": "希望上门", "call": "电话联系", "none": "在公众号里回复我"}
OUTCOMES = ("调解成功", "部分化解", "调解不成", "当事人撤回", "转12345", "转司法所", "转法院", "转派出所")
# The outcome "转X" hands the case to X.
REFERRAL_TARGETS = {"转12345": "12345热线", "转司法所": "司法所", "转法院": "法院", "转派出所": "派出所"}
HISTORY_NAMES = {"submitted": "村民提交", "claimed": "认领", "released": "放弃认领", "state": "状态变更",
                 "note": "内部备注", "visit": "安排走访", "reply": "回复村民", "rating_asked": "请村民评价",
                 "rated": "村民评价", "returned_to_queue": "认领超时，退回待认领", "assigned": "转给同事",
                 "urgent": "标为紧急"}
WHO_NAMES = {"villager": "村民", "system": "系统"}


def state_value(state: Any) -> str:
    return str(getattr(state, "value", state) or "")


def state_name(state: Any) -> str:
    value = state_value(state)
    return STATE_NAMES.get(value, value)


def local_time(ts: float | None, tz: str = "Asia/Shanghai", fmt: str = "%Y-%m-%d %H:%M") -> str:
    if not ts:
        return ""
    return datetime.fromtimestamp(float(ts), ZoneInfo(tz)).strftime(fmt)


def age(ts: float | None, now: float | None = None) -> str:
    """"3天5小时", "2小时", "12分钟": how long ago, coarse enough to read at a glance."""
    if not ts:
        return ""
    seconds = max(0, int((now if now is not None else time.time()) - float(ts)))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return f"{days}天{hours}小时" if hours else f"{days}天"
    if hours:
        return f"{hours}小时"
    return f"{max(1, rest // 60)}分钟"


def kind_name(kind: str, texts: Texts) -> str:
    """The kind's Chinese label from the dispute wording (``kind_<kind>``), else the raw value."""
    for key in (f"kind_{kind}", f"dispute_kind_{kind}"):
        if texts is not None and key in texts:
            return str(texts.get(key))
    return kind


def language_name(language: str, texts: Texts) -> str:
    """The Chinese name of a language another script was detected as (``script_name_<code>``)."""
    key = f"script_name_{language.replace('-', '_')}"
    return str(texts.get(key)) if texts is not None and key in texts else language


def history_name(what: str) -> str:
    return HISTORY_NAMES.get(what, what)


def who_name(who: str) -> str:
    return WHO_NAMES.get(who, who)


def masked(value: Any) -> str:
    """A villager's free text with phones, ID numbers and names masked (``bot.logs.mask``): what
    lists and the ticket page show until the audited "显示电话" click; never-shown characters
    neutralised (``visible``)."""
    from bot.logs import mask

    return visible(mask(str(value))) if value else ""


def visible(value: Any) -> str:
    """Text with every character that is not drawn made visible as ``[U+202E]``: bidi controls
    (U+202A-202E, U+2066-2069, U+200E/F), zero-width ones (U+200B-200D, U+2060, U+FEFF), C0/C1
    controls (U+0085, U+009B, DEL) and the like, so a message cannot display reordered or hide
    words. Line breaks and tabs stay."""
    if not value:
        return ""
    text = str(value)
    if not any(map(_hidden, text)):
        return text
    return "".join(f"[U+{ord(ch):04X}]" if _hidden(ch) else ch for ch in text)


def _hidden(ch: str) -> bool:
    """Controls, format characters (bidi, zero-width) and line/paragraph separators."""
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") and ch not in "\n\r\t"


def villager_texts(ticket: Ticket, thread: list[dict[str, Any]] | None = None) -> list[str]:
    """What the villager wrote or said: the report (description, attachments) and the thread's
    texts, voice transcripts and location labels."""
    texts = [ticket.description or "", ticket.address or ""]
    for item in ticket.attachments or []:
        texts += [str(item.get(k) or "") for k in ("text", "content", "recognition", "label")]
    for entry in thread or []:
        media = entry.get("media") or {}
        texts += [str(entry.get("text") or ""), str(media.get("recognition") or ""), str(media.get("label") or "")]
    return [t for t in texts if t]


def has_personal(ticket: Ticket, thread: list[dict[str, Any]] | None = None) -> bool:
    """Whether anything the villager wrote or said has personal data the page masks."""
    return any(masked(t) != t for t in villager_texts(ticket, thread))


def http_url(value: Any) -> str:
    """``value`` when it is an absolute http(s) URL with a host, else "": only those become links.

    A villager's push names PicUrl (and other URLs) freely; ``javascript:``, ``data:`` and the like are
    shown as text, never as ``href``."""
    from urllib.parse import urlsplit

    if not isinstance(value, str) or not value.isprintable():
        return ""
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return ""
    return value.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else ""


def map_link(lat: Any, lng: Any, label: str = "") -> str:
    """A map link for a WeChat location (GCJ-02 coordinates, which AMap uses too)."""
    from urllib.parse import quote

    return f"https://uri.amap.com/marker?position={lng},{lat}&name={quote(label or '村民位置')}&coordinate=gaode"
