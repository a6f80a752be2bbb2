"""``pufabot serve`` opens no gunicorn control socket that other instances of the same user share (issue 15.18)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE_CONFIG
from tests.cli.test_root_commands import served


@pytest.mark.slow
def test_serve_opens_no_control_socket(tmp_path: Path, redis_url: str, redis_client: Any,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    run = tmp_path / "run"
    run.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    with served(tmp_path, redis_url) as server:
        assert server.workers(), "gunicorn is up"
        sockets = Path("/proc/net/unix").read_text()
    assert not list(run.iterdir()) and "gunicorn.ctl" not in sockets


def test_every_dependency_has_an_upper_bound() -> None:
    project = tomllib.loads((EXAMPLE_CONFIG.parent / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = project["dependencies"] + [r for group in project["optional-dependencies"].values() for r in group]
    assert requirements and all("<" in r for r in requirements), [r for r in requirements if "<" not in r]
