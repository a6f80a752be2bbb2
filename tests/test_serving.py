"""How `pufabot serve` sets gunicorn up: options from [serve], workers pinned to CPUs."""

from __future__ import annotations

from typing import Any

from bot.serving import choose_cpu, gunicorn_options


def test_workers_spread_over_the_cpus_and_a_restarted_worker_takes_the_free_one() -> None:
    assert choose_cpu([0, 1], []) == 0
    assert choose_cpu([0, 1], [0]) == 1
    assert choose_cpu([0, 1], [0, 1]) == 0, "more workers than CPUs: round again"
    assert choose_cpu([0, 1], [1, 0, 1]) == 0, "a worker on CPU 0 died: its replacement goes there"
    assert choose_cpu({3, 5}, [3]) == 5, "only the CPUs the server may use"


def test_pinning_is_on_by_default_and_can_be_turned_off(config: Any) -> None:
    assert {"pre_fork", "post_fork"} <= gunicorn_options(config).keys()
    off = config.replace(serve={"cpu_affinity": "none"})
    assert "post_fork" not in gunicorn_options(off)
