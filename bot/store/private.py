"""Files and directories holding villagers' data: 0600 files in 0700 directories, whatever the umask.

``mkdir(mode=...)`` and ``open`` are both filtered by the process umask (0022 by default leaves
group and others able to read); here the mode is set explicitly after creation. Pure: no redis, no Flask.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(directory: Path) -> Path:
    """Create ``directory`` (and missing parents) and make it 0700; an existing one is tightened too."""
    directory.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    os.chmod(directory, DIR_MODE)
    return directory


def write_private(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically (temporary file, then rename) as a 0600 file."""
    private_dir(target.parent)
    # Unique per call, not only per process: two threads may store the same file at once (a
    # browser asks for a voice's metadata and its content in parallel).
    tmp = target.with_name(f"{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as out:
            fd = -1
            out.write(data)
    finally:
        if fd >= 0:
            os.close(fd)
    os.replace(tmp, target)
