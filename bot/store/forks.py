"""Which process this is, as far as forks go, without a ``getpid()`` system call per message.

gunicorn forks its workers from a master that has already built everything (``preload_app``):
objects that keep sockets, threads or locks must not use the parent's in a child. ``generation()``
is a number that changes in every forked child, so such objects compare it with the one they saw
when they set themselves up; it costs a global read where ``os.getpid()`` costs a system call.
"""

from __future__ import annotations

import os

_generation = 0


def _forked() -> None:
    global _generation
    _generation += 1


os.register_at_fork(after_in_child=_forked)


def generation() -> int:
    return _generation
