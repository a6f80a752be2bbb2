"""A consultation written in another script, seen by a mediator in Debian's Chromium: a villager
writes Uyghur (a sentence written for the test); the queue shows the ticket with its language, the
ticket page names the language and shows the villager's own words in the thread; the mediator
answers from the form and the villager receives it. Screenshots go to ``test-artifacts/console/``."""

from __future__ import annotations

from typing import Any

from tests.console.conftest import PASSWORD
from tests.console.test_browser_flow import browser, pytestmark, server, shot, sign_in  # noqa: F401  (fixtures)

UYGHUR = "قوشنام يېرىمنى ئىگىلىۋالدى، ياردەم بېرىڭ"  # "my neighbour took my land, please help"


def test_a_uyghur_consultation_is_queued_with_its_language_and_answered_in_chromium(
        server: str, browser: Any, accounts: Any, villager: Any, services: Any, standin: Any) -> None:  # noqa: F811
    v = villager()
    standin.state.user_message(v.openid)
    assert "维吾尔文" in v.say(UYGHUR).content
    (ticket,) = services.disputes.for_villager(v.openid)

    accounts.add("张调解", PASSWORD, "mediator")
    desk = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    sign_in(desk, server, "张调解")
    desk.goto(f"{server}/staff/?kind=consult")
    row = desk.locator(f"tr[data-ticket='{ticket.id}']")
    assert "维吾尔文" in row.locator(".badge.language").inner_text()
    assert "法律咨询" in row.inner_text()
    shot(desk, "other-script-01-queue")

    desk.click(f"a:text('{ticket.id}')")
    assert "维吾尔文" in desk.locator("#language").inner_text()
    desk.wait_for_selector(f"text={UYGHUR}")  # the villager's own words, as written
    desk.click("button:text('认领这件事')")
    desk.fill("textarea[name=text]", "ئەتە تېلېفون قىلىمەن")
    desk.click("button:text('发送')")
    desk.wait_for_selector("text=回复已发送给村民。")
    shot(desk, "other-script-02-ticket")
    (sent,) = standin.state.messages_for(v.openid)
    assert "ئەتە تېلېفون قىلىمەن" in sent["body"]["text"]["content"]
