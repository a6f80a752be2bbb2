"""``pufabot staff``: the operator creates, lists, re-keys and stops console accounts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.console.accounts import StaffAccounts
from bot.store.keys import Keys


@pytest.fixture
def run(tmp_path: Path, redis_url: str, redis_client: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    path = tmp_path / "c.toml"
    path.write_text(f'[redis]\nurl = "{redis_url}"\n[log]\nlevel = "WARNING"\n', encoding="utf-8")
    monkeypatch.setenv("PUFABOT_CONFIG", str(path))

    def invoke(*args: str, input: str | None = None) -> Any:
        return CliRunner().invoke(cli, ["staff", *args], input=input)

    return invoke


@pytest.fixture
def store(redis_client: Any) -> StaffAccounts:
    return StaffAccounts(redis_client, Keys("pufabot"))


def test_add_prompts_twice_for_the_password_and_creates_the_account(run: Any, store: StaffAccounts) -> None:
    result = run("add", "张调解", "--role", "mediator", input="correct-horse-42\ncorrect-horse-42\n")
    assert result.exit_code == 0, result.output
    assert "已创建调解员账号 张调解。" in result.output and "correct-horse-42" not in result.output
    assert store.authenticate("张调解", "correct-horse-42").ok


def test_add_reads_the_password_from_stdin_for_scripts(run: Any, store: StaffAccounts) -> None:
    result = run("add", "王管理", "--role", "admin", "--password-stdin", input="s3cret-admin-pw\n")
    assert result.exit_code == 0, result.output
    assert store.get("王管理").is_admin and store.authenticate("王管理", "s3cret-admin-pw").ok


@pytest.mark.parametrize("password,why", [
    ("eleven-char", "至少 12 位"), ("Password1234", "太常见"), ("1qaz2wsx3edc", "太常见"), ("woaini1314520", "太常见"),
    ("121212121212", "太常见"), ("zhangtiaojie", "和用户名相同"),
])
def test_a_weak_password_is_refused_before_the_second_prompt(run: Any, store: StaffAccounts, password: str,
                                                             why: str) -> None:
    result = run("add", "zhangtiaojie", input=f"{password}\n")  # one line only: no second prompt is reached
    assert result.exit_code == 1 and why in result.output, result.output
    assert "再输入一次" not in result.output and store.get("zhangtiaojie") is None


def test_two_different_entries_are_refused(run: Any, store: StaffAccounts) -> None:
    result = run("add", "张调解", input="correct-horse-42\ncorrect-horse-43\n")
    assert result.exit_code == 1 and "不一致" in result.output and store.get("张调解") is None


def test_refusals_are_explained_in_chinese_with_a_failing_exit_code(run: Any) -> None:
    assert "至少 12 位" in run("add", "张调解", "--password-stdin", input="short-pw-1\n").output
    run("add", "张调解", "--password-stdin", input="correct-horse-42\n")
    again = run("add", "张调解", "--password-stdin", input="correct-horse-42\n")
    assert again.exit_code == 1 and "已存在" in again.output
    assert run("add", "李调解", "--role", "boss", "--password-stdin", input="x" * 10).exit_code == 2
    missing = run("disable", "没有这个人")
    assert missing.exit_code == 1 and "没有用户 没有这个人" in missing.output


def test_passwd_changes_the_password_and_signs_the_account_out(run: Any, store: StaffAccounts) -> None:
    run("add", "张调解", "--password-stdin", input="correct-horse-42\n")
    session = store.start_session(store.get("张调解"), "10.0.0.1")
    result = run("passwd", "张调解", "--password-stdin", input="brand-new-pass-7\n")
    assert result.exit_code == 0 and "原有登录已全部退出" in result.output
    assert store.resume_session(session) is None
    assert store.authenticate("张调解", "brand-new-pass-7").ok and not store.authenticate("张调解", "correct-horse-42").ok


def test_disable_enable_and_list(run: Any, store: StaffAccounts) -> None:
    assert "还没有账号" in run("list").output
    run("add", "张调解", "--password-stdin", input="correct-horse-42\n")
    run("add", "王管理", "--role", "admin", "--password-stdin", input="correct-horse-42\n")
    assert run("disable", "张调解").exit_code == 0
    assert store.authenticate("张调解", "correct-horse-42").reason == "disabled"
    listing = run("list").output.splitlines()
    assert listing[0].startswith("张调解\t调解员\t已停用") and listing[1].startswith("王管理\t管理员\t正常")
    run("enable", "张调解")
    assert store.authenticate("张调解", "correct-horse-42").ok


def test_account_changes_from_the_command_line_are_in_the_audit_log(run: Any, store: StaffAccounts) -> None:
    from bot.console.audit import AuditLog

    run("add", "张调解", "--password-stdin", input="correct-horse-42\n")
    run("passwd", "张调解", "--password-stdin", input="brand-new-pass-7\n")
    run("disable", "张调解")
    entries, _ = AuditLog(store.redis, store.keys).page()
    assert [(e.action, e.target) for e in entries] == [("staff_disable", "张调解"), ("staff_passwd", "张调解"),
                                                       ("staff_add", "张调解")]
    assert all(e.who.startswith("命令行") for e in entries) and entries[-1].detail == "mediator"
