"""The local simulator: pretend photos and voices are served by the stand-in (so the console can show
them), and ``pufabot simulate`` stops cleanly on SIGTERM, taking its embedded Redis with it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server(app: Any) -> Iterator[str]:
    from werkzeug.serving import make_server

    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{http.server_port}"
    app.config["PUFABOT_SELF_URL"] = url  # where the simulator sends its pushes (never the request's Host)
    yield url
    http.shutdown()
    thread.join(5)
    http.server_close()


def test_a_photo_and_a_voice_sent_in_the_simulator_can_be_fetched_like_wechats(
        server: str, standin: Any, services: Any) -> None:
    openid = "oSIM" + "a" * 24
    for kind in ("image", "voice"):
        res = requests.post(f"{server}/dev/chat/send", json={"openid": openid, "kind": kind, "content": ""}, timeout=10)
        assert res.status_code == 200
    ids = sorted(m for m in standin.state.media if m.startswith("SIM"))
    assert [i[:8] for i in ids] == ["SIMIMAGE", "SIMVOICE"]
    photo, ctype = services.disputes.media.fetch(ids[0])
    assert ctype == "image/png" and photo.startswith(b"\x89PNG")
    voice, vtype = services.disputes.media.fetch(ids[1])
    assert vtype == "audio/amr" and voice.startswith(b"#!AMR")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_sigterm_stops_the_simulator_and_its_embedded_redis(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "PUFABOT_CONFIG")}
    env["PUFABOT_REDIS__EMBEDDED_DIR"] = str(tmp_path / "redis")
    sim = subprocess.Popen([str(Path(sys.executable).with_name("pufabot")), "simulate", "--port", str(port)], cwd=tmp_path,
                           env={**env, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    redis_pids: list[int] = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/dev/chat", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.3)
        else:
            pytest.fail("the simulator did not start within 90 s")
        redis_pids = [p for p in _children(sim.pid)
                      if "redis" in Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")]
        assert len(redis_pids) == 1
        sim.send_signal(signal.SIGTERM)
        assert sim.wait(20) == 0
        assert not _alive(redis_pids[0])
    finally:
        if sim.poll() is None:
            sim.kill()
            sim.wait()
        for pid in redis_pids:  # never leave a redis-server behind, even when the test failed
            if _alive(pid):
                os.kill(pid, signal.SIGTERM)
