"""What handlers use of a parsed WeChat message (wechatpy's message and event classes).

wechatpy ships no type information; this Protocol names the attributes our handlers and the
pipeline read, so that a handler's ``message`` parameter is checked instead of ``Any``. A handler
receives a ``Message``; before it reads a field that only some types have, it narrows the message:
``is_text(message)`` / ``is_voice(message)`` / ... (the same test as ``message.type == "text"``), or
a ``cast`` where the routing table already sends it only one type (``handlers/__init__.py``).
Fields read without knowing the type are read with ``getattr(message, ..., default)``.
wechatpy gives a field missing from the push as ``None``, hence the ``| None``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, TypeGuard


class Message(Protocol):
    """A wechatpy message or event: ``type`` is ``text``, ``voice``, ..., or ``event``."""

    id: int              # MsgId (0 when absent; an event's is 0 except MASSSENDJOBFINISH's MsgID)
    source: str          # the villager's openid
    target: str          # the official account
    create_time: datetime
    time: int            # CreateTime as epoch seconds
    type: str


class TextMessage(Message, Protocol):
    content: str | None


class VoiceMessage(Message, Protocol):
    media_id: str | None
    recognition: str | None  # WeChat's transcript, when speech recognition is on


class ImageMessage(Message, Protocol):
    media_id: str | None
    image: str | None        # PicUrl


class LocationMessage(Message, Protocol):
    location_x: str      # latitude, as text
    location_y: str      # longitude
    label: str | None


class Event(Message, Protocol):
    event: str           # lower case, as wechatpy reports it: subscribe, click, masssendjobfinish...


class ClickEvent(Event, Protocol):
    key: str | None      # the menu key (EventKey)


class MassSendJobFinishEvent(Event, Protocol):
    status: str | None   # "send success", "send fail", "err(...)"


def is_text(message: Message) -> TypeGuard[TextMessage]:
    return message.type == "text"


def is_voice(message: Message) -> TypeGuard[VoiceMessage]:
    return message.type == "voice"


def is_image(message: Message) -> TypeGuard[ImageMessage]:
    return message.type == "image"


def is_location(message: Message) -> TypeGuard[LocationMessage]:
    return message.type == "location"


def coordinates(message: LocationMessage) -> tuple[float, float] | None:
    """(latitude, longitude) of a location push, or None when they are not numbers on the globe
    (WeChat never sends such a push; a forged one may)."""
    import math

    try:
        lat, lng = float(message.location_x), float(message.location_y)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    return lat, lng


def is_event(message: Message) -> TypeGuard[Event]:
    return message.type == "event"


def said(message: Message) -> str:
    """What the villager said in words: the text, or a voice's transcript ("" for anything else)."""
    if is_text(message):
        return message.content or ""
    if is_voice(message):
        return (getattr(message, "recognition", "") or "").strip()
    return ""
