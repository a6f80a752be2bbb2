"""Admins manage colleagues' accounts in the console, not only on the server's shell: add, reset a
password, disable, enable, lift a login delay; everything audited. `pufabot staff list` shows waiting accounts."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner

from tests.console.conftest import PASSWORD, StaffClient, flashes


def _lock(app: Any, accounts: Any, name: str) -> None:
    for _ in range(accounts.max_failures):
        accounts.authenticate(name, "wrong-password-guess")
    assert accounts.waiting(name) > 0


def test_an_admin_adds_resets_unlocks_and_the_audit_log_says_so(app: Any, staff_client: Any, accounts: Any,
                                                                 audit: Any) -> None:
    admin = staff_client("王管理", role="admin")
    res = admin.post("/staff/admin/staff", {"name": "赵调解", "role": "mediator", "password": PASSWORD},
                     follow_redirects=True)
    assert "已创建账号 赵调解。" in flashes(res.get_data(as_text=True))
    assert accounts.get("赵调解").role == "mediator"
    _lock(app, accounts, "赵调解")
    page = admin.page("/staff/admin/staff")
    row = page[page.index("<td>赵调解</td>"):]
    assert "登录需等" in row[:row.index("</tr>")]
    admin.post("/staff/admin/staff/赵调解/unlock")
    assert accounts.waiting("赵调解") == 0
    assert StaffClient(app.test_client()).login("赵调解").status_code == 302
    res = admin.post("/staff/admin/staff/赵调解/password", {"password": "another-horse-77"}, follow_redirects=True)
    assert "已重设 赵调解 的密码，原有登录已全部退出。" in flashes(res.get_data(as_text=True))
    assert StaffClient(app.test_client()).login("赵调解", "another-horse-77").status_code == 302
    weak = admin.post("/staff/admin/staff/赵调解/password", {"password": "1"}, follow_redirects=True)
    assert "密码" in " ".join(flashes(weak.get_data(as_text=True)))
    actions = [(e.action, e.target) for e in audit.page(who="王管理")[0]]
    for done in ("staff_add", "staff_unlock", "staff_passwd"):
        assert (done, "赵调解") in actions


def test_mediators_cannot_manage_accounts(staff_client: Any, accounts: Any) -> None:
    mediator = staff_client("张调解")
    res = mediator.post("/staff/admin/staff", {"name": "黑客", "role": "admin", "password": PASSWORD})
    assert res.status_code in (302, 403) and accounts.get("黑客") is None


def test_the_cli_list_shows_a_waiting_account_and_unlock_lifts_it(app: Any, accounts: Any, config: Any,
                                                                 redis_url: str, tmp_path: Any,
                                                                 monkeypatch: Any) -> None:
    from bot.cli import cli

    path = tmp_path / "c.toml"
    path.write_text(f'[redis]\nurl = "{redis_url}"\n[log]\nlevel = "WARNING"\n', encoding="utf-8")
    monkeypatch.setenv("PUFABOT_CONFIG", str(path))
    accounts.add("赵调解", PASSWORD, "mediator")
    _lock(app, accounts, "赵调解")
    listed = CliRunner().invoke(cli, ["staff", "list"]).output
    assert "赵调解\t调解员\t登录需等" in listed
    assert CliRunner().invoke(cli, ["staff", "unlock", "赵调解"]).exit_code == 0
    assert "赵调解\t调解员\t正常" in CliRunner().invoke(cli, ["staff", "list"]).output
