"""The /wechat endpoint as WeChat and villagers use it: signed XML in, a reply out."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.dev import wire
from tests.conftest import TOKEN

REDIS_KINDS = ("single", "cluster")


def test_wechat_url_check_echoes_echostr_only_when_signed(client: Any) -> None:
    push = wire.sign_push(TOKEN, "")
    res = client.get("/wechat", query_string={**push.params, "echostr": "8421"})
    assert res.status_code == 200 and res.data == b"8421"
    forged = {**push.params, "signature": "0" * 40, "echostr": "8421"}
    assert client.get("/wechat", query_string=forged).status_code == 403


def test_a_forged_push_gets_403_and_touches_nothing(client: Any, redis_client: Any) -> None:
    xml = wire.build_xml("text", wire.fake_openid(), Content="我要反映")
    push = wire.sign_push("wrongtoken", xml)
    res = client.post("/wechat", query_string=push.params, data=push.body, content_type="text/xml")
    assert res.status_code == 403
    assert redis_client.dbsize() == 0


def test_a_replayed_push_older_than_five_minutes_is_refused(client: Any) -> None:
    xml = wire.build_xml("text", wire.fake_openid(), Content="你好")
    push = wire.sign_push(TOKEN, xml, timestamp=int(time.time()) - 600)
    res = client.post("/wechat", query_string=push.params, data=push.body, content_type="text/xml")
    assert res.status_code == 403


@pytest.mark.parametrize("safe_mode", [False, True], ids=["plaintext", "safe-mode"])
def test_a_legal_question_is_answered_from_the_knowledge_base(villager: Any, safe_mode: bool) -> None:
    v = villager(safe_mode=safe_mode)
    reply = v.say("老板跑了工钱不给咋整")
    assert reply.kind == "text"
    assert "12333" in reply.content and reply.content.endswith("回复「调解」请村民说事室帮忙")  # the short answer
    detail = v.say("详细").content
    assert "【拖欠工资】" in detail and "依据" in detail and "12333" in detail


def test_safe_mode_reply_is_encrypted_and_signed(villager: Any) -> None:
    reply = villager(safe_mode=True).say("你好")
    assert "<Encrypt>" in reply.raw and "<MsgSignature>" in reply.raw and "你好" not in reply.raw
    assert reply.content  # read_reply verified MsgSignature and decrypted it


def test_compatible_mode_body_with_plain_fields_and_encrypt_is_read_from_the_ciphertext(client: Any, cipher: Any) -> None:
    openid = wire.fake_openid()
    inner = wire.build_xml("text", openid, Content="你好")
    push = wire.sign_push(TOKEN, inner, cipher)
    encrypted = push.body.decode().split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    body = inner.replace("</xml>", f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>").encode()
    res = client.post("/wechat", query_string=push.params, data=body, content_type="text/xml")
    reply = wire.read_reply(res.status_code, res.data, cipher, TOKEN)
    assert reply.kind == "text" and reply.content


def test_subscribe_gets_the_welcome_with_what_the_account_can_do(villager: Any) -> None:
    reply = villager().event("subscribe", EventKey="")
    assert "欢迎关注" in reply.content and "我要反映" in reply.content and "12348" in reply.content


def test_a_qr_code_subscription_and_a_scan_are_welcomed(villager: Any) -> None:
    v = villager()
    assert "欢迎关注" in v.event("subscribe", EventKey="qrscene_7", Ticket="T").content
    assert "欢迎回来" in v.event("SCAN", EventKey="7", Ticket="T").content


def test_unsubscribe_forgets_the_conversation_and_answers_success(villager: Any, services: Any) -> None:
    v = villager()
    services.conversations.set(v.openid, {"flow": "choose", "options": ["divorce"]})
    services.conversations.set_draft(v.openid, {"text": "x"})
    reply = v.event("unsubscribe")
    assert reply.kind == "none" and reply.raw == "success"
    assert services.conversations.get(v.openid) is None and services.conversations.get_draft(v.openid) is None


@pytest.mark.parametrize("key,expected", [
    ("MENU_ASK", "请直接打字或发语音"),
    ("MENU_CONTACT", "12348"),
    ("MENU_SOMETHING_OLD", "菜单已经更新"),
])
def test_menu_clicks_answer(villager: Any, key: str, expected: str) -> None:
    assert expected in villager().click(key).content


def test_menu_view_and_system_events_get_success(villager: Any) -> None:
    v = villager()
    assert v.event("VIEW", EventKey="https://example.org/").raw == "success"
    assert v.event("TEMPLATESENDJOBFINISH", MsgID="1", Status="success").raw == "success"
    assert v.event("SOME_FUTURE_EVENT").raw == "success"


def test_voice_with_a_transcript_is_answered_like_text(villager: Any) -> None:
    reply = villager().voice("MEDIA1", recognition="老板欠我工钱不给怎么办。")
    assert "您说的是" in reply.content and "12333" in reply.content


def test_voice_without_a_transcript_offers_to_pass_the_voice_to_staff(villager: Any) -> None:
    reply = villager().voice("MEDIA2", recognition="")
    assert "工作人员" in reply.content


def test_image_location_link_and_unknown_types_get_a_polite_answer(villager: Any) -> None:
    v = villager()
    assert "图片" in v.image("IMG1").content
    assert "位置" in v.location(43.8, 87.6, "某村").content
    assert "96110" in v.push(wire.build_xml("link", v.openid, Title="t", Description="d", Url="http://x")).content
    assert v.push(wire.build_xml("file", v.openid, Title="t")).content


def test_an_ambiguous_question_offers_numbered_choices_and_a_number_answers(villager: Any, services: Any) -> None:
    v = villager()
    services.conversations.set(v.openid, {"flow": "choose", "options": ["divorce", "bride-price"]})
    reply = v.say("２")
    assert "彩礼" in reply.content and "回复「法条」" in reply.content
    assert services.conversations.get(v.openid)["topic"] == "bride-price"  # 「详细」 may follow


def test_a_word_outside_the_choices_is_treated_as_a_new_question(villager: Any, services: Any) -> None:
    v = villager()
    services.conversations.set(v.openid, {"flow": "choose", "options": ["divorce", "bride-price"]})
    assert "12333" in v.say("包工头欠我工钱不给").content


def test_what_the_bot_cannot_answer_goes_on_the_to_do_list_masked(villager: Any, services: Any) -> None:
    reply = villager().say("放首新疆民歌听听 我电话13912345678")
    assert "12348" in reply.content
    services.counters.flush()
    todo = services.counters.unanswered()
    assert todo and "139****5678" in todo[0]["q"] and "13912345678" not in todo[0]["q"]


def test_a_retry_storm_makes_one_side_effect_and_one_reply(villager: Any, services: Any, client: Any) -> None:
    """WeChat retries the same MsgId (up to 4 deliveries, possibly at once): one report, same reply."""
    v = villager()
    xml = wire.build_xml("text", v.openid, Content="我要反映 邻居占了我家的地")
    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda _: v.push(xml), range(4)))
    answered = [r.content for r in replies if r.kind == "text"]
    assert answered and len(set(answered)) == 1
    assert services.conversations.get(v.openid)["flow"] == "report"
    assert v.push(xml).content == answered[0]


def test_the_same_msgid_from_two_villagers_is_two_messages(villager: Any) -> None:
    a, b = villager(), villager()
    ra = a.push(wire.build_xml("text", a.openid, msg_id=42, Content="老板欠工钱不给"))
    rb = b.push(wire.build_xml("text", b.openid, msg_id=42, Content="彩礼能要回来吗"))
    assert "12333" in ra.content and "彩礼" in rb.content and "彩礼" not in ra.content


def test_events_are_deduplicated_on_sender_time_and_event(villager: Any, services: Any) -> None:
    v = villager()
    xml = wire.build_xml("event", v.openid, create_time=1700000000, Event="CLICK", EventKey="MENU_ASK")
    first, second = v.push(xml), v.push(xml)
    assert first.content == second.content
    other = v.push(wire.build_xml("event", v.openid, create_time=1700000001, Event="CLICK", EventKey="MENU_CONTACT"))
    assert "12348" in other.content


@pytest.mark.parametrize("body,status", [
    (b"<xml><ToUserName>gh", 400),
    (b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><xml>&b;</xml>', 400),
    (b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Content>&e;</Content></xml>', 400),
    (b"\xff\xfe\x00<\x00x", 400),
    (b"", 400),
    (b"<xml><MsgType>text</MsgType></xml>", 400),
])
def test_broken_and_hostile_bodies_get_a_clear_answer_never_a_500(signed: Any, body: bytes, status: int) -> None:
    res = signed(body)
    assert res.status_code == status and b"Traceback" not in res.data


def test_a_huge_body_is_refused_with_413(signed: Any, config: Any) -> None:
    res = signed(b"<xml>" + b"a" * (config.wechat.max_body_bytes + 1) + b"</xml>")
    assert res.status_code == 413


def test_a_body_that_is_not_xml_is_refused_with_400_whatever_its_content_type(signed: Any) -> None:
    assert signed(b'{"a": 1}', content_type="application/json").status_code == 400


def wsgi_post(app: Any, body: bytes, **environ: Any) -> tuple[str, dict[str, str], bytes]:
    """POST straight through the WSGI entry, with environ keys a test client cannot set (chunked...)."""
    import io
    from urllib.parse import urlencode

    push = wire.sign_push(TOKEN, "", None)
    seen: dict[str, Any] = {}
    env = {"REQUEST_METHOD": "POST", "PATH_INFO": "/wechat", "QUERY_STRING": urlencode(push.params),
           "CONTENT_TYPE": "text/xml", "wsgi.input": io.BytesIO(body), "SERVER_NAME": "test", "SERVER_PORT": "80",
           "wsgi.url_scheme": "http", "SERVER_PROTOCOL": "HTTP/1.1", **environ}
    out = b"".join(app.wsgi_app(env, lambda status, headers: seen.update(status=status, headers=dict(headers))))
    return seen["status"], seen["headers"], out


def test_a_chunked_push_is_read_and_one_over_the_limit_is_refused(app: Any, config: Any) -> None:
    xml = wire.build_xml("text", wire.fake_openid(), Content="你好").encode()
    status, headers, body = wsgi_post(app, xml, **{"wsgi.input_terminated": True})
    assert status.startswith("200") and headers["Content-Type"].startswith("application/xml") and b"<xml>" in body
    huge = b"<xml>" + b"a" * (config.wechat.max_body_bytes * 4) + b"</xml>"
    assert wsgi_post(app, huge, **{"wsgi.input_terminated": True})[0].startswith("413")


def test_a_content_length_over_the_limit_is_refused_before_reading(app: Any, config: Any) -> None:
    class Untouchable:
        def read(self, *_: Any) -> bytes:
            raise AssertionError("the body must not be read")

    status, _, _ = wsgi_post(app, b"", CONTENT_LENGTH=str(config.wechat.max_body_bytes + 1), **{"wsgi.input": Untouchable()})
    assert status.startswith("413")
    assert wsgi_post(app, b"<xml/>", CONTENT_LENGTH="lots")[0].startswith("400")


def test_other_methods_get_405_naming_the_allowed_ones(client: Any) -> None:
    res = client.put("/wechat", data=b"<xml/>")
    assert res.status_code == 405 and "POST" in res.headers["Allow"]


def test_a_bug_in_the_pipeline_answers_success_and_logs_once(villager: Any, monkeypatch: Any, caplog: Any) -> None:
    from bot.wechat import pipeline

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(pipeline, "process", broken)
    with caplog.at_level("ERROR"):
        reply = villager().say("你好")
    assert reply.kind == "none" and reply.raw == "success"
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == ["unexpected error"]


def test_other_paths_are_still_served_by_flask(client: Any) -> None:
    assert client.get("/wechat/extra").status_code == 404
    assert client.get("/healthz").status_code == 200


def test_safe_mode_push_with_a_bad_msg_signature_is_refused(client: Any, cipher: Any) -> None:
    push = wire.sign_push(TOKEN, wire.build_xml("text", wire.fake_openid(), Content="x"), cipher)
    params = {**push.params, "msg_signature": "0" * 40}
    assert client.post("/wechat", query_string=params, data=push.body, content_type="text/xml").status_code == 403


def test_health_reports_redis_and_the_knowledge_base(client: Any) -> None:
    res = client.get("/healthz")
    assert res.status_code == 200 and res.json["redis"] == "ok" and res.json["knowledge_base"] >= 49


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(st.binary(max_size=300), st.text(max_size=200).map(lambda s: f"<xml>{s}</xml>".encode()),
                      st.builds(lambda c, t: wire.build_xml(t, "oTESTfuzz0000000000000000000", Content=c).encode(),
                                st.text(max_size=80), st.sampled_from(["text", "event", "voice", "x"]))))
def test_fuzzed_bodies_never_produce_a_server_error(signed: Any, body: bytes) -> None:
    res = signed(body)
    assert res.status_code in (200, 400, 403, 413, 415)
    assert b"Traceback" not in res.data


def test_a_slow_answer_reaches_the_villager_by_cs_message_after_a_retry_says_it_is_coming(
        villager: Any, services: Any, standin: Any, monkeypatch: Any) -> None:
    """WeChat gives up on a delivery after 5 s and retries; when even the retry cannot wait for the
    answer, the villager hears that it is coming, and it comes as a customer-service message."""
    from handlers import ROUTES, Route

    monkeypatch.setattr(services, "config", services.config.replace(wechat={"reply_deadline": 0.3}))

    def slow_choice(message: Any, ctx: Any) -> str:
        time.sleep(1.0)
        ctx.clear_state()
        return "慢慢查到的答复"

    monkeypatch.setitem(ROUTES.flows, "choose", Route(slow_choice, pure=False))
    v = villager()
    standin.state.user_message(v.openid)  # the villager's message opened the 48-hour window
    services.conversations.set(v.openid, {"flow": "choose", "options": ["divorce"]})
    xml = wire.build_xml("text", v.openid, msg_id=777001, Content="1")
    claim = services.keys.dedupe(v.openid, "m:777001")
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(v.push, xml)
        deadline = time.monotonic() + 10
        while not (services.redis.get(claim) or "").startswith("__pending__") and time.monotonic() < deadline:
            time.sleep(0.01)  # the first delivery has claimed the message and is at work
        retry = pool.submit(v.push, xml).result()
        assert "正在处理" in retry.content and "随后" in retry.content
        assert first.result().content == "慢慢查到的答复"  # WeChat no longer reads this one
    sent = [m["text"] for m in standin.state.messages_for(v.openid)]
    assert sent == ["慢慢查到的答复"], "delivered once, by customer-service message"
    assert "慢慢查到的答复" in v.push(xml).content, "a later retry gets the stored reply"


def test_a_quick_answer_is_not_sent_twice(villager: Any, services: Any, standin: Any) -> None:
    v = villager()
    standin.state.user_message(v.openid)
    services.conversations.set(v.openid, {"flow": "choose", "options": ["divorce"]})
    assert "离婚" in v.say("1").content
    assert standin.state.messages_for(v.openid) == []
