"""Behind a proxy: only configured proxies name the browser's address; delays per address; an admin's
unlock (issue 15.9)."""

from __future__ import annotations

from typing import Any

from argon2 import PasswordHasher

from bot.app import create_app
from bot.services import build_services
from tests.console.conftest import PASSWORD, StaffClient


def browser_via(app: Any, peer: str, forwarded: str = "") -> StaffClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = peer
    if forwarded:
        client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded
    return StaffClient(client)


def test_x_forwarded_for_from_an_unconfigured_peer_is_ignored(app: Any, accounts: Any, audit: Any) -> None:
    accounts.add("张调解", PASSWORD, "mediator")
    assert app.extensions["pufabot"].config.web.trusted_proxies == ()
    for peer in ("127.0.0.1", "192.0.2.44"):  # something on the host, or anyone
        assert browser_via(app, peer, "203.0.113.9").login("张调解").status_code == 302
    assert [e.ip for e in audit.page(who="张调解")[0]] == ["192.0.2.44", "127.0.0.1"]


def test_behind_a_trusted_proxy_each_browser_has_its_own_address_and_delay(
        config: Any, redis_client: Any, knowledge: Any) -> None:
    behind = config.replace(web={"trusted_proxies": ["10.0.0.0/29"], "login_max_failures_per_ip": 3})
    app = create_app(behind, build_services(behind, redis=redis_client, knowledge=knowledge))
    console = app.extensions["pufabot.console"]
    console.accounts.hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)  # the wait is 1 s
    console.accounts.add("张调解", PASSWORD, "mediator")
    console.accounts.add("李调解", PASSWORD, "mediator")
    guesser = browser_via(app, "10.0.0.5", "203.0.113.9")
    assert [guesser.login(f"猜{i}", "nope").status_code for i in range(3)] == [401] * 3
    spoofed = browser_via(app, "10.0.0.5", "198.51.100.99, 203.0.113.9")  # a forged first hop is not used
    assert [c.login("张调解").status_code for c in (guesser, spoofed)] == [429, 429], "this address waits"
    office = browser_via(app, "10.0.0.5", "198.51.100.7")
    assert office.login("李调解").status_code == 302, "staff elsewhere behind the same proxy sign in as usual"
    entries, _ = console.audit.page(who="李调解")
    assert entries[0].ip == "198.51.100.7"


def test_an_admin_lifts_an_accounts_wait_and_an_addresss(staff_client: Any, config: Any, app: Any) -> None:
    admin = staff_client("王主任", role="admin")
    victim = staff_client("张调解", login=False)
    for i in range(config.web.login_max_failures + 1):
        victim.login("张调解", f"guess-{i}")
    assert victim.login("张调解").status_code == 429
    page = admin.page("/staff/admin/staff")
    assert "登录需等" in page and "解除等待" in page
    res = admin.post("/staff/admin/staff/张调解/unlock")
    assert res.status_code == 303
    assert "已解除 张调解 的登录等待" in admin.page("/staff/admin/staff")
    assert victim.login("张调解").status_code == 302
    assert admin.post("/staff/admin/unlock-address", {"ip": "not an address"}).status_code == 303
    assert "不是一个有效的网络地址" in admin.page("/staff/admin/staff")
    admin.post("/staff/admin/unlock-address", {"ip": "127.0.0.1"})
    assert "已解除地址 127.0.0.1 的登录等待" in admin.page("/staff/admin/staff")
    assert app.extensions["pufabot.console"].audit.page(action="staff_unlock")[0]
