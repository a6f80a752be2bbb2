"""The wheel runs: built, installed in a fresh virtual environment and used from an empty folder.

An operator who installs pufabot with pip has no checkout: no config.example.toml, no knowledge/
beside the working directory. Everything the commands read must come from inside the package, and
everything they write must go to the working directory, never to site-packages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from bot.dev import wire
from tests.cli.test_root_commands import free_port
from tests.conftest import TOKEN

ROOT = Path(__file__).resolve().parents[1]
CHECKOUT_PUFABOT = str(Path(sys.executable).parent / "pufabot")
QUESTION = "彩礼给了婚没结成能要回来不"


class Installed:
    """pufabot installed from its wheel into its own virtual environment."""

    def __init__(self, venv: Path, workdir: Path):
        self.venv, self.workdir = venv, workdir
        self.pufabot = str(venv / "bin" / "pufabot")

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("PUFABOT_", "WECHAT_", "PYTHON", "VIRTUAL_ENV")) and k not in ("REDIS_URL", "SECRET_KEY")}
        return {**env, "PATH": f"{self.venv / 'bin'}:{env.get('PATH', '')}", **extra}

    def run(self, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self.pufabot, *args], cwd=self.workdir, env=self.env(**env), input=stdin,
                              capture_output=True, text=True, timeout=120)

    def site_packages(self) -> Path:
        return next((self.venv / "lib").glob("python3*/site-packages"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    # Build from a copy: setuptools writes build/ and *.egg-info next to the sources.
    source = shutil.copytree(ROOT, base / "src", ignore=shutil.ignore_patterns(
        ".venv", ".git", "var", "build", "*.egg-info", "__pycache__", "test-artifacts", ".hypothesis", "tests"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(base / "dist"), str(source)],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = (base / "dist").glob("pufabot-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(base / "venv")], check=True, capture_output=True, timeout=300)
    subprocess.run([str(base / "venv" / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
                   check=True, capture_output=True, timeout=600)
    workdir = base / "empty"
    workdir.mkdir()
    return Installed(base / "venv", workdir)


def checkout(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([CHECKOUT_PUFABOT, *args], cwd=ROOT, input=stdin, capture_output=True, text=True,
                          timeout=120, env={k: v for k, v in os.environ.items() if not k.startswith("PUFABOT_")})


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_installed_command_names_itself(installed: Installed) -> None:
    version = installed.run("--version")
    assert version.returncode == 0 and version.stdout.strip() == "pufabot 0.1.0"
    helped = installed.run("--help")
    assert helped.returncode == 0 and helped.stderr == ""
    for command in ("serve", "worker", "kb", "posts", "tickets", "staff", "report", "menu", "simulate", "chat"):
        assert f"  {command} " in helped.stdout
    assert "--app" not in helped.stdout and "Flask" not in helped.stdout


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_kb_lint_and_match_read_the_packaged_knowledge(installed: Installed) -> None:
    lint = installed.run("kb", "lint")
    assert "Traceback" not in lint.stderr and "FileNotFoundError" not in lint.stderr, lint.stderr
    # The knowledge data may be mid-edit (lint findings): what matters is that the installed copy
    # reads the same files and finds exactly what the checkout finds.
    same = checkout("kb", "lint")
    assert (lint.returncode, lint.stdout, lint.stderr) == (same.returncode, same.stdout, same.stderr)

    matched = installed.run("kb", "match", "--jsonl", stdin=f"{QUESTION}\n")
    assert matched.returncode == 0, matched.stderr
    assert matched.stdout == checkout("kb", "match", "--jsonl", stdin=f"{QUESTION}\n").stdout
    assert '"topic": "' in matched.stdout
    assert list(installed.workdir.iterdir()) == [], "read-only commands leave the working directory alone"


@pytest.fixture
def served(installed: Installed, redis_url: str, redis_client: Any) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([installed.pufabot, "serve", "--port", str(port), "--workers", "1"], cwd=installed.workdir,
                            env=installed.env(WECHAT_TOKEN=TOKEN, REDIS_URL=redis_url, PUFABOT_LOG__LEVEL="WARNING"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        yield url
    finally:
        proc.terminate()
        proc.communicate(timeout=15)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_serve_answers_a_signed_message_without_any_config_file(installed: Installed, served: str) -> None:
    villager = wire.Villager(wire.http_transport(f"{served}/wechat"), TOKEN)
    assert "彩礼" in villager.say(QUESTION).content
    site = installed.site_packages()
    assert not (site / "var").exists() and not (site / "config.toml").exists(), "nothing is written into site-packages"
