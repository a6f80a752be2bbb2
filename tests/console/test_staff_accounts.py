"""The account store on real Redis: hashes, names, lockout under parallel guessing, sessions."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from bot.console.accounts import AccountError, StaffAccounts, accounts_for
from tests.console.conftest import PASSWORD


def test_passwords_are_stored_only_as_argon2id_hashes_with_the_library_defaults(services: Any) -> None:
    store = accounts_for(services)
    store.add("张调解", PASSWORD, "mediator")
    record = services.redis.hgetall(services.keys.staff_user("张调解"))
    assert record["hash"].startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PASSWORD not in str(record)
    assert store.authenticate("张调解", PASSWORD).ok


def test_names_roles_passwords_and_duplicates_are_checked(accounts: StaffAccounts) -> None:
    for name, password, role, message in (("张", PASSWORD, "mediator", "用户名"), ("a b", PASSWORD, "mediator", "用户名"),
                                          ("张调解", "short-pw-11", "mediator", "至少 12 位"),
                                          ("张调解", PASSWORD, "boss", "角色"),
                                          ("张调解", " padded-passwd ", "mediator", "首尾")):
        with pytest.raises(AccountError, match=message):
            accounts.add(name, password, role)
    accounts.add("张调解", PASSWORD, "mediator")
    with pytest.raises(AccountError, match="已存在"):
        accounts.add("张调解", "another-pass-1", "admin")
    assert accounts.get("张调解").role == "mediator"
    with pytest.raises(AccountError, match="没有用户"):
        accounts.set_password("没有这个人", PASSWORD)


def test_parallel_guesses_cannot_get_past_the_attempt_limit(accounts: StaffAccounts) -> None:
    accounts.add("张调解", PASSWORD, "mediator")
    results: list[str] = []
    start = threading.Barrier(12)

    def guess(i: int) -> None:
        start.wait()
        results.append(accounts.authenticate("张调解", f"guess-{i}").reason)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("bad") == accounts.max_failures  # the last free one sets the first wait
    assert results.count("locked") == 12 - accounts.max_failures
    assert accounts.authenticate("张调解", PASSWORD).reason == "locked"


def test_a_session_lasts_while_used_and_ends_when_idle(services: Any) -> None:
    store = StaffAccounts(services.redis, services.keys, session_seconds=1)
    user = store.add("张调解", PASSWORD, "mediator")
    sid = store.start_session(user, "10.0.0.1")
    assert store.resume_session(sid) == user
    time.sleep(1.3)
    assert store.resume_session(sid) is None
    assert store.resume_session("") is None and store.resume_session("made-up") is None


def test_ending_all_sessions_of_an_account_leaves_other_accounts_signed_in(accounts: StaffAccounts) -> None:
    zhang = accounts.add("张调解", PASSWORD, "mediator")
    li = accounts.add("李调解", PASSWORD, "mediator")
    mine = [accounts.start_session(zhang, "10.0.0.1") for _ in range(2)]
    theirs = accounts.start_session(li, "10.0.0.2")
    accounts.end_sessions("张调解")
    assert [accounts.resume_session(s) for s in mine] == [None, None]
    assert accounts.resume_session(theirs) == li


def test_the_list_shows_every_account_sorted(accounts: StaffAccounts) -> None:
    accounts.add("wang", PASSWORD, "admin")
    accounts.add("li", PASSWORD, "mediator")
    accounts.set_disabled("li")
    assert [(u.name, u.role, u.disabled) for u in accounts.list()] == [("li", "mediator", True), ("wang", "admin", False)]
