"""A Redis Cluster primary dies (SIGKILL) while villagers confirm their reports through two hosts:
every villager gets an honest answer, reports that could not reach Redis wait in the hosts' local
spools, and once a replica has taken over and the spools are replayed every report is exactly one
ticket."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bot.dev import wire
from bot.store.keys import Keys
from tests.scale.conftest import Front
from tests.scale.servers import LocalCluster
from tests.scale.web import AppHost
from tests.scale.test_two_hosts import walk_to_confirm

VILLAGERS = 36
SPACING = 0.12  # seconds between two confirmations: the load spans the whole failover (~4 s)
KILL_AFTER = 0.4
SUBMITTED, SPOOLED, BUSY = "已登记！编号：", "已经保存，不会丢失", "系统正在维护"


def kind_of(reply: wire.Reply) -> str:
    """What the villager was told: submitted, spooled or busy (anything else is a failure)."""
    assert reply.status == 200, f"HTTP {reply.status}: {reply.raw[:200]}"
    for kind, words in (("submitted", SUBMITTED), ("spooled", SPOOLED), ("busy", BUSY)):
        if words in reply.content:
            return kind
    raise AssertionError(f"not an honest answer to a confirmation: {reply.kind} {reply.content!r}")


def confirm_while_killing(villagers: list[wire.Villager], cluster: LocalCluster, victim: int) -> list[str]:
    """Each villager confirms in turn, SPACING apart; the victim node is SIGKILLed KILL_AFTER in."""

    def confirm(i: int) -> str:
        time.sleep(i * SPACING)
        v = villagers[i]
        push = wire.build_xml("text", v.openid, Content="确认")
        reply = v.push(push)
        if reply.status == 504:  # nginx gave up waiting mid-failover: WeChat re-sends the same message
            reply = v.push(push)
        return kind_of(reply)

    with ThreadPoolExecutor(len(villagers)) as pool:
        futures = [pool.submit(confirm, i) for i in range(len(villagers))]
        time.sleep(KILL_AFTER)
        cluster.kill(victim)
        return [f.result() for f in futures]


def test_a_primary_killed_during_report_confirmations_loses_nothing_and_doubles_nothing(
        via_nginx: Front, hosts: list[AppHost], scale_cluster: LocalCluster, host_services: Any) -> None:
    villagers = [via_nginx.villager() for _ in range(VILLAGERS)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(walk_to_confirm, villagers))
    stream = Keys().ticket_stream()
    victim = scale_cluster.owner_of(stream)  # the primary holding the dispute queue ({jf})
    try:
        told = confirm_while_killing(villagers, scale_cluster, victim)
        scale_cluster.wait_failover(stream, victim)
        # How many confirmations meet the dead primary depends on how fast the cluster fails over
        # (a client may also wait it out and succeed): any mix of submitted, spooled and busy is
        # honest, and what matters is below: one ticket per villager, whichever way it arrived.
        assert set(told) <= {"submitted", "spooled", "busy"}, told
        # Villagers told "busy" (their own keys were on the dead node) simply send it again.
        for v, kind in zip(villagers, told):
            if kind == "busy":
                assert kind_of(v.say("确认")) == "submitted"
        # Each host replays its own spool: host A in its worker, host B by an operator's command.
        replayed = host_services(hosts[0]).disputes.replay_spool()
        out = hosts[1].pufabot("tickets", "spool-replay").communicate(timeout=30)[0].decode()
        said = re.search(r"已补登 (\d+) 件", out)
        assert said, out
        replayed += int(said.group(1))
        assert replayed == told.count("spooled")
        disputes = host_services(hosts[0]).disputes
        per_villager = [len(disputes.for_villager(v.openid)) for v in villagers]
        assert per_villager == [1] * VILLAGERS, f"told {told}, tickets per villager {per_villager}"
        assert disputes.list()[1] == VILLAGERS and len(disputes.queue.holders()) == VILLAGERS
        after = via_nginx.villager()  # the cluster is whole again for new reports, on either host
        walk_to_confirm(after)
        assert kind_of(after.say("确认")) == "submitted"
    finally:
        scale_cluster.restart_all()  # the victim rejoins as a replica: 3 + 3 again for the next tests
