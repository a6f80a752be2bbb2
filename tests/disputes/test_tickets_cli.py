"""`pufabot tickets list / show / spool-replay`: the queue from a terminal (stable interface)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.dev import wire
from bot.disputes.spool import Spool

REDIS_KINDS = ("single", "cluster")  # run on one server and on a Redis Cluster


@pytest.fixture
def cli_env(tmp_path: Path, config: Any, redis_url: str, standin: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    spool_dir = Path(config.bot.spool_dir)
    path = tmp_path / "c.toml"
    path.write_text(f'[wechat]\napi_base_url = "{standin.url}"\n[redis]\nurl = "{redis_url}"\n'
                    f'[bot]\nspool_dir = "{spool_dir}"\n[log]\nlevel = "WARNING"\n', encoding="utf-8")
    monkeypatch.setenv("PUFABOT_CONFIG", str(path))
    return spool_dir


def test_list_shows_tickets_newest_first_and_filters_by_state(cli_env: Path, services: Any) -> None:
    d = services.disputes
    first = d.submit(wire.fake_openid(), {"kind": "land", "village": "东村", "phone": "13800000000"}, "a")
    second = d.submit(wire.fake_openid(), {"kind": "wages", "village": "西村"}, "b")
    d.claim(first.id, "王五")
    out = CliRunner().invoke(cli, ["tickets", "list"]).output
    assert out.index(second.id) < out.index(first.id) and "共 2 件" in out and "工作人员已接手" in out
    claimed = CliRunner().invoke(cli, ["tickets", "list", "--state", "claimed", "--json"]).output
    rows = [json.loads(line) for line in claimed.splitlines()]
    assert [r["id"] for r in rows] == [first.id] and rows[0]["claimed_by"] == "王五"


def test_show_prints_the_ticket_and_history_with_the_phone_masked(cli_env: Path, services: Any) -> None:
    d = services.disputes
    ticket = d.submit(wire.fake_openid(), {"kind": "land", "village": "东村", "phone": "13800000000",
                                           "description": "界桩被拔"}, "a")
    d.add_note(ticket.id, "王五", "先打电话")
    out = CliRunner().invoke(cli, ["tickets", "show", ticket.id]).output
    assert "界桩被拔" in out and "138****0000" in out and "13800000000" not in out and "先打电话" in out
    data = json.loads(CliRunner().invoke(cli, ["tickets", "show", ticket.id, "--json"]).output)
    assert data["id"] == ticket.id and [h["what"] for h in data["history"]] == ["submitted", "note"]
    missing = CliRunner().invoke(cli, ["tickets", "show", "JF20200101-0001"])
    assert missing.exit_code == 1 and "没有找到" in missing.output


def test_spool_replay_brings_saved_reports_in_once(cli_env: Path, services: Any) -> None:
    openid = wire.fake_openid()
    Spool(cli_env).append({"idem_key": f"{openid}:d", "openid": openid, "created_at": 1795500000.0,
                           "draft": {"description": "停电时登记的", "village": "南村"}})
    first = CliRunner().invoke(cli, ["tickets", "spool-replay"])
    assert first.exit_code == 0 and "已补登 1 件" in first.output
    assert "已补登 0 件" in CliRunner().invoke(cli, ["tickets", "spool-replay"]).output
    (ticket,) = services.disputes.for_villager(openid)
    assert ticket.description == "停电时登记的" and ticket.id.startswith("JF2026112")
