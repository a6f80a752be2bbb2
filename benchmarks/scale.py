"""Scale-out throughput: one host vs two hosts behind nginx, single Redis vs Redis Cluster, one run.

One command: ``.venv/bin/python benchmarks/scale.py [--rounds 3] [--duration 8] [--connections 50]``.
Starts, on this machine: a single redis-server (TCP loopback, AOF on), a 3-primary/3-replica Redis
Cluster, two ``pufabot serve`` hosts on each (gunicorn, ``--workers`` each) and nginx fronts; the
same ``wrk`` load as ``benchmarks/webhook.py`` (villager questions from 1,000 pretend villagers, a
fresh MsgId per request) goes to five setups, which take turns for ``--rounds`` rounds:

1. one host, direct, single Redis (the default deployment);
2. one host behind nginx, single Redis (the cost of the proxy hop);
3. two hosts behind nginx, single Redis;
4. one host, direct, Redis Cluster (the cost of the cluster client and of replication);
5. two hosts behind nginx, Redis Cluster.

It also times the webhook's one Redis round trip (the dedupe ``begin`` script) in-process with
``redis.Redis`` and with the cluster client. On a small machine the hosts, nginx, Redis and wrk
share the cores, so two hosts cannot double the throughput; the figures show what the cluster
client and the proxy cost, and that nothing fails under load (non-2xx must be 0).
"""

from __future__ import annotations

import argparse
import os
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

from benchmarks.webhook import TOKEN, machine, run_wrk, wrk_script  # noqa: E402
from tests.scale.servers import LocalCluster, client_for, free_port, missing_binaries  # noqa: E402
from tests.scale.web import AppHost, Nginx, host_config  # noqa: E402

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


def measure(port: int, redis_url: str, seconds: int, args: argparse.Namespace, tmp: Path) -> dict[str, float]:
    """Empty Redis first (no MsgId of an earlier run can turn into a retry), then load for ``seconds``."""
    client = client_for(redis_url)
    client.flushdb()
    client.close()
    script = tmp / "load.lua"
    script.write_text(wrk_script(str(int(time.time()))), encoding="utf-8")
    return run_wrk(port, args.connections, seconds, script)


def front(stack: ExitStack, tmp: Path, name: str, hosts: list[AppHost]) -> int:
    nginx = Nginx(tmp / name, [f"127.0.0.1:{h.port}" for h in hosts])
    stack.callback(nginx.stop)
    return nginx.start().port


def median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median messages/s, with the range and the non-2xx of all runs."""
    ordered = sorted(runs, key=lambda r: r["rps"])
    return {**ordered[len(ordered) // 2], "low": ordered[0]["rps"], "high": ordered[-1]["rps"],
            "non2xx": sum(r["non2xx"] for r in runs)}


def round_trips_us(urls: dict[str, str], rounds: int = 5, calls: int = 1000) -> dict[str, float]:
    """Per client kind, the best of ``rounds`` medians of one dedupe ``begin`` (the webhook's Redis
    round trip), in-process; the kinds take turns so that machine noise hits both alike."""
    from bot.config import RedisConfig
    from bot.store.dedupe import Deduper
    from bot.store.keys import Keys
    from bot.store.connect import connect

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
    ap.add_argument("--duration", type=int, default=8, help="seconds per setup and round")
    ap.add_argument("--rounds", type=int, default=3, help="the setups take turns this many times")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers per host")
    ap.add_argument("--threads", type=int, default=4)
    args = ap.parse_args()
    missing = missing_binaries("wrk", "nginx", "redis-server", "redis-cli")
    if missing:
        sys.exit(f"needs {', '.join(missing)} (Debian packages wrk, nginx, redis-server, redis-tools)")
    tmp = Path(tempfile.mkdtemp(prefix="pbscalebench"))
    load_before = os.getloadavg()[0]
    try:
        with ExitStack() as stack:
            results, trips = run_all(stack, tmp, args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(results, trips, args)
    print(f"1-minute load average before / after the run: {load_before:.1f} / {os.getloadavg()[0]:.1f} "
          "(other work on the machine widens the ranges)")


def run_all(stack: ExitStack, tmp: Path, args: argparse.Namespace) -> tuple[list[tuple[str, Any]], dict[str, float]]:
    """Start every server once, then let the five setups take turns (machine noise hits all alike)."""
    from bot.store.connect import EmbeddedRedis

    single = EmbeddedRedis(tmp / "single", port=free_port()).start()
    stack.callback(single.stop)
    cluster = stack.enter_context(LocalCluster(tmp / "cluster"))
    trips = round_trips_us({"single": single.url, "cluster": cluster.url})
    on_single = start_hosts(stack, tmp, "single", 2, single.url, args)
    on_cluster = start_hosts(stack, tmp, "cluster", 2, cluster.url, args)
    plan = [("1 host, single Redis", on_single[0].port, single.url),
            ("1 host behind nginx, single Redis", front(stack, tmp, "n1", on_single[:1]), single.url),
            ("2 hosts behind nginx, single Redis", front(stack, tmp, "n2", on_single), single.url),
            ("1 host, Redis Cluster", on_cluster[0].port, cluster.url),
            ("2 hosts behind nginx, Redis Cluster", front(stack, tmp, "n3", on_cluster), cluster.url)]
    runs: dict[str, list[dict[str, float]]] = {label: [] for label, _, _ in plan}
    for _label, port, url in plan:
        measure(port, url, 3, args, tmp)  # warm-up
    for round_ in range(args.rounds):
        for label, port, url in plan:
            runs[label].append(measure(port, url, args.duration, args, tmp))
        print(f"  round {round_ + 1}/{args.rounds} done", file=sys.stderr)
    return [(label, median_run(runs[label])) for label, _, _ in plan], trips


def report(results: list[tuple[str, dict[str, Any]]], trips: dict[str, float], args: argparse.Namespace) -> None:
    print(f"machine: {machine()}")
    print(f"load: wrk, 2 threads, {args.connections} connections; {args.rounds} rounds x {args.duration} s per "
          f"setup, setups taking turns; each host gunicorn {args.workers} workers x {args.threads} threads "
          "(gthread); nginx 1 worker; all servers, idle or not, and wrk on this machine")
    print("| setup | messages/s (median run) | range over runs | p50 ms | p99 ms | non-2xx (all runs) |")
    print("|---|---|---|---|---|---|")
    for label, r in results:
        print(f"| {label} | {r['rps']:.0f} | {r['low']:.0f}-{r['high']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} "
              f"| {r['non2xx']:.0f} |")
    base = results[0][1]["rps"] or 1.0
    for label, r in results[1:]:
        print(f"{label}: {r['rps'] / base:.0%} of 1 host, single Redis")
    print(f"webhook Redis round trip (dedupe begin script), best of 5 medians: single Redis {trips['single']:.0f} us, "
          f"Redis Cluster {trips['cluster']:.0f} us")


if __name__ == "__main__":
    main()
