"""Real ``pufabot worker`` processes for tests: started on demand, killed and reaped at the end."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


@contextmanager
def workers(env: dict[str, str]) -> Iterator[Callable[[], subprocess.Popen[str]]]:
    """``start()`` runs one more worker (1-second interval) with ``env``; all are gone on exit."""
    procs: list[subprocess.Popen[str]] = []

    def start() -> subprocess.Popen[str]:
        cmd = [sys.executable, "-c", "from bot.cli import cli; cli(['worker', '--interval', '1'])"]
        proc = subprocess.Popen(cmd, cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
        procs.append(proc)
        return proc

    try:
        yield start
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
