"""Scale-out throughput: one host vs two hosts behind nginx, single Redis vs Redis Cluster, one run.

One command: ``.venv/bin/python benchmarks/scale.py [--connections 50] [--duration 10]``.
Starts, on this machine: a single redis-server (TCP loopback, AOF on), a 3-primary/3-replica Redis
Cluster, nginx, and one or two ``pufabot serve`` hosts (gunicorn, ``--workers`` each); the same
``wrk`` load as ``benchmarks/webhook.py`` (villager questions from 1,000 pretend villagers, a
fresh MsgId per request) is sent to each setup in turn:

1. one host, direct, single Redis (the default deployment);
2. one host behind nginx, single Redis (the cost of the proxy hop);
3. two hosts behind nginx, single Redis;
4. one host, direct, Redis Cluster (the cost of the cluster client);
5. two hosts behind nginx, Redis Cluster.

It also times the webhook's one Redis round trip (the dedupe ``begin`` script) in-process with
``redis.Redis`` and with ``RedisCluster``. On a small machine the hosts, nginx, Redis and wrk share
the cores, so two hosts cannot double the throughput; the figures show what the cluster client and
the proxy cost, and that nothing fails under load (non-2xx must be 0).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.webhook import TOKEN, machine, run_wrk, signed_path, wrk_script  # noqa: E402
from tests.scale.servers import (AppHost, LocalCluster, Nginx, client_for, host_config,  # noqa: E402
                                 missing_binaries)

PREFIX = "pbscale"
SECRETS = {"token": TOKEN, "appid": "wx0000000000000001", "appsecret": "benchmark-not-real"}


def start_hosts(stack: ExitStack, tmp: Path, name: str, count: int, redis_url: str,
                args: argparse.Namespace) -> list[AppHost]:
    hosts = []
    for i in range(count):
        d = tmp / f"{name}-{i}"
        text = host_config(redis_url, d / "spool", "http://127.0.0.1:9/", SECRETS, workers=args.workers,
                           threads=args.threads, key_prefix=PREFIX)  # the webhook never calls WeChat
        hosts.append(AppHost(f"{name}-{i}", d, text).start())
        stack.callback(hosts[-1].stop)
    for host in hosts:
        host.wait_up()
    return hosts


def measure(port: int, redis_url: str, args: argparse.Namespace, tmp: Path) -> dict[str, float]:
    """Warm up, empty Redis (no MsgId of the warm-up can turn into a retry), then measure."""
    script = tmp / "load.lua"
    script.write_text(wrk_script(signed_path()), encoding="utf-8")
    run_wrk(port, args.connections, 3, script)
    client = client_for(redis_url)
    client.flushdb()
    client.close()
    script.write_text(wrk_script(signed_path()), encoding="utf-8")
    return run_wrk(port, args.connections, args.duration, script)


def setup_run(stack: ExitStack, tmp: Path, name: str, count: int, redis_url: str, behind_nginx: bool,
              args: argparse.Namespace) -> dict[str, float]:
    with stack:  # this setup's servers stop before the next setup starts
        hosts = start_hosts(stack, tmp, name, count, redis_url, args)
        port = hosts[0].port
        if behind_nginx:
            nginx = Nginx(tmp / f"{name}-nginx", [f"127.0.0.1:{h.port}" for h in hosts])
            stack.callback(nginx.stop)
            port = nginx.start().port
        return measure(port, redis_url, args, tmp)


def round_trips_us(urls: dict[str, str], rounds: int = 5, calls: int = 1000) -> dict[str, float]:
    """Per client kind, the best of ``rounds`` medians of one dedupe ``begin`` (the webhook's Redis
    round trip), in-process; the kinds take turns so that machine noise hits both alike."""
    from bot.config import RedisConfig
    from bot.dedupe import Deduper
    from bot.keys import Keys
    from bot.redisconn import connect

    clients = {kind: connect(RedisConfig(url=url)) for kind, url in urls.items()}
    best = {kind: float("inf") for kind in urls}
    for r in range(rounds):
        for kind, client in clients.items():
            deduper, times = Deduper(client, Keys(PREFIX), 60, 1800), []
            for i in range(calls):
                started = time.perf_counter()
                deduper.begin(f"oBENCH{i % 1000:022d}", f"m:{r}:{i}", '{"text": "ok"}')
                times.append(time.perf_counter() - started)
            best[kind] = min(best[kind], statistics.median(times) * 1e6)
    for client in clients.values():
        client.close()
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers per host")
    ap.add_argument("--threads", type=int, default=4)
    args = ap.parse_args()
    missing = missing_binaries("wrk", "nginx", "redis-server", "redis-cli")
    if missing:
        sys.exit(f"needs {', '.join(missing)} (Debian packages wrk, nginx, redis-server, redis-tools)")
    from bot.redisconn import EmbeddedRedis
    from tests.scale.servers import free_port

    tmp = Path(tempfile.mkdtemp(prefix="pbscalebench"))
    results: list[tuple[str, dict[str, float]]] = []
    single = EmbeddedRedis(tmp / "single", port=free_port()).start()
    cluster = LocalCluster(tmp / "cluster").start()
    try:
        trips = round_trips_us({"single": single.url, "cluster": cluster.url})
        plan = [("1 host, single Redis", "s1", 1, single.url, False),
                ("1 host behind nginx, single Redis", "s1n", 1, single.url, True),
                ("2 hosts behind nginx, single Redis", "s2n", 2, single.url, True),
                ("1 host, Redis Cluster", "c1", 1, cluster.url, False),
                ("2 hosts behind nginx, Redis Cluster", "c2n", 2, cluster.url, True)]
        for label, name, count, url, behind in plan:
            results.append((label, setup_run(ExitStack(), tmp, name, count, url, behind, args)))
            print(f"  measured: {label}", file=sys.stderr)
    finally:
        cluster.stop()
        single.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    report(results, trips, args)


def report(results: list[tuple[str, dict[str, Any]]], trips: dict[str, float], args: argparse.Namespace) -> None:
    print(f"machine: {machine()}")
    print(f"load: wrk, 2 threads, {args.connections} connections, {args.duration} s per setup; each host gunicorn "
          f"{args.workers} workers x {args.threads} threads (gthread); nginx 1 worker; everything on this machine")
    print("| setup | messages/s | p50 ms | p99 ms | non-2xx |")
    print("|---|---|---|---|---|")
    for label, r in results:
        print(f"| {label} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {r['non2xx']:.0f} |")
    base = results[0][1]["rps"] or 1.0
    for label, r in results[1:]:
        print(f"{label}: {r['rps'] / base:.0%} of 1 host, single Redis")
    print(f"webhook Redis round trip (dedupe begin script), best of 5 medians: single Redis {trips['single']:.0f} us, "
          f"Redis Cluster {trips['cluster']:.0f} us")


if __name__ == "__main__":
    main()
