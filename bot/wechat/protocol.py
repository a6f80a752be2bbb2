"""The WeChat push protocol: signatures, replay window, safe XML parsing, AES envelopes, replies.

Pure: no Flask, no redis. Parsing refuses any markup declaration (``<!DOCTYPE``, ``<!ENTITY``...)
before a parser sees the text, so no XML bomb or external entity can be expanded; only CDATA sections
and comments may start with ``<!``. It decodes UTF-8 strictly and builds wechatpy's message objects.
Replies are rendered here (not with wechatpy's reply classes, which do not split ``]]>`` and cost
several times more), every string made CDATA-safe.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any, Mapping

from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.events import EVENT_TYPES, BaseEvent
from wechatpy.messages import MESSAGE_TYPES, UnknownMessage

from bot.errors import BadRequest, SignatureError
from bot.wechat.message import Message

# XML 1.0 forbids C0 controls other than tab, LF and CR (and a few other code points).
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# "<!" may only open a CDATA section or a comment; anything else is a declaration (DTD, entity...).
_DECLARATION = re.compile(r"<!(?!\[CDATA\[|--)")


# -- signatures ----------------------------------------------------------------------------------

def sign(*parts: str) -> str:
    """SHA-1 over the sorted, concatenated strings (WeChat's signature and msg_signature)."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def check_signature(token: str, signature: str | None, timestamp: str | None, nonce: str | None,
                    *, window: int = 300, now: float | None = None) -> None:
    """Raise SignatureError unless the URL signature is right and the timestamp is recent.

    Constant-time comparison; the timestamp window (our policy, both directions) refuses replays.
    """
    if not (token and signature and timestamp and nonce):
        raise SignatureError("missing signature parameters")
    if not hmac.compare_digest(sign(token, timestamp, nonce), signature.lower()):
        raise SignatureError("signature mismatch")
    try:
        ts = int(timestamp)
    except ValueError:
        raise SignatureError("timestamp is not a number") from None
    now = time.time() if now is None else now
    if abs(now - ts) > window:
        raise SignatureError("timestamp outside the replay window")


# -- parsing ----------------------------------------------------------------------------------------

def _to_dict(element: ET.Element) -> Any:
    children = list(element)
    if not children:
        # Strip as wechatpy and WeRoBot do: ``<MsgType> <![CDATA[event]]> </MsgType>`` (official
        # card-event docs, several SDKs' fixtures) means "event", and the reply goes to the bare openid.
        text = element.text.strip() if element.text else ""
        return text or None
    out: dict[str, Any] = {}
    for child in children:
        value = _to_dict(child)
        if child.tag in out:
            if not isinstance(out[child.tag], list):
                out[child.tag] = [out[child.tag]]
            out[child.tag].append(value)
        else:
            out[child.tag] = value
    return out


# The deepest push WeChat sends is four levels (SendPicsInfo/PicList/item/PicMd5Sum); 9,000 levels
# would exhaust Python's recursion in ``_to_dict``.
MAX_DEPTH = 16


def _too_deep(root: ET.Element, limit: int) -> bool:
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in element)
    return False


def parse_xml(body: bytes) -> dict[str, Any]:
    """Parse a push body into a flat dict (nested elements become dicts). Raises BadRequest."""
    if not body or not body.strip():
        raise BadRequest("empty body")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("body is not UTF-8") from None
    if _DECLARATION.search(text):
        raise BadRequest("DTD or entity declarations are not accepted")
    try:
        root = ET.fromstring(text)
    except (ET.ParseError, ValueError):
        raise BadRequest("malformed XML") from None
    if root.tag != "xml":
        raise BadRequest("root element must be <xml>")
    if _too_deep(root, MAX_DEPTH):
        raise BadRequest(f"XML nested deeper than {MAX_DEPTH} levels")
    data = _to_dict(root)
    if not isinstance(data, dict):
        raise BadRequest("empty <xml>")
    return data


class UnknownEvent(BaseEvent):  # type: ignore[misc]  # wechatpy is untyped
    """An event wechatpy has no class for (PUBLISHJOBFINISH, future events): still an event."""


def to_message(data: Mapping[str, Any]) -> Message:
    """Build wechatpy's message or event object (same rules as ``wechatpy.parse_message``)."""
    # A repeated top-level element (<Content>a</Content><Content>b</Content>, in some SDKs' fixtures)
    # would reach handlers as a list: the first one counts.
    fields = {k: (v[0] if isinstance(v, list) and all(not isinstance(x, dict) for x in v) else v)
              for k, v in data.items()}
    for name in ("ToUserName", "FromUserName", "MsgType", "CreateTime"):
        if not isinstance(fields.get(name), str):
            raise BadRequest(f"missing {name}")
    if not fields["CreateTime"].strip().isdigit():
        raise BadRequest("CreateTime is not a number")
    msg_id = fields.get("MsgId")
    if msg_id is not None and not (isinstance(msg_id, str) and msg_id.strip().isdigit()):
        raise BadRequest("MsgId is not a number")
    message_type = fields["MsgType"].lower()
    if message_type == "event":
        event = fields.get("Event")
        event_type = event.lower() if isinstance(event, str) else None
        key = fields.get("EventKey")
        if event_type == "subscribe" and isinstance(key, str) and key.startswith("qrscene_"):
            event_type = fields["Event"] = "subscribe_scan"
            fields["EventKey"] = key[len("qrscene_"):]
        if event_type not in EVENT_TYPES:
            unknown = UnknownEvent(fields)
            unknown.event = event_type or ""
            return unknown
        cls = EVENT_TYPES[event_type]
    else:
        cls = MESSAGE_TYPES.get(message_type, UnknownMessage)
    message: Message = cls(fields)  # wechatpy's classes are untyped: this is what we read of them
    return message


# -- safe mode (AES) ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Envelope:
    """How one push arrived, so the reply goes back the same way."""

    encrypted: bool
    timestamp: str
    nonce: str


class Cipher:
    """Safe/compatible mode with wechatpy's crypto; msg_signature checked in constant time."""

    def __init__(self, token: str, aes_key: str, appid: str):
        self.token = token
        self.appid = appid
        self._crypto = WeChatCrypto(token, aes_key, appid)
        self._prp = PrpCrypto(self._crypto.key)

    def decrypt(self, envelope: Mapping[str, Any], msg_signature: str | None, timestamp: str, nonce: str) -> bytes:
        encrypted = envelope.get("Encrypt")
        if not isinstance(encrypted, str) or not msg_signature:
            raise SignatureError("safe-mode push without Encrypt or msg_signature")
        if not hmac.compare_digest(sign(self.token, timestamp, nonce, encrypted), msg_signature.lower()):
            raise SignatureError("msg_signature mismatch")
        return self.decrypt_text(encrypted)

    def decrypt_text(self, encrypted: str) -> bytes:
        """The plaintext XML inside an ``Encrypt`` value (its AppID checked by wechatpy)."""
        try:
            plain = self._prp.decrypt(encrypted, self.appid)
        except Exception:  # noqa: BLE001 - wechatpy raises several types (bad base64, padding, appid)
            raise BadRequest("cannot decrypt the message") from None
        return plain if isinstance(plain, bytes) else str(plain).encode("utf-8")

    def encrypt(self, xml: str, nonce: str, timestamp: str) -> str:
        return str(self._crypto.encrypt_message(xml, nonce, timestamp))


# -- replies -------------------------------------------------------------------------------------

def cdata_safe(text: str) -> str:
    """Make any text safe inside one CDATA section: drop illegal characters, split ``]]>``."""
    return _ILLEGAL_XML.sub("", text).replace("]]>", "]]]]><![CDATA[>")


# WeChat drops passive text replies above ~2048 UTF-8 bytes; keep a margin for the wrapper.
MAX_TEXT_BYTES = 2000


def fit_text(text: str, limit: int = MAX_TEXT_BYTES) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 10].decode("utf-8", "ignore").rstrip() + "……"


def _envelope(message: Message, create_time: int | None, msg_type: str, body: str) -> str:
    return (f"<xml><ToUserName><![CDATA[{cdata_safe(message.source)}]]></ToUserName>"
            f"<FromUserName><![CDATA[{cdata_safe(message.target)}]]></FromUserName>"
            f"<CreateTime>{create_time or int(time.time())}</CreateTime>"
            f"<MsgType><![CDATA[{msg_type}]]></MsgType>{body}</xml>")


def render_text(message: Message, content: str, create_time: int | None = None) -> str:
    """A passive text reply (to the sender, from the account the push was addressed to)."""
    body = f"<Content><![CDATA[{cdata_safe(fit_text(content))}]]></Content>"
    return _envelope(message, create_time, "text", body)


def render_news(message: Message, title: str, description: str, url: str, image: str = "",
                create_time: int | None = None) -> str:
    """One-article news reply (WeChat shows only one article in answer to a user message)."""
    item = (f"<item><Title><![CDATA[{cdata_safe(title)}]]></Title>"
            f"<Description><![CDATA[{cdata_safe(description)}]]></Description>"
            f"<PicUrl><![CDATA[{cdata_safe(image)}]]></PicUrl><Url><![CDATA[{cdata_safe(url)}]]></Url></item>")
    return _envelope(message, create_time, "news", f"<ArticleCount>1</ArticleCount><Articles>{item}</Articles>")
