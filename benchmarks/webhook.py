"""Webhook throughput: signed text messages through the real server under gunicorn.

One command: ``.venv/bin/python benchmarks/webhook.py [--connections 50] [--duration 15]``.
Runs, on the same machine and the same gunicorn settings, (1) the baseline — a bare Flask app that
only checks the signature and returns a fixed XML reply — and (2) pufabot with real Redis (REDIS_URL,
or an embedded redis-server), the real knowledge base and matcher, dedupe and state. Load comes from
``wrk`` (Debian package) with a Lua script that sends villager questions from 1,000 pretend villagers,
each request with its own MsgId. Prints the machine, messages/s and p50/p99 latency of both.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.wechat.protocol import sign  # noqa: E402

TOKEN = "benchtoken1"
QUESTIONS = [  # written for the benchmark; not from any evaluation set
    "工地老板拖着工钱不发怎么办", "彩礼给了婚没结成能退吗", "房基地能卖给城里人不", "邻居盖房挡了我家窗户",
    "借给亲戚五万块不还了", "离婚要等冷静期吗", "你好", "谢谢", "羊跑进别人地里吃了庄稼要赔吗",
    "接到电话说我涉嫌洗钱让转账", "老人生病子女不管", "包的地到期了还能续吗",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, AttributeError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


# Signed URLs per wrk thread: each request has its own nonce (a signed URL carries one body only,
# bot.store.replay), and wrk's Lua has no SHA-1, so the signatures are computed here beforehand.
PER_THREAD = 100_000  # > requests one wrk thread sends in one run (10 s at 10,000/s)


def wrk_script(ts: str, threads: int = 2) -> str:
    qs = ", ".join(f'"{q}"' for q in QUESTIONS)
    sigs = ",".join(f'"{sign(TOKEN, ts, str(n))}"' for n in range(threads * PER_THREAD))
    return f"""
local counter = 0
local nonce = 0
tid = 0  -- a global: setup() sets each thread's own with thread:set (a chunk-level local would hide it)
local sigs = {{{sigs}}}
function setup(thread) thread:set("tid", tid); tid = tid + 1 end
function init(args)
  counter = (tid or 0) * 1000000000 + math.floor(os.time() % 100000) * 10000
  nonce = (tid or 0) * {PER_THREAD}
end
local questions = {{{qs}}}
request = function()
  counter = counter + 1
  local path = "/wechat?signature=" .. sigs[nonce + 1] .. "&timestamp={ts}&nonce=" .. nonce
  nonce = nonce + 1
  local q = questions[(counter % #questions) + 1]
  local openid = string.format("oBENCH%022d", counter % 1000)
  local body = "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[" .. openid ..
    "]]></FromUserName><CreateTime>" .. os.time() .. "</CreateTime><MsgType><![CDATA[text]]></MsgType>" ..
    "<Content><![CDATA[" .. q .. "]]></Content><MsgId>" .. counter .. "</MsgId></xml>"
  return wrk.format("POST", path, {{["Content-Type"] = "text/xml"}}, body)
end
"""


def wait_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def run_wrk(port: int, connections: int, duration: int, script: Path) -> dict[str, float]:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script),
                          f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def pct(p: str) -> float:
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50": pct("50"), "p99": pct("99"), "non2xx": float(bad.group(1)) if bad else 0.0,
            "socket_errors": 1.0 if errors else 0.0}


def median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    return sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=ROOT)


def serve_pufabot(port: int, workers: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``pufabot serve`` (the production server) on a loopback port, as an operator starts it."""
    pufabot = str(Path(sys.executable).parent / "pufabot")
    return start([pufabot, "serve", "--port", str(port), "--workers", str(workers)], env, log)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3, help="alternate the two servers this many times; medians are reported")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--worker-class", default="gthread", choices=["gthread", "sync", "gevent"])
    ap.add_argument("--cpu-affinity", default="auto", choices=["auto", "none"],
                    help="pin each worker to a CPU ([serve] cpu_affinity); applied to both servers")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed (Debian: apt-get install wrk)")
    tmp = Path(tempfile.mkdtemp(prefix="pbbench"))
    redis_url = os.environ.get("REDIS_URL")
    embedded = None
    if not redis_url:
        from bot.store.connect import EmbeddedRedis

        embedded = EmbeddedRedis(tmp / "redis").start()
        redis_url = embedded.url
    config = tmp / "config.toml"
    config.write_text(f'[wechat]\ntoken = "{TOKEN}"\nappid = "wx0000000000000001"\n'
                      f'[redis]\nurl = "{redis_url}"\nkey_prefix = "pbbench"\n'
                      f'[serve]\nthreads = {args.threads}\nworker_class = "{args.worker_class}"\n'
                      f'cpu_affinity = "{args.cpu_affinity}"\n[log]\nlevel = "WARNING"\n', encoding="utf-8")
    env = {**os.environ, "PUFABOT_CONFIG": str(config), "BASELINE_TOKEN": TOKEN}
    base_port, bot_port = free_port(), free_port()
    gunicorn = [sys.executable, "-m", "gunicorn", "-w", str(args.workers), "-k", args.worker_class, "--threads",
                str(args.threads), "--keep-alive", "5", "-b", f"127.0.0.1:{base_port}", "--log-level", "warning",
                *(["-c", "python:benchmarks.baseline_gunicorn"] if args.cpu_affinity == "auto" else []),
                "benchmarks.baseline_app:app"]
    procs = [start(gunicorn, env, tmp / "baseline.log"),
             serve_pufabot(bot_port, args.workers, env, tmp / "pufabot.log")]
    try:
        wait_up(f"http://127.0.0.1:{base_port}/")
        wait_up(f"http://127.0.0.1:{bot_port}/healthz")
        script = tmp / "load.lua"
        script.write_text(wrk_script(str(int(time.time()))), encoding="utf-8")
        for port in (base_port, bot_port):  # warm up both
            run_wrk(port, args.connections, 3, script)
        runs: dict[int, list[dict[str, float]]] = {base_port: [], bot_port: []}
        for _ in range(args.rounds):  # alternate, so a slow minute on this machine hits both
            for port in (base_port, bot_port):
                script.write_text(wrk_script(str(int(time.time()))), encoding="utf-8")  # fresh timestamp
                runs[port].append(run_wrk(port, args.connections, args.duration, script))
        base, ours = median_run(runs[base_port]), median_run(runs[bot_port])
        spread = {port: f"{min(r['rps'] for r in rs):.0f}-{max(r['rps'] for r in rs):.0f}" for port, rs in runs.items()}
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
        if embedded:
            embedded.stop()
    print(f"machine: {machine()}")
    print(f"load: wrk, 2 threads, {args.connections} connections, {args.duration} s; gunicorn {args.workers} "
          f"workers ({args.worker_class}, {args.threads} threads, cpu_affinity {args.cpu_affinity}), "
          "load generator on the same machine")
    print(f"{args.rounds} alternating rounds; the median run of each server is shown, with the range")
    print("| server | messages/s (median run) | range | p50 ms | p99 ms | non-2xx |")
    print("|---|---|---|---|---|---|")
    for name, r, port in (("baseline (bare Flask, signature + fixed reply)", base, base_port),
                          ("pufabot (Redis, matcher, dedupe)", ours, bot_port)):
        print(f"| {name} | {r['rps']:.0f} | {spread[port]} | {r['p50']:.1f} | {r['p99']:.1f} | {r['non2xx']:.0f} |")
    ratio = ours["rps"] / base["rps"] if base["rps"] else 0
    print(f"pufabot / baseline throughput: {ratio:.0%} (target >= 50%); pufabot p99 {ours['p99']:.1f} ms (target < 100 ms)")


if __name__ == "__main__":
    main()
