"""Real servers on loopback for the scale tests, ``tests/conftest.py`` and ``benchmarks/scale.py``.

This module: finding binaries and free ports, waiting, and ``LocalCluster``, N Redis primaries with
one replica each (``redis-server --cluster-enabled yes``, then ``redis-cli --cluster create``);
``start`` returns once every slot is served and every replica is in sync, so a primary killed
right after is replaced by an up-to-date replica. ``tests/scale/web.py``: ``pufabot serve`` hosts
and nginx. Every server binds 127.0.0.1 on free ports, keeps its files under a directory the
caller gives (and removes), runs in the foreground as our child process and is stopped by
``stop()``. Nothing here touches the shared Redis on 6379.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

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


def exe(name: str) -> str:
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


def wait_for(check: Any, timeout: float, what: str, interval: float = 0.05) -> Any:
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


class PortTaken(RuntimeError):
    """A server of ours exited at start, most likely because another process took its port."""


def terminate(process: subprocess.Popen[bytes] | None, timeout: float = 10) -> None:
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
        args = [exe("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--daemonize", "no",
                "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", str(self.node_timeout_ms),
                "--cluster-require-full-coverage", "no",  # the other slots keep working in a failover
                "--repl-diskless-sync-delay", "0",  # replicas sync at once, not after 5 s
                "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
                "--dir", str(d), "--logfile", str(d / "redis.log")]
        self.processes[port] = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _up(self, port: int) -> bool:
        if self.processes[port].poll() is not None:
            raise PortTaken(f"redis-server on {port} exited (port taken meanwhile?)")
        return bool(self.node(port).ping())

    def start(self, timeout: float = 30) -> LocalCluster:
        for attempt in range(3):  # other test runs on this machine may grab a port we picked
            self.ports = free_ports(self.count, bus_offset=10000)
            for port in self.ports:
                self._spawn(port)
            try:
                for port in self.ports:
                    wait_for(lambda p=port: self._up(p), 10, f"redis-server on {port}")
                break
            except PortTaken:
                self.stop()
                if attempt == 2:
                    raise
        subprocess.run([exe("redis-cli"), "--cluster", "create", *[f"127.0.0.1:{p}" for p in self.ports],
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
        wait_for(self._healthy, timeout, "the cluster to be ok", interval=0.1)

    def owner_of(self, key: str) -> int:
        """The port of the primary that serves ``key``'s slot, as a live node sees it now."""
        client = self.node(self.alive_ports()[0])
        slot = int(client.execute_command("CLUSTER", "KEYSLOT", key))  # type: ignore[no-untyped-call]
        for start, end, primary, *_ in client.execute_command("CLUSTER", "SLOTS"):  # type: ignore[no-untyped-call]
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

        return int(wait_for(promoted, timeout, "a replica to take over", interval=0.1))

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
            wait_for(lambda p=port: self._up(p), 10, f"redis-server on {port}")
        self.wait_healthy(timeout)

    def stop(self) -> None:
        for process in self.processes.values():
            terminate(process)
        self.processes.clear()

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def is_cluster_url(url: str) -> bool:
    return url.split("://", 1)[0] in ("redis+cluster", "rediss+cluster")


def client_for(url: str) -> Any:
    """The client tests use: ``redis.Redis``, or for a cluster URL the app's own cluster client
    (``bot.store.cluster``) whose ``dbsize`` counts the keys of every primary (redis-py asks one
    node) and whose ``flushdb`` empties every primary."""
    if not is_cluster_url(url):
        return redis.Redis.from_url(url, decode_responses=True)
    from bot.store.cluster import HonestCluster, seeds

    class WholeCluster(HonestCluster):
        def dbsize(self, **kwargs: Any) -> int:
            return int(super().dbsize(target_nodes=kwargs.pop("target_nodes", self.PRIMARIES), **kwargs))

        def flushdb(self, asynchronous: bool = False, **kwargs: Any) -> Any:
            return super().flushdb(asynchronous, target_nodes=kwargs.pop("target_nodes", self.PRIMARIES), **kwargs)

    nodes, auth = seeds(url)
    return WholeCluster(startup_nodes=nodes, decode_responses=True, require_full_coverage=False, **auth)
