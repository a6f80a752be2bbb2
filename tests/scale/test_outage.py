"""Every Redis Cluster node is down: both hosts still answer honestly (never a 500, never silence),
legal questions are still answered from memory, and once the cluster is back the villager's report
goes through exactly once."""

from __future__ import annotations

from typing import Any

import requests

from tests.scale.conftest import Front
from tests.scale.servers import LocalCluster
from tests.scale.web import AppHost
from tests.scale.test_failover import BUSY, kind_of
from tests.scale.test_two_hosts import walk_to_confirm


def test_with_the_whole_cluster_down_both_hosts_answer_honestly_then_recover(
        via_nginx: Front, hosts: list[AppHost], scale_cluster: LocalCluster, host_services: Any) -> None:
    reporter, asker = via_nginx.villager(), via_nginx.villager()
    walk_to_confirm(reporter)
    scale_cluster.kill_all()
    try:
        first = len(via_nginx.upstreams)
        answers = [asker.say("老板跑了工钱不给咋整") for _ in hosts]
        assert all(a.status == 200 and "12333" in a.content for a in answers)  # from memory
        assert kind_of(reporter.say("确认")) == "busy"  # its draft is in Redis: not pretended to be saved
        assert BUSY in reporter.click("MENU_REPORT").content
        assert set(via_nginx.upstreams[first:]) == {f"127.0.0.1:{h.port}" for h in hosts}
        for host in hosts:
            health = requests.get(host.url + "/healthz", timeout=5)
            assert health.status_code == 503 and health.json()["status"] == "degraded"
    finally:
        scale_cluster.restart_all()
    assert kind_of(reporter.say("确认")) == "submitted"  # the draft survived: the villager just resends
    (ticket,) = host_services(hosts[0]).disputes.for_villager(reporter.openid)
    assert ticket.village == "东村"
