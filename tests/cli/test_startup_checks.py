"""An operator who starts the bot wrongly is told what to fix before anything claims to be running."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest
from click.testing import CliRunner

from bot import config as config_mod
from bot.app import create_app
from bot.cli import cli
from bot.errors import ConfigError
from tests.cli.test_root_commands import PUFABOT, free_port, write_config
from tests.conftest import EXAMPLE_CONFIG


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def test_serve_without_a_wechat_token_names_the_setting(tmp_path: Path, redis_url: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[redis]\nurl = "{redis_url}"\n', encoding="utf-8")
    monkeypatch.setenv("PUFABOT_CONFIG", str(config))
    monkeypatch.delenv("WECHAT_TOKEN", raising=False)
    result = CliRunner().invoke(cli, ["serve", "--port", str(free_port())])
    assert result.exit_code == 1
    assert "wechat.token" in result.output and "WECHAT_TOKEN" in result.output


def test_serve_with_a_too_short_secret_key_names_the_key(tmp_path: Path, redis_url: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[redis]\nurl = "{redis_url}"\n[wechat]\ntoken = "t0ken"\n', encoding="utf-8")
    monkeypatch.setenv("PUFABOT_CONFIG", str(config))
    monkeypatch.setenv("SECRET_KEY", "short")
    result = CliRunner().invoke(cli, ["serve", "--port", str(free_port())])
    assert result.exit_code == 1
    assert "web.secret_key" in result.output and "SECRET_KEY" in result.output and "16" in result.output


def test_serve_with_redis_out_of_reach_names_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dead = f"redis://:hunter2secret@127.0.0.1:{free_port()}/0"
    monkeypatch.setenv("PUFABOT_CONFIG", str(write_config(tmp_path / "c.toml", dead)))
    result = CliRunner().invoke(cli, ["serve", "--port", str(free_port())])
    assert result.exit_code == 1
    assert "redis.url" in result.output and "REDIS_URL" in result.output and "cannot be reached" in result.output
    assert "hunter2secret" not in result.output, "the Redis password is not printed"


def test_serve_on_a_taken_port_says_so(tmp_path: Path, redis_url: str, redis_client: Any, taken_port: int,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUFABOT_CONFIG", str(write_config(tmp_path / "c.toml", redis_url)))
    result = CliRunner().invoke(cli, ["serve", "--port", str(taken_port)])
    assert result.exit_code == 1 and f"port {taken_port}" in result.output and "already in use" in result.output


def test_simulate_on_a_taken_port_says_so_before_any_banner(tmp_path: Path, redis_url: str, redis_client: Any,
                                                            taken_port: int) -> None:
    config = write_config(tmp_path / "c.toml", redis_url)
    done = subprocess.run([PUFABOT, "simulate", "--port", str(taken_port), "--i-know"], capture_output=True, text=True,
                          timeout=60, env={"PATH": "/usr/bin:/bin", "PUFABOT_CONFIG": str(config)})
    assert done.returncode == 1
    assert f"port {taken_port}" in done.stderr and "already in use" in done.stderr
    assert "已启动" not in done.stdout + done.stderr


def test_a_menu_key_no_handler_answers_stops_start_up(config: config_mod.Config, services: Any) -> None:
    typo = config.replace(menu={"button": [{"name": "法律咨询", "key": "MENU_ASKK"}]})
    with pytest.raises(ConfigError, match=r"menu\.button\[0\]\.key.*MENU_ASKK"):
        create_app(typo, services)


def test_menu_push_refuses_a_key_no_handler_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[[menu.button]]\nname = "法律咨询"\nkey = "MENU_ASK"\n[[menu.button]]\nname = "反映"\n'
                    'key = "MENU_REPROT"\n', encoding="utf-8")
    monkeypatch.setenv("PUFABOT_CONFIG", str(path))
    result = CliRunner().invoke(cli, ["menu", "push", "--dry-run"])
    assert result.exit_code == 1 and "menu.button[1].key" in result.output and "MENU_REPROT" in result.output


def test_the_documented_menu_keys_all_have_handlers() -> None:
    result = CliRunner().invoke(cli, ["menu", "push", "--dry-run"], env={"PUFABOT_CONFIG": str(EXAMPLE_CONFIG)})
    assert result.exit_code == 0, result.output
