"""A message in another script (Uyghur, Kazakh, pinyin...) goes to a person, never into "nothing".

``bot.matching.scripts`` tells the script and language. The villager is told, in Chinese and in
their own script (``knowledge/replies/scripts.toml``), that a staff member will read it, when, and
the office phone; the message is queued as a consultation (kind 法律咨询, ``tickets.CONSULT``) with
the language noted, or joins the villager's open consultation. The villager's next messages join its
thread (``handlers/thread.py``, state ``by: "villager"`` with the language).

The text route is pure (it may run before the conversation state is known): the ticket is made and
the words written once the reply is committed (``Context.after``); until then the state names no
ticket and the thread finds the villager's open consultation itself.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from bot.disputes.tickets import CONSULT, Ticket
from bot.matching.scripts import ARABIC, KAZAKH_ARABIC, UYGHUR, Script, detect
from bot.wechat.context import Context
from bot.wechat.message import Message
from bot.wechat.replies import HandlerResult

if TYPE_CHECKING:
    from bot.services import Services
    from bot.texts import Texts

MAX_QUESTION_CHARS = 500


def found_in(content: str) -> Script | None:
    """The other script of a text, if any (the text handler's first question)."""
    return detect(content)


def reply_text(texts: Texts, language: str) -> str:
    """Chinese first, then the villager's own script (both Arabic-script languages when undecided)."""
    name = texts.get(f"script_name_{_key(language)}")
    own = (UYGHUR, KAZAKH_ARABIC) if language == ARABIC else (language,)
    return "\n\n".join([texts.get("script_reply_zh", language=name),
                        *(texts.get(f"script_reply_{_key(code)}") for code in own)])


def handle(message: Message, ctx: Context, content: str, found: Script) -> HandlerResult:
    """Queue the message for a person (after the reply is committed) and say so in both scripts."""
    ctx.count("script", found.language)
    services, openid, now = ctx.services, ctx.openid, ctx.now
    reply = reply_text(ctx.texts, found.language)
    ticket = open_consultation(services, openid)
    idem = hashlib.sha256(f"{openid}:{now}:{content}".encode()).hexdigest()[:12]

    def queue() -> None:
        target = ticket or services.disputes.submit(
            openid, {"kind": CONSULT, "description": content[:MAX_QUESTION_CHARS], "source": "script",
                     "language": found.language, "id": idem}, f"{openid}:script:{idem}")
        if target.spooled:
            return  # kept in the spool with the words as its description
        services.disputes.villager_wrote(target.id, content)
        services.disputes.bot_wrote(target.id, reply)
        services.disputes.thread.mark_confirmed(target.id, services.disputes.clock())

    ctx.after(queue)
    ctx.set_state(flow="thread", by="villager", ticket=ticket.id if ticket else "", language=found.language)
    return reply


def open_consultation(services: Services, openid: str) -> Ticket | None:
    """The villager's newest open consultation, which another message in their script joins."""
    return next((t for t in services.disputes.for_villager(openid) if t.kind == CONSULT and t.is_open), None)


def _key(language: str) -> str:
    return language.replace("-", "_")
