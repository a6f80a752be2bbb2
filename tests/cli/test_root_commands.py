"""The operator's commands: serve, chat, menu push — run as an operator would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

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


@pytest.mark.slow
def test_serve_runs_gunicorn_that_answers_wechat(tmp_path: Path, redis_url: str, redis_client: Any) -> None:
    port = free_port()
    env = {**os.environ, "PUFABOT_CONFIG": str(write_config(tmp_path / "c.toml", redis_url))}
    proc = subprocess.Popen([PUFABOT, "serve", "--port", str(port), "--workers", "2"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        villager = wire.Villager(wire.http_transport(f"http://127.0.0.1:{port}/wechat"), TOKEN)
        assert "【彩礼】" in villager.say("彩礼给了婚没结成能要回来不").content
    finally:
        proc.terminate()
        proc.wait(15)


@pytest.mark.slow
def test_terminal_chat_talks_the_real_protocol(tmp_path: Path, redis_url: str, redis_client: Any) -> None:
    env = {**os.environ, "PUFABOT_CONFIG": str(write_config(tmp_path / "c.toml", redis_url))}
    out = subprocess.run([PUFABOT, "chat"], input="你好\n/menu MENU_CONTACT\n/quit\n", env=env, text=True,
                         capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "机器人> 您好" in out.stdout and "12348" in out.stdout
