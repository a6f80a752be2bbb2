"""Staff accounts, login lockout and signed-in sessions, in Redis (no Flask: the CLI uses it too).

Guarantees:
- Passwords are stored only as argon2id hashes; a login against an unknown name costs the same
  hash verification as a real one, so timing does not tell which names exist.
- No hard lock-out (behind a shared proxy, or with a guesser at work, that would lock real staff
  out): a delay that grows instead. Every login *attempt* on a name is counted before the password
  is checked, and the same Lua script sets when the next attempt may come (so parallel guesses
  cannot slip past it): the first ``max_failures`` attempts are free, then each one waits 1 s,
  2 s, 4 s... up to ``max_delay`` seconds. A success clears the name's count; so does an admin's
  unlock. Counts are forgotten ``max_delay`` seconds after the last failure.
- Login attempts are also counted per client address, checked and counted in the same Lua step
  before the password is checked (parallel guesses from one place cannot overshoot), with the same
  growing delay after ``max_failures_per_ip`` attempts; a success gives its attempt back, so staff
  signing in do not fill their office's count. A success does not clear the address (an attacker
  may know one password of their own); an admin's unlock of the address does.
- Device cookies (OWASP's "slow down online guessing attacks with device cookies"): a browser that
  has signed in as a person before carries a signed device id for that name (``bot.console.auth``
  signs it). Its attempts on that name are counted on their own key, and neither the name's nor the
  address's count applies to it: an outsider's failures (on the name, or behind the same proxy)
  never slow it, only its own failures do.
- A session is a random id whose record lives in Redis and expires after ``session_seconds`` idle.
  Disabling an account or changing its password ends all of its sessions at once, and every
  request re-reads the account, so a role change or a disable takes effect immediately.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bot.store import lua
from bot.store.client import Fields, RedisClient, text, text_map
from bot.store.keys import Keys

if TYPE_CHECKING:
    from bot.services import Services

ROLES = ("mediator", "admin")
NAME_RE = re.compile(r"[A-Za-z0-9_.\-\u4e00-\u9fff]{2,32}")
MIN_PASSWORD = 12
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
SESSION_SECONDS = 12 * 3600

def _seconds(ms: int) -> int:
    return (ms + 999) // 1000 if ms > 0 else 0


class AccountError(ValueError):
    """A refused account change; the message is staff-facing Chinese."""


@dataclass(frozen=True)
class StaffUser:
    name: str
    role: str
    disabled: bool = False
    created_at: float = 0.0
    password_version: int = 0

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class LoginResult:
    """``ok`` with the user, or ``reason``: bad | locked (this name must wait) | ip_locked (this address
    must wait) | disabled; ``retry_after``: seconds to wait before the next attempt (0: none)."""

    ok: bool
    user: StaffUser | None = None
    reason: str = ""
    retry_after: int = 0


def _user_from(data: dict[str, str]) -> StaffUser | None:
    if not data or "role" not in data:
        return None
    return StaffUser(name=data["name"], role=data["role"], disabled=data.get("disabled") == "1",
                     created_at=float(data.get("created_at", 0)), password_version=int(data.get("pwv", 0)))


class StaffAccounts:
    def __init__(self, redis: RedisClient, keys: Keys, max_failures: int = 5, max_delay: int = 900,
                 max_failures_per_ip: int = 20,
                 session_seconds: int = SESSION_SECONDS, hasher: PasswordHasher | None = None):
        self.redis = redis
        self.keys = keys
        self.max_failures = max(1, max_failures)
        self.max_delay = max(1, max_delay)
        self.max_failures_per_ip = max(1, max_failures_per_ip)
        self.session_seconds = session_seconds
        self.hasher = hasher or PasswordHasher()
        self._count_attempt = redis.register_script(lua.source("login_count_attempt.lua"))
        self._give_back = redis.register_script(lua.source("login_give_back.lua"))

    # -- accounts -------------------------------------------------------------------------------
    def get(self, name: str) -> StaffUser | None:
        return _user_from(text_map(self.redis.hgetall(self.keys.staff_user(name))))

    def list(self) -> list[StaffUser]:
        names = sorted(text(n) for n in self.redis.smembers(self.keys.staff_users()))
        pipe = self.redis.pipeline(transaction=False)
        for name in names:
            pipe.hgetall(self.keys.staff_user(name))
        return [u for u in (_user_from(d) for d in pipe.execute()) if u is not None]

    def add(self, name: str, password: str, role: str) -> StaffUser:
        if not NAME_RE.fullmatch(name):
            raise AccountError("用户名须为 2-32 个汉字、字母、数字或 _ . -")
        if role not in ROLES:
            raise AccountError(f"角色须为 {' 或 '.join(ROLES)}")
        check_password(password, name)
        record: Fields = {"name": name, "role": role, "hash": self.hasher.hash(password), "disabled": "0",
                  "created_at": str(time.time()), "pwv": "1"}
        # HSETNX on the role makes a concurrent double "add" create one account, not overwrite it.
        if not self.redis.hsetnx(self.keys.staff_user(name), "role", role):
            raise AccountError(f"用户 {name} 已存在")
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self.keys.staff_user(name), mapping=record)
        pipe.sadd(self.keys.staff_users(), name)
        pipe.execute()
        return self._require(name)

    def set_password(self, name: str, password: str) -> None:
        self._require(name)
        check_password(password, name)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self.keys.staff_user(name), "hash", self.hasher.hash(password))
        pipe.hincrby(self.keys.staff_user(name), "pwv", 1)
        pipe.delete(self.keys.staff_login_failures(name))
        pipe.execute()
        self.end_sessions(name)

    def set_disabled(self, name: str, disabled: bool = True) -> None:
        self._require(name)
        self.redis.hset(self.keys.staff_user(name), "disabled", "1" if disabled else "0")
        if disabled:
            self.end_sessions(name)

    def _require(self, name: str) -> StaffUser:
        user = self.get(name)
        if user is None:
            raise AccountError(f"没有用户 {name}")
        return user

    # -- login ------------------------------------------------------------------------------------
    def authenticate(self, name: str, password: str, ip: str = "", now: float | None = None,
                     device: str = "") -> LoginResult:
        """Check a login from ``ip``; counts the attempt first (see module doc). ``device``: the id a
        signed device cookie carries for this very name (only its own attempts then count)."""
        name = name.strip()[:64]
        now_ms = int((time.time() if now is None else now) * 1000)
        if device:
            key = self.keys.staff_login_device_failures(name, device[:64])
            early, value = self._attempt(key, now_ms, self.max_failures)
            if early:
                return LoginResult(False, reason="locked", retry_after=_seconds(value))
            return self._check(name, password, key, now_ms, ip_key="")
        ip_key = self.keys.staff_login_ip_failures(ip[:64]) if ip else ""
        if ip_key:
            early, value = self._attempt(ip_key, now_ms, self.max_failures_per_ip)
            if early:
                return LoginResult(False, reason="ip_locked", retry_after=_seconds(value))
        key = self.keys.staff_login_failures(name)
        early, value = self._attempt(key, now_ms, self.max_failures)
        if early:
            return LoginResult(False, reason="locked", retry_after=_seconds(value))
        return self._check(name, password, key, now_ms, ip_key)

    def _attempt(self, key: str, now_ms: int, free: int) -> tuple[int, int]:
        """One atomic check-and-count: (1, ms to wait) when too early, else (0, attempts so far)."""
        early, value = (int(v) for v in self._count_attempt(keys=[key], args=[now_ms, free, self.max_delay]))
        return early, value

    def _check(self, name: str, password: str, key: str, now_ms: int, ip_key: str) -> LoginResult:
        data = text_map(self.redis.hgetall(self.keys.staff_user(name))) if NAME_RE.fullmatch(name) else {}
        if not self._verify(data.get("hash") or _dummy_hash(self.hasher), password) or not data.get("hash"):
            return LoginResult(False, reason="bad", retry_after=_seconds(self._wait_ms(key, now_ms)))
        user = _user_from(data)
        self.redis.delete(key)
        if ip_key:
            self._give_back(keys=[ip_key])
        if user is None or user.disabled:
            return LoginResult(False, reason="disabled")
        if self.hasher.check_needs_rehash(data["hash"]):
            self.redis.hset(self.keys.staff_user(name), "hash", self.hasher.hash(password))
        return LoginResult(True, user=user)

    def _wait_ms(self, key: str, now_ms: int) -> int:
        return max(0, int(self.redis.hget(key, "next") or 0) - now_ms)

    def unlock(self, name: str = "", ip: str = "") -> None:
        """An admin lifts the delay of an account and/or an address (their failures are forgotten)."""
        keys = ([self.keys.staff_login_failures(name.strip()[:64])] if name else []) + \
            ([self.keys.staff_login_ip_failures(ip.strip()[:64])] if ip else [])
        for key in keys:  # one by one: the keys may live on different cluster slots
            self.redis.delete(key)

    def waiting(self, name: str, now: float | None = None) -> int:
        """Seconds the account must wait before its next login attempt (0: none)."""
        now_ms = int((time.time() if now is None else now) * 1000)
        return _seconds(self._wait_ms(self.keys.staff_login_failures(name), now_ms))

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return bool(self.hasher.verify(stored, password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    # -- sessions ---------------------------------------------------------------------------------
    def start_session(self, user: StaffUser, ip: str) -> str:
        sid = secrets.token_urlsafe(32)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self.keys.staff_session(sid), mapping={
            "name": user.name, "pwv": str(user.password_version), "since": str(time.time()), "ip": ip})
        pipe.expire(self.keys.staff_session(sid), self.session_seconds)
        pipe.sadd(self.keys.staff_user_sessions(user.name), sid)
        pipe.expire(self.keys.staff_user_sessions(user.name), self.session_seconds)
        pipe.execute()
        return sid

    def resume_session(self, sid: str, extend: bool = True) -> StaffUser | None:
        """The signed-in user of a session id, or None (expired, ended, disabled, password changed).
        ``extend``: a person's request restarts the idle time; a page's own polling does not."""
        if not sid:
            return None
        skey = self.keys.staff_session(sid)
        pipe = self.redis.pipeline(transaction=False)
        pipe.hgetall(skey)
        if extend:
            pipe.expire(skey, self.session_seconds)
        record = pipe.execute()[0]
        if not record:
            return None
        user = self.get(record["name"])
        if user is None or user.disabled or str(user.password_version) != record.get("pwv"):
            self.redis.delete(skey)
            return None
        return user

    def end_session(self, sid: str) -> None:
        record = text_map(self.redis.hgetall(self.keys.staff_session(sid)))
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self.keys.staff_session(sid))
        if record.get("name"):
            pipe.srem(self.keys.staff_user_sessions(record["name"]), sid)
        pipe.execute()

    def end_sessions(self, name: str) -> None:
        sids = self.redis.smembers(self.keys.staff_user_sessions(name))
        pipe = self.redis.pipeline(transaction=True)
        for sid in sids:
            pipe.delete(self.keys.staff_session(text(sid)))
        pipe.delete(self.keys.staff_user_sessions(name))
        pipe.execute()


_DUMMY_HASHES: dict[tuple[int, int, int], str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash of a random password with the hasher's cost, so unknown names cost a real verify."""
    params = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if params not in _DUMMY_HASHES:
        _DUMMY_HASHES[params] = hasher.hash(secrets.token_hex(16))
    return _DUMMY_HASHES[params]


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def check_password(password: str, name: str = "") -> None:
    """Refuse a weak password with a staff-facing reason: shorter than 12, spaces around it, the
    account's name, on the common-password list, or a few characters repeated (121212121212)."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 位")
    if password.strip() != password:
        raise AccountError("密码首尾不能有空格")
    folded = password.lower()
    if name and name.strip().lower() in (folded, folded[::-1]):
        raise AccountError("密码不能和用户名相同")
    if folded in common_passwords() or len(set(folded)) < 5:
        raise AccountError("这个密码太常见，很容易被猜到，请换一个")


def accounts_for(services: Services) -> StaffAccounts:
    """The account store on the services' Redis, with the config's lockout rules."""
    web = services.config.web
    return StaffAccounts(services.redis, services.keys, web.login_max_failures, web.login_lockout_seconds,
                         web.login_max_failures_per_ip)
