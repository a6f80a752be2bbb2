"""Scale-out fixtures: a real Redis Cluster, two ``pufabot serve`` hosts and nginx, on loopback.

Started once for the whole ``tests/scale`` package (about 5 s) and torn down after it:
- ``scale_cluster``: 3 primaries + 3 replicas, ``cluster-node-timeout`` 2000 ms (fast failover);
- ``hosts``: two ``pufabot serve`` processes (gunicorn, 2 workers each), each with its own port and
  its own local spool directory, standing for two machines; both talk to the cluster and to one
  WeChat stand-in;
- ``front``: Debian's nginx running ``deploy/nginx.conf``'s upstream and locations, round robin.
Each test starts with an empty cluster (every primary flushed).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from bot import config as config_mod
from bot.dev import wire
from bot.dev.standin import StandinServer
from bot.wechat.protocol import Cipher
from tests.conftest import AES_KEY, APPID, APPSECRET, TOKEN
from tests.scale.servers import LocalCluster, client_for, missing_binaries
from tests.scale.web import AppHost, Nginx, host_config

SECRETS = {"token": TOKEN, "appid": APPID, "appsecret": APPSECRET, "aes_key": AES_KEY}


def pytest_collection_modifyitems(items: list[Any]) -> None:
    missing = missing_binaries("redis-server", "redis-cli", "nginx")
    for item in items:
        if "tests/scale/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.slow)
            item.add_marker(pytest.mark.cluster)
            if missing:
                item.add_marker(pytest.mark.skip(reason=f"scale tests need {', '.join(missing)} "
                                                        "(Debian packages redis-server, redis-tools, nginx)"))


@pytest.fixture(scope="package")
def scale_dir(request: pytest.FixtureRequest) -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="pbscale"))
    failed_before = request.session.testsfailed
    yield directory
    if request.session.testsfailed > failed_before:
        # Keep what the hosts and nginx wrote, and show the ends of their logs in pytest's output
        # (past output capture: a package fixture's teardown belongs to no failing report).
        terminal = request.config.pluginmanager.get_plugin("terminalreporter")
        for log in sorted(directory.glob("**/*.log")):
            lines = [f"--- {log.relative_to(directory)} (kept in {directory}) ---",
                     *log.read_text(errors="replace").splitlines()[-40:]]
            for line in lines:
                terminal.write_line(line) if terminal is not None else print(line, file=sys.stderr)
        return
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="package")
def scale_standin() -> Iterator[StandinServer]:
    server = StandinServer(appid=APPID, secret=APPSECRET).start()
    yield server
    server.stop()


@pytest.fixture(scope="package")
def scale_cluster(scale_dir: Path) -> Iterator[LocalCluster]:
    with LocalCluster(scale_dir / "cluster") as cluster:
        yield cluster


@pytest.fixture(scope="package")
def hosts(scale_dir: Path, scale_cluster: LocalCluster, scale_standin: StandinServer) -> Iterator[list[AppHost]]:
    started = []
    for name in ("host-a", "host-b"):
        text = host_config(scale_cluster.url, scale_dir / name / "spool", scale_standin.url, SECRETS)
        started.append(AppHost(name, scale_dir / name, text).start())
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda h: h.wait_up(), started))
        yield started
    finally:
        for host in started:
            host.stop()


@pytest.fixture(scope="package")
def front(scale_dir: Path, hosts: list[AppHost]) -> Iterator[Nginx]:
    nginx = Nginx(scale_dir / "nginx", [f"127.0.0.1:{h.port}" for h in hosts]).start()
    yield nginx
    nginx.stop()


@pytest.fixture
def cluster_client(scale_cluster: LocalCluster) -> Iterator[Any]:
    """A RedisCluster client on the scale cluster, which starts every test empty."""
    client = client_for(scale_cluster.url)
    client.flushdb()
    yield client
    client.close()


def host_config_of(host: AppHost) -> config_mod.Config:
    """The host's own configuration (same file its ``pufabot serve`` reads)."""
    return config_mod.load(host.config_path, environ={})


class Front:
    """Pretend villagers talking to the bot through nginx; every answer remembers which host gave it."""

    def __init__(self, url: str):
        self.url = url + "/wechat"
        self.cipher = Cipher(TOKEN, AES_KEY, APPID)
        self.upstreams: list[str] = []

    def transport(self) -> wire.Transport:
        session = requests.Session()

        def send(params: dict[str, str], body: bytes) -> tuple[int, bytes]:
            res = session.post(self.url, params=params, data=body, headers={"Content-Type": "text/xml"},
                               timeout=15)
            self.upstreams.append(res.headers.get("X-Upstream", ""))
            return res.status_code, res.content

        return send

    def villager(self, openid: str | None = None) -> wire.Villager:
        return wire.Villager(self.transport(), TOKEN, self.cipher, openid or wire.fake_openid())


@pytest.fixture
def via_nginx(front: Nginx, cluster_client: Any) -> Front:
    return Front(front.url)


@pytest.fixture
def host_services(hosts: list[AppHost], cluster_client: Any, knowledge: Any) -> Iterator[Any]:
    """``host_services(host)``: the services a host builds from its own config (its spool included),
    here in the test process, e.g. to replay that host's spool or to count tickets."""
    from bot.services import build_services

    built: list[Any] = []

    def make(host: AppHost) -> Any:
        built.append(build_services(host_config_of(host), redis=cluster_client, knowledge=knowledge))
        return built[-1]

    yield make
    for services in built:
        services.close()
