"""Hostile or odd input to the console and the webhook gets a clear 4xx, never a 500 (issue 15.7)."""

from __future__ import annotations

import re
from typing import Any

from bot.dev import wire
from tests.conftest import TOKEN


def test_a_media_id_of_an_unexpected_shape_is_refused_with_400(staff_client: Any, new_ticket: Any) -> None:
    """A forged push attached a media id no WeChat would make; opening it used to end in a 500."""
    ticket = new_ticket(attachments=[{"kind": "image", "media_id": "a b;c"}, {"kind": "image", "media_id": "x" * 300}])
    browser = staff_client()
    res = browser.get(f"/staff/media/{'x' * 300}?ticket={ticket.id}")
    assert res.status_code == 400
    res = browser.get(f"/staff/media/a%20b%3Bc?ticket={ticket.id}")
    assert res.status_code == 400 and "编号格式不对" in res.get_data(as_text=True)


def test_stats_dates_near_the_end_of_time_are_refused_with_400(staff_client: Any) -> None:
    browser = staff_client("王主任", role="admin")
    res = browser.get("/staff/stats?from=9999-12-30&to=9999-12-31")
    assert res.status_code == 400 and "日期应在2000年至2100年之间" in res.get_data(as_text=True)
    res = browser.get("/staff/stats.csv?from=0001-01-01&to=9999-12-31")
    assert res.status_code == 400 and "日期应在" in res.get_data(as_text=True)


def test_cr_lf_in_the_login_next_lands_on_the_queue(staff_client: Any) -> None:
    browser = staff_client(login=False)
    res = browser.login("张调解", next="/staff/\r\nSet-Cookie: x=1")
    assert res.status_code == 302 and res.headers["Location"].endswith("/staff/")
    assert "x=1" not in res.headers.get("Set-Cookie", "")


def test_xml_nested_nine_thousand_deep_is_refused_with_400(client: Any) -> None:
    body = ("<xml>" + "<a>" * 9000 + "x" + "</a>" * 9000 + "</xml>").encode()
    push = wire.sign_push(TOKEN, "")
    res = client.post("/wechat", query_string=push.params, data=body, content_type="text/xml")
    assert res.status_code == 400


def test_console_pages_forbid_framing_sniffing_inline_script_and_caching(staff_client: Any, client: Any) -> None:
    res = staff_client().get("/staff/")
    csp = res.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp and res.headers["X-Frame-Options"] == "DENY"
    assert res.headers["X-Content-Type-Options"] == "nosniff" and res.headers["Referrer-Policy"] == "same-origin"
    assert res.headers["Cache-Control"] == "no-store"
    sim = client.get("/dev/chat")
    html = sim.get_data(as_text=True)
    assert sim.status_code == 200 and "<script>" not in html and "simulator.js" in html
    src = re.search(r'<script src="([^"]+simulator\.js)"', html)
    assert src is not None
    with client.get(src.group(1)) as js:
        assert js.status_code == 200 and b"chat/send" in js.data
