"""The WeChat API stand-in, exercised over real HTTP through the bot's own client (bot.wechat.api).

Where the bot's client has no call for something (errcode shapes, token endpoints, menu/get,
freepublish/get), plain ``requests`` talks to the stand-in directly.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any, Callable, Iterator

import pytest
import redis
import requests

from bot import config as config_mod
from tests.conftest import EXAMPLE_CONFIG
from bot.dev.standin import StandinServer, StandinState
from bot.dev.standin_state import CS_QUOTA, TEMP_MEDIA_SECONDS
from bot.store.keys import Keys
from bot.wechat.menu import menu_json
from bot.wechat.api import WeChatAPI, WeChatError

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
OPENID = "oTESTstandin0000000000000001"
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 200
HOUR = 3600


@pytest.fixture
def redis_db() -> Iterator[Any]:
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def state() -> StandinState:
    return StandinState(templates=["TPL_TICKET_REPLY"])


@pytest.fixture
def server(state: StandinState) -> Iterator[StandinServer]:
    with StandinServer(state) as srv:
        yield srv


@pytest.fixture
def make_api(server: StandinServer, redis_db: Any) -> Iterator[Callable[..., WeChatAPI]]:
    """``make_api(**wechat_keys)``: a WeChatAPI (one "worker") pointed at the stand-in."""
    made: list[WeChatAPI] = []

    def make(**wechat: Any) -> WeChatAPI:
        base = config_mod.load(EXAMPLE_CONFIG, environ={})
        cfg = base.replace(wechat={"api_base_url": server.url, "appid": server.state.appid,
                                   "appsecret": server.state.secret, **wechat})
        api = WeChatAPI(cfg.wechat, redis_db, Keys())
        made.append(api)
        return api

    yield make
    for api in made:
        api._http.close()


@pytest.fixture
def api(make_api: Callable[..., WeChatAPI]) -> WeChatAPI:
    return make_api()


def raw(server: StandinServer, method: str, endpoint: str, body: Any = None, **params: Any) -> Any:
    """One direct request; returns the decoded JSON after checking WeChat's HTTP 200 convention."""
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
    res = requests.request(method, server.url + "cgi-bin/" + endpoint, params=params, data=data, timeout=5)
    assert res.status_code == 200
    assert res.headers["Content-Type"].startswith("application/json")
    return res.json()


def token(server: StandinServer) -> str:
    s = server.state
    answer = raw(server, "GET", "token", grant_type="client_credential", appid=s.appid, secret=s.secret)
    return str(answer["access_token"])


def errcode_of(call: Callable[[], Any]) -> int | None:
    with pytest.raises(WeChatError) as info:
        call()
    return info.value.errcode


# -- access tokens --------------------------------------------------------------------------------
@pytest.mark.parametrize("change, errcode", [
    ({"appid": "wx00000000000000ff"}, 40013), ({"secret": "wrong"}, 40125),
    ({"grant_type": "password"}, 40002), ({"appid": ""}, 41002)])
def test_token_endpoint_refuses_bad_credentials(server: StandinServer, change: dict[str, str],
                                                errcode: int) -> None:
    params = {"grant_type": "client_credential", "appid": server.state.appid,
              "secret": server.state.secret, **change}
    answer = raw(server, "GET", "token", **params)
    assert answer["errcode"] == errcode
    assert " rid: " in answer["errmsg"]
    assert server.state.token_issued == 0


def test_token_checks_missing_garbage_expired(server: StandinServer) -> None:
    assert raw(server, "GET", "menu/get")["errcode"] == 41001
    assert raw(server, "GET", "menu/get", access_token="garbage")["errcode"] == 40014
    server.state.token_expires_in = 60
    answer = raw(server, "GET", "token", grant_type="client_credential",
                 appid=server.state.appid, secret=server.state.secret)
    assert answer["expires_in"] == 60
    assert raw(server, "GET", "menu/get", access_token=answer["access_token"])["errcode"] == 46003
    server.state.advance(61)
    assert raw(server, "GET", "menu/get", access_token=answer["access_token"])["errcode"] == 42001


def test_new_token_demotes_old_one_after_grace(server: StandinServer) -> None:
    old = token(server)
    new = token(server)
    assert old != new and server.state.token_issued == 2
    server.state.advance(299)
    assert raw(server, "GET", "menu/get", access_token=old)["errcode"] == 46003  # still accepted
    server.state.advance(2)
    assert raw(server, "GET", "menu/get", access_token=old)["errcode"] == 40001
    assert raw(server, "GET", "menu/get", access_token=new)["errcode"] == 46003


def test_stable_token_is_reused_until_forced(server: StandinServer) -> None:
    s = server.state
    body = {"grant_type": "client_credential", "appid": s.appid, "secret": s.secret}
    first = raw(server, "POST", "stable_token", body)
    again = raw(server, "POST", "stable_token", body)
    assert again["access_token"] == first["access_token"] and s.token_issued == 1
    forced = raw(server, "POST", "stable_token", {**body, "force_refresh": True})
    assert forced["access_token"] != first["access_token"] and s.token_issued == 2
    classic = token(server)  # independent: the stable token keeps working
    assert raw(server, "GET", "menu/get", access_token=forced["access_token"])["errcode"] == 46003
    assert classic and raw(server, "POST", "stable_token", {**body, "grant_type": "x"})["errcode"] == 40002


def test_many_workers_share_one_refresh(server: StandinServer, make_api: Callable[..., WeChatAPI]) -> None:
    server.state.user_message(OPENID)
    workers = [make_api() for _ in range(12)]
    barrier = threading.Barrier(len(workers))
    results: list[Any] = []

    def work(api: WeChatAPI) -> None:
        barrier.wait()
        results.append(api.call("get", "user/info", params={"openid": OPENID})["subscribe"])

    threads = [threading.Thread(target=work, args=(api,)) for api in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == [1] * len(workers)
    assert server.state.token_issued == 1


def test_client_recovers_from_superseded_token(server: StandinServer, api: WeChatAPI) -> None:
    server.state.user_message(OPENID)
    api.send_text(OPENID, "一")
    token(server)  # someone else fetched a token: ours is demoted
    server.state.advance(301)
    api.send_text(OPENID, "二")  # 40001 → wechatpy asks our client to refresh, then retries
    assert server.state.token_issued == 3
    assert [c.endpoint for c in server.state.calls].count("message/custom/send") == 3


# -- customer-service messages -------------------------------------------------------------------
def test_cs_send_inside_window_is_delivered(server: StandinServer, api: WeChatAPI) -> None:
    res = requests.post(server.url + "_standin/user_message", json={"openid": OPENID}, timeout=5)
    assert res.json()["errcode"] == 0
    assert api.send_text(OPENID, "您好，已收到。") == {"errcode": 0, "errmsg": "ok"}
    api.send_text(OPENID, "第二条")
    listed = requests.get(server.url + "_standin/messages", params={"openid": OPENID, "after": "0"},
                          timeout=5).json()
    assert [m["body"]["text"]["content"] for m in listed] == ["您好，已收到。", "第二条"]
    after = requests.get(server.url + "_standin/messages",
                         params={"openid": OPENID, "after": str(listed[0]["seq"])}, timeout=5)
    assert [m["seq"] for m in after.json()] == [listed[1]["seq"]]
    assert server.state.messages_for("oSomebodyElse") == []


def test_cs_send_outside_window_or_not_following(server: StandinServer, api: WeChatAPI) -> None:
    s = server.state
    s.user_message(OPENID, at=s.clock() - 48 * HOUR - 1)
    assert errcode_of(lambda: api.send_text(OPENID, "迟到的回复")) == 45015
    assert errcode_of(lambda: api.send_text("oNeverSeen", "x")) == 45015
    s.user_message(OPENID)
    s.unfollow(OPENID)
    assert errcode_of(lambda: api.send_text(OPENID, "x")) == 45015
    s.add_user("oKnownNotFollowing", subscribed=False)
    assert errcode_of(lambda: api.send_text("oKnownNotFollowing", "x")) == 43004
    assert s.messages_for() == []


def test_cs_quota_is_five_per_message(server: StandinServer, api: WeChatAPI) -> None:
    server.state.user_message(OPENID)
    for i in range(CS_QUOTA):
        api.send_text(OPENID, f"第{i}条")
    assert errcode_of(lambda: api.send_text(OPENID, "第六条")) == 45047
    server.state.advance(HOUR)
    server.state.user_message(OPENID)  # the villager writes again: a fresh quota
    api.send_text(OPENID, "又可以了")
    assert len(server.state.messages_for(OPENID)) == CS_QUOTA + 1


def test_cs_event_window_is_three_in_a_minute(server: StandinServer, api: WeChatAPI) -> None:
    server.state.user_event(OPENID)  # a follow or a menu click
    for _ in range(3):
        api.send_text(OPENID, "欢迎")
    assert errcode_of(lambda: api.send_text(OPENID, "x")) == 45047
    server.state.advance(61)
    assert errcode_of(lambda: api.send_text(OPENID, "x")) == 45015


@pytest.mark.parametrize("body, errcode", [
    ({"msgtype": "sticker", "sticker": {}}, 40008),
    ({"msgtype": "text", "text": {"content": ""}}, 44004),
    ({"msgtype": "news", "news": {"articles": [{"title": "一"}, {"title": "二"}]}}, 45008),
    ({"msgtype": "image", "image": {"media_id": "unknown"}}, 40007),
    ({"msgtype": "image"}, 47001)])
def test_cs_send_validates_the_message(server: StandinServer, api: WeChatAPI, body: dict[str, Any],
                                       errcode: int) -> None:
    server.state.user_message(OPENID)
    assert errcode_of(lambda: api.call("post", "message/custom/send",
                                       data={"touser": OPENID, **body})) == errcode


def test_escaped_unicode_is_refused(server: StandinServer) -> None:
    server.state.user_message(OPENID)
    body = json.dumps({"touser": OPENID, "msgtype": "text", "text": {"content": "你好"}}).encode()
    res = requests.post(server.url + "cgi-bin/message/custom/send", params={"access_token": token(server)},
                        data=body, timeout=5)
    assert res.json()["errcode"] == 40033


# -- template messages ----------------------------------------------------------------------------
def test_template_send_needs_a_known_id_and_dedupes(server: StandinServer, api: WeChatAPI) -> None:
    s = server.state
    s.account_type = "service"
    s.user_message(OPENID)
    data = {"thing1": {"value": "宅基地纠纷"}}
    assert errcode_of(lambda: api.send_template(OPENID, "TPL_UNKNOWN", data)) == 40037
    assert errcode_of(lambda: api.send_template("oNeverSeen", "TPL_TICKET_REPLY", data)) == 40003
    first = api.send_template(OPENID, "TPL_TICKET_REPLY", data, client_msg_id="ticket-1")
    again = api.send_template(OPENID, "TPL_TICKET_REPLY", data, client_msg_id="ticket-1")
    assert first["errcode"] == 0 and first["msgid"] == again["msgid"]
    assert [m["kind"] for m in s.messages_for(OPENID)] == ["template"]
    s.advance(601)
    later = api.send_template(OPENID, "TPL_TICKET_REPLY", data, client_msg_id="ticket-1")
    assert later["msgid"] != first["msgid"]


def test_template_send_is_for_service_accounts(server: StandinServer, api: WeChatAPI) -> None:
    server.state.user_message(OPENID)
    assert errcode_of(lambda: api.send_template(OPENID, "TPL_TICKET_REPLY", {})) == 48001


# -- menu -----------------------------------------------------------------------------------------
def click(name: str, key: str = "K") -> dict[str, str]:
    return {"type": "click", "name": name, "key": key}


@pytest.mark.parametrize("menu, errcode", [
    ({"button": []}, 40016),
    ({"button": [click("一"), click("二"), click("三"), click("四")]}, 40016),
    ({"button": [click("法律咨询服务中心")]}, 40018),  # 8 Chinese characters = 24 bytes > 16
    ({"button": [{"type": "tap", "name": "a", "key": "K"}]}, 40017),
    ({"button": [click("a", "")]}, 40019),
    ({"button": [click("a", "K" * 129)]}, 40019),
    ({"button": [{"type": "view", "name": "a"}]}, 40020),
    ({"button": [{"type": "view", "name": "a", "url": "ftp://x"}]}, 40054),
    ({"button": [{"name": "更多", "sub_button": [click(str(i)) for i in range(6)]}]}, 40023),
    ({"button": [{"name": "更多", "sub_button": [{"type": "tap", "name": "a"}]}]}, 40024),
    ({"button": [{"name": "更多", "sub_button": [click("字" * 21)]}]}, 40025),
    ({"button": [{"name": "更多", "sub_button": [click("a", "")]}]}, 40026),
    ({"button": [{"name": "更多", "sub_button": [{"type": "view", "name": "a",
                                                  "url": "https://x/" + "a" * 1020}]}]}, 40027)])
def test_menu_create_validation(server: StandinServer, api: WeChatAPI, menu: dict[str, Any],
                                errcode: int) -> None:
    assert errcode_of(lambda: api.create_menu(menu)) == errcode
    assert server.state.menu is None


def test_menu_create_stores_the_configured_menu(server: StandinServer, api: WeChatAPI) -> None:
    menu = menu_json(config_mod.load(EXAMPLE_CONFIG, environ={}).menu)
    assert api.create_menu(menu) == {"errcode": 0, "errmsg": "ok"}
    stored = api.call("get", "menu/get")["menu"]
    assert stored["button"] == menu["button"]
    sub = {"name": "服务五个字", "sub_button": [click("字" * 20)]}  # 15 and 60 bytes: allowed
    api.create_menu({"button": [sub]})
    assert server.state.menu is not None and server.state.menu["button"] == [sub]


# -- media ---------------------------------------------------------------------------------------
def test_temporary_upload_and_download(server: StandinServer, api: WeChatAPI) -> None:
    server.state.token_expires_in = 7 * 86400  # the clock jumps 3 days; keep the token alive
    answer = api.upload_media("image", "photo.jpg", JPEG)
    assert answer["type"] == "image" and answer["created_at"] > 0
    assert api.download_media(answer["media_id"]) == (JPEG, "image/jpeg")
    thumb = api.upload_media("thumb", "t.jpg", JPEG)
    assert "thumb_media_id" in thumb and "media_id" not in thumb
    server.state.advance(TEMP_MEDIA_SECONDS)
    assert errcode_of(lambda: api.download_media(answer["media_id"])) == 40007


def test_seeded_villager_voice_downloads(server: StandinServer, api: WeChatAPI) -> None:
    server.state.add_media("VOICE1", b"#!AMR\n...", "audio/amr")
    assert api.download_media("VOICE1") == (b"#!AMR\n...", "audio/amr")
    assert errcode_of(lambda: api.download_media("nope")) == 40007


@pytest.mark.parametrize("kind, filename, size, errcode", [
    ("sticker", "a.jpg", 10, 40004), ("image", "a.txt", 10, 40005), ("thumb", "a.jpg", 65 * 1024, 40012),
    ("image", "a.jpg", 2 * 1024 * 1024 + 1, 40009), ("voice", "a.amr", 0, 41005)])
def test_upload_checks_type_and_size(api: WeChatAPI, kind: str, filename: str, size: int,
                                     errcode: int) -> None:
    assert errcode_of(lambda: api.upload_media(kind, filename, b"x" * size)) == errcode


def test_permanent_material_and_article_images(server: StandinServer, api: WeChatAPI) -> None:
    cover = api.upload_media("image", "cover.jpg", JPEG, permanent=True)
    assert cover["url"].startswith("http://mmbiz.qpic.cn/")
    assert errcode_of(lambda: api.download_media(cover["media_id"])) == 40007  # media/get: temporary only
    image = api.call("post", "media/uploadimg", files={"media": ("in-article.png", b"\x89PNG" + b"\0" * 100)})
    assert image["url"].startswith("http://mmbiz.qpic.cn/") and image["url"] in server.state.article_images


# -- drafts, publishing, mass send -------------------------------------------------------------------
def article(thumb: str, **extra: Any) -> dict[str, Any]:
    return {"title": "宅基地纠纷怎么解决", "author": "镇司法所", "content": "<p>三步走：协商、调解、诉讼</p>",
            "thumb_media_id": thumb, "need_open_comment": 0, "only_fans_can_comment": 0, **extra}


@pytest.fixture
def cover(api: WeChatAPI) -> str:
    return str(api.upload_media("image", "cover.jpg", JPEG, permanent=True)["media_id"])


def test_draft_checks_articles(api: WeChatAPI, cover: str) -> None:
    temporary = api.upload_media("image", "temp.jpg", JPEG)["media_id"]
    assert errcode_of(lambda: api.add_draft([article(temporary)])) == 40007
    assert errcode_of(lambda: api.add_draft([article(cover, title="题" * 33)])) == 45003
    assert errcode_of(lambda: api.add_draft([article(cover, author="作" * 17)])) == 45110
    assert errcode_of(lambda: api.add_draft([article(cover, content="")])) == 44004
    assert errcode_of(lambda: api.add_draft([])) == 44003


def test_draft_stores_what_wechat_keeps(server: StandinServer, api: WeChatAPI, cover: str) -> None:
    content = '<p>正文</p><img src="https://example.org/x.png"><img src="http://mmbiz.qpic.cn/a/0">'
    media_id = api.add_draft([article(cover, content=content)])["media_id"]
    stored = server.state.drafts[media_id]["articles"][0]
    assert stored["content"] == '<p>正文</p><img src="http://mmbiz.qpic.cn/a/0">'  # external image stripped
    assert stored["digest"] == "正文"


def test_publish_then_get_article_url(server: StandinServer, api: WeChatAPI, cover: str) -> None:
    media_id = api.add_draft([article(cover)])["media_id"]
    submitted = api.submit_publish(media_id)
    assert submitted["errcode"] == 0 and submitted["publish_id"]
    status = api.call("post", "freepublish/get", data={"publish_id": submitted["publish_id"]})
    assert status["publish_status"] == 0
    assert status["article_detail"]["item"][0]["article_url"].startswith("https://mp.weixin.qq.com/s/")
    assert media_id not in server.state.drafts  # a published draft leaves the draft box
    assert errcode_of(lambda: api.submit_publish(media_id)) == 40007


def test_mass_send_dedupes_and_keeps_the_daily_quota(server: StandinServer, api: WeChatAPI,
                                                     cover: str) -> None:
    s = server.state
    s.add_user(OPENID)
    first = api.add_draft([article(cover)])["media_id"]
    sent = api.mass_send(first, client_msg_id="weekly-2026-48")
    assert sent["errcode"] == 0 and sent["msg_id"]
    assert [m["kind"] for m in s.messages_for(OPENID)] == ["mass"]
    assert errcode_of(lambda: api.mass_send(first, client_msg_id="weekly-2026-48b")) == 40007  # spent
    second = api.add_draft([article(cover)])["media_id"]
    assert errcode_of(lambda: api.mass_send(second, client_msg_id="weekly-2026-48")) == 45065
    assert errcode_of(lambda: api.mass_send(second, client_msg_id="weekly-2026-49")) == 45028
    assert errcode_of(lambda: api.mass_send(second, client_msg_id="x" * 65)) == 45067
    s.advance(24 * HOUR)
    assert api.mass_send(second, client_msg_id="weekly-2026-48")["errcode"] == 0  # 24 h later: allowed
    assert [m["clientmsgid"] for m in s.mass_sends] == ["weekly-2026-48"] * 2
    status = api.call("post", "message/mass/get", data={"msg_id": sent["msg_id"]})
    assert status == {"msg_id": sent["msg_id"], "msg_status": "SEND_SUCCESS"}


def test_service_account_mass_sends_several_a_day(server: StandinServer, api: WeChatAPI, cover: str) -> None:
    server.state.account_type = "service"
    for week in range(3):
        api.mass_send(api.add_draft([article(cover)])["media_id"], client_msg_id=f"w{week}")
    assert len(server.state.mass_sends) == 3


# -- user info ------------------------------------------------------------------------------------
def test_user_info_from_the_same_state(server: StandinServer, api: WeChatAPI) -> None:
    server.state.add_user(OPENID, tags=[2], scene="ADD_SCENE_SEARCH")
    info = api.call("get", "user/info", params={"openid": OPENID, "lang": "zh_CN"})
    assert (info["subscribe"], info["tagid_list"], info["subscribe_scene"]) == (1, [2], "ADD_SCENE_SEARCH")
    assert "nickname" not in info
    server.state.unfollow(OPENID)
    assert api.call("get", "user/info", params={"openid": OPENID}) == {"subscribe": 0, "openid": OPENID}
    assert errcode_of(lambda: api.call("get", "user/info", params={"openid": "oNeverSeen"})) == 40003


# -- failure switches ------------------------------------------------------------------------------
def test_fail_next_answers_the_injected_errcode(server: StandinServer, api: WeChatAPI) -> None:
    s = server.state
    s.user_message(OPENID)
    s.fail_next("message/custom/send", times=2)
    assert errcode_of(lambda: api.send_text(OPENID, "一")) == -1
    assert errcode_of(lambda: api.send_text(OPENID, "一")) == -1
    api.send_text(OPENID, "一")
    assert len(s.messages_for(OPENID)) == 1  # failed calls neither deliver nor use the quota
    calls = s.calls_to("message/custom/send")
    assert len(calls) == 3 and calls[0].body["text"]["content"] == "一"
    assert "access_token" in calls[0].params


def test_fail_next_on_the_token_endpoint(server: StandinServer, api: WeChatAPI) -> None:
    server.state.fail_next("/cgi-bin/token", errcode=40164)
    assert errcode_of(lambda: api.call("get", "menu/get")) == 40164
    assert server.state.token_issued == 0


def test_hang_next_times_the_client_out_but_still_happens(server: StandinServer,
                                                          make_api: Callable[..., WeChatAPI]) -> None:
    api = make_api(request_timeout=0.3)
    _ = api.access_token  # fetch the token before the hang
    server.state.user_message(OPENID)
    server.state.hang_next("message/custom/send", 0.6)
    with pytest.raises(WeChatError) as info:
        api.send_text(OPENID, "慢")
    assert info.value.errcode is None and "Timeout" in info.value.errmsg
    deadline = threading.Event()
    for _ in range(40):
        if server.state.messages_for(OPENID):
            break
        deadline.wait(0.05)
    assert [m["body"]["text"]["content"] for m in server.state.messages_for(OPENID)] == ["慢"]


def test_server_stop_ends_hangs_and_frees_the_port() -> None:
    srv = StandinServer(appid="wx00000000000000aa", secret="s3cret").start()
    url = srv.url
    srv.state.hang_next("token", 30)
    done: list[int] = []
    worker = threading.Thread(target=lambda: done.append(requests.get(
        url + "cgi-bin/token", params={"grant_type": "client_credential", "appid": "wx00000000000000aa",
                                       "secret": "s3cret"}, timeout=10).status_code))
    worker.start()
    deadline = threading.Event()
    while not srv.state.calls:
        deadline.wait(0.01)
    srv.stop()
    worker.join(5)
    assert done == [200]
    with pytest.raises(RuntimeError):
        _ = srv.url
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "cgi-bin/token", timeout=2)
