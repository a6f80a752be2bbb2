"""Web hosts on loopback for the scale tests and ``benchmarks/scale.py``: ``pufabot serve`` and nginx.

- ``AppHost``: one ``pufabot serve`` process (gunicorn) with its own config file and spool,
  standing for one machine.
- ``Nginx``: ``nginx -c <conf> -p <prefix>`` with ``daemon off``, running the upstream and
  locations of ``deploy/nginx.conf`` over the hosts (round robin), plus an ``X-Upstream`` response
  header naming the host that answered (tests only).
Both bind 127.0.0.1 on free ports (another one if someone takes it meanwhile) and are stopped by
``stop()``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Iterable

import requests

from tests.scale.servers import ROOT, PortTaken, exe, free_port, terminate, wait_for

PUFABOT = str(Path(sys.executable).parent / "pufabot")


def host_config(redis_url: str, spool_dir: Path, api_base_url: str, secrets: dict[str, str],
                workers: int = 2, threads: int = 4, key_prefix: str = "pufabot") -> str:
    """The TOML of one ``pufabot serve`` host (hosts differ only in their spool directory)."""
    return "\n".join([
        "[wechat]",
        *(f'{k} = "{v}"' for k, v in secrets.items()),
        f'api_base_url = "{api_base_url}"',
        "[redis]", f'url = "{redis_url}"', f'key_prefix = "{key_prefix}"',
        "[bot]", f'spool_dir = "{spool_dir}"', 'villages = ["东村", "西村", "南村"]',
        "[web]", 'secret_key = "scale-test-only-secret"', "session_cookie_secure = false",
        "[serve]", f"workers = {workers}", f"threads = {threads}",
        "[log]", 'level = "WARNING"',
        "[[menu.button]]", 'name = "我要反映"', 'type = "click"', 'key = "MENU_REPORT"', "",
    ])


class AppHost:
    """One ``pufabot serve`` process standing for one web host (own port, own local spool)."""

    def __init__(self, name: str, directory: Path, config_text: str, port: int | None = None):
        self.name = name
        self.directory = Path(directory)
        self.port = port or free_port()
        self.config_path = self.directory / "config.toml"
        self.log_path = self.directory / "serve.log"
        self.config_text = config_text
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """The environment of this host's processes: its config file, no Redis from ours."""
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL" and not k.startswith("PUFABOT_")}
        return {**env, "PUFABOT_CONFIG": str(self.config_path)}

    def start(self, timeout: float = 60) -> AppHost:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(self.config_text, encoding="utf-8")
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen([PUFABOT, "serve", "--port", str(self.port)], env=self.env(), cwd=ROOT,
                                            stdout=log, stderr=subprocess.STDOUT)
        return self

    def pufabot(self, *args: str) -> subprocess.Popen[bytes]:
        """An operator's ``pufabot <args>`` on this host (output on ``stdout``, errors merged)."""
        return subprocess.Popen([PUFABOT, *args], env=self.env(), cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)

    def wait_up(self, timeout: float = 60) -> None:
        """Until /healthz answers 200; started again on another port if someone took ours meanwhile."""

        def up() -> bool:
            if self.process is not None and self.process.poll() is not None:
                log = self.log_path.read_text(errors="replace")
                if "Address already in use" in log:
                    raise PortTaken(log[-300:])
                raise RuntimeError(f"host {self.name} exited; see {self.log_path}:\n{log[-2000:]}")
            return requests.get(self.url + "/healthz", timeout=1).status_code == 200

        for attempt in range(3):
            try:
                wait_for(up, timeout, f"host {self.name} at {self.url}", interval=0.1)
                return
            except PortTaken:
                if attempt == 2:
                    raise
                self.port = free_port()
                self.start()

    def stop(self) -> None:
        terminate(self.process)
        self.process = None


NGINX_CONF = """\
worker_processes 1;
error_log {prefix}/error.log warn;
pid {prefix}/nginx.pid;
daemon off;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
{upstream}
    server {{
        listen 127.0.0.1:{port};
{locations}
        add_header X-Upstream $upstream_addr always;  # tests only: which host answered
    }}
}}
"""


def site_blocks(servers: Iterable[str], log_dir: Path | None = None) -> tuple[str, str]:
    """(http settings + upstream block, location blocks): the part of ``deploy/nginx.conf`` the tests
    run for real; its access log goes to ``log_dir`` (default: nowhere)."""
    text = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    log = f"{log_dir}/pufabot.access.log" if log_dir else "/dev/null"
    text = text.replace("/var/log/nginx/pufabot.access.log", log)
    settings = text.split("# --- http ---")[1].split("# --- end http ---")[0]
    upstream = settings + text.split("# --- upstream ---")[1].split("# --- end upstream ---")[0]
    lines = [line for line in upstream.splitlines() if not line.strip().startswith("server ")]
    at = next(i for i, line in enumerate(lines) if "upstream pufabot" in line) + 1
    lines[at:at] = [f"        server {s} max_fails=1 fail_timeout=2s;" for s in servers]
    locations = text.split("# --- locations ---")[1].split("# --- end locations ---")[0]
    return "\n".join(lines), locations


class Nginx:
    """nginx in the foreground (``daemon off``) in front of ``servers`` (``host:port`` strings)."""

    def __init__(self, directory: Path, servers: list[str], port: int | None = None):
        self.directory = Path(directory)
        self.servers = servers
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10) -> Nginx:
        self.directory.mkdir(parents=True, exist_ok=True)
        upstream, locations = site_blocks(self.servers, self.directory)
        conf = self.directory / "nginx.conf"
        conf.write_text(NGINX_CONF.format(prefix=self.directory, port=self.port, upstream=upstream,
                                          locations=locations), encoding="utf-8")
        with (self.directory / "stderr.log").open("wb") as stderr:
            self.process = subprocess.Popen([exe("nginx"), "-c", str(conf), "-p", str(self.directory)],
                                            stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            wait_for(lambda: self._listening(), timeout, f"nginx on {self.port}")
        except PortTaken:  # someone took our port meanwhile: another one
            self.port = free_port()
            return self.start(timeout)
        return self

    def _listening(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            errors = (self.directory / "stderr.log").read_text(errors="replace")
            raise (PortTaken if "Address already in use" in errors else RuntimeError)(f"nginx exited: {errors}")
        with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
            return True

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: finish in-flight requests
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
