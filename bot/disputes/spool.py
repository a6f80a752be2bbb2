"""The local spool: reports confirmed while Redis was unreachable, kept on disk until replayed.

Guarantees:
- ``append`` returns only after the record is on disk (write + fsync of the file, and of the
  directory when the file is new). Appends of several processes never interleave (one JSON line
  each, under an exclusive ``flock``).
- ``replay`` hands every record to ``submit`` at least once and deletes a spool file only after
  every record in it went through; ``submit`` is idempotent (the record's ``idem_key``), so a
  replay cut short by a crash or by Redis failing again is simply run again later. One replay runs
  at a time per spool directory (a second caller returns 0 at once).
- A torn last line (the process died mid-write) is set aside in ``*.bad`` and logged, never
  silently dropped.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from bot.store.private import private_dir

log = logging.getLogger(__name__)
ACTIVE = "tickets.jsonl"


@contextmanager
def _flock(path: Path, blocking: bool = True) -> Iterator[bool]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing releases the lock


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Spool:
    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def _ready(self) -> None:
        if not self.directory.is_dir():
            private_dir(self.directory)  # villagers' reports: 0700 whatever the umask
            _fsync_dir(self.directory.parent)

    def append(self, record: dict[str, Any]) -> None:
        """Write one record durably (see module doc)."""
        self._ready()
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        path = self.directory / ACTIVE
        with _flock(self.directory / "append.lock"):
            is_new = not path.exists()
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
            if is_new:
                _fsync_dir(self.directory)

    def _files(self) -> list[Path]:
        return sorted(self.directory.glob("replay-*.jsonl"))

    def pending(self) -> list[dict[str, Any]]:
        """Every record not yet replayed (for ``pufabot tickets`` and tests)."""
        if not self.directory.is_dir():
            return []
        records: list[dict[str, Any]] = []
        for path in [*self._files(), self.directory / ACTIVE]:
            if path.exists():
                records += [r for r in (_parse(line) for line in path.read_bytes().splitlines()) if r]
        return records

    def _rotate(self) -> None:
        """Move the active file aside so that new appends start a fresh one."""
        with _flock(self.directory / "append.lock"):
            active = self.directory / ACTIVE
            if active.exists() and active.stat().st_size:
                active.rename(self.directory / f"replay-{time.time_ns()}.jsonl")
                _fsync_dir(self.directory)

    def replay(self, submit: Callable[[dict[str, Any]], Any]) -> int:
        """Submit every spooled record (see module doc); the number submitted."""
        if not self.directory.is_dir():
            return 0
        done = 0
        with _flock(self.directory / "replay.lock", blocking=False) as locked:
            if not locked:
                return 0
            self._rotate()
            for path in self._files():
                done += self._replay_file(path, submit)
                path.unlink()
                _fsync_dir(self.directory)
        return done

    def _replay_file(self, path: Path, submit: Callable[[dict[str, Any]], Any]) -> int:
        done = 0
        for number, line in enumerate(path.read_bytes().splitlines(), 1):
            record = _parse(line)
            if record is None:
                if line.strip():
                    self._set_aside(path, line, number)
                continue
            submit(record)  # may raise (Redis down again): the file stays for the next replay
            done += 1
        return done

    def _set_aside(self, path: Path, line: bytes, number: int) -> None:
        log.error("unreadable spool line set aside", extra={"file": path.name, "line": number})
        fd = os.open(self.directory / (path.stem + ".bad"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "ab") as bad:
            bad.write(line + b"\n")
            bad.flush()
            os.fsync(bad.fileno())


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    return record if isinstance(record, dict) and record.get("idem_key") else None
