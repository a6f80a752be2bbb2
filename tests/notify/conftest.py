"""Fixtures of the work-group alert tests: the local robot stand-in (企业微信 and 钉钉, signature
checked) and the suite's config pointed at it, with an obviously made-up duty phone."""

from __future__ import annotations

import time
from typing import Any, Callable, Iterator

import pytest

from bot import config as config_mod
from bot.dev.robots import RobotStandin
from tests.console.conftest import accounts, staff_client  # noqa: F401  (the console's fixtures)

DUTY_PHONE = "13800000000"
CONSOLE = "https://console.example.invalid"


@pytest.fixture
def robots() -> Iterator[RobotStandin]:
    with RobotStandin() as server:
        yield server


@pytest.fixture
def config(config: config_mod.Config, robots: RobotStandin) -> config_mod.Config:
    """Every event but the daily digest (its own tests turn it on: it would join any test after 08:30)."""
    return config.replace(notify={**robots.config(), "duty_phone": DUTY_PHONE, "console_url": CONSOLE,
                                  "digest": []})


@pytest.fixture
def quiet_web(services: Any) -> Any:
    """Only the worker sends (as with ``send_from_web = false``): tests that drive the clock by hand."""
    services.notifier.config = services.config.replace(notify={"send_from_web": False}).notify
    return services


def wait_for(check: Callable[[], Any], seconds: float = 5.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.02)


