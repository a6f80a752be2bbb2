"""Files with villagers' data are 0600 in 0700 directories whatever the umask (issue 15.14)."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from bot.disputes.spool import Spool
from tests.console.conftest import accounts, staff_client  # noqa: F401, F811  (fixtures)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The usual 0022 umask (group and others may read what is created)."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def assert_private(root: Path) -> None:
    assert mode(root) == 0o700, root
    found = list(root.rglob("*"))
    assert found
    for path in found:
        if path.is_socket():
            continue
        assert mode(path) == (0o700 if path.is_dir() else 0o600), (path, oct(mode(path)))


def test_the_media_archive_is_private(loose_umask: None, services: Any, standin: Any, staff_client: Any,  # noqa: F811
                                      new_ticket: Any) -> None:  # noqa: F811
    standin.state.add_media("PHOTOMODE1", b"\x89PNG fake", "image/png")
    ticket = new_ticket(attachments=[{"kind": "image", "media_id": "PHOTOMODE1", "at": time.time()}])
    res = staff_client().get(f"/staff/media/PHOTOMODE1?ticket={ticket.id}")
    assert res.status_code == 200 and res.headers["Cache-Control"] == "no-store"
    assert_private(services.disputes.media.directory)


def test_the_embedded_redis_directory_and_aof_are_private(loose_umask: None, tmp_path: Path) -> None:
    import redis

    from bot.store.connect import EmbeddedRedis

    server = EmbeddedRedis(tmp_path / "redis").start()
    try:
        client = redis.Redis.from_url(server.url)
        client.set("probe", "村民的话")
        client.execute_command("BGREWRITEAOF")
        time.sleep(0.5)
        client.close()
    finally:
        server.stop()
    assert list((tmp_path / "redis").rglob("*.aof*")), "redis wrote an AOF"
    assert_private(tmp_path / "redis")


def test_the_spool_is_private(loose_umask: None, tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    spool.append({"openid": "oTESTxxxxxxxxxxxxxxxxxxxxxxx", "text": "邻居占地"})
    assert_private(tmp_path / "spool")
