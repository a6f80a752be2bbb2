"""From an urgent message to the work group: how long until the (stand-in) robot has the alert,
while the webhook is under the load of ``benchmarks/webhook.py``; and whether that load's throughput
drops with alerts on.

One command: ``.venv/bin/python benchmarks/alerts.py [--connections 50] [--duration 15] [--urgent 20]``.
Starts ``pufabot serve`` (gunicorn, real Redis: REDIS_URL or an embedded redis-server) with
``[notify]`` pointed at the local robot stand-in (``bot.dev.robots``; no worker runs, so every alert
is sent by the web process itself), runs wrk with villagers' questions and, meanwhile, sends
``--urgent`` danger messages from distinct villagers one second apart. Prints the machine, the
seconds from each urgent POST to the robot receiving its alert (p50 / max; target < 5 s), and the
webhook's messages/s with alerts on against runs of the same server without ``[notify]`` (alternating
rounds, medians).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.webhook import (TOKEN, free_port, machine, median_run, run_wrk, serve_pufabot, wait_up,  # noqa: E402
                                wrk_script)
from bot.dev import wire  # noqa: E402
from bot.dev.robots import RobotStandin  # noqa: E402

DANGER = "有人拿刀在我家门口要砍我"  # written for the benchmark; not from any evaluation set


def config_text(redis_url: str, prefix: str, robots: RobotStandin | None) -> str:
    text = (f'[wechat]\ntoken = "{TOKEN}"\nappid = "wx0000000000000001"\n'
            f'[redis]\nurl = "{redis_url}"\nkey_prefix = "{prefix}"\n[log]\nlevel = "WARNING"\n')
    if robots is not None:
        c = robots.config()
        text += (f'[notify]\nwecom_webhook = "{c["wecom_webhook"]}"\ndingtalk_webhook = "{c["dingtalk_webhook"]}"\n'
                 f'dingtalk_secret = "{c["dingtalk_secret"]}"\nduty_phone = "13800000000"\n'
                 'new_report = []\noverdue = []\ndigest = []\n')
    return text


def send_urgent(port: int, robots: RobotStandin, count: int, latencies: list[float]) -> None:
    """One danger message a second; each waits (in its own thread) for its alert at the WeCom robot."""

    def one(i: int) -> None:
        openid = f"oBENCHURGENT{i:016d}"
        push = wire.sign_push(TOKEN, wire.build_xml("text", openid, Content=DANGER))
        seen = len(robots.state.messages)
        started = time.monotonic()
        res = requests.post(f"http://127.0.0.1:{port}/wechat", params=push.params, data=push.body, timeout=10)
        assert res.status_code == 200 and "110" in res.text, res.text[:200]
        deadline = started + 30
        while time.monotonic() < deadline:
            if any(m.robot == "wecom" and "JF" in m.content for m in robots.state.messages[seen:]):
                latencies.append(time.monotonic() - started)
                return
            time.sleep(0.01)

    threads = []
    for i in range(count):
        t = threading.Thread(target=one, args=(i,))
        t.start()
        threads.append(t)
        time.sleep(1.0)
    for t in threads:
        t.join()


def run_server(args: argparse.Namespace, tmp: Path, redis_url: str, robots: RobotStandin | None,
               latencies: list[float]) -> dict[str, float]:
    prefix = f"pbalerts{int(time.time() * 1000)}"
    config = tmp / f"{prefix}.toml"
    config.write_text(config_text(redis_url, prefix, robots), encoding="utf-8")
    port = free_port()
    proc = serve_pufabot(port, args.workers, {**os.environ, "PUFABOT_CONFIG": str(config)}, tmp / f"{prefix}.log")
    try:
        wait_up(f"http://127.0.0.1:{port}/healthz")
        script = tmp / "load.lua"
        script.write_text(wrk_script(str(int(time.time()))), encoding="utf-8")
        run_wrk(port, args.connections, 3, script)  # warm up
        script.write_text(wrk_script(str(int(time.time()))), encoding="utf-8")
        sender = None
        if robots is not None:
            sender = threading.Thread(target=send_urgent, args=(port, robots, args.urgent, latencies))
            sender.start()
        result = run_wrk(port, args.connections, args.duration, script)
        if sender is not None:
            sender.join()
        return result
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--duration", type=int, default=15)
    ap.add_argument("--urgent", type=int, default=10, help="danger messages sent during the load, 1 a second")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3, help="alternate the two servers this many times; medians are reported")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pbalerts"))
    redis_url = os.environ.get("REDIS_URL", "")
    embedded = None
    if not redis_url:
        from bot.store.connect import EmbeddedRedis

        embedded = EmbeddedRedis(tmp / "redis").start()
        redis_url = embedded.url
    latencies: list[float] = []
    try:
        with RobotStandin() as robots:
            robots.state.per_minute = 10_000  # measure our path, not the robot's 20 a minute
            runs: dict[str, list[dict[str, float]]] = {"without": [], "with": []}
            for _ in range(args.rounds):  # alternate, so a slow minute on this machine hits both
                runs["without"].append(run_server(args, tmp, redis_url, None, latencies))
                runs["with"].append(run_server(args, tmp, redis_url, robots, latencies))
            without, with_alerts = (median_run(runs["without"]), median_run(runs["with"]))
    finally:
        if embedded:
            embedded.stop()
    print(f"machine: {machine()}")
    print(f"load: wrk, 2 threads, {args.connections} connections, {args.duration} s; gunicorn {args.workers} workers; "
          f"{args.urgent} urgent messages during the load, 1 a second; load generator on the same machine")
    received, sent = len(latencies), args.urgent * args.rounds
    if latencies:
        print(f"urgent message → stand-in robot: p50 {statistics.median(latencies):.2f} s, "
              f"max {max(latencies):.2f} s ({received}/{sent} received; target < 5 s)")
    else:
        print(f"urgent message → stand-in robot: none of {sent} received")
    print(f"webhook messages/s, median of {args.rounds} alternating runs: {without['rps']:.0f} without [notify], "
          f"{with_alerts['rps']:.0f} with alerts (p99 {without['p99']:.1f} ms / {with_alerts['p99']:.1f} ms)")


if __name__ == "__main__":
    main()
