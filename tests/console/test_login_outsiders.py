"""Outsiders cannot keep staff out (security review 2026-12-07, F5, F6, F9, F18, F19): a browser that
has signed in as a person before carries a signed device cookie and is slowed only by its own
failures; the per-address check and count are one step; password-like names are not audited
verbatim; a forwarded address must be an IP address; a proxy without ``trusted_proxies`` is reported."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from bot.app import create_app
from bot.console.devices import COOKIE
from bot.services import build_services
from tests.console.conftest import PASSWORD, StaffClient


def console_app(config: Any, redis_client: Any, knowledge: Any, **web: Any) -> Any:
    tuned = config.replace(web=web)
    app = create_app(tuned, build_services(tuned, redis=redis_client, knowledge=knowledge))
    app.extensions["pufabot.console"].accounts.hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    return app


def browser_at(app: Any, peer: str = "127.0.0.1", forwarded: str = "") -> StaffClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = peer
    if forwarded:
        client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded
    return StaffClient(client)


def signed_in_before(app: Any, name: str, peer: str = "127.0.0.1") -> StaffClient:
    """The staff member's own office browser: signed in once (keeps the device cookie), then out."""
    browser = browser_at(app, peer)
    assert browser.login(name).status_code == 302
    assert browser.client.get_cookie(COOKIE, path="/staff") is not None
    browser.post("/staff/logout")
    return browser


def test_an_outsider_guessing_a_name_does_not_slow_that_persons_own_browser(
        config: Any, redis_client: Any, knowledge: Any) -> None:
    """F9: failures on 张调解 from anywhere put the name at the longest wait; 张调解's own browser
    still signs in at once with the right password, while a stranger's browser waits."""
    app = console_app(config, redis_client, knowledge, login_max_failures=2, login_lockout_seconds=900)
    app.extensions["pufabot.console"].accounts.add("张调解", PASSWORD, "mediator")
    office = signed_in_before(app, "张调解")
    for i in range(6):
        browser_at(app, f"198.51.100.{i + 1}").login("张调解", f"guess-{i}")
    stranger = browser_at(app, "203.0.113.5")
    refused = stranger.login("张调解")
    assert refused.status_code == 429
    assert office.login("张调解").status_code == 302, "the person's own browser is not slowed by outsiders"


def test_behind_an_unconfigured_proxy_an_outsider_does_not_keep_colleagues_out(
        config: Any, redis_client: Any, knowledge: Any) -> None:
    """F5: with ``trusted_proxies`` empty every browser shares the proxy's address; guesses across
    many names fill that address's count, yet staff whose browsers signed in before get in."""
    app = console_app(config, redis_client, knowledge, login_max_failures_per_ip=3)
    accounts = app.extensions["pufabot.console"].accounts
    accounts.add("张调解", PASSWORD, "mediator")
    accounts.add("李调解", PASSWORD, "mediator")
    office = signed_in_before(app, "张调解")
    attacker = browser_at(app, forwarded="192.0.2.66")
    assert [attacker.login(f"猜{i}", "nope").status_code for i in range(3)] == [401] * 3
    assert attacker.login("李调解").status_code == 429, "a new browser at the proxy's address waits"
    assert office.login("张调解").status_code == 302


def test_a_browsers_own_failures_still_slow_it(config: Any, redis_client: Any, knowledge: Any) -> None:
    app = console_app(config, redis_client, knowledge, login_max_failures=2, login_lockout_seconds=900)
    app.extensions["pufabot.console"].accounts.add("张调解", PASSWORD, "mediator")
    office = signed_in_before(app, "张调解")
    assert [office.login("张调解", f"typo-{i}").status_code for i in range(2)] == [401, 401]
    assert office.login("张调解").status_code == 429, "this browser's own guesses count against it"


def test_a_forged_device_cookie_gets_no_pass(config: Any, redis_client: Any, knowledge: Any) -> None:
    app = console_app(config, redis_client, knowledge, login_max_failures=2, login_lockout_seconds=900)
    app.extensions["pufabot.console"].accounts.add("张调解", PASSWORD, "mediator")
    for i in range(4):
        browser_at(app).login("张调解", f"guess-{i}")
    forger = browser_at(app)
    forger.client.set_cookie(COOKIE, "eyJ张调解IjoiYWJjIn0.forged.signature", path="/staff")
    assert forger.login("张调解").status_code == 429
    cookie_for_other_name = browser_at(app)
    # A genuine cookie of another account does not speak for this one.
    app.extensions["pufabot.console"].accounts.add("李调解", PASSWORD, "mediator")
    assert cookie_for_other_name.login("李调解").status_code == 302
    assert cookie_for_other_name.login("张调解").status_code == 429


def test_parallel_guesses_from_one_address_never_pass_the_address_limit(
        config: Any, redis_client: Any, knowledge: Any) -> None:
    """F18: 30 logins at once from one address with a limit of 5: at most 5 passwords are checked."""
    app = console_app(config, redis_client, knowledge, login_max_failures_per_ip=5, login_lockout_seconds=900)
    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(pool.map(lambda i: browser_at(app, "192.0.2.7").login(f"猜名字{i}", "nope").status_code,
                              range(30)))
    assert codes.count(401) == 5 and codes.count(429) == 25, codes


def test_staff_signing_in_do_not_fill_their_offices_address_count(
        config: Any, redis_client: Any, knowledge: Any) -> None:
    app = console_app(config, redis_client, knowledge, login_max_failures_per_ip=3)
    app.extensions["pufabot.console"].accounts.add("张调解", PASSWORD, "mediator")
    assert [browser_at(app).login("张调解").status_code for _ in range(6)] == [302] * 6


def test_a_password_typed_into_the_name_field_is_not_audited_verbatim(staff_client: Any, audit: Any) -> None:
    """F19: the admin audit page never shows what was typed as a name unless it is an account's name."""
    staff_client("张调解", login=False)
    browser = staff_client("王主任", role="admin")
    careless = staff_client("张调解", login=False)
    careless.login("Adm1-Strong-Pass-2026!", "nope")
    careless.login("Adm1-Strong-Pass-2026!", "nope again")
    careless.login("张调解", "wrong-password")
    page = browser.page("/staff/admin/audit")
    assert "Adm1-Strong-Pass-2026!" not in page
    failed = [e.who for e in audit.page(action="login_failed")[0]]
    assert failed[0] == "张调解", "an account's own name is kept as typed"
    assert failed[1] == failed[2] and "不是已有账号的名称 #" in failed[1], "repeats of one string tell apart"


def test_a_forwarded_address_that_is_not_an_ip_address_is_ignored(
        config: Any, redis_client: Any, knowledge: Any) -> None:
    """F6: behind a trusted proxy, an X-Forwarded-For that is no IP address is not believed."""
    app = console_app(config, redis_client, knowledge, trusted_proxies=["10.0.0.0/29"])
    console = app.extensions["pufabot.console"]
    console.accounts.add("张调解", PASSWORD, "mediator")
    assert browser_at(app, "10.0.0.5", "<img src=x onerror=alert('ip')>").login("张调解").status_code == 302
    assert browser_at(app, "10.0.0.5", "198.51.100.7").login("张调解").status_code == 302
    assert [e.ip for e in console.audit.page(who="张调解")[0]] == ["198.51.100.7", "10.0.0.5"]


def test_a_proxy_without_trusted_proxies_is_reported_loudly_once(
        app: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.app"):
        for _ in range(3):
            browser_at(app, forwarded="203.0.113.9").get("/staff/login")
    warnings = [r for r in caplog.records if "PROXY DETECTED" in r.getMessage()]
    assert len(warnings) == 1 and "trusted_proxies" in warnings[0].getMessage()


def test_the_cli_builds_the_accounts_exactly_as_the_console_does(
        config: Any, app: Any, tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's copy had dropped the per-address limit: now both take ``bot.console.build``."""
    from bot.cli.staff_commands import _console

    path = tmp_path / "c.toml"
    path.write_text(f'[redis]\nurl = "{redis_url}"\n[web]\nlogin_max_failures_per_ip = 7\n'
                    'login_max_failures = 3\nlogin_lockout_seconds = 120\n', encoding="utf-8")
    monkeypatch.setenv("PUFABOT_CONFIG", str(path))
    store = _console().accounts
    assert (store.max_failures_per_ip, store.max_failures, store.max_delay) == (7, 3, 120)
