"""Who may open what: every /staff route for someone not signed in, a mediator and an admin."""

from __future__ import annotations

from typing import Any

import pytest

# (method, path, admin only, form). {t} is a ticket id, {m} a media id attached to it.
ROUTES = [
    ("GET", "/staff/", False, {}),
    ("GET", "/staff/?state=all&village=东村&kind=land&age=3d&overdue=1&page=2", False, {}),
    ("GET", "/staff/tickets/{t}", False, {}),
    ("GET", "/staff/media/{m}?ticket={t}", False, {}),
    ("GET", "/staff/stats", False, {}),
    ("GET", "/staff/stats?from=2026-01-01&to=2026-12-31", False, {}),
    ("GET", "/staff/stats.csv", False, {}),
    ("GET", "/staff/stats.csv?table=unanswered", False, {}),
    ("POST", "/staff/tickets/{t}/phone", False, {}),
    ("POST", "/staff/tickets/{t}/claim", False, {}),
    ("POST", "/staff/tickets/{t}/note", False, {"note": "村委会已电话了解"}),
    ("POST", "/staff/tickets/{t}/mediate", False, {}),
    ("POST", "/staff/tickets/{t}/reply", False, {"text": "您好，已收到。"}),
    ("POST", "/staff/tickets/{t}/visit", False, {"when": "2026-12-01T10:00"}),
    ("POST", "/staff/tickets/{t}/outcome", False, {"outcome": "调解成功"}),
    ("POST", "/staff/tickets/{t}/close", False, {"note": "已办结"}),
    ("POST", "/staff/tickets/{t}/release", False, {}),
    ("POST", "/staff/logout", False, {}),
    ("GET", "/staff/admin/audit", True, {}),
    ("GET", "/staff/admin/audit?who=张调解&action=login", True, {}),
    ("GET", "/staff/admin/canned", True, {}),
    ("POST", "/staff/admin/canned", True, {"reply": "您好，已收到。"}),
    ("GET", "/staff/admin/staff", True, {}),
    ("POST", "/staff/admin/staff/李调解/disable", True, {}),
    ("POST", "/staff/admin/staff/李调解/enable", True, {}),
]
IDS = [f"{m} {p}" for m, p, _, _ in ROUTES]


@pytest.fixture
def world(staff_client: Any, new_ticket: Any, standin: Any) -> dict[str, Any]:
    standin.state.add_media("PHOTO0001", b"\xff\xd8\xff\xe0 fake jpeg", "image/jpeg")
    ticket = new_ticket(attachments=[{"kind": "image", "media_id": "PHOTO0001", "at": 1.0}])
    staff_client("李调解", login=False)
    return {"t": ticket.id, "m": "PHOTO0001"}


def _request(browser: Any, method: str, path: str, form: dict[str, str], csrf: bool = True) -> Any:
    if method == "GET":
        return browser.get(path)
    return browser.post(path, form, csrf=csrf)


@pytest.mark.parametrize(("method", "path", "admin_only", "form"), ROUTES, ids=IDS)
def test_someone_not_signed_in_is_sent_to_the_login_page(staff_client: Any, world: dict[str, Any], services: Any,
                                                         method: str, path: str, admin_only: bool,
                                                         form: dict[str, str]) -> None:
    stranger = staff_client("路人", login=False)
    stranger.get("/staff/login")  # a CSRF token, so that only the missing login stops the request
    res = _request(stranger, method, path.format(**world), form)
    assert res.status_code == 302 and "/staff/login" in res.headers["Location"]
    ticket = services.disputes.get(world["t"])
    assert ticket.state == "new" and not ticket.claimed_by


@pytest.mark.parametrize(("method", "path", "admin_only", "form"), ROUTES, ids=IDS)
def test_a_mediator_may_do_the_work_but_not_the_admin_actions(staff_client: Any, world: dict[str, Any],
                                                              method: str, path: str, admin_only: bool,
                                                              form: dict[str, str]) -> None:
    mediator = staff_client("张调解")
    mediator.post(f"/staff/tickets/{world['t']}/claim")
    res = _request(mediator, method, path.format(**world), form)
    if admin_only:
        assert res.status_code == 403 and "只有管理员" in res.get_data(as_text=True)
    else:
        assert res.status_code in (200, 302, 303, 409), res.get_data(as_text=True)[:300]
        assert "/staff/login" not in res.headers.get("Location", "") or path == "/staff/logout"


@pytest.mark.parametrize(("method", "path", "admin_only", "form"), ROUTES, ids=IDS)
def test_an_admin_may_do_everything(staff_client: Any, world: dict[str, Any], method: str, path: str,
                                    admin_only: bool, form: dict[str, str]) -> None:
    admin = staff_client("王管理", role="admin")
    res = _request(admin, method, path.format(**world), form)
    assert res.status_code in (200, 302, 303, 409), res.get_data(as_text=True)[:300]
    assert "/staff/login" not in res.headers.get("Location", "") or path == "/staff/logout"


def test_the_login_page_and_the_stylesheet_are_open_to_everyone(client: Any) -> None:
    assert client.get("/staff/login").status_code == 200
    with client.get("/staff/static/staff.css") as res:
        assert res.status_code == 200 and b"font" in res.data


def test_a_mediator_cannot_act_on_a_ticket_another_mediator_claimed(staff_client: Any, new_ticket: Any,
                                                                    services: Any) -> None:
    ticket = new_ticket()
    zhang, li = staff_client("张调解"), staff_client("李调解")
    zhang.post(f"/staff/tickets/{ticket.id}/claim")
    for action, form in (("reply", {"text": "你好"}), ("outcome", {"outcome": "调解成功"}),
                         ("close", {"note": "结"}), ("release", {}), ("mediate", {}),
                         ("visit", {"when": "2026-12-01T10:00"})):
        res = li.post(f"/staff/tickets/{ticket.id}/{action}", form, follow_redirects=True)
        assert "由 张调解 认领，只有认领人或管理员可以处理" in res.get_data(as_text=True), action
    after = services.disputes.get(ticket.id)
    assert after.state == "claimed" and after.claimed_by == "张调解" and not after.outcome
    assert [h["what"] for h in services.disputes.history(ticket.id)] == ["submitted", "claimed"]
