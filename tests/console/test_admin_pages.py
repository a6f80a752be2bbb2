"""Admin pages: the audit log, the canned replies, stopping and restoring accounts."""

from __future__ import annotations

from typing import Any

from tests.console.conftest import flashes


def test_the_audit_log_shows_who_did_what_to_which_ticket_from_where(staff_client: Any, new_ticket: Any) -> None:
    ticket = new_ticket()
    mediator = staff_client("张调解")
    mediator.post(f"/staff/tickets/{ticket.id}/claim")
    mediator.post(f"/staff/tickets/{ticket.id}/phone")
    html = staff_client("王管理", role="admin").page("/staff/admin/audit")
    rows = html[html.index("<tbody>"):]
    assert rows.index("<td>查看电话</td>") < rows.index("<td>认领</td>") < rows.index("<td>张调解</td><td>登录</td>")
    assert f'<a href="/staff/tickets/{ticket.id}">{ticket.id}</a>' in rows and "127.0.0.1" in rows
    assert "13800000000" not in html


def test_the_audit_log_filters_and_pages(staff_client: Any, audit: Any) -> None:
    for i in range(60):
        audit.record("张调解", "view_ticket", f"JF20260101-{i:04d}", ip="10.0.0.5")
    admin = staff_client("王管理", role="admin")
    first = admin.page("/staff/admin/audit?who=张调解")
    assert first.count('">JF20260101-') == 50 and "JF20260101-0059" in first and "更早的记录" in first
    cursor = first.split("before=")[1].split("&")[0].split('"')[0]
    second = admin.page(f"/staff/admin/audit?who=张调解&before={cursor}")
    assert second.count('">JF20260101-') == 10 and "JF20260101-0000" in second and "更早的记录" not in second
    only = admin.page("/staff/admin/audit?target=JF20260101-0007")
    assert only.count("JF20260101-0007") >= 1 and "JF20260101-0008" not in only


def test_an_admin_edits_the_canned_replies_and_mediators_see_the_new_list(staff_client: Any, new_ticket: Any,
                                                                           audit: Any) -> None:
    admin = staff_client("王管理", role="admin")
    defaults = admin.page("/staff/admin/canned")
    assert "您反映的事情我们已经收到" in defaults
    res = admin.post("/staff/admin/canned", {"reply": ["您好，已收到，明天联系您。", "  ", "请带上身份证到司法所。"]},
                     follow_redirects=True)
    assert "常用回复已保存（共 2 条）。" in flashes(res.get_data(as_text=True))
    ticket = new_ticket()
    mediator = staff_client("张调解")
    mediator.post(f"/staff/tickets/{ticket.id}/claim")
    page = mediator.page(f"/staff/tickets/{ticket.id}")
    assert "请带上身份证到司法所。" in page and "您反映的事情我们已经收到" not in page
    assert [e.action for e in audit.page(who="王管理")[0]][0] == "canned_edit"
    admin.post("/staff/admin/canned", {"reset": "1"})
    assert "您反映的事情我们已经收到" in admin.page("/staff/admin/canned")


def test_an_admin_disables_and_restores_an_account(staff_client: Any, accounts: Any) -> None:
    mediator = staff_client("张调解")
    admin = staff_client("王管理", role="admin")
    assert "张调解" in admin.page("/staff/admin/staff")
    res = admin.post("/staff/admin/staff/张调解/disable", follow_redirects=True)
    assert "已停用账号 张调解。" in flashes(res.get_data(as_text=True))
    assert accounts.get("张调解").disabled and mediator.get("/staff/").status_code == 302
    admin.post("/staff/admin/staff/张调解/enable")
    assert not accounts.get("张调解").disabled
    assert staff_client("张调解").get("/staff/").status_code == 200


def test_an_admin_cannot_lock_themselves_out_or_touch_an_unknown_account(staff_client: Any, accounts: Any) -> None:
    admin = staff_client("王管理", role="admin")
    res = admin.post("/staff/admin/staff/王管理/disable", follow_redirects=True)
    assert "不能停用自己的账号。" in flashes(res.get_data(as_text=True)) and not accounts.get("王管理").disabled
    res = admin.post("/staff/admin/staff/没有这个人/disable", follow_redirects=True)
    assert "没有用户 没有这个人" in flashes(res.get_data(as_text=True))
