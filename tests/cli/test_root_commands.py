"""The operator's commands: serve, chat, menu push — run as an operator would."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
from click.testing import CliRunner

from bot.cli import cli
from bot.dev import wire
from tests.conftest import APPID, APPSECRET, TOKEN

PUFABOT = str(Path(sys.executable).parent / "pufabot")


def write_config(path: Path, redis_url: str, api: str = "https://api.weixin.qq.com/") -> Path:
    path.write_text(f'[wechat]\ntoken = "{TOKEN}"\nappid = "{APPID}"\nappsecret = "{APPSECRET}"\n'
                    f'api_base_url = "{api}"\n[redis]\nurl = "{redis_url}"\n[log]\nlevel = "WARNING"\n',
                    encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_menu_push_creates_the_documented_menu(tmp_path: Path, redis_url: str, redis_client: Any, standin: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUFABOT_CONFIG", str(write_config(tmp_path / "c.toml", redis_url, standin.url)))
    result = CliRunner().invoke(cli, ["menu", "push"])
    assert result.exit_code == 0, result.output
    names = [b["name"] for b in standin.state.menu["button"]]
    subs = [s["name"] for s in standin.state.menu["button"][2]["sub_button"]]
    assert names == ["法律咨询", "我要反映", "更多服务"] and subs == ["本周普法", "我的事项", "联系我们"]


def test_menu_push_reports_wechat_refusal_in_chinese(tmp_path: Path, redis_url: str, redis_client: Any,
                                                     standin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUFABOT_CONFIG", str(write_config(tmp_path / "c.toml", redis_url, standin.url)))
    standin.state.fail_next("menu/create", errcode=48001)
    result = CliRunner().invoke(cli, ["menu", "push"])
    assert result.exit_code == 1 and "48001" in result.output


def test_menu_push_without_network_says_wechat_could_not_be_reached(tmp_path: Path, redis_url: str, redis_client: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once the block ends
    monkeypatch.setenv("PUFABOT_CONFIG", str(write_config(tmp_path / "c.toml", redis_url, f"http://127.0.0.1:{port}/")))
    result = CliRunner().invoke(cli, ["menu", "push"])
    assert result.exit_code == 1 and "连不上微信接口" in result.output and "拒绝" not in result.output


class Served:
    """``pufabot serve`` running as an operator starts it, on a free port."""

    def __init__(self, proc: subprocess.Popen[bytes], port: int):
        self.proc, self.port = proc, port
        self.url = f"http://127.0.0.1:{port}"

    def workers(self) -> list[int]:
        """The gunicorn master's children (its workers)."""
        pids = []
        for entry in Path("/proc").iterdir():
            try:
                stat = (entry / "stat").read_text()
            except (OSError, ValueError):
                continue
            if entry.name.isdigit() and int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                pids.append(int(entry.name))
        return pids


@contextlib.contextmanager
def served(tmp_path: Path, redis_url: str, serve_toml: str = "", workers: int = 2) -> Iterator[Served]:
    port = free_port()
    config = write_config(tmp_path / "c.toml", redis_url)
    config.write_text(config.read_text(encoding="utf-8") + serve_toml, encoding="utf-8")
    env = {**os.environ, "PUFABOT_CONFIG": str(config)}
    proc = subprocess.Popen([PUFABOT, "serve", "--port", str(port), "--workers", str(workers)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Served(proc, port)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{server.url}/healthz", timeout=1).status_code == 200 and \
                        len(server.workers()) == workers:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
        yield server
    finally:
        proc.terminate()
        proc.wait(15)


@pytest.mark.slow
def test_serve_runs_gunicorn_that_answers_wechat(tmp_path: Path, redis_url: str, redis_client: Any) -> None:
    with served(tmp_path, redis_url) as server:
        villager = wire.Villager(wire.http_transport(f"{server.url}/wechat"), TOKEN)
        assert "彩礼" in villager.say("彩礼给了婚没结成能要回来不").content


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="needs CPU affinity calls")
def test_serve_pins_each_worker_to_its_own_cpu(tmp_path: Path, redis_url: str, redis_client: Any) -> None:
    cpus = sorted(os.sched_getaffinity(0))
    with served(tmp_path, redis_url, workers=2) as server:
        pinned = [os.sched_getaffinity(pid) for pid in server.workers()]
        assert len(pinned) == 2 and all(len(p) == 1 for p in pinned), pinned
        assert sorted(next(iter(p)) for p in pinned) == (cpus * 2)[:2], "spread over the CPUs, lowest first"
        assert os.sched_getaffinity(server.proc.pid) == set(cpus), "the master itself stays unpinned"
    with served(tmp_path, redis_url, '[serve]\ncpu_affinity = "none"\n', workers=2) as server:
        assert all(os.sched_getaffinity(pid) == set(cpus) for pid in server.workers())


@pytest.mark.slow
def test_a_chunked_push_through_gunicorn_is_answered(tmp_path: Path, redis_url: str, redis_client: Any) -> None:
    """Some proxies forward bodies chunked, without a Content-Length."""
    with served(tmp_path, redis_url) as server:
        openid = wire.fake_openid()
        push = wire.sign_push(TOKEN, wire.build_xml("text", openid, Content="彩礼给了婚没结成能要回来不"))
        res = requests.post(f"{server.url}/wechat", params=push.params, data=iter([push.body[:40], push.body[40:]]),
                            headers={"Content-Type": "text/xml"}, timeout=10)
        assert res.status_code == 200 and "彩礼" in wire.read_reply(res.status_code, res.content, None, TOKEN).content


@pytest.mark.slow
@pytest.mark.parametrize("worker_class", ["gthread", "gevent"])
def test_concurrent_villagers_each_get_their_own_reply(tmp_path: Path, redis_url: str, redis_client: Any,
                                                       worker_class: str) -> None:
    """Many villagers at once, on threads or greenlets sharing Redis connections: no reply crosses over."""
    if worker_class == "gevent":
        pytest.importorskip("gevent")
    questions = {"彩礼": "彩礼给了婚没结成能要回来不", "12333": "包工头欠我工钱不给",
                 "宅基地": "宅基地能卖给城里人吗"}
    with served(tmp_path, redis_url, f'[serve]\nworker_class = "{worker_class}"\n') as server:
        def ask(n: int) -> list[str]:
            villager = wire.Villager(wire.http_transport(f"{server.url}/wechat"), TOKEN)
            wrong = []
            for i in range(6):
                title, question = list(questions.items())[(n + i) % 3]
                reply = villager.say(question)
                if title not in reply.content or f"<ToUserName><![CDATA[{villager.openid}]]>" not in reply.raw:
                    wrong.append(f"villager {n} asked {title}, got: {reply.raw[:80]}")
            return wrong

        with ThreadPoolExecutor(24) as pool:
            wrong = [w for ws in pool.map(ask, range(24)) for w in ws]
    assert wrong == []


@pytest.mark.slow
def test_terminal_chat_talks_the_real_protocol(tmp_path: Path, redis_url: str, redis_client: Any) -> None:
    env = {**os.environ, "PUFABOT_CONFIG": str(write_config(tmp_path / "c.toml", redis_url))}
    out = subprocess.run([PUFABOT, "chat"], input="你好\n/menu MENU_CONTACT\n/quit\n", env=env, text=True,
                         capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "机器人> 您好" in out.stdout and "12348" in out.stdout


def test_a_command_without_redis_says_so_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed when the block ends: nothing listens there
    config = tmp_path / "c.toml"
    config.write_text('[log]\nlevel = "WARNING"\n', encoding="utf-8")
    monkeypatch.setenv("PUFABOT_CONFIG", str(config))
    monkeypatch.setenv("REDIS_URL", f"redis://:hunter2secret@127.0.0.1:{port}/0")
    result = CliRunner().invoke(cli, ["tickets", "list"])
    assert result.exit_code == 1
    assert "Redis at redis://:***@127.0.0.1" in result.output and "REDIS_URL" in result.output
    assert "hunter2secret" not in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
