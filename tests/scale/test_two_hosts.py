"""Two web hosts behind nginx share one Redis Cluster: retries, conversations, the access token and
the weekly post behave as if there were one server."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bot.dev import wire
from tests.conftest import TOKEN
from tests.scale.conftest import Front
from tests.scale.web import AppHost

# After the menu click: kind 1, village 1, what happened, "done", no phone, contact 3 (in the account)
# → the summary (a visit, contact 1, would ask for a phone or an address first).
TO_CONFIRM = ("1", "1", "邻居把院墙砌到我家地里了", "好了", "不留", "3")


def walk_to_confirm(v: wire.Villager) -> str:
    """Report a neighbours' dispute up to the summary that asks for confirmation; the summary."""
    assert "哪一类纠纷" in v.click("MENU_REPORT").content
    reply = None
    for text in TO_CONFIRM:
        reply = v.say(text)
        assert reply.status == 200, reply.raw
    assert reply is not None and "东村" in reply.content
    return reply.content


def test_a_retry_storm_split_across_both_hosts_makes_one_ticket_and_one_reply(
        via_nginx: Front, hosts: list[AppHost], host_services: Any) -> None:
    v = via_nginx.villager()
    walk_to_confirm(v)
    # WeChat did not hear back in time and sent the same confirmation (same MsgId) four times.
    push = wire.sign_push(TOKEN, wire.build_xml("text", v.openid, Content="1", msg_id=8000000001))
    first = len(via_nginx.upstreams)
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda send: send(push.params, push.body), [via_nginx.transport() for _ in range(4)]))
    replies = [wire.read_reply(status, body) for status, body in answers]
    assert {r.status for r in replies} == {200}
    assert len({r.content for r in replies}) == 1 and "编号：" in replies[0].content
    assert set(via_nginx.upstreams[first:]) == {f"127.0.0.1:{h.port}" for h in hosts}  # both hosts took some
    disputes = host_services(hosts[0]).disputes
    (ticket,) = disputes.for_villager(v.openid)
    assert f"编号：{ticket.id}" in replies[0].content
    assert disputes.list()[1] == 1 and len(disputes.queue.holders()) == 1  # one ticket, one queue entry


def test_a_report_conversation_alternating_hosts_completes(via_nginx: Front, hosts: list[AppHost],
                                                          host_services: Any) -> None:
    v = via_nginx.villager()
    v.safe_mode = True  # encrypted both ways: every host has the same EncodingAESKey
    summary = walk_to_confirm(v)
    done = v.say("确认").content
    served = via_nginx.upstreams
    assert all(a != b for a, b in zip(served, served[1:])), "round robin should alternate hosts"
    assert set(served) == {f"127.0.0.1:{h.port}" for h in hosts}
    assert "类别：邻里纠纷" in summary and "电话：不留" in summary
    (ticket,) = host_services(hosts[1]).disputes.for_villager(v.openid)
    assert f"编号：{ticket.id}" in done
    assert (ticket.kind, ticket.village, ticket.description) == ("neighbours", "东村", "邻居把院墙砌到我家地里了")


def run_on_both_hosts(hosts: list[AppHost], *args: str) -> list[tuple[int, str]]:
    """``pufabot <args>`` in two processes per host at once, each with its host's config; (code, output)."""
    procs = [host.pufabot(*args) for host in (*hosts, *hosts)]
    outputs = [p.communicate(timeout=30)[0].decode() for p in procs]
    return [(p.returncode, out) for p, out in zip(procs, outputs)]


def test_only_one_process_fetches_the_access_token_however_many_need_it(
        hosts: list[AppHost], cluster_client: Any, scale_standin: Any) -> None:
    state = scale_standin.state
    issued, menus = state.token_issued, len(state.calls_to("menu/create"))
    state.hang_next("token", 1.0)  # the first refresh is slow: the others arrive while it runs
    results = run_on_both_hosts(hosts, "menu", "push")
    assert [code for code, _ in results] == [0] * 4, results
    assert state.token_issued - issued == 1
    assert len(state.calls_to("menu/create")) - menus == 4


def test_the_weekly_post_goes_out_once_however_many_processes_push_it(
        hosts: list[AppHost], cluster_client: Any, scale_standin: Any) -> None:
    state = scale_standin.state
    sends = len(state.mass_sends)
    state.hang_next("message/mass/sendall", 1.0)  # the first send is slow: the others arrive meanwhile
    results = run_on_both_hosts(hosts, "posts", "push")
    assert len(state.mass_sends) - sends == 1
    said = [out.strip().rsplit("：", 1)[-1] for _, out in results]
    assert said.count("已发送") == 1, results
    assert set(said) <= {"已发送", "本周已发送过，不会重复发送", "另一个进程正在发送这一周的文章"}, results
