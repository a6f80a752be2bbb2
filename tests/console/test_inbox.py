"""The 村民说事室 inbox in the console: the whole conversation with the villager on the ticket page,
an unread badge in the queue, urgent tickets first, and a small JSON the pages poll to update live
(the same answer from every host, since everything lives in Redis)."""

from __future__ import annotations

import re
from typing import Any

from bot.dev import wire
from tests.conftest import TOKEN, flask_transport

STAFF = "张调解"


def _talked(services: Any, new_ticket: Any, client: Any, cipher: Any, standin: Any) -> tuple[Any, wire.Villager]:
    """A claimed ticket whose villager answered the mediator with a photo and words."""
    v = wire.Villager(flask_transport(client), TOKEN, cipher, wire.fake_openid(), False)
    ticket = new_ticket(openid=v.openid)
    services.disputes.claim(ticket.id, STAFF)
    services.disputes.reply(ticket.id, STAFF, "收到。请把被堵的路拍张照片发过来")
    standin.state.add_media("ROADPHOTO1", b"\xff\xd8\xff\xe0 the road", "image/jpeg")
    v.image("ROADPHOTO1")
    v.say("照片发了，就是这条路")
    return ticket, v


def test_the_ticket_page_shows_the_conversation_oldest_first_with_the_reply_box_under_it(
        staff_client: Any, services: Any, new_ticket: Any, client: Any, cipher: Any, standin: Any) -> None:
    ticket, _ = _talked(services, new_ticket, client, cipher, standin)
    html = staff_client(STAFF).page(f"/staff/tickets/{ticket.id}")
    thread = html[html.index("与村民的对话"):]
    asked, photo = thread.index("请把被堵的路拍张照片"), thread.index(f"/staff/media/ROADPHOTO1?ticket={ticket.id}")
    confirm, words = thread.index("已转给处理您事项"), thread.index("照片发了，就是这条路")
    assert asked < photo < confirm < words < thread.index('name="text"')  # the reply box under the thread
    assert re.search(r"工作人员 张调解 · \d{4}-\d{2}-\d{2} \d{2}:\d{2}", thread)
    assert "村民 · " in thread and "公众号自动回复 · " in thread
    res = staff_client(STAFF).get(f"/staff/media/ROADPHOTO1?ticket={ticket.id}")
    assert res.status_code == 200 and res.data == b"\xff\xd8\xff\xe0 the road"


def test_the_queue_badges_unread_messages_until_someone_opens_the_ticket(
        staff_client: Any, services: Any, new_ticket: Any, client: Any, cipher: Any, standin: Any) -> None:
    ticket, _ = _talked(services, new_ticket, client, cipher, standin)
    quiet = new_ticket()
    browser = staff_client(STAFF)
    queue = browser.page("/staff/")
    row = queue[queue.index(f'data-ticket="{ticket.id}"'):]
    assert "新消息 2" in row[:row.index("</tr>")]
    other = queue[queue.index(f'data-ticket="{quiet.id}"'):]
    assert "新消息" not in other[:other.index("</tr>")]
    browser.page(f"/staff/tickets/{ticket.id}")
    assert "新消息" not in browser.page("/staff/")


def test_urgent_tickets_are_marked_and_come_first(staff_client: Any, new_ticket: Any) -> None:
    calm = new_ticket(at=1_790_000_000.0)
    urgent = new_ticket(at=1_790_000_500.0, urgent=True)
    queue = staff_client().page("/staff/")
    assert queue.index(urgent.id) < queue.index(calm.id)
    row = queue[queue.index(f'data-ticket="{urgent.id}"'):]
    assert 'class="urgent"' in queue and "紧急" in row[:row.index("</tr>")]
    assert "紧急" in staff_client().page(f"/staff/tickets/{urgent.id}")


def test_the_live_answer_changes_on_every_host_when_a_report_or_a_message_arrives(
        staff_client: Any, services: Any, new_ticket: Any, config: Any, redis_client: Any, knowledge: Any,
        accounts: Any, client: Any, cipher: Any, standin: Any) -> None:
    """Two app instances (two hosts) on one Redis: a change made through one shows on the other."""
    from bot.app import create_app
    from bot.services import build_services
    from tests.console.conftest import PASSWORD, StaffClient

    other_services = build_services(config, redis=redis_client, knowledge=knowledge)
    try:
        other = StaffClient(create_app(config, other_services).test_client())
        if accounts.get(STAFF) is None:
            accounts.add(STAFF, PASSWORD, "mediator")
        assert other.login(STAFF).status_code == 302
        before = other.get("/staff/live").get_json()
        assert before == {"version": before["version"], "new": 0, "unread": 0, "unread_tickets": 0,
                          "urgent": None}
        ticket = new_ticket()
        arrived = other.get("/staff/live").get_json()
        assert arrived["version"] != before["version"] and arrived["new"] == 1
        services.disputes.claim(ticket.id, STAFF)
        services.disputes.reply(ticket.id, STAFF, "您好，明天去看")
        replied = other.get("/staff/live").get_json()
        v = wire.Villager(flask_transport(client), TOKEN, cipher, ticket.openid, False)
        v.say("好的，我在家")
        said = other.get("/staff/live").get_json()
        assert said["version"] != replied["version"] and said["unread"] == 1 and said["unread_tickets"] == 1
        page = other.page("/staff/")
        assert f'data-live="{said["version"]}"' in page and "live.js" in page
    finally:
        other_services.close()


def test_the_live_answer_needs_a_signed_in_staff_member(client: Any) -> None:
    res = client.get("/staff/live")
    assert res.status_code in (302, 401, 403) and b"version" not in res.data


def test_a_ticket_marked_urgent_later_jumps_the_queue_live(staff_client: Any, new_ticket: Any,
                                                            services: Any) -> None:
    first = new_ticket(at=1_790_000_000.0)
    later = new_ticket(at=1_790_000_500.0)
    browser = staff_client()
    version = browser.get("/staff/live").get_json()["version"]
    assert browser.page("/staff/").index(first.id) < browser.page("/staff/").index(later.id)
    services.disputes.mark_urgent(later.id, "提到有人动手")
    assert browser.get("/staff/live").get_json()["version"] != version
    queue = browser.page("/staff/")
    assert queue.index(later.id) < queue.index(first.id) and services.disputes.get(later.id).urgent
    assert "标为紧急" in browser.page(f"/staff/tickets/{later.id}")
