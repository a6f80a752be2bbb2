"""The pure protocol layer, checked against the platform's published vectors."""

from __future__ import annotations

import time

import pytest

from bot.wechat import protocol
from bot.errors import BadRequest, SignatureError
from bot.wechat.protocol import Cipher


def test_signature_matches_the_official_vectors() -> None:
    assert protocol.sign("AAAAA", "1714036504", "1514711492") == "f464b24fc39322e44b38aa78f5edd27bd1441696"
    assert protocol.sign("AAAAA", "1714037059", "486452656") == "899cf89e464efb63f54ddac96b0a0a235f53aa78"


def test_a_fresh_signature_is_accepted_and_a_forged_one_refused() -> None:
    ts = str(int(time.time()))
    protocol.check_signature("tok", protocol.sign("tok", ts, "n1"), ts, "n1")
    with pytest.raises(SignatureError):
        protocol.check_signature("tok", protocol.sign("other", ts, "n1"), ts, "n1")
    with pytest.raises(SignatureError):
        protocol.check_signature("tok", None, ts, "n1")


def test_an_old_timestamp_is_a_replay() -> None:
    old = str(int(time.time()) - 301)
    with pytest.raises(SignatureError, match="replay"):
        protocol.check_signature("tok", protocol.sign("tok", old, "n"), old, "n", window=300)


def test_safe_mode_vector_from_the_platform_notes_decrypts() -> None:
    cipher = Cipher("demotoken", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", "wxdemo0000000001")
    encrypted = ("4j/AuRx71kQlxVlzbpsMWLeDKn9QTh57Q5cGSrVq/zLE6VdGM9gk02IUdx5TXocd18Z2SzFW3DYJp/NH61TnqG18oVOi"
                 "XzphaZdy9r7T9Q34YBntfhC2SiNnPOnDUzQV")
    plain = cipher.decrypt({"Encrypt": encrypted}, "a1d16827eb89ceb0bd68b2f59356360fe2237326", "1700000000", "123456")
    assert plain.decode() == "<xml><Content><![CDATA[你好]]></Content></xml>"
    with pytest.raises(SignatureError):
        cipher.decrypt({"Encrypt": encrypted}, "0" * 40, "1700000000", "123456")


@pytest.mark.parametrize("body", [
    b"", b"   ", b"<xml><a>", b"not xml at all", b"\xff\xfe<xml/>", b"<root><a>1</a></root>",
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><xml>&lol2;</xml>',
    b'<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Content>&xxe;</Content></xml>',
])
def test_hostile_or_broken_bodies_are_refused_before_any_entity_expands(body: bytes) -> None:
    with pytest.raises(BadRequest):
        protocol.parse_xml(body)


def test_parsed_events_keep_nested_fields_and_qr_subscriptions_lose_the_prefix() -> None:
    data = protocol.parse_xml(
        b"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[oTESTabc]]></FromUserName>"
        b"<CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        b"<Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_42]]></EventKey></xml>")
    message = protocol.to_message(data)
    assert message.event == "subscribe_scan" and message.scene_id == "42"


def test_replies_split_cdata_terminators_and_drop_illegal_characters() -> None:
    data = protocol.parse_xml(
        b"<xml><ToUserName>gh_x</ToUserName><FromUserName>oTESTabc</FromUserName><CreateTime>1</CreateTime>"
        b"<MsgType>text</MsgType><Content>x</Content><MsgId>1</MsgId></xml>")
    xml = protocol.render_text(protocol.to_message(data), "a]]>b\x00c")
    assert protocol.parse_xml(xml.encode())["Content"] == "a]]>bc"


def test_long_texts_are_cut_to_what_wechat_delivers() -> None:
    text = protocol.fit_text("法" * 1000)
    assert len(text.encode()) <= protocol.MAX_TEXT_BYTES and text.endswith("……")
