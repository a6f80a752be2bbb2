"""Webhook throughput: signed text messages through the real server under gunicorn.

One command: ``.venv/bin/python benchmarks/webhook.py [--connections 50] [--duration 15]``.
Runs, on the same machine and the same gunicorn settings, (1) the baseline — a bare Flask app that
only checks the signature and returns a fixed XML reply — and (2) pufabot with real Redis (REDIS_URL,
or an embedded redis-server), the real knowledge base and matcher, dedupe and state. Load comes from
``wrk`` (Debian package) with a Lua script that sends villager questions from 1,000 pretend villagers,
each request with its own MsgId, in two ways:

- **every text new**: each text is drawn in turn from a pool of 10,240 distinct questions (opener ×
  question × tail), larger than the matcher's result and analysis caches of each worker, so the
  matcher works out every message (what real traffic costs);
- **hot cache**: twelve questions in rotation, so the matcher's result cache answers nearly all
  (a best case real traffic never sees).

Prints the machine and its load, then for the baseline and both loads: messages/s, p50/p99
latency, the server's CPU per message (gunicorn's processes, and Redis' own when embedded), and
each pufabot worker's memory (PSS, from /proc/<pid>/smaps_rollup) after all the runs' messages.
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
# The "every text new" pool: OPENERS × POOL_QUESTIONS × TAILS distinct texts (also written for it).
OPENERS = ["", "你好，", "请问", "麻烦问一下，", "同志你好，", "我想问问，", "打扰了，", "律师你好，",
           "我家的事：", "帮我看看，", "急！", "老乡问个事，", "您好，我是牧民，", "在吗？", "想咨询一下，",
           "我娘让我问，"]
POOL_QUESTIONS = [
    "工地老板拖着工钱不发", "彩礼给了婚没结成", "宅基地能不能卖给外村人", "邻居盖房挡了我家窗户",
    "亲戚借钱不还", "离婚冷静期怎么算", "羊跑进别人地里吃了庄稼", "有人打电话说我涉嫌洗钱要转账",
    "老人病了子女都不管", "承包地到期了还能续吗", "打工摔伤了老板不给看病", "网上买的化肥是假的",
    "村里征地补偿没给够", "儿子结婚我借的钱谁还", "丈夫喝酒打人", "孩子在学校被同学打了",
    "去年的草场被人占了", "牛被车撞死了司机跑了", "合同没签老板不认账", "退休金被儿女拿走了",
    "房子漏水房东不修", "女儿十六岁家里要她嫁人", "邻居的狗咬了我", "借条丢了钱还能要回来吗",
    "二手摩托车买了手续不全", "在外地打工被扣了身份证", "爷爷留下的房子兄弟争", "离婚后孩子跟谁",
    "包工头跑了工资找谁要", "被骗交了培训费", "水渠的水被上游截了", "贷款不是我借的却找我还",
    "种子不出苗商家不管", "工伤认定去哪里办", "遗嘱要不要公证", "婆婆不让我回娘家",
    "村干部不给开证明", "羊毛卖了钱没给", "打架被拘留了家里怎么办", "快递丢了不赔",
]
TAILS = ["", "？", "怎么办", "该咋办", "能告吗", "找谁管", "有啥办法", "法律怎么规定的", "，谢谢",
         "，急", "要多少钱", "多久能办好", "，在线等", "，我们是新疆的", "，去哪里问", "能不能帮帮我"]


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


POOL_SIZE = len(OPENERS) * len(POOL_QUESTIONS) * len(TAILS)


def _lua_list(items: list[str]) -> str:
    return ", ".join(f'"{item}"' for item in items)


def text_lua(hot: bool) -> str:
    """The Lua expression of message number ``counter``'s text."""
    if hot:
        return "questions[(counter % #questions) + 1]"
    # Mixed-radix walk: consecutive messages differ in every part, and no text repeats within
    # #openers * #pool * #tails messages (10,240, more than a worker's caches hold).
    # The two wrk threads walk half the pool apart, so a text comes back only after ~10,240 messages.
    return ("openers[(n % #openers) + 1] .. pool[(math.floor(n / #openers) % #pool) + 1] .. "
            "tails[(math.floor(n / (#openers * #pool)) % #tails) + 1]")


def wrk_script(ts: str, hot: bool, threads: int = 2) -> str:
    qs = _lua_list(QUESTIONS)
    sigs = ",".join(f'"{sign(TOKEN, ts, str(n))}"' for n in range(threads * PER_THREAD))
    return f"""
local counter = 0
local nonce = 0
local walk = 0
tid = 0  -- a global: setup() sets each thread's own with thread:set (a chunk-level local would hide it)
local sigs = {{{sigs}}}
function setup(thread) thread:set("tid", tid); tid = tid + 1 end
function init(args)
  counter = (tid or 0) * 1000000000 + math.floor(os.time() % 100000) * 10000
  nonce = (tid or 0) * {PER_THREAD}
  walk = (tid or 0) * {POOL_SIZE // 2} - counter
end
local questions = {{{qs}}}
local openers = {{{_lua_list(OPENERS)}}}
local pool = {{{_lua_list(POOL_QUESTIONS)}}}
local tails = {{{_lua_list(TAILS)}}}
request = function()
  counter = counter + 1
  local path = "/wechat?signature=" .. sigs[nonce + 1] .. "&timestamp={ts}&nonce=" .. nonce
  nonce = nonce + 1
  local n = counter + walk
  local q = {text_lua(hot)}
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
    sent = re.search(r"(\d+) requests in", out)
    return {"rps": rps, "p50": pct("50"), "p99": pct("99"), "non2xx": float(bad.group(1)) if bad else 0.0,
            "socket_errors": 1.0 if errors else 0.0, "requests": float(sent.group(1)) if sent else 0.0}


def _parent(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2:].split()[1])


def process_tree(root: int) -> list[int]:
    """``root`` and every process below it (gunicorn's master and its workers)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = _parent(int(entry.name))
            except (OSError, ValueError):
                continue
    found, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def workers(root: int) -> list[int]:
    """The processes of the tree that have no children: gunicorn's workers."""
    tree = process_tree(root)
    parents = set()
    for pid in tree:
        try:
            parents.add(_parent(pid))
        except OSError:
            continue
    return [pid for pid in tree if pid not in parents]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time these processes have used so far."""
    ticks = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def pss_mib(pid: int) -> float:
    """Proportional set size: the process's own memory plus its share of what it shares."""
    m = re.search(r"^Pss:\s+(\d+) kB", Path(f"/proc/{pid}/smaps_rollup").read_text(), re.M)
    return int(m.group(1)) / 1024 if m else float("nan")


def measured(port: int, connections: int, duration: int, script: Path, server: list[int]) -> dict[str, float]:
    """One wrk run, with the server processes' CPU seconds per message (``server``: their pids)."""
    before = cpu_seconds(server)
    run = run_wrk(port, connections, duration, script)
    run["cpu_ms"] = (cpu_seconds(server) - before) * 1000 / run["requests"] if run["requests"] else float("nan")
    return run


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
    load = os.getloadavg()
    loads = {"baseline": (base_port, False), "hot": (bot_port, True), "new": (bot_port, False)}
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in loads}
    redis_cpu: dict[str, list[float]] = {name: [] for name in loads}
    try:
        wait_up(f"http://127.0.0.1:{base_port}/")
        wait_up(f"http://127.0.0.1:{bot_port}/healthz", timeout=600)  # a first start may train the models
        trees = {port: process_tree(p.pid) for port, p in zip((base_port, bot_port), procs)}
        redis_pids = [embedded.process.pid] if embedded and embedded.process else []
        script = tmp / "load.lua"
        for port, hot in loads.values():  # warm up both servers and both loads
            script.write_text(wrk_script(str(int(time.time())), hot), encoding="utf-8")
            run_wrk(port, args.connections, 3, script)
        for _ in range(args.rounds):  # alternate, so a slow minute on this machine hits every load
            for name, (port, hot) in loads.items():
                script.write_text(wrk_script(str(int(time.time())), hot), encoding="utf-8")  # fresh timestamp
                before = cpu_seconds(redis_pids)
                run = measured(port, args.connections, args.duration, script, trees[port])
                runs[name].append(run)
                redis_cpu[name].append((cpu_seconds(redis_pids) - before) * 1000 / max(1.0, run["requests"]))
        sent = sum(r["requests"] for name in ("hot", "new") for r in runs[name])
        memory = [pss_mib(pid) for pid in workers(procs[1].pid)]
        load_after = os.getloadavg()
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
        if embedded:
            embedded.stop()
    medians = {name: median_run(rs) for name, rs in runs.items()}
    spread = {name: f"{min(r['rps'] for r in rs):.0f}-{max(r['rps'] for r in rs):.0f}" for name, rs in runs.items()}
    print(f"machine: {machine()}")
    print(f"load average before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, after {load_after[0]:.2f} "
          f"{load_after[1]:.2f} {load_after[2]:.2f} (other work on this machine shares its cores)")
    print(f"load: wrk, 2 threads, {args.connections} connections, {args.duration} s; gunicorn {args.workers} "
          f"workers ({args.worker_class}, {args.threads} threads, cpu_affinity {args.cpu_affinity}), "
          "load generator on the same machine")
    print(f"{args.rounds} alternating rounds; the median run of each is shown, with the range")
    print("| server, messages | messages/s (median run) | range | p50 ms | p99 ms | server CPU ms/message "
          "| Redis CPU ms/message | non-2xx |")
    print("|---|---|---|---|---|---|---|---|")
    labels = {"baseline": "baseline: bare Flask, signature check + fixed reply",
              "hot": "pufabot, hot cache (12 questions in rotation)",
              "new": f"pufabot, every text new ({POOL_SIZE:,} distinct, in turn)"}
    for name, r in medians.items():
        rcpu = sorted(redis_cpu[name])[len(redis_cpu[name]) // 2] if redis_pids and name != "baseline" else None
        print(f"| {labels[name]} | {r['rps']:.0f} | {spread[name]} | {r['p50']:.1f} | {r['p99']:.1f} "
              f"| {r['cpu_ms']:.2f} | {'-' if rcpu is None else f'{rcpu:.3f}'} | {r['non2xx']:.0f} |")
    base = medians["baseline"]["rps"]
    for name in ("new", "hot"):
        ratio = medians[name]["rps"] / base if base else 0
        print(f"{labels[name]} / baseline throughput: {ratio:.0%} (target >= 50%); p99 {medians[name]['p99']:.1f} ms "
              "(target < 30 ms)")
    print(f"memory per pufabot worker (PSS) after {sent:,.0f} messages: "
          + ", ".join(f"{m:.0f} MiB" for m in memory) + " (target <= 150 MB)")


if __name__ == "__main__":
    main()
