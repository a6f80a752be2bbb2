"""Real servers on loopback for the scale tests and ``benchmarks/scale.py``: a Redis Cluster,
``pufabot serve`` hosts and nginx in front of them.

Every server binds 127.0.0.1 on free ports, keeps its files under a directory the caller gives
(and removes), runs in the foreground as our child process and is stopped by ``stop()`` (the
classes are context managers). Nothing here touches the shared Redis on 6379.

- ``LocalCluster``: N primaries with one replica each (``redis-server --cluster-enabled yes``, then
  ``redis-cli --cluster create``); ``start`` returns once every slot is served and every replica
  is in sync, so a primary killed right after is replaced by an up-to-date replica.
- ``AppHost``: one ``pufabot serve`` process (gunicorn) with its own config file and spool.
- ``Nginx``: ``nginx -c <conf> -p <prefix>`` with ``daemon off``, round-robin over the hosts, and an
  ``X-Upstream`` response header naming the host that answered (tests only).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterable

import redis
import requests

ROOT = Path(__file__).resolve().parents[2]


SYSTEM_DIRS = ("/usr/bin", "/usr/sbin")  # Debian's redis-server 7 and nginx before anything on PATH


def binary(name: str) -> str | None:
    """The system's ``name`` (Debian package), else the one on PATH, else None."""
    for directory in SYSTEM_DIRS:
        path = Path(directory, name)
        if os.access(path, os.X_OK):
            return str(path)
    return shutil.which(name)


def missing_binaries(*names: str) -> list[str]:
    """The names among ``names`` that are not installed."""
    return [n for n in names if binary(n) is None]


def _exe(name: str) -> str:
    path = binary(name)
    if path is None:
        raise RuntimeError(f"{name} is not installed")
    return path


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_ports(count: int, bus_offset: int = 0) -> list[int]:
    """``count`` consecutive free ports (and, with ``bus_offset``, each port + offset free too)."""
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(20000, 30000 - count)
        ports = list(range(base, base + count))
        if all(_free(p) and (not bus_offset or _free(p + bus_offset)) for p in ports):
            return ports
    raise RuntimeError("no free block of loopback ports")


def free_port() -> int:
    return free_ports(1)[0]


def _wait(check: Any, timeout: float, what: str, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
            if result:
                return result
        except (redis.RedisError, OSError, requests.RequestException):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(interval)


def _terminate(process: subprocess.Popen[bytes] | None, timeout: float = 10) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class LocalCluster:
    """A Redis Cluster of ``primaries`` primaries, each with ``replicas`` replica(s), on loopback."""

    def __init__(self, directory: Path, primaries: int = 3, replicas: int = 1, node_timeout_ms: int = 2000):
        self.directory = Path(directory)
        self.count = primaries * (1 + replicas)
        self.replicas = replicas
        self.node_timeout_ms = node_timeout_ms
        self.ports: list[int] = []
        self.processes: dict[int, subprocess.Popen[bytes]] = {}

    @property
    def url(self) -> str:
        """``redis+cluster://`` naming two seed nodes is not a thing in redis-py: one seed is enough."""
        return f"redis+cluster://127.0.0.1:{self.ports[0]}/0"

    def node(self, port: int) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=port, decode_responses=True, socket_timeout=2,
                           socket_connect_timeout=1)

    def _spawn(self, port: int) -> None:
        d = self.directory / str(port)
        d.mkdir(parents=True, exist_ok=True)
        args = [_exe("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--daemonize", "no",
                "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", str(self.node_timeout_ms),
                "--cluster-require-full-coverage", "no",  # the other slots keep working in a failover
                "--repl-diskless-sync-delay", "0",  # replicas sync at once, not after 5 s
                "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
                "--dir", str(d), "--logfile", str(d / "redis.log")]
        self.processes[port] = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self, timeout: float = 30) -> "LocalCluster":
        self.ports = free_ports(self.count, bus_offset=10000)
        for port in self.ports:
            self._spawn(port)
        for port in self.ports:
            _wait(lambda p=port: self.node(p).ping(), 10, f"redis-server on {port}")
        subprocess.run([_exe("redis-cli"), "--cluster", "create", *[f"127.0.0.1:{p}" for p in self.ports],
                        "--cluster-replicas", str(self.replicas), "--cluster-yes"],
                       check=True, capture_output=True, timeout=timeout)
        self.wait_healthy(timeout)
        return self

    def alive_ports(self) -> list[int]:
        return [p for p, proc in self.processes.items() if proc.poll() is None]

    def _healthy(self) -> bool:
        """Every live node sees state ok with all slots, and every replica's link to its primary is up."""
        for port in self.alive_ports():
            client = self.node(port)
            info = client.cluster("info")
            if info.get("cluster_state") != "ok" or int(info.get("cluster_slots_ok", 0)) != 16384:
                return False
            if int(info.get("cluster_known_nodes", 0)) < len(self.ports):
                return False
            repl = client.info("replication")
            if repl.get("role") == "slave" and (repl.get("master_link_status") != "up"
                                                or repl.get("master_sync_in_progress")):
                return False
        return True

    def wait_healthy(self, timeout: float = 30) -> None:
        _wait(self._healthy, timeout, "the cluster to be ok", interval=0.1)

    def owner_of(self, key: str) -> int:
        """The port of the primary that serves ``key``'s slot, as a live node sees it now."""
        client = self.node(self.alive_ports()[0])
        slot = int(client.execute_command("CLUSTER", "KEYSLOT", key))
        for start, end, primary, *_ in client.execute_command("CLUSTER", "SLOTS"):
            if int(start) <= slot <= int(end):
                return int(primary[1])
        raise RuntimeError(f"no node serves slot {slot}")

    def kill(self, port: int) -> None:
        """SIGKILL one node (no shutdown, no last AOF write: a host that lost power)."""
        process = self.processes[port]
        process.send_signal(signal.SIGKILL)
        process.wait()

    def wait_failover(self, key: str, dead_port: int, timeout: float = 30) -> int:
        """Wait until a live node serves ``key``'s slot and the cluster says ok; that node's port."""

        def promoted() -> int:
            port = self.owner_of(key)
            state = self.node(port).cluster("info").get("cluster_state")
            return port if port != dead_port and state == "ok" else 0

        return int(_wait(promoted, timeout, "a replica to take over", interval=0.1))

    def kill_all(self) -> None:
        for port in self.alive_ports():
            self.kill(port)

    def restart_all(self, timeout: float = 30) -> None:
        """Bring every killed node back at once; each rejoins from its nodes.conf (a primary that
        was replaced comes back as a replica of the one that took over)."""
        dead = [p for p in self.ports if p not in self.alive_ports()]
        for port in dead:
            self._spawn(port)
        for port in dead:
            _wait(lambda p=port: self.node(p).ping(), 10, f"redis-server on {port}")
        self.wait_healthy(timeout)

    def stop(self) -> None:
        for process in self.processes.values():
            _terminate(process)
        self.processes.clear()

    def __enter__(self) -> "LocalCluster":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def host_config(redis_url: str, spool_dir: Path, api_base_url: str, secrets: dict[str, str],
                workers: int = 2, threads: int = 4, key_prefix: str = "pufabot") -> str:
    """The TOML of one ``pufabot serve`` host (hosts differ only in their spool directory)."""
    return "\n".join([
        "[wechat]",
        *(f'{k} = "{v}"' for k, v in secrets.items()),
        f'api_base_url = "{api_base_url}"',
        "[redis]", f'url = "{redis_url}"', f'key_prefix = "{key_prefix}"',
        "[bot]", f'spool_dir = "{spool_dir}"', 'villages = ["东村", "西村", "南村"]',
        "[web]", 'secret_key = "scale-test-only-secret"', "session_cookie_secure = false",
        "[serve]", f"workers = {workers}", f"threads = {threads}",
        "[log]", 'level = "WARNING"',
        "[[menu.button]]", 'name = "我要反映"', 'type = "click"', 'key = "MENU_REPORT"', "",
    ])


class AppHost:
    """One ``pufabot serve`` process standing for one web host (own port, own local spool)."""

    def __init__(self, name: str, directory: Path, config_text: str, port: int | None = None):
        self.name = name
        self.directory = Path(directory)
        self.port = port or free_port()
        self.config_path = self.directory / "config.toml"
        self.log_path = self.directory / "serve.log"
        self.config_text = config_text
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> "AppHost":
        self.directory.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(self.config_text, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL" and not k.startswith("PUFABOT_")}
        env["PUFABOT_CONFIG"] = str(self.config_path)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(self.command(), env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        return self

    def command(self) -> list[str]:
        return [str(Path(sys.executable).parent / "pufabot"), "serve", "--port", str(self.port)]

    def wait_up(self, timeout: float = 60) -> None:
        def up() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"host {self.name} exited; see {self.log_path}:\n{self.log_path.read_text()[-2000:]}")
            return requests.get(self.url + "/healthz", timeout=1).status_code == 200

        _wait(up, timeout, f"host {self.name} at {self.url}", interval=0.1)

    def stop(self) -> None:
        _terminate(self.process)
        self.process = None


NGINX_CONF = """\
worker_processes 1;
error_log {prefix}/error.log warn;
pid {prefix}/nginx.pid;
daemon off;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
{upstream}
    server {{
        listen 127.0.0.1:{port};
{locations}
        add_header X-Upstream $upstream_addr always;  # tests only: which host answered
    }}
}}
"""


def site_blocks(servers: Iterable[str]) -> tuple[str, str]:
    """(upstream block, location blocks): the part of ``deploy/nginx.conf`` the tests run for real."""
    text = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    upstream = text.split("# --- upstream ---")[1].split("# --- end upstream ---")[0]
    lines = [line for line in upstream.splitlines() if not line.strip().startswith("server ")]
    at = next(i for i, line in enumerate(lines) if "upstream pufabot" in line) + 1
    lines[at:at] = [f"        server {s} max_fails=1 fail_timeout=2s;" for s in servers]
    locations = text.split("# --- locations ---")[1].split("# --- end locations ---")[0]
    return "\n".join(lines), locations


class Nginx:
    """nginx in the foreground (``daemon off``) in front of ``servers`` (``host:port`` strings)."""

    def __init__(self, directory: Path, servers: list[str], port: int | None = None):
        self.directory = Path(directory)
        self.servers = servers
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10) -> "Nginx":
        self.directory.mkdir(parents=True, exist_ok=True)
        upstream, locations = site_blocks(self.servers)
        conf = self.directory / "nginx.conf"
        conf.write_text(NGINX_CONF.format(prefix=self.directory, port=self.port, upstream=upstream,
                                          locations=locations), encoding="utf-8")
        with (self.directory / "stderr.log").open("wb") as stderr:
            self.process = subprocess.Popen([_exe("nginx"), "-c", str(conf), "-p", str(self.directory)],
                                            stdout=subprocess.DEVNULL, stderr=stderr)
        _wait(lambda: self._listening(), timeout, f"nginx on {self.port}")
        return self

    def _listening(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"nginx exited: {(self.directory / 'stderr.log').read_text()}")
        with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
            return True

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: finish in-flight requests
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def is_cluster_url(url: str) -> bool:
    return url.split("://", 1)[0] in ("redis+cluster", "rediss+cluster")


def client_for(url: str) -> Any:
    """The client tests use: ``redis.Redis``, or for a cluster URL the app's own cluster client
    (``bot.rediscluster``) whose ``dbsize`` counts the keys of every primary (redis-py asks one
    node) and whose ``flushdb`` empties every primary."""
    if not is_cluster_url(url):
        return redis.Redis.from_url(url, decode_responses=True)
    from bot.rediscluster import HonestCluster, seeds

    class WholeCluster(HonestCluster):
        def dbsize(self, **kwargs: Any) -> int:
            return int(super().dbsize(target_nodes=kwargs.pop("target_nodes", self.PRIMARIES), **kwargs))

        def flushdb(self, **kwargs: Any) -> Any:
            return super().flushdb(target_nodes=kwargs.pop("target_nodes", self.PRIMARIES), **kwargs)

    nodes, auth = seeds(url)
    return WholeCluster(startup_nodes=nodes, decode_responses=True, require_full_coverage=False, **auth)
