"""The whole story of the inbox in Debian's Chromium: a villager files a report in the simulator; the
mediator's open queue shows it without a reload; the mediator replies; the villager answers with
words and a photo; the mediator sees both in the thread (live); closes; the villager rates; the stats
page counts it. Screenshots go to ``test-artifacts/console/``."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.console.conftest import PASSWORD
from tests.console.test_browser_flow import browser, pytestmark, shot, sign_in  # noqa: F401  (fixtures)
from tests.console.test_browser_flow import server as http_server  # noqa: F401
from tests.console.test_stats_page import figure

LIVE = 15000  # ms: the pages poll every 3 s
# Waits use locators, never wait_for_function: the pages' Content-Security-Policy forbids the eval
# that a string predicate needs, and the pages are tested under their real policy.


@pytest.fixture
def server(http_server: str, app: Any) -> str:  # noqa: F811
    """The app over real HTTP; the simulator on it pushes to this very address."""
    app.config["PUFABOT_SELF_URL"] = http_server
    return http_server


def _say(chat: Any, words: str) -> None:
    """Type and send, then wait for the account's answer (a bubble, or the note that none came)."""
    answers = chat.locator(".row.bot, .note")
    before = answers.count()
    chat.fill("#text", words)
    chat.click("button.send")
    answers.nth(before).wait_for(timeout=LIVE)


def test_report_reply_answer_with_photo_close_rate_and_count(server: str, browser: Any, accounts: Any,  # noqa: F811
                                                              services: Any) -> None:
    accounts.add("张调解", PASSWORD, "mediator")
    desk = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    sign_in(desk, server, "张调解")
    desk.wait_for_selector("text=村民反映的事项")
    assert desk.title().startswith("事项列表")

    chat = browser.new_page(viewport={"width": 420, "height": 800}, locale="zh-CN")
    chat.goto(f"{server}/dev/chat")
    for words in ("我要反映 有人把我家门口的路堵了", "1", "1", "好了", "不留", "3", "1"):
        _say(chat, words)
    assert "编号" in chat.locator(".row.bot").last.inner_text()
    openid = chat.evaluate("localStorage.getItem('pufabot-openid')")
    (ticket,) = services.disputes.for_villager(openid)

    desk.wait_for_selector(f"a:text('{ticket.id}')", timeout=LIVE)  # no reload
    expect(desk).to_have_title(re.compile(r"^\(1\) "), timeout=LIVE)
    shot(desk, "inbox-01-queue-live")

    desk.click(f"a:text('{ticket.id}')")
    desk.click("button:text('认领这件事')")
    desk.wait_for_selector(f"text=已认领事项 {ticket.id}。")
    desk.fill("textarea[name=text]", "收到。请把被堵的路拍张照片发过来")
    desk.click("button:text('发送')")
    desk.wait_for_selector("text=回复已发送给村民。")

    chat.wait_for_selector("text=请把被堵的路拍张照片发过来", timeout=LIVE)
    _say(chat, "照片发了，就是这条路")
    assert "已转给处理您事项" in chat.locator(".row.bot").last.inner_text()
    notes = chat.locator(".note")
    before = notes.count()
    chat.click("#image")
    notes.nth(before).wait_for(timeout=LIVE)  # 「（公众号没有回复）」: confirmed once already
    chat.reload()  # the chat survives a reload, the staff reply shown once
    chat.wait_for_selector("text=照片发了，就是这条路")
    chat.wait_for_timeout(3500)  # one more poll of the inbox
    assert chat.locator("text=请把被堵的路拍张照片发过来").count() == 1
    assert "【工作人员】" not in chat.content()

    desk.wait_for_selector("#live-region-thread >> text=照片发了，就是这条路", timeout=LIVE)  # no reload
    photo = desk.locator("#live-region-thread img").first
    photo.wait_for(timeout=LIVE)
    deadline = time.monotonic() + LIVE / 1000
    while photo.evaluate("i => i.complete ? i.naturalWidth : 0") != 160 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert photo.evaluate("i => i.naturalWidth") == 160  # the stand-in served the simulator's photo
    thread = desk.inner_text("#live-region-thread")
    assert thread.index("请把被堵的路") < thread.index("照片发了") < thread.index("已转给")  # oldest first
    shot(desk, "inbox-02-thread")

    desk.select_option("select[name=outcome]", "调解成功")
    desk.click("button:text('保存结果')")
    desk.wait_for_selector("text=已记录处理结果：调解成功。")
    desk.click("button:text('结案并请村民评价')")
    desk.wait_for_selector(f"text=事项 {ticket.id} 已办结，已请村民评价。")

    chat.wait_for_selector("text=请为我们的处理打个分", timeout=LIVE)
    _say(chat, "满意")  # a rating in words: 满意 is 4 of 5
    assert "谢谢您的评价" in chat.locator(".row.bot").last.inner_text()
    assert services.disputes.get(ticket.id).rating == 4

    desk.goto(f"{server}/staff/stats")
    html = desk.content()
    assert figure(html, "受理纠纷件数") == "1" and figure(html, "满意率") == "100.0%"
    shot(desk, "inbox-03-stats")
    assert re.search(r"调解率", html)
