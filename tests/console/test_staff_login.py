"""Signing in and out of the console: passwords, lockout, sessions, cookies, CSRF, the secret key."""

from __future__ import annotations

import time
from typing import Any

from bot.app import create_app
from bot.services import build_services
from tests.console.conftest import PASSWORD, StaffClient, flashes


def test_a_mediator_signs_in_and_lands_on_the_queue(staff_client: Any) -> None:
    browser = staff_client("张调解", login=False)
    res = browser.login("张调解")
    assert res.status_code == 302 and res.headers["Location"].endswith("/staff/")
    html = browser.page("/staff/")
    assert "张调解（调解员）" in html and "村民反映的事项" in html


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(staff_client: Any) -> None:
    browser = staff_client("张调解", login=False)
    res = browser.login("张调解", "wrong-password")
    assert res.status_code == 401
    assert "用户名或密码不对" in res.get_data(as_text=True)
    unknown = browser.login("没有这个人", "wrong-password")
    assert unknown.status_code == 401 and "用户名或密码不对" in unknown.get_data(as_text=True)
    assert browser.get("/staff/").status_code == 302


def test_after_the_free_failures_each_attempt_waits_even_for_the_right_password(
        staff_client: Any, config: Any, audit: Any) -> None:
    browser = staff_client("张调解", login=False)
    limit = config.web.login_max_failures
    responses = [browser.login("张调解", f"guess-{i}") for i in range(limit)]
    assert [r.status_code for r in responses] == [401] * limit
    assert "下次请等 1 秒再试" in responses[-1].get_data(as_text=True)
    res = browser.login("张调解", PASSWORD)
    assert res.status_code == 429 and "请等 1 秒再试" in res.get_data(as_text=True) and res.headers["Retry-After"] == "1"
    entries, _ = audit.page(who="张调解")
    assert {e.action for e in entries} == {"login_failed", "login_locked"}
    time.sleep(1.1)
    assert browser.login("张调解").status_code == 302, "a wait, not a lock-out"


def test_the_wait_doubles_with_each_further_failure_up_to_the_configured_longest(
        config: Any, redis_client: Any, knowledge: Any) -> None:
    quick = config.replace(web={"login_max_failures": 2, "login_lockout_seconds": 4})
    app = create_app(quick, build_services(quick, redis=redis_client, knowledge=knowledge))
    store = app.extensions["pufabot.console"].accounts
    store.add("张调解", PASSWORD, "mediator")
    now, waits = 1_000_000.0, []
    for _ in range(6):
        result = store.authenticate("张调解", "nope", now=now)
        assert result.reason == "bad"
        waits.append(result.retry_after)
        now += result.retry_after
    assert waits == [0, 1, 2, 4, 4, 4]
    assert store.authenticate("张调解", PASSWORD, now=now - 1).reason == "locked"
    assert store.authenticate("张调解", PASSWORD, now=now).ok


def test_a_success_before_the_limit_clears_the_failure_count(staff_client: Any, config: Any) -> None:
    browser = staff_client("张调解", login=False)
    for _ in range(config.web.login_max_failures - 1):
        browser.login("张调解", "nope")
    assert browser.login("张调解").status_code == 302
    other = staff_client("张调解", login=False)
    assert [other.login("张调解", "nope").status_code for _ in range(2)] == [401, 401]


def test_a_disabled_account_cannot_sign_in_and_is_signed_out_at_once(staff_client: Any, accounts: Any) -> None:
    browser = staff_client("张调解")
    assert browser.get("/staff/").status_code == 200
    accounts.set_disabled("张调解")
    assert browser.get("/staff/").status_code == 302
    res = staff_client("张调解", login=False).login("张调解")
    assert res.status_code == 401 and "已停用" in res.get_data(as_text=True)


def test_a_password_change_signs_the_account_out_everywhere(staff_client: Any, accounts: Any) -> None:
    office, phone = staff_client("张调解"), staff_client("张调解")
    accounts.set_password("张调解", "another-pass-99")
    assert office.get("/staff/").status_code == 302 and phone.get("/staff/").status_code == 302
    assert staff_client("张调解", login=False).login("张调解", "another-pass-99").status_code == 302


def test_logout_ends_the_session_on_the_server_not_only_in_the_browser(staff_client: Any) -> None:
    browser = staff_client("张调解")
    with browser.client.session_transaction() as session:
        stolen = dict(session)
    res = browser.post("/staff/logout")
    assert res.status_code == 302 and res.headers["Location"].endswith("/staff/login")
    assert browser.get("/staff/").status_code == 302
    with browser.client.session_transaction() as session:
        session.update(stolen)  # replay the old cookie's contents
    assert browser.get("/staff/").status_code == 302


def test_a_form_without_the_csrf_token_is_refused_before_anything_happens(staff_client: Any, new_ticket: Any,
                                                                          services: Any) -> None:
    ticket = new_ticket()
    browser = staff_client("张调解")
    res = browser.post(f"/staff/tickets/{ticket.id}/claim", csrf=False)
    assert res.status_code == 400 and "页面已过期" in res.get_data(as_text=True)
    res = browser.post(f"/staff/tickets/{ticket.id}/claim", {"csrf_token": "forged"})
    assert res.status_code == 400
    assert services.disputes.get(ticket.id).state == "new"
    login = staff_client("李调解", login=False)
    login.client.get("/staff/login")
    res = login.post("/staff/login", {"username": "李调解", "password": PASSWORD}, csrf=False)
    assert res.status_code == 400


def test_the_session_cookie_is_secure_httponly_and_samesite(config: Any, services: Any) -> None:
    app = create_app(config.replace(web={"session_cookie_secure": True}), services)
    app.extensions["pufabot.console"].accounts.add("张调解", PASSWORD, "mediator")
    browser = StaffClient(app.test_client())
    res = browser.login("张调解")
    cookie = res.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_after_login_the_browser_returns_to_the_page_it_asked_for_but_never_off_site(staff_client: Any) -> None:
    browser = staff_client("张调解", login=False)
    res = browser.get("/staff/stats")
    assert res.status_code == 302 and "next=" in res.headers["Location"]
    assert "请先登录。" in flashes(browser.page("/staff/login"))
    res = browser.login("张调解", next="/staff/stats")
    assert res.headers["Location"].endswith("/staff/stats")
    for evil in ("https://evil.example/staff", "//evil.example/staff", "/staff\\@evil.example"):
        other = staff_client("张调解", login=False)
        assert other.login("张调解", next=evil).headers["Location"].endswith("/staff/")


def test_without_a_secret_key_the_console_refuses_to_start_but_the_webhook_runs(config: Any, services: Any) -> None:
    app = create_app(config.replace(web={"secret_key": ""}), services)
    client = app.test_client()
    for path in ("/staff", "/staff/", "/staff/login"):
        res = client.get(path)
        assert res.status_code == 503 and "secret_key" in res.get_data(as_text=True)
    assert client.post("/staff/login").status_code == 503
    assert client.get("/healthz").status_code in (200, 503)
    assert "pufabot.console" not in app.extensions


def test_login_and_logout_are_in_the_audit_log_with_the_address(staff_client: Any, audit: Any) -> None:
    browser = staff_client("张调解")
    browser.post("/staff/logout")
    entries, _ = audit.page(who="张调解")
    assert [e.action for e in entries] == ["logout", "login"]
    assert all(e.ip == "127.0.0.1" for e in entries)


def test_guessing_many_names_from_one_address_slows_that_address_only(config: Any, redis_client: Any,
                                                                      knowledge: Any, audit: Any) -> None:
    """Each name stays under its own limit, but one address failing again and again has to wait."""
    strict = config.replace(web={"login_max_failures_per_ip": 4})
    app = create_app(strict, build_services(strict, redis=redis_client, knowledge=knowledge))
    app.extensions["pufabot.console"].accounts.add("张调解", PASSWORD, "mediator")
    attacker = StaffClient(app.test_client())
    assert [attacker.login(f"猜的名字{i}", "nope").status_code for i in range(4)] == [401] * 4
    stopped = attacker.login("张调解")  # even the right password, from this address
    assert stopped.status_code == 429 and "从这里登录失败的次数太多" in stopped.get_data(as_text=True)
    assert audit.page(who="张调解")[0][0].action == "login_locked"
    office = app.test_client()
    office.environ_base["REMOTE_ADDR"] = "10.0.0.7"
    assert StaffClient(office).login("张调解").status_code == 302, "staff at another address sign in as usual"
