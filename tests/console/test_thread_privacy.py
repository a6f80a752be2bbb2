"""What villagers write into a ticket's thread is personal data too (security review 2026-12-07):
masked for every mediator until the audited reveal (N4), not recoverable through search (N5),
shown with its invisible characters made visible (N13); report downloads and searches are audited."""

from __future__ import annotations

import time
from typing import Any

from bot.app import create_app
from bot.services import build_services
from tests.console.conftest import PASSWORD, StaffClient

PHONE = "13987654321"


def test_phones_and_ids_in_the_thread_are_masked_until_an_audited_reveal(
        villager: Any, new_ticket: Any, staff_client: Any, services: Any, audit: Any) -> None:
    v = villager()
    ticket = new_ticket(openid=v.openid)
    services.disputes.claim(ticket.id, "张调解")
    assert ticket.id in v.say("补充").content
    v.say(f"我的电话是 {PHONE}")
    v.say("另一个 +86 139-8765-4321，身份证 110101 19900307 4514")
    v.voice("MEDIAVOICE01", "我电话一三九八七六五四三二一")
    v.location(43.8, 87.6, f"住二村3组8号 {PHONE}")
    assert len(services.disputes.thread.entries(ticket.id)) >= 4
    colleague = staff_client("李调解")  # not the claimer
    page = colleague.page(f"/staff/tickets/{ticket.id}")
    for raw in (PHONE, "139-8765-4321", "19900307", "一三九八七六五四三二一", "3组8号"):
        assert raw not in page, raw
    assert "139****4321" in page and "1101**********4514" in page and "村民反映的内容里的电话、身份证号也会显示" in page
    revealed = colleague.post(f"/staff/tickets/{ticket.id}/phone").get_data(as_text=True)
    assert PHONE in revealed and "19900307" in revealed and "一三九八七六五四三二一" in revealed
    assert [e.action for e in audit.page(who="李调解")[0]][:2] == ["view_phone", "view_ticket"]


def test_search_reads_only_masked_text_so_it_cannot_recover_a_number(
        new_ticket: Any, staff_client: Any, audit: Any) -> None:
    """N5: probing 137, 1371, 13712… told the digits one by one; now every probe of hidden digits
    finds nothing, and each search is in the audit log with the query masked."""
    ticket = new_ticket(description="我电话13712348888，身份证650102198807153216，地被占了", phone="")
    browser = staff_client()
    assert ticket.id in browser.page("/staff/?q=占了")
    for probe in ("1371", "13712", "6501021", "650102198807"):
        assert ticket.id not in browser.page(f"/staff/?q={probe}"), probe
    assert ticket.id in browser.page("/staff/?q=137****8888"), "what the queue shows can be searched"
    searched = {e.detail for e in audit.page(who="张调解", action="search")[0]}
    assert searched == {"占了", "1371", "13712", "6501021", "650102198807", "137****8888"}, "an admin sees probing"


def test_searching_faster_than_the_limit_is_refused_and_audited(
        config: Any, redis_client: Any, knowledge: Any) -> None:
    tight = config.replace(web={"searches_per_minute": 3})
    app = create_app(tight, build_services(tight, redis=redis_client, knowledge=knowledge))
    app.extensions["pufabot.console"].accounts.add("张调解", PASSWORD, "mediator")
    browser = StaffClient(app.test_client())
    assert browser.login("张调解").status_code == 302
    assert [browser.get(f"/staff/?q=13{i}").status_code for i in range(4)] == [200, 200, 200, 429]
    refused = browser.get("/staff/?q=139")
    assert refused.status_code == 429 and "搜索太频繁" in refused.get_data(as_text=True)
    assert browser.get("/staff/").status_code == 200, "the queue itself is not limited"
    actions = [e.action for e in app.extensions["pufabot.console"].audit.page(who="张调解")[0]]
    assert actions.count("search") == 3 and actions.count("search_refused") == 2


def test_invisible_and_bidi_characters_are_shown_not_obeyed(
        villager: Any, new_ticket: Any, staff_client: Any) -> None:
    """N13: U+202E would show 「付款已完成」 reversed; zero-width and C1 characters would hide words."""
    v = villager()
    ticket = new_ticket(openid=v.openid, description="地被占了\u200b，\u2066请看\u2069")
    assert ticket.id in v.say("补充").content
    v.say("对方说\u202e成完已款付\u202c\x85\u009b\u007f")
    page = staff_client().page(f"/staff/tickets/{ticket.id}")
    for ch in ("\u202e", "\u202c", "\u200b", "\u2066", "\u2069", "\x85", "\u009b", "\u007f"):
        assert ch not in page, hex(ord(ch))
    assert "对方说[U+202E]成完已款付[U+202C]" in page and "[U+200B]" in page and "[U+0085][U+009B][U+007F]" in page


def test_report_downloads_are_in_the_audit_log(staff_client: Any, audit: Any) -> None:
    admin = staff_client("王主任", role="admin")
    for path in ("/staff/stats.md", "/staff/stats.docx"):
        assert admin.get(path).status_code == 200
    details = [e.detail for e in audit.page(who="王主任", action="export_report")[0]]
    assert [d.rsplit(".", 1)[1] for d in details] == ["docx", "md"]


def test_polling_does_not_keep_a_session_alive(staff_client: Any, redis_client: Any, services: Any) -> None:
    """N10: a console tab left open polls /staff/live; only a person's request restarts the idle time."""
    browser = staff_client()
    with browser.client.session_transaction() as session:
        key = services.keys.staff_session(session["sid"])
    redis_client.expire(key, 100)  # as if the tab had been left alone for most of the idle time
    polled = browser.get("/staff/live")
    assert polled.status_code == 200 and "Set-Cookie" not in polled.headers
    assert redis_client.ttl(key) <= 100, "polling leaves the idle time running"
    time.sleep(0.01)
    assert browser.get("/staff/").status_code == 200
    assert redis_client.ttl(key) > 40_000, "a person's request restarts it"


def test_a_new_villager_message_sends_open_pages_only_that_message(
        villager: Any, new_ticket: Any, staff_client: Any, services: Any) -> None:
    """N9: 50 long messages made every open console re-download a 3 MB page, once per message. The
    page now asks for the entries after the ones it shows, and the whole page only when the ticket changed."""
    import json
    import re

    v = villager()
    ticket = new_ticket(openid=v.openid)
    assert ticket.id in v.say("补充").content
    for i in range(5):
        v.say(f"第{i + 1}条：" + "情况说明" * 200)
    browser = staff_client()
    page = browser.page(f"/staff/tickets/{ticket.id}")
    count = int(re.search(r'data-thread-count="(\d+)"', page).group(1))  # type: ignore[union-attr]
    stamp = re.search(r'data-stamp="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    v.say(f"新的一条，电话{PHONE}")
    update = json.loads(browser.page(f"/staff/tickets/{ticket.id}/thread?after={count}"))
    assert update["count"] == count + 1 and update["stamp"] == stamp
    assert "新的一条" in update["html"] and "第1条" not in update["html"] and len(update["html"]) < 2000
    assert PHONE not in update["html"] and "139****4321" in update["html"]
    services.disputes.claim(ticket.id, "张调解")
    changed = json.loads(browser.page(f"/staff/tickets/{ticket.id}/thread?after={count + 1}"))
    assert changed["stamp"] != stamp and changed["html"].strip() == "", "the ticket changed: the page reloads"
    assert browser.get(f"/staff/tickets/{ticket.id}/thread?after=x").status_code == 200


def test_the_pages_own_refresh_does_not_keep_a_session_alive(staff_client: Any, new_ticket: Any,
                                                            redis_client: Any, services: Any) -> None:
    ticket = new_ticket()
    browser = staff_client()
    with browser.client.session_transaction() as session:
        key = services.keys.staff_session(session["sid"])
    redis_client.expire(key, 100)
    for path in (f"/staff/tickets/{ticket.id}/thread?after=0", f"/staff/tickets/{ticket.id}"):
        res = browser.get(path, headers={"X-Pufabot-Live": "1"})
        assert res.status_code == 200 and "Set-Cookie" not in res.headers, path
    assert redis_client.ttl(key) <= 100


def test_a_visit_address_shows_its_house_number_only_after_the_reveal(new_ticket: Any, staff_client: Any) -> None:
    ticket = new_ticket(address="二村3组8号", contact_pref="visit", phone="")
    browser = staff_client()
    page = browser.page(f"/staff/tickets/{ticket.id}")
    assert "二村3组*号" in page and "3组8号" not in page and "显示完整内容" in page
    assert "二村3组8号" in browser.post(f"/staff/tickets/{ticket.id}/phone").get_data(as_text=True)


def test_the_unanswered_list_shows_invisible_characters(villager: Any, services: Any, staff_client: Any) -> None:
    villager().say("放首歌\u202e反过来读的问题")
    services.counters.flush()
    page = staff_client("王主任", role="admin").page("/staff/stats")
    assert "\u202e" not in page and "放首歌[U+202E]反过来读的问题" in page
