"""The hot path's script runner: one connection per thread, surviving flushes, restarts and forks."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest
import redis as redis_lib

from bot.store.scripts import ClusterDirectScript, DirectScript, lua_script
from bot.store.connect import connect
from bot.config import RedisConfig

INCR = "return redis.call('INCRBY', KEYS[1], ARGV[1])"


@pytest.fixture
def client(redis_client: Any, redis_url: str) -> Any:
    """The app's client, its connections named for this test (other tests' connections may linger)."""
    pool = connect(RedisConfig(url=redis_url)).connection_pool
    named = redis_lib.ConnectionPool(connection_class=pool.connection_class,
                                     **{**pool.connection_kwargs, "client_name": TEST_CLIENT})
    return redis_lib.Redis(connection_pool=named)


def test_a_single_server_gets_the_direct_runner_and_its_answers(client: Any, redis_client: Any) -> None:
    incr = lua_script(client, INCR)
    assert isinstance(incr, DirectScript)
    assert incr(["k"], [2]) == 2 and incr(["k"], [3]) == 5
    assert redis_client.get("k") == "5"


def test_a_flushed_script_cache_is_loaded_again(client: Any, redis_client: Any) -> None:
    incr = lua_script(client, INCR)
    incr(["k"], [1])
    redis_client.script_flush()
    assert incr(["k"], [1]) == 2


TEST_CLIENT = "pufabot-luascripts-test"


def script_connections(redis_client: Any) -> int:
    """How many of this test's connections are open on the server."""
    return sum(1 for c in redis_client.client_list() if c.get("name") == TEST_CLIENT)


def test_sequential_calls_reuse_one_connection(client: Any, redis_client: Any) -> None:
    incr = lua_script(client, INCR)
    for _ in range(20):
        incr(["k"], [1])
    assert redis_client.get("k") == "20"
    assert script_connections(redis_client) == 1


def test_concurrent_callers_each_get_their_own_answers(client: Any, redis_client: Any) -> None:
    """Twenty threads hammer one script, each on its own key: a shared connection would cross replies."""
    incr = lua_script(client, INCR)
    wrong: list[str] = []
    start = threading.Barrier(20)

    def work(n: int) -> None:
        start.wait()
        for i in range(1, 51):
            got = incr([f"k{n}"], [n])
            if got != n * i:
                wrong.append(f"thread {n} call {i}: got {got}, expected {n * i}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(1, 21)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []
    assert 1 <= script_connections(redis_client) <= 20, "connections are reused, never more than callers"


def test_a_killed_connection_is_replaced_without_the_caller_noticing(client: Any, redis_client: Any) -> None:
    incr = lua_script(client, INCR)
    incr(["k"], [1])
    redis_client.client_kill_filter(_type="normal", skipme=True)  # as a Redis restart would
    assert incr(["k"], [1]) == 2


def test_an_unreachable_server_raises_redis_connection_error(client: Any) -> None:
    dead = redis_lib.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, decode_responses=True)
    with pytest.raises(redis_lib.ConnectionError):
        lua_script(dead, INCR)(["k"], [1])


def test_a_script_error_leaves_the_connection_usable(client: Any) -> None:
    bad = lua_script(client, "return redis.call('NOSUCHCOMMAND')")
    with pytest.raises(redis_lib.ResponseError):
        bad([], [])
    assert lua_script(client, INCR)(["k"], [7]) == 7


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_worker_opens_its_own_connection(client: Any, redis_client: Any) -> None:
    incr = lua_script(client, INCR)
    incr(["k"], [1])
    assert script_connections(redis_client) == 1
    ready, finish = os.pipe(), os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a gunicorn worker forked after the app was preloaded
        try:
            incr(["k"], [1])
            os.write(ready[1], b"x")
            os.read(finish[0], 1)
        finally:
            os._exit(0)
    os.read(ready[0], 1)
    try:
        assert script_connections(redis_client) == 2, "the child opened its own connection"
    finally:
        os.write(finish[1], b"x")
        os.waitpid(pid, 0)
    assert incr(["k"], [1]) == 3, "the parent's connection is still in step"


# -- on a Redis Cluster ---------------------------------------------------------------------------------

@pytest.fixture
def cluster(cluster_redis_url: str) -> Any:
    from tests.scale.servers import client_for

    admin = client_for(cluster_redis_url)
    admin.flushdb()
    yield connect(RedisConfig(url=cluster_redis_url))
    admin.flushdb()
    admin.close()


@pytest.mark.cluster
def test_on_a_cluster_each_call_goes_straight_to_its_slots_primary(cluster: Any) -> None:
    incr = lua_script(cluster, INCR)
    assert isinstance(incr, ClusterDirectScript)
    users = [f"pb:{{u:villager{n}}}:dd" for n in range(12)]  # hash tags spread over the primaries
    assert [incr([k], [n]) for n, k in enumerate(users)] == list(range(12))
    assert [cluster.get(k) for k in users] == [str(n) for n in range(12)]
    assert len(incr._nodes) == len({cluster.get_node_from_key(k).name for k in users}) > 1


@pytest.mark.cluster
def test_a_call_sent_to_the_wrong_node_is_redirected_by_the_cluster_client(cluster: Any, monkeypatch: Any) -> None:
    """As after a resharding or a failover, before this worker learned of it: MOVED, then redis-py's way."""
    incr = lua_script(cluster, INCR)
    key = "pb:{u:moved}:dd"
    owner = cluster.get_node_from_key(key)
    stranger = next(n for n in cluster.get_primaries() if n.name != owner.name)
    monkeypatch.setattr(cluster, "get_node_from_key", lambda *_a, **_k: stranger)
    assert incr([key], [5]) == 5 and incr([key], [1]) == 6
    assert cluster.get(key) == "6"
