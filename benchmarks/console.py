"""Staff console page speed with 10,000 tickets in Redis: median and p95 of the queue page.

One command: ``.venv/bin/python benchmarks/console.py [--tickets 10000] [--requests 200]``.

Starts its own redis-server (AOF on) and ``pufabot serve`` (gunicorn, the production server) on
it, signs an admin in through the real login form over HTTP and times the baselines (``/healthz`` and
the queue page with no tickets), then files ``--tickets`` tickets through the dispute facade spread
over the past year (15 % still open, the rest resolved, referred or closed) and times, one request
after another, the queue page (default view, filtered views, deep pages), a ticket page and the
year's stats page. Target: queue page < 200 ms at the median.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "benchmarks":
    sys.path.pop(0)
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from typing import Any  # noqa: E402

import requests  # noqa: E402

from benchmarks.webhook import free_port, machine, serve_pufabot, wait_up  # noqa: E402
from bot.dev import wire  # noqa: E402

PASSWORD = "bench-admin-pass-1"
VILLAGES = ["一村", "二村", "三村"]
KINDS = ["neighbours", "land", "family", "inheritance", "wages", "debts", "traffic", "consumer", "other"]
OUTCOMES = ["调解成功", "调解成功", "调解成功", "调解不成", "转12345", "转司法所", "转法院", "转派出所"]
STAFF = ["张调解", "李调解", "王调解"]


class ClockPerTicket:
    """The facade's clock during seeding: each worker thread reports the time of the ticket it files
    (its actions follow within minutes), so the tickets spread over the past year."""

    def __init__(self) -> None:
        import threading

        self.local = threading.local()

    def __call__(self) -> float:
        self.local.at = getattr(self.local, "at", time.time()) + 60
        return float(self.local.at)


def timed(session: requests.Session, url: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        res = session.get(url)
        out.append((time.perf_counter() - t0) * 1000)
        assert res.status_code == 200, (url, res.status_code, res.text[:300])
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def login(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/staff/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    res = session.post(f"{base}/staff/login", data={"csrf_token": token, "username": "王管理", "password": PASSWORD},
                       allow_redirects=False)
    assert res.status_code == 302, res.text[:300]
    return session


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tickets", type=int, default=10000)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the refused rating requests are expected here
    from bot.dev.standin import StandinServer
    from bot.store.connect import EmbeddedRedis

    tmp = Path(tempfile.mkdtemp(prefix="pbconsole"))
    redis = EmbeddedRedis(tmp / "redis", port=free_port()).start()
    wechat = StandinServer().start()
    (tmp / "config.toml").write_text(
        f'[wechat]\nappid = "{wechat.state.appid}"\nappsecret = "{wechat.state.secret}"\n'
        f'api_base_url = "{wechat.url}"\n'
        f'[redis]\nurl = "{redis.url}"\n[bot]\nspool_dir = "{tmp / "spool"}"\nvillages = {VILLAGES!r}\n'
        f'[web]\nsession_cookie_secure = false\n[log]\nlevel = "ERROR"\n'.replace("'", '"'), encoding="utf-8")
    os.environ["PUFABOT_CONFIG"] = str(tmp / "config.toml")
    env = {**os.environ, "SECRET_KEY": "benchmark-secret-key-0123456789"}
    from bot.cli.tickets_commands import _disputes
    from bot.console.accounts import StaffAccounts
    from bot.store.keys import Keys

    disputes = _disputes()
    StaffAccounts(disputes.store.redis, Keys("pufabot")).add("王管理", PASSWORD, "admin")
    port = free_port()
    server = serve_pufabot(port, args.workers, env, tmp / "pufabot.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_up(f"{base}/healthz")
        session = login(base)
        baseline = {"baseline: /healthz (same server)": timed(session, base + "/healthz", args.requests),
                    "baseline: queue page, 0 tickets": timed(session, base + "/staff/", args.requests)}
        t0 = time.monotonic()
        states = seed(disputes, args.tickets)
        seeded = time.monotonic() - t0
        results = {**baseline, **measure(base, session, disputes, args.requests)}
    finally:
        server.terminate()
        server.wait(10)
        redis.stop()
        wechat.stop()
    print(f"machine: {machine()}")
    print(f"tickets: {args.tickets} seeded in {seeded:.1f}s ({states}); gunicorn {args.workers} workers; "
          f"{args.requests} sequential requests per view over HTTP")
    for name, values in results.items():
        print(f"  {name:<38} median {statistics.median(values):7.1f} ms   p95 {p95(values):7.1f} ms")
    median = statistics.median(results["queue (default: open work)"])
    print(f"queue page median {median:.1f} ms: {'OK' if median < 200 else 'OVER'} the 200 ms target")


def seed(disputes: Any, count: int) -> dict[str, int]:
    """File ``count`` tickets over the past year and move most along, as a year of work would:
    10 % new, 5 % claimed, 15 % resolved or referred, 70 % closed (closing asks for a rating through
    the local WeChat stand-in, which refuses: these villagers never wrote to it; recorded as such)."""
    now, rng = time.time(), random.Random(7)
    times = [now - rng.uniform(0, 365 * 86400) for _ in range(count)]
    fates = [rng.random() for _ in range(count)]
    clock = ClockPerTicket()
    disputes.clock = clock

    def one(i: int) -> str:
        clock.local.at = times[i]
        local = random.Random(i)
        draft = {"kind": local.choice(KINDS), "village": local.choice(VILLAGES), "phone": "13800000000",
                 "description": f"基准测试事项 {i}：" + local.choice(["地界", "工钱", "赡养", "借款", "漏水"]) + "的纠纷"}
        ticket = disputes.submit(wire.fake_openid(local), draft, f"bench:{i}")
        if fates[i] < 0.10:
            return "new"
        staff = local.choice(STAFF)
        disputes.claim(ticket.id, staff)
        if fates[i] < 0.15:
            return "claimed"
        outcome = local.choice(OUTCOMES)
        disputes.transition(ticket.id, "resolved" if outcome in ("调解成功", "调解不成") else "referred", staff,
                            outcome=outcome)
        if fates[i] < 0.30:
            return "resolved/referred"
        disputes.close(ticket.id, staff)
        return "closed"

    states: dict[str, int] = {}
    try:
        with ThreadPoolExecutor(8) as pool:
            for state in pool.map(one, range(count)):
                states[state] = states.get(state, 0) + 1
    finally:
        disputes.clock = time.time
    return states


def measure(base: str, session: requests.Session, disputes: Any, n: int) -> dict[str, list[float]]:
    some_ticket = disputes.list(limit=1)[0][0].id
    views = {
        "queue (default: open work)": "/staff/",
        "queue, page 10 of open work": "/staff/?page=10",
        "queue, village + kind filter": "/staff/?village=二村&kind=land",
        "queue, overdue only": "/staff/?overdue=1",
        "queue, all states, page 200": "/staff/?state=all&page=200",
        "queue, closed, older than 30 days": "/staff/?state=closed&age=30d",
        "ticket page": f"/staff/tickets/{some_ticket}",
    }
    results = {name: timed(session, base + path, n) for name, path in views.items()}
    results["stats page, this year (10 requests)"] = timed(session, base + "/staff/stats", 10)
    return results


if __name__ == "__main__":
    main()
