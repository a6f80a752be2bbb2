"""Dispute queue: tickets per second end to end, claim latency, and nothing lost across a Redis restart.

One command: ``.venv/bin/python benchmarks/tickets.py [--villagers 16] [--duration 10]``.

1. **End to end, through the real webhook over HTTP**: ``pufabot serve`` (gunicorn) on its own
   redis-server (AOF on); pretend villagers (``bot.dev.wire`` over HTTP, signed XML) each run whole
   report conversations (report intent → village → 好了 → 不留 → 3 → 1: six messages per ticket).
   Prints confirmed tickets/s and messages/s.
2. **Facade**: ``Disputes.submit`` from threads in this process (no webhook): tickets/s.
3. **Claim latency**: staff threads claim tickets through ``Disputes.claim`` (Lua compare-and-set),
   every ticket raced by two staff at once; p50/p99 and a check that each ticket has one winner.
4. **Restart**: the load of (1) runs while the redis-server is killed (SIGKILL, with
   ``appendfsync always`` for that phase) and restarted; villagers who hear "系统正在维护" send
   again, as people do. Afterwards the spool is replayed and every villager who was told "已登记"
   or "已经保存" must have exactly one ticket per confirmation, none doubled.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's directory comes first on sys.path and "queue" would mean this file
# instead of the standard library's (which concurrent.futures imports): drop it, add the project root.
ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "benchmarks":
    sys.path.pop(0)
sys.path.insert(0, str(ROOT))

import argparse
import os
import random
import statistics
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from benchmarks.webhook import free_port, machine, serve_pufabot, wait_up  # noqa: E402
from bot.dev import wire  # noqa: E402

TOKEN = "benchtoken1"
WORDS = ["邻居占了我家地", "老板欠工钱不给", "借钱不还", "羊吃了我家庄稼", "儿子不给赡养费"]


class Conversations:
    """Villagers running report conversations over HTTP; counts what they were told."""

    def __init__(self, url: str):
        self.url = url
        self.messages = 0
        self.confirmed: Counter[str] = Counter()  # openid → confirmations heard
        self.busy = 0
        self.lock = threading.Lock()

    def send(self, v: wire.Villager, text: str, stop: threading.Event) -> str:
        while True:
            try:
                reply = v.say(text).content
            except Exception:  # noqa: BLE001 - connection reset while a worker restarts: try again like a person would
                reply = "系统正在维护"
            with self.lock:
                self.messages += 1
            if "系统正在维护" not in reply:
                return reply
            with self.lock:
                self.busy += 1
            if stop.is_set():
                return reply
            time.sleep(0.2)

    def villager(self, stop: threading.Event) -> None:
        v = wire.Villager(wire.http_transport(self.url), TOKEN)
        while not stop.is_set():
            for text in ("我要反映 " + random.choice(WORDS), "1", "好了", "不留", "3"):
                self.send(v, text, stop)
            done = self.send(v, "1", stop)
            if "已登记" in done or "已经保存" in done:
                with self.lock:
                    self.confirmed[v.openid] += 1

    def run(self, villagers: int, seconds: float, during: Any = None) -> float:
        stop = threading.Event()
        threads = [threading.Thread(target=self.villager, args=(stop,)) for _ in range(villagers)]
        started = time.monotonic()
        for t in threads:
            t.start()
        if during:
            during()
        time.sleep(max(0.0, seconds - (time.monotonic() - started)))
        stop.set()
        for t in threads:
            t.join()
        return time.monotonic() - started


def facade(tmp: Path) -> Any:
    """The same facade ``pufabot tickets`` uses (no knowledge base needed)."""
    os.environ["PUFABOT_CONFIG"] = str(tmp / "config.toml")
    from bot.cli.tickets_commands import _disputes

    return _disputes()


def bench_facade(disputes: Any, threads: int, seconds: float) -> float:
    stop, count, lock = time.monotonic() + seconds, [0], threading.Lock()

    def work(n: int) -> None:
        openid, i = wire.fake_openid(), 0
        while time.monotonic() < stop:
            disputes.submit(openid, {"description": "基准测试", "village": "一村"}, f"{openid}:{i}")
            i += 1
        with lock:
            count[0] += i

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, range(threads)))
    return count[0] / seconds


def bench_claims(disputes: Any, tickets: int) -> tuple[list[float], int]:
    ids = [disputes.submit(wire.fake_openid(), {"description": "认领测试"}, f"claim:{i}").id for i in range(tickets)]
    latencies: list[float] = []
    wins: Counter[str] = Counter()
    lock = threading.Lock()

    def race(ticket_id: str) -> None:
        barrier = threading.Barrier(2)

        def one(staff: str) -> None:
            barrier.wait()
            t0 = time.perf_counter()
            won = disputes.claim(ticket_id, staff)
            elapsed = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(elapsed)
                wins[ticket_id] += int(won)

        pair = [threading.Thread(target=one, args=(s,)) for s in ("王五", "赵六")]
        for t in pair:
            t.start()
        for t in pair:
            t.join()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(race, ids))
    return latencies, sum(1 for i in ids if wins[i] != 1)


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100)[int(p) - 1] if len(values) > 1 else values[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--villagers", type=int, default=16)
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--claims", type=int, default=1000)
    args = ap.parse_args()
    from bot.store.connect import EmbeddedRedis

    tmp = Path(tempfile.mkdtemp(prefix="pbqueue"))
    redis = EmbeddedRedis(tmp / "redis", port=free_port()).start()
    (tmp / "config.toml").write_text(
        f'[wechat]\ntoken = "{TOKEN}"\nappid = "wx0000000000000001"\napi_base_url = "http://127.0.0.1:9/"\n'
        f'[redis]\nurl = "{redis.url}"\nsocket_timeout = 0.5\n[bot]\nspool_dir = "{tmp / "spool"}"\n'
        f'[log]\nlevel = "ERROR"\n', encoding="utf-8")
    port = free_port()
    env = {**os.environ, "PUFABOT_CONFIG": str(tmp / "config.toml")}
    server = serve_pufabot(port, args.workers, env, tmp / "pufabot.log")
    url = f"http://127.0.0.1:{port}/wechat"
    try:
        wait_up(f"http://127.0.0.1:{port}/healthz")
        disputes = facade(tmp)
        load = Conversations(url)
        elapsed = load.run(args.villagers, args.duration)
        e2e = (sum(load.confirmed.values()) / elapsed, load.messages / elapsed)
        submit_rate = bench_facade(disputes, 8, 3)
        latencies, bad_races = bench_claims(disputes, args.claims)
        restart = restart_phase(disputes, redis, url, args.villagers)
    finally:
        server.terminate()
        server.wait(10)
        redis.stop()
    report(args, e2e, submit_rate, latencies, bad_races, restart)


def restart_phase(disputes: Any, redis: Any, url: str, villagers: int) -> dict[str, Any]:
    import redis as redis_lib

    redis_lib.Redis.from_url(redis.url).config_set("appendfsync", "always")
    before = disputes.list(limit=1)[1]
    load = Conversations(url)

    def kill_and_restart() -> None:
        time.sleep(2)
        redis.process.kill()  # SIGKILL: no goodbye, no final AOF rewrite
        redis.process.wait()
        redis.process = None
        time.sleep(1.5)
        redis.start()

    load.run(villagers, 8, during=kill_and_restart)
    spooled = len(disputes.spool.pending())
    disputes.replay_spool()
    tickets, total = disputes.list(limit=1_000_000)
    per_villager = Counter(t.openid for t in tickets if t.openid in load.confirmed)
    lost = sum(max(0, n - per_villager[o]) for o, n in load.confirmed.items())
    doubled = sum(max(0, per_villager[o] - n) for o, n in load.confirmed.items())
    return {"confirmed": sum(load.confirmed.values()), "new_tickets": total - before, "spooled": spooled,
            "busy": load.busy, "lost": lost, "doubled": doubled}


def report(args: Any, e2e: tuple[float, float], submit_rate: float, latencies: list[float], bad_races: int,
           restart: dict[str, Any]) -> None:
    print(f"machine: {machine()}")
    print(f"server: pufabot serve, {args.workers} gunicorn workers; one redis-server (AOF everysec) on loopback "
          f"TCP; clients on the same machine")
    print("| measurement | result |")
    print("|---|---|")
    print(f"| end to end through /wechat over HTTP, {args.villagers} villagers, 6 messages per ticket | "
          f"{e2e[0]:.1f} tickets/s ({e2e[1]:.0f} messages/s) |")
    print(f"| Disputes.submit from 8 threads (no webhook) | {submit_rate:.0f} tickets/s |")
    print(f"| claim latency, {len(latencies)} claims, every ticket raced by 2 staff | p50 {pct(latencies, 50):.2f} ms, "
          f"p99 {pct(latencies, 99):.2f} ms; tickets without exactly one winner: {bad_races} |")
    print(f"| Redis SIGKILLed mid-load and restarted (appendfsync always) | {restart['confirmed']} confirmations, "
          f"{restart['spooled']} via the spool, {restart['busy']} '系统正在维护' answers; lost {restart['lost']}, "
          f"doubled {restart['doubled']} |")
    ok = restart["lost"] == 0 and restart["doubled"] == 0 and bad_races == 0
    print("nothing lost, nothing doubled" if ok else "FAILED: see the table")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
