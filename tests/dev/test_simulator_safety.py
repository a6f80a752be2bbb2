"""The chat simulator signs pushes with the configured token: it sends them only to its own server, and
refuses to run with a real account configured unless told ``--i-know`` (issue 15.16)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
from click.testing import CliRunner

from bot.cli import cli
from bot.dev.simulator import SELF_URL
from tests.conftest import APPID, TOKEN


class Recorder(BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        type(self).seen.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"success")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def elsewhere() -> Iterator[tuple[str, list[str]]]:
    """Another server, where a hostile page would like the signed push to go."""
    seen: list[str] = []
    handler = type("Rec", (Recorder,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_port}", seen
    server.shutdown()
    server.server_close()


@pytest.fixture
def live(app: Any) -> Iterator[str]:
    from werkzeug.serving import make_server

    http = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{http.server_port}"
    app.config[SELF_URL] = url
    yield url
    http.shutdown()
    http.server_close()


def test_chat_send_goes_to_the_apps_own_address_whatever_host_the_request_names(
        live: str, elsewhere: tuple[str, list[str]]) -> None:
    host, seen = elsewhere
    res = requests.post(f"{live}/dev/chat/send", headers={"Host": host}, timeout=10,
                        json={"openid": "oSIM" + "a" * 24, "kind": "text", "content": "老板跑了工钱不给咋整"})
    assert res.status_code == 200 and "12333" in res.json()["content"]  # the short answer about wages
    assert seen == [], "no signed push left for the host the request named"


def test_simulate_refuses_a_real_token_and_app_id_unless_told_i_know(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[wechat]\ntoken = "{TOKEN}"\nappid = "{APPID}"\n', encoding="utf-8")
    monkeypatch.setenv("PUFABOT_CONFIG", str(config))
    result = CliRunner().invoke(cli, ["simulate", "--port", "1"])
    assert result.exit_code == 1 and "--i-know" in result.output and "real WeChat token" in result.output
    config.write_text(f'[wechat]\ntoken = "{TOKEN}"\nappid = "{APPID}"\n[web]\ndev_mode = true\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["serve", "--port", "1"])
    assert result.exit_code == 1 and "--i-know" in result.output
