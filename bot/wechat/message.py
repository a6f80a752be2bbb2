"""What handlers use of a parsed WeChat message (wechatpy's message and event classes).

wechatpy ships no type information; this Protocol names the attributes our handlers and the
pipeline read, so that a handler's ``message`` parameter is checked instead of ``Any``. Fields a
message type lacks (``content`` on a voice message) are read with ``getattr(message, ..., default)``.
"""

from __future__ import annotations

from typing import Protocol


class Message(Protocol):
    """A wechatpy message or event: ``type`` is ``text``, ``voice``, ..., or ``event``."""

    id: int | None
    source: str          # the villager's openid
    target: str          # the official account
    create_time: int
    type: str


class Event(Message, Protocol):
    event: str           # lower case, as wechatpy reports it: subscribe, click, masssendjobfinish...


class TextMessage(Message, Protocol):
    content: str
