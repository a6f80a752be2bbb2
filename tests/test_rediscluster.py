"""The Redis Cluster client: seeds from the URL, and "nobody answers" is a ConnectionError."""

from __future__ import annotations

from typing import Any

import pytest
from redis.exceptions import ConnectionError, RedisClusterException

from bot.config import RedisConfig
from bot.errors import ConfigError
from bot.store.connect import connect
from bot.store.cluster import ClusterUnreachable, HonestCluster, seeds
from tests.scale.servers import free_ports


def test_a_cluster_url_lists_seeds_with_credentials_and_default_ports() -> None:
    nodes, auth = seeds("rediss+cluster://pufabot:s%40crt@10.0.0.21:7000,10.0.0.22,[fd00::23]:7002/0")
    assert [(n.host, n.port) for n in nodes] == [("10.0.0.21", 7000), ("10.0.0.22", 6379), ("fd00::23", 7002)]
    assert auth == {"username": "pufabot", "password": "s@crt", "ssl": True}


@pytest.mark.parametrize("url", ["redis+cluster://10.0.0.21:seven", "redis+cluster:///0"])
def test_a_cluster_url_without_a_usable_node_names_the_config_key(url: str) -> None:
    with pytest.raises(ConfigError, match="redis.url"):
        seeds(url)


@pytest.mark.cluster
def test_a_host_starts_while_its_first_seed_is_down(cluster_redis_url: str) -> None:
    dead = free_ports(1)[0]
    live = cluster_redis_url.split("://", 1)[1].split("/")[0]
    client = connect(RedisConfig(url=f"redis+cluster://127.0.0.1:{dead},{live}"))
    assert isinstance(client, HonestCluster)
    assert client.set("pufabot:{scale-test}:seed", "1") and client.delete("pufabot:{scale-test}:seed") == 1
    client.close()


def test_a_cluster_nobody_answers_is_a_connection_error_like_a_down_server() -> None:
    with pytest.raises(ClusterUnreachable) as caught:
        connect(RedisConfig(url=f"redis+cluster://127.0.0.1:{free_ports(1)[0]}", socket_timeout=0.2))
    assert isinstance(caught.value, ConnectionError)  # what the webhook and the spool already handle


@pytest.mark.cluster
def test_keys_of_one_script_in_two_slots_stay_a_bug_not_an_outage(cluster_redis_url: str) -> None:
    client: Any = connect(RedisConfig(url=cluster_redis_url))
    script = client.register_script("return redis.call('GET', KEYS[1])")
    with pytest.raises(RedisClusterException) as caught:
        script(keys=["pufabot:{u:a}:state", "pufabot:{jf}:stream"])
    assert not isinstance(caught.value, ConnectionError)
    client.close()
