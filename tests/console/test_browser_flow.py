"""A mediator's day in a real browser: Debian's Chromium driven by Playwright against a real HTTP server.

Log in, open the queue, open a ticket, claim it, reply from the form, record the outcome, close;
then the same pages on a phone-sized screen. Screenshots go to ``test-artifacts/console/``.
Skipped (with the reason) only when ``/usr/bin/chromium`` is not installed.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from bot.dev import wire
from bot.disputes.voice import ffmpeg_path
from tests.console.conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (/usr/bin/chromium); "
                                                     "apt-get install -y chromium"),
]


@pytest.fixture
def server(app: Any) -> Iterator[str]:
    from werkzeug.serving import make_server

    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join(5)
    http.server_close()


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def sign_in(page: Any, server: str, name: str) -> None:
    """Sign in through the real login form (the account exists, with ``PASSWORD``)."""
    page.goto(f"{server}/staff/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 1000
    return path


def test_a_mediator_logs_in_claims_replies_and_closes_in_chromium(
        server: str, browser: Any, accounts: Any, new_ticket: Any, standin: Any, services: Any) -> None:
    accounts.add("张调解", PASSWORD, "mediator")
    standin.state.add_media("PHOTO0001", _tiny_png(), "image/png")
    standin.state.add_media("VOICE0001", wire.made_up_voice(seconds=2.0), "audio/amr")
    ticket = new_ticket(description="邻居把围墙往我家院子里砌了半米。", attachments=[
        {"kind": "image", "media_id": "PHOTO0001", "at": time.time()},
        {"kind": "voice", "media_id": "VOICE0001", "recognition": "", "at": time.time()},
        {"kind": "location", "lat": 43.8, "lng": 87.6, "label": "东村三组", "at": time.time()}])
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page.goto(f"{server}/staff/")
    assert "/staff/login" in page.url
    page.fill("input[name=username]", "张调解")
    page.fill("input[name=password]", PASSWORD)
    shot(page, "01-login")
    page.click("button[type=submit]")
    page.wait_for_selector(f"text={ticket.id}")
    assert "村民反映的事项" in page.content()
    shot(page, "02-queue")

    page.click(f"a:text('{ticket.id}')")
    page.wait_for_selector("text=村民反映的内容")
    # Polled from here: wait_for_function evaluates a string, which the page's CSP (no eval) refuses
    # whenever the photo has not loaded at the first look.
    deadline = time.monotonic() + 10
    while page.eval_on_selector("img[alt=村民发来的照片]", "img => img.naturalWidth") == 0:
        assert time.monotonic() < deadline, "the villager's photo did not load"
        time.sleep(0.05)
    assert page.eval_on_selector("img[alt=村民发来的照片]", "img => img.naturalWidth") == 2
    if ffmpeg_path():  # the villager's voice plays in the page: Chromium reads its length
        duration = page.eval_on_selector("audio", """a => new Promise(done => {
            a.onloadedmetadata = () => done(a.duration); a.onerror = () => done(-1); a.preload = 'metadata'; a.load(); })""")
        assert abs(duration - 2.0) < 0.1, duration
    page.click("button:text('认领这件事')")
    page.wait_for_selector(f"text=已认领事项 {ticket.id}。")
    shot(page, "03-claimed")

    page.fill("textarea[name=text]", "您好，我们周三上午到村里了解情况。")
    page.click("button:text('发送')")
    page.wait_for_selector("text=回复已发送给村民。")
    assert "您好，我们周三上午到村里了解情况。" in standin.state.messages_for(ticket.openid)[0]["body"]["text"]["content"]

    page.select_option("select[name=outcome]", "调解成功")
    page.click("button:text('保存结果')")
    page.wait_for_selector("text=已记录处理结果：调解成功。")
    page.click("button:text('结案并请村民评价')")
    page.wait_for_selector(f"text=事项 {ticket.id} 已办结，已请村民评价。")
    shot(page, "04-closed")
    assert services.disputes.get(ticket.id).state == "closed"

    phone = browser.new_page(viewport={"width": 375, "height": 740}, locale="zh-CN",
                             storage_state=page.context.storage_state())
    phone.goto(f"{server}/staff/?state=all")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    shot(phone, "05-queue-phone")
    phone.goto(f"{server}/staff/stats")
    assert phone.locator("svg.chart").count() == 5
    shot(phone, "06-stats-phone")
    page.goto(f"{server}/staff/stats")
    shot(page, "07-stats-desktop")
    # each chart takes its card's width (no fixed 720 px cap on a wide screen)
    widths = page.eval_on_selector_all("svg.chart", """charts => charts.map(svg => {
        const card = svg.parentElement, style = getComputedStyle(card);
        return [svg.getBoundingClientRect().width,
                card.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)]; })""")
    assert len(widths) == 5 and all(abs(chart - card) <= 1 and chart > 720 for chart, card in widths), widths


def _tiny_png() -> bytes:
    """A valid 2x1 PNG (so the browser really decodes the proxied photo)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"\x00" + b"\xff\x00\x00" + b"\x00\x00\xff"
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
