"""A follower's ``javascript:`` PicUrl shown to an admin in Debian's Chromium: text, never a script (issue 15.8)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.console.conftest import PASSWORD
from tests.console.test_browser_flow import CHROMIUM, browser, server, sign_in  # noqa: F401  (fixtures)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (/usr/bin/chromium)"),
]

EVIL = "javascript:window.__pwned=1;document.title='pwned';alert(1)"


def test_a_javascript_pic_url_is_shown_as_text_and_no_script_runs(server: str, browser: Any, accounts: Any,  # noqa: F811
                                                                 new_ticket: Any) -> None:
    accounts.add("王主任", PASSWORD, "admin")
    ticket = new_ticket(description="<img src=x onerror=\"window.__pwned=2\"><script>window.__pwned=3</script>",
                        attachments=[{"kind": "image", "pic_url": EVIL, "at": time.time()},
                                     {"kind": "image", "pic_url": "https://mmbiz.qpic.cn/a.jpg", "at": time.time()}])
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, server, "王主任")
    response = page.goto(f"{server}/staff/tickets/{ticket.id}")
    assert response is not None and response.status == 200
    headers = response.headers
    assert "script-src 'self'" in headers["content-security-policy"] and "frame-ancestors 'none'" in headers[
        "content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["cache-control"] == "no-store"
    shown = page.locator("code.raw-url")
    assert shown.inner_text() == EVIL
    assert page.locator("a[href^='javascript:']").count() == 0
    assert page.locator("a[href='https://mmbiz.qpic.cn/a.jpg']").count() == 1
    shown.click()
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None and dialogs == [] and page.title() != "pwned"
    assert "<script>window.__pwned=3</script>" in page.locator("body").inner_text()
