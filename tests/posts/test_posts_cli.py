"""``pufabot posts``: lint, plan, push (and its dry run), slogans, status, as an operator runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import cli
from tests.conftest import APPID, APPSECRET, EXAMPLE_CONFIG
from tests.posts.conftest import PUBLIC

REDIS_KINDS = ("single", "cluster")  # run on one server and on a Redis Cluster

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(redis_url: str, redis_client: Any, standin: Any, tmp_path: Path) -> dict[str, str]:
    return {"PUFABOT_CONFIG": str(EXAMPLE_CONFIG), "REDIS_URL": redis_url, "WECHAT_APPID": APPID,
            "WECHAT_APPSECRET": APPSECRET, "PUFABOT_WECHAT__API_BASE_URL": standin.url,
            "PUFABOT_POSTS__PUBLIC_BASE_URL": PUBLIC, "PUFABOT_BOT__SPOOL_DIR": str(tmp_path / "spool")}


def run(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(cli, ["posts", *args], env=env, catch_exceptions=False)


def test_lint_passes_on_the_library(env: dict[str, str]) -> None:
    result = run(env, "lint")
    assert result.exit_code == 0 and "全部通过检查" in result.output


def test_plan_shows_eight_weeks_with_their_campaigns(env: dict[str, str]) -> None:
    result = run(env, "plan", "--weeks", "8", "--from", "2026-03-02", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["week"] for r in rows][:3] == ["2026-03-02", "2026-03-09", "2026-03-16"]
    assert rows[1]["campaign"] == "consumer-day" and rows[1]["reason"] == "campaign"
    assert rows[5]["campaign"] == "constitution-month" and rows[0]["at"] == "2026-03-02T09:00:00+08:00"
    assert len({r["slug"] for r in rows}) == 8
    table = run(env, "plan", "--weeks", "3", "--from", "2026-03-02")
    assert table.output.count("\n") == 3 and "宣传活动" in table.output and "周一 09:00" in table.output


def test_a_dry_run_renders_a_review_file_and_calls_nothing(env: dict[str, str], standin: Any, tmp_path: Path) -> None:
    result = run(env, "push", "--dry-run", "--date", "2026-12-02", "--out", str(tmp_path / "preview"))
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (tmp_path / "preview").iterdir())
    html_file = next(tmp_path.joinpath("preview", f) for f in files if f.endswith(".html"))
    page = html_file.read_text(encoding="utf-8")
    assert html_file.name.startswith("weekly-2026-11-30-constitution-")
    assert "constitution-week" in page and "LED标语" in page and "<script" not in page
    assert any(f.endswith(".png") for f in files)
    assert standin.state.calls == []


def test_push_sends_once_and_says_so_the_second_time(env: dict[str, str], standin: Any) -> None:
    first = run(env, "push", "--date", "2026-03-04")
    assert first.exit_code == 0 and "已发送" in first.output
    second = run(env, "push", "--date", "2026-03-04")
    assert second.exit_code == 0 and "不会重复发送" in second.output
    assert [s["clientmsgid"] for s in standin.state.mass_sends] == ["weekly-2026-03-02"]
    status = run(env, "status")
    assert "2026-03-02  已发送" in status.output and "没有！请启动 pufabot worker" in status.output


def test_status_shows_how_many_followers_wechat_reported_reached(env: dict[str, str], standin: Any,
                                                                 client: Any) -> None:
    from bot.dev import wire
    from bot.dev.pushes import WebhookPusher
    from tests.conftest import TOKEN, flask_transport

    for _ in range(2):
        standin.state.add_user(wire.fake_openid())
    standin.state.pusher = WebhookPusher(flask_transport(client), TOKEN, delay=0)  # WeChat → our webhook
    assert run(env, "push", "--date", "2026-03-04").exit_code == 0
    standin.state.pusher.wait()
    assert "群发结果：send success，送达 2/2 人" in run(env, "status").output


def test_a_failed_push_exits_non_zero_and_shows_wechats_error(env: dict[str, str], standin: Any) -> None:
    standin.state.fail_next("material/add_material", 40009)
    result = run(env, "push", "--date", "2026-03-04")
    assert result.exit_code == 1 and "40009" in result.output
    status = json.loads(run(env, "status", "--json").output)
    assert status["weeks"][0]["status"] == "retrying" and status["alerts"][0]["kind"] == "retry"


def test_two_push_processes_racing_send_once(env: dict[str, str], standin: Any) -> None:
    standin.state.fail_next("message/mass/sendall", -1)
    cmd = [sys.executable, "-c", "from bot.cli import cli; cli(['posts', 'push', '--date', '2026-03-04'])"]
    full_env = {**os.environ, **env}
    procs = [subprocess.Popen(cmd, cwd=PROJECT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=60)[0] for p in procs]
    assert len(standin.state.mass_sends) <= 1, outputs
    final = run(env, "push", "--date", "2026-03-04")
    assert final.exit_code == 0, final.output
    assert len(standin.state.mass_sends) == 1 and len(standin.state.calls_to("message/mass/sendall")) == 2


def test_slogans_one_per_line(env: dict[str, str], tmp_path: Path) -> None:
    result = run(env, "slogans")
    lines = result.output.splitlines()
    assert result.exit_code == 0 and len(lines) >= 16 and all(0 < len(line) <= 20 for line in lines)
    out = tmp_path / "led.txt"
    assert run(env, "slogans", "--campaign", "anti-drug-day", "-o", str(out)).exit_code == 0
    assert 0 < len(out.read_text(encoding="utf-8").splitlines()) < len(lines)
    assert run(env, "slogans", "--campaign", "labour-day").exit_code == 2
