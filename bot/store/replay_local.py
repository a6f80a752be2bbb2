"""The captured-URL check while Redis is unreachable: this host's own record, on disk.

``bot.store.replay`` remembers, in Redis, the first body seen with each signed (timestamp, nonce).
When Redis cannot be reached that record can be neither read nor written, and a captured URL would
carry any body as any openid (security review N1). So while Redis is away every push is checked
against this host's record instead, which every worker process of the host shares:

- one small file per (timestamp, nonce) under ``<spool_dir>/replay/``, named by a hash of the pair,
  holding the body's SHA-256. It is created complete and atomically (written to a unique temporary
  name, then ``os.link``: exactly one process wins), so two workers never both admit different
  bodies, and a reader never sees a half-written digest;
- a record lives as long as the signed URL is accepted (``ttl`` = twice the replay window: the window
  runs both ways around now), then it is pruned;
- bounded: at most ``max_records`` records. When that many unexpired pushes arrived within one
  replay window (a flood), a further push is refused rather than admitted unchecked;
- while the record holds a (timestamp, nonce), a push with another body is refused even after Redis is
  back (the webhook asks ``conflicts`` before Redis' own check), and every message kept while Redis was
  away carries its digest, which its replay checks against Redis' record (``bot.wechat.inbound``).

A record on one host does not protect another host: the replay's check against Redis catches a
kept forgery whose URL Redis saw first with another body.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import time
from pathlib import Path

from bot.store.private import private_dir

log = logging.getLogger(__name__)

MAX_RECORDS = 20_000  # one replay window's worth of pushes on a township's account, many times over
PRUNE_EVERY = 256  # admits between two sweeps of expired records


class HostReplays:
    def __init__(self, directory: Path, ttl: int, max_records: int = MAX_RECORDS):
        self.directory = Path(directory)
        self.ttl = max(1, ttl)
        self.max_records = max_records
        self._admits = 0
        self._held = 0  # records as of the last sweep, plus those this process added since

    def _path(self, key: str) -> Path:
        return self.directory / hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]

    def _read(self, path: Path, now: float) -> str | None:
        """The digest recorded at ``path``; None when there is none or it expired."""
        try:
            stat = path.stat()
            if stat.st_mtime + self.ttl < now:
                return None
            return path.read_text(encoding="ascii")
        except (FileNotFoundError, UnicodeDecodeError):
            return None

    def conflicts(self, key: str, digest: str) -> bool:
        """True when this host recorded another body for ``key`` within its lifetime (one ``stat``
        for the usual answer: no record)."""
        try:
            if not self.directory.is_dir():
                return False
            seen = self._read(self._path(key), time.time())
        except OSError:  # unreadable: Redis' own check still runs (this record matters only while it is away)
            log.error("captured-URL record unreadable", exc_info=True)
            return False
        return seen is not None and seen != digest

    def admit(self, key: str, digest: str) -> bool:
        """Record ``digest`` as the body of ``key`` unless another is recorded; True when admitted.
        Raises OSError when the record cannot be written (the caller refuses the push)."""
        now = time.time()
        private_dir(self.directory)
        path = self._path(key)
        self._admits += 1
        if self._admits % PRUNE_EVERY == 1 or self._held >= self.max_records:
            self._held = self._prune(now)
        for _ in range(2):
            seen = self._read(path, now)
            if seen is not None:
                return seen == digest
            if self._held >= self.max_records:
                log.error("captured-URL record full while redis is unreachable: push refused",
                          extra={"records": self._held})
                return False
            if self._create(path, digest):
                self._held += 1
                return True
        return False

    def _create(self, path: Path, digest: str) -> bool:
        """Write the record complete, then link it into place; False when another process was first."""
        temp = self.directory / f".tmp-{os.getpid()}-{secrets.token_hex(6)}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, digest.encode("ascii"))
        finally:
            os.close(fd)
        now = time.time()
        os.utime(temp, (now, now))  # the record's age is measured on the same clock as the signed timestamps
        try:
            try:
                os.link(temp, path)
                return True
            except FileExistsError:
                if self._read(path, time.time()) is None:  # an expired record: take its place
                    os.replace(temp, path)
                    return True
                return False
        finally:
            temp.unlink(missing_ok=True)

    def _prune(self, now: float) -> int:
        """Delete expired records; how many remain."""
        remaining = 0
        for path in self.directory.iterdir():
            try:
                if path.stat().st_mtime + self.ttl < now:
                    path.unlink(missing_ok=True)
                else:
                    remaining += 1
            except FileNotFoundError:
                continue
        return remaining
