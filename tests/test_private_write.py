"""Villagers' files are written whole and private, also when two threads store the same file at once
(a browser asks for a voice's metadata and its content in parallel)."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bot.store.private import write_private


def test_many_threads_writing_the_same_file_all_succeed_and_leave_one_whole_private_file(tmp_path: Path) -> None:
    target = tmp_path / "media" / "VOICE0001.amr"
    payloads = [bytes([n]) * 4096 for n in range(32)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda data: write_private(target, data), payloads))  # raises if any call failed
    assert target.read_bytes() in payloads
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["VOICE0001.amr"]  # no temporary file left
