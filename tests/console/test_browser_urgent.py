"""In Debian's Chromium: a mediator has only the stats page open when a villager writes that a
drunk man is coming at them with a knife. Within a few seconds the page shows a red 紧急求助 banner
with the item's number, and a desktop notification naming the item (asked for once, with a button;
granted here) — no personal data in either. Five more danger messages ring no more: one episode, one
item (issue 22)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.console.conftest import PASSWORD
from tests.console.test_browser_flow import browser, pytestmark, shot, sign_in  # noqa: F401  (fixtures)
from tests.console.test_browser_flow import server as http_server  # noqa: F401
from tests.console.test_browser_inbox import LIVE, _say

RECORD_NOTIFICATIONS = """
window.__notified = [];
const Real = window.Notification;
if (Real) {
  window.Notification = class extends Real {
    constructor(title, options) { super(title, options); window.__notified.push(title + ' | ' + (options || {}).body); }
  };
  Object.defineProperty(window.Notification, 'permission', {get: () => Real.permission});
  window.Notification.requestPermission = (...args) => Real.requestPermission(...args);
}
"""


@pytest.fixture
def server(http_server: str, app: Any) -> str:  # noqa: F811
    app.config["PUFABOT_SELF_URL"] = http_server
    return http_server


def test_an_open_stats_page_rings_once_for_a_new_urgent_item(server: str, browser: Any, accounts: Any,  # noqa: F811
                                                             services: Any) -> None:
    accounts.add("张调解", PASSWORD, "mediator")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.grant_permissions(["notifications"], origin=server)
    context.add_init_script(RECORD_NOTIFICATIONS)
    desk = context.new_page()
    sign_in(desk, server, "张调解")
    desk.wait_for_selector("text=村民反映的事项")
    desk.goto(f"{server}/staff/stats")  # no live queue on this page: the alert still comes
    assert desk.locator("#urgent-banner").is_hidden()

    chat = browser.new_page(viewport={"width": 420, "height": 800}, locale="zh-CN")
    chat.goto(f"{server}/dev/chat")
    _say(chat, "他喝醉了拿着刀在院子里要砍俺 俺躲在屋里")
    assert "110" in chat.locator(".row.bot").last.inner_text().split("\n", 1)[0]
    openid = chat.evaluate("localStorage.getItem('pufabot-openid')")
    (item,) = services.disputes.for_villager(openid)

    banner = desk.locator("#urgent-banner")
    banner.wait_for(state="visible", timeout=LIVE)
    assert item.id in banner.inner_text() and "俺" not in banner.inner_text()
    shot(desk, "urgent-01-banner")
    notified = desk.evaluate("window.__notified")
    assert len(notified) == 1 and notified[0].startswith(f"紧急求助 {item.id}") and "砍" not in notified[0]

    for words in ("他在砸门 说要砍死俺", "门快被砸开了 救命"):
        _say(chat, words)
    desk.wait_for_timeout(4000)  # more than one poll
    assert desk.evaluate("window.__notified") == notified, "one episode rings once"
    assert len(services.disputes.for_villager(openid)) == 1
    desk.click("#urgent-link")
    desk.wait_for_selector(f"text=事项 {item.id}")
    context.close()
