"""The suite passes on any day: CI runs on whatever day a submission is made.

Every test that reads the wall clock (the weekly post, the worker, dates in figures) carries the
``clock`` mark; here they run again in a fresh pytest with the clock moved (``PUFABOT_TEST_NOW``,
see ``tests/conftest.py``) to a campaign Monday at post time (3·15), a plain Monday at post time and a
plain Wednesday night of another year. (Tests whose server runs in another process keep the real clock there and derive what
they need from it, e.g. ``tests/posts/test_posts_worker.py``'s ``real_now``.) A test that passes only on some days fails here on every day.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

MOVED_CLOCKS = {
    "campaign Monday (3·15) at post time": "2027-03-15T09:30:00+08:00",
    "plain Monday at post time": "2027-01-11T09:30:00+08:00",
    "plain Wednesday night, next year": "2027-01-13T23:50:00+08:00",
}


@pytest.mark.parametrize("moved_to", MOVED_CLOCKS.values(), ids=MOVED_CLOCKS.keys())
def test_the_clock_dependent_tests_pass_with_the_clock_moved(moved_to: str) -> None:
    env = {**os.environ, "PUFABOT_TEST_NOW": moved_to}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", "clock", "-q", "-p", "no:cacheprovider", "--timeout", "120"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    tail = "\n".join((result.stdout + result.stderr).splitlines()[-40:])
    assert result.returncode == 0, f"with the clock at {moved_to}:\n{tail}"
    assert " passed" in result.stdout, tail
