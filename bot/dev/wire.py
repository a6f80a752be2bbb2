"""A WeChat-side protocol client: builds pushes exactly as WeChat does and reads the replies.

Used by the chat simulator, ``pufabot chat``, the tests and the benchmarks (dev only: never
imported by the production path). It signs with the token, encrypts with the EncodingAESKey in safe
mode (wechatpy's crypto), and decrypts and parses the reply.
"""

from __future__ import annotations

import itertools
import random
import string
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from bot.wechat.protocol import Cipher, parse_xml, sign

_msg_ids = itertools.count(int(time.time() * 1000) % 10**12 * 1000)


def fake_openid(rng: random.Random | None = None) -> str:
    """A made-up openid of the usual shape (28 chars, starting with 'o'); never a real person's."""
    rng = rng or random.Random()
    return "oTEST" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(23))


def tiny_png(width: int = 2, height: int = 1) -> bytes:
    """A valid PNG: a red-to-blue gradient (2x1 by default); the photo a pretend villager sends."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"".join(bytes((255 - 255 * x // max(1, width - 1), 0, 255 * x // max(1, width - 1)))
                   for x in range(width))
    raw = b"".join(b"\x00" + row for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def made_up_voice(seconds: float = 1.0, seed: int = 7) -> bytes:
    """An AMR-NB file as WeChat delivers voice messages: 12.2 kbit/s frames of random content (a
    buzz, not speech, and nobody's voice), 50 a second, each a 0x3C mode byte and 31 bytes."""
    rng = random.Random(seed)
    frames = (b"\x3c" + bytes(rng.randrange(256) for _ in range(31)) for _ in range(round(seconds * 50)))
    return b"#!AMR\n" + b"".join(frames)


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def build_xml(msg_type: str, openid: str, account: str = "gh_0123456789ab", create_time: int | None = None,
              msg_id: int | None = None, **fields: Any) -> str:
    """A push body. ``fields`` are WeChat's element names (Content, Event, EventKey, MediaId...).

    Messages get a fresh MsgId unless given; events get none (as on the real platform).
    """
    parts = [f"<ToUserName>{_cdata(account)}</ToUserName>", f"<FromUserName>{_cdata(openid)}</FromUserName>",
             f"<CreateTime>{create_time or int(time.time())}</CreateTime>", f"<MsgType>{_cdata(msg_type)}</MsgType>"]
    for name, value in fields.items():
        if isinstance(value, (int, float)):
            parts.append(f"<{name}>{value}</{name}>")
        else:
            parts.append(f"<{name}>{_cdata(str(value))}</{name}>")
    if msg_type != "event":
        parts.append(f"<MsgId>{msg_id if msg_id is not None else next(_msg_ids)}</MsgId>")
    return "<xml>" + "".join(parts) + "</xml>"


@dataclass(frozen=True)
class SignedPush:
    params: dict[str, str]
    body: bytes


def sign_push(token: str, xml: str, cipher: Cipher | None = None, timestamp: int | None = None,
              nonce: str | None = None, openid: str | None = None) -> SignedPush:
    ts = str(timestamp or int(time.time()))
    nonce = nonce or str(random.randint(10**8, 10**9))
    params = {"signature": sign(token, ts, nonce), "timestamp": ts, "nonce": nonce}
    if openid:
        params["openid"] = openid
    if cipher is None:
        return SignedPush(params, xml.encode("utf-8"))
    envelope = cipher.encrypt(xml, nonce, ts)
    data = parse_xml(envelope.encode("utf-8"))
    encrypted = data["Encrypt"]
    params.update(encrypt_type="aes", msg_signature=sign(token, ts, nonce, encrypted))
    body = f"<xml><ToUserName>{_cdata('gh_0123456789ab')}</ToUserName><Encrypt>{_cdata(encrypted)}</Encrypt></xml>"
    return SignedPush(params, body.encode("utf-8"))


@dataclass
class Reply:
    """What the villager would see: ``kind`` text / news / none, plus the fields."""

    kind: str
    content: str = ""
    title: str = ""
    description: str = ""
    url: str = ""
    raw: str = ""
    status: int = 200


def read_reply(status: int, body: bytes, cipher: Cipher | None = None, token: str = "") -> Reply:
    text = body.decode("utf-8", "replace")
    if status != 200 or text.strip() in ("", "success"):
        return Reply("none", raw=text, status=status)
    data = parse_xml(body)
    if "Encrypt" in data:
        if cipher is None:
            raise ValueError("encrypted reply but no cipher")
        expected = sign(token, str(data["TimeStamp"]), str(data["Nonce"]), data["Encrypt"])
        if expected != data["MsgSignature"]:
            raise ValueError("reply MsgSignature does not verify")
        data = parse_xml(cipher.decrypt_text(data["Encrypt"]))
    if data.get("MsgType") == "news":
        item = data["Articles"]["item"]
        item = item[0] if isinstance(item, list) else item
        return Reply("news", title=item.get("Title") or "", description=item.get("Description") or "",
                     url=item.get("Url") or "", raw=text)
    return Reply(data.get("MsgType", ""), content=data.get("Content") or "", raw=text)


Transport = Callable[[dict[str, str], bytes], tuple[int, bytes]]


@dataclass
class Villager:
    """One pretend villager talking to the bot through a transport (HTTP or a Flask test client)."""

    transport: Transport
    token: str
    cipher: Cipher | None = None
    openid: str = field(default_factory=fake_openid)
    safe_mode: bool = False

    def push(self, xml: str) -> Reply:
        signed = sign_push(self.token, xml, self.cipher if self.safe_mode else None, openid=self.openid)
        status, body = self.transport(signed.params, signed.body)
        return read_reply(status, body, self.cipher, self.token)

    def say(self, content: str) -> Reply:
        return self.push(build_xml("text", self.openid, Content=content))

    def voice(self, media_id: str, recognition: str = "") -> Reply:
        return self.push(build_xml("voice", self.openid, MediaId=media_id, Format="amr", Recognition=recognition))

    def image(self, media_id: str, pic_url: str = "http://mmbiz.qpic.cn/example.jpg") -> Reply:
        return self.push(build_xml("image", self.openid, PicUrl=pic_url, MediaId=media_id))

    def location(self, lat: float, lng: float, label: str) -> Reply:
        return self.push(build_xml("location", self.openid, Location_X=lat, Location_Y=lng, Scale=15, Label=label))

    def click(self, key: str) -> Reply:
        return self.push(build_xml("event", self.openid, Event="CLICK", EventKey=key))

    def event(self, event: str, **fields: Any) -> Reply:
        return self.push(build_xml("event", self.openid, Event=event, **fields))


def http_transport(url: str, timeout: float = 10.0) -> Transport:
    import requests

    session = requests.Session()

    def send(params: dict[str, str], body: bytes) -> tuple[int, bytes]:
        res = session.post(url, params=params, data=body, headers={"Content-Type": "text/xml"}, timeout=timeout)
        return res.status_code, res.content

    return send

