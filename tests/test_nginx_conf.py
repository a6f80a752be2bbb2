"""deploy/nginx.conf in Debian's nginx: no openid or signature in the access log, no version, HSTS (issue 15.15)."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from bot.dev import wire
from tests.conftest import TOKEN

pytestmark = pytest.mark.skipif(shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(),
                                reason="nginx is not installed (Debian package nginx)")


@pytest.fixture
def front(app: Any, tmp_path: Path) -> Iterator[Any]:
    from werkzeug.serving import make_server

    from tests.scale.web import Nginx

    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    nginx = Nginx(tmp_path / "nginx", [f"127.0.0.1:{http.server_port}"]).start()
    yield nginx
    nginx.stop()
    http.shutdown()
    thread.join(5)
    http.server_close()


def test_pushes_are_logged_without_their_query_string(front: Any) -> None:
    openid = wire.fake_openid()
    push = wire.sign_push(TOKEN, wire.build_xml("text", openid, Content="你好"), openid=openid)
    res = requests.post(f"{front.url}/wechat", params=push.params, data=push.body, timeout=5,
                        headers={"Content-Type": "text/xml"})
    assert res.status_code == 200 and wire.read_reply(200, res.content).content
    assert res.headers["Server"] == "nginx", "no version number"
    assert res.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    front.stop()  # flushes the log
    log = (front.directory / "pufabot.access.log").read_text(encoding="utf-8")
    assert '"POST /wechat HTTP/1.1" 200' in log
    assert openid not in log and push.params["signature"] not in log and "timestamp=" not in log
