"""Console fixtures: staff accounts and signed-in browsers (Flask test clients); tickets come from
the suite's ``new_ticket`` (tests/conftest.py).

``staff_client("张调解")`` creates the account (mediator unless ``role="admin"``) on first use and
returns a ``StaffClient`` already signed in through the real login form.
"""

from __future__ import annotations

import re
from typing import Any, Callable

import pytest
from argon2 import PasswordHasher


PASSWORD = "correct-horse-42"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class StaffClient:
    """A browser of one staff member: keeps cookies, sends the page's CSRF token with every form."""

    def __init__(self, client: Any):
        self.client = client

    def csrf(self) -> str:
        with self.client.session_transaction() as session:
            return str(session.get("csrf", ""))

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, csrf: bool = True, **kwargs: Any) -> Any:
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.csrf() or self._fresh_csrf())
        return self.client.post(path, data=form, **kwargs)

    def _fresh_csrf(self) -> str:
        match = CSRF.search(self.client.get("/staff/login").get_data(as_text=True))
        return match.group(1) if match else ""

    def login(self, name: str, password: str = PASSWORD, **extra: str) -> Any:
        self.client.get("/staff/login")
        return self.post("/staff/login", {"username": name, "password": password, **extra})

    def page(self, path: str) -> str:
        res = self.get(path)
        assert res.status_code == 200, (path, res.status_code, res.get_data(as_text=True)[:500])
        return str(res.get_data(as_text=True))


@pytest.fixture
def accounts(app: Any) -> Any:
    """The app's account store. Its argon2id cost is lowered (the hash is still real argon2id; the
    production parameters are checked in test_staff_accounts.py) to keep hundreds of logins fast."""
    store = app.extensions["pufabot.console"].accounts
    store.hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    return store


@pytest.fixture
def audit(app: Any) -> Any:
    return app.extensions["pufabot.console"].audit


@pytest.fixture
def staff_client(app: Any, accounts: Any) -> Callable[..., StaffClient]:
    def make(name: str = "张调解", role: str = "mediator", login: bool = True) -> StaffClient:
        if accounts.get(name) is None:
            accounts.add(name, PASSWORD, role)
        browser = StaffClient(app.test_client())
        if login:
            res = browser.login(name)
            assert res.status_code == 302, res.get_data(as_text=True)[:300]
        return browser

    return make


def flashes(html: str) -> list[str]:
    return re.findall(r'<p class="flash[^"]*"[^>]*>([^<]*)</p>', html)
