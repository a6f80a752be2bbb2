"""Publishing through the WeChat stand-in: on time, exactly once, retried, reported, never dropped."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest

from bot.dev import wire
from bot.posts import Posts
from bot.posts.library import Library
from tests.posts.conftest import PUBLIC, at

pytestmark = pytest.mark.clock  # the weekly post reads the wall clock: tests/test_any_day.py moves it

REDIS_KINDS = ("single", "cluster")  # run on one server and on a Redis Cluster

MONDAY = "2026-03-02"  # an everyday week (no campaign)


def sends(standin: Any) -> list[dict[str, Any]]:
    return standin.state.mass_sends


def test_the_post_goes_out_at_nine_on_monday_and_only_once(services: Any, standin: Any) -> None:
    follower = wire.fake_openid()
    standin.state.add_user(follower)
    posts: Posts = services.posts
    assert posts.run_due(at(f"{MONDAY} 08:59")).action == "missed"  # last week: no worker ran then
    assert sends(standin) == []
    outcome = posts.run_due(at(f"{MONDAY} 09:00"))
    assert outcome.action == "sent"
    record = outcome.record
    assert [s["clientmsgid"] for s in sends(standin)] == [f"weekly-{MONDAY}"]
    sent = sends(standin)[0]
    assert sent["filter"] == {"is_to_all": True} and sent["msgtype"] == "mpnews"
    article = sent["articles"][0]
    post = posts.library.get(record["slug"])
    assert post is not None and article["title"] == post.title and article["digest"] == post.digest
    assert "<p style=" in article["content"] and "<script" not in article["content"]
    assert article["content_source_url"] == f"{PUBLIC}/posts/{post.slug}"
    assert standin.state.get_media(article["thumb_media_id"], temporary=False).kind == "image"
    assert record["status"] == "sent" and record["msg_id"] and record["reason"] == "demand"
    assert [m["kind"] for m in standin.state.messages_for(follower)] == ["mass"]
    for later in ("09:01", "18:00"):
        assert posts.run_due(at(f"{MONDAY} {later}")).action == "already"
    assert posts.run_due(at("2026-03-05 10:00")).action == "already"
    assert len(sends(standin)) == 1 and len(standin.state.calls_to("message/mass/sendall")) == 1


def test_two_workers_racing_through_a_wechat_error_send_exactly_once(
        make_posts: Any, standin: Any, caplog: pytest.LogCaptureFixture) -> None:
    standin.state.fail_next("message/mass/sendall", -1)
    workers = [make_posts(), make_posts()]
    start = threading.Barrier(len(workers))
    times = [at(f"{MONDAY} 09:00:00"), at(f"{MONDAY} 09:00:30"), at(f"{MONDAY} 09:01:01"), at(f"{MONDAY} 09:02")]
    actions: list[str] = []

    def work(posts: Posts) -> None:
        start.wait()
        for now in times:
            actions.append(posts.run_due(now).action)

    with caplog.at_level(logging.ERROR, logger="bot.posts.publisher"):
        threads = [threading.Thread(target=work, args=(w,)) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    assert len(sends(standin)) == 1  # the follower-visible effect happened once
    assert len(standin.state.calls_to("message/mass/sendall")) == 2  # the refused one, then the one
    assert len(standin.state.calls_to("material/add_material")) == 1  # the retry resumed from the record
    assert len(standin.state.calls_to("draft/add")) == 1
    assert actions.count("sent") == 1 and actions.count("retrying") == 1
    record = workers[0].publisher.record(workers[0].active_week(times[-1]))
    assert record["status"] == "sent" and record["attempts"] == "1"
    kinds = [a["kind"] for a in workers[0].alerts()]
    assert kinds == ["recovered", "retry"]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and errors[0].errcode == -1  # type: ignore[attr-defined]


def test_a_send_that_timed_out_but_went_through_is_not_sent_again(make_posts: Any, standin: Any) -> None:
    """WeChat accepted the send but the answer never came back: the retry's clientmsgid is refused
    (45065), which counts as sent. Whichever arrives first, followers get one message."""
    posts = make_posts(wechat={"request_timeout": 0.5})
    standin.state.hang_next("message/mass/sendall", 1.5)
    first = posts.run_due(at(f"{MONDAY} 09:00"))
    assert first.action == "retrying" and "network" in first.record["error"]
    deadline = time.monotonic() + 5
    while not sends(standin) and time.monotonic() < deadline:
        time.sleep(0.05)
    second = posts.run_due(at(f"{MONDAY} 09:01:01"))
    assert second.action == "sent" and second.record["msg_id"] == "duplicate"
    assert len(sends(standin)) == 1


def test_failures_back_off_then_stop_and_tell_the_staff(services: Any, standin: Any,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    posts: Posts = services.posts
    standin.state.fail_next("draft/add", 45009, times=5, errmsg="reach max api daily quota limit")
    t0 = at(f"{MONDAY} 09:00")
    with caplog.at_level(logging.ERROR, logger="bot.posts.publisher"):
        actions = [posts.run_due(t0 + offset).action for offset in (0, 30, 60, 179, 180, 420, 900)]
    assert actions == ["retrying", "waiting", "retrying", "waiting", "retrying", "retrying", "failed"]
    record = posts.publisher.record(posts.active_week(t0))
    assert record["status"] == "failed" and record["attempts"] == "5" and record["errcode"] == "45009"
    assert [a["kind"] for a in posts.alerts()] == ["failed"] + ["retry"] * 4
    assert "pufabot posts push" in posts.alerts()[0]["text"]
    assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 5
    assert posts.run_due(t0 + 3600).action == "failed" and sends(standin) == []
    assert len(standin.state.calls_to("material/add_material")) == 1
    pushed = posts.push(posts.active_week(t0), t0 + 7200)  # the operator, once the quota is back
    assert pushed.action == "sent" and len(sends(standin)) == 1
    assert posts.push(posts.active_week(t0), t0 + 7300).action == "already" and len(sends(standin)) == 1


def test_publish_mode_keeps_wechats_article_url(make_posts: Any, standin: Any) -> None:
    posts = make_posts(mode="publish")
    outcome = posts.run_due(at(f"{MONDAY} 09:00"))
    assert outcome.action == "sent" and sends(standin) == []
    assert len(standin.state.calls_to("freepublish/submit")) == 1
    url = outcome.record["article_url"]
    assert url.startswith("https://mp.weixin.qq.com/s/")
    current = posts.current(at(f"{MONDAY} 12:00"))
    assert current is not None and current.url == url


def test_both_mode_mass_sends_one_draft_and_publishes_another(make_posts: Any, standin: Any) -> None:
    posts = make_posts(mode="both", tag_id=2)
    record = posts.run_due(at(f"{MONDAY} 09:00")).record
    assert len(standin.state.calls_to("draft/add")) == 2
    assert record["draft_media_id"] != record["publish_draft_media_id"]
    assert [s["filter"] for s in sends(standin)] == [{"is_to_all": False, "tag_id": 2}]
    assert record["article_url"] and record["msg_id"]


def test_a_week_without_a_usable_post_is_skipped_and_reported(services: Any, standin: Any) -> None:
    s = services
    posts = Posts(s.config, s.redis, s.keys, s.wechat, s.counters, s.texts, library=Library({}))
    outcome = posts.run_due(at(f"{MONDAY} 09:00"))
    assert outcome.action == "skipped" and standin.state.calls == []
    assert posts.alerts()[0]["kind"] == "skipped"
    assert posts.run_due(at(f"{MONDAY} 10:00")).action == "skipped" and len(posts.alerts()) == 1


def test_a_week_nobody_started_in_time_is_reported_then_pushable(services: Any, standin: Any) -> None:
    posts: Posts = services.posts
    tuesday = at("2026-03-03 10:00")
    assert posts.run_due(tuesday).action == "missed" and sends(standin) == []
    assert "pufabot posts push" in posts.alerts()[0]["text"]
    assert posts.run_due(tuesday + 60).action == "missed"
    assert posts.push(posts.active_week(tuesday), tuesday + 120).action == "sent" and len(sends(standin)) == 1


def test_a_campaign_week_sends_the_campaign_post(services: Any, standin: Any) -> None:
    record = services.posts.run_due(at("2026-11-30 09:00")).record  # the Monday before 12·4
    assert record["campaign"] == "constitution-week" and record["reason"] == "campaign"
    post = services.posts.library.get(record["slug"])
    assert post is not None and post.campaign == "constitution-week"


def test_the_next_weeks_post_is_a_different_one(services: Any, standin: Any) -> None:
    posts: Posts = services.posts
    first = posts.run_due(at(f"{MONDAY} 09:00")).record
    standin.state.advance(7 * 86400)  # a subscription account mass-sends once a day
    second = posts.run_due(at("2026-03-09 09:00")).record
    assert second["status"] == "sent" and second["slug"] != first["slug"]
    assert second["campaign"] == "consumer-day"
    assert [s["clientmsgid"] for s in sends(standin)] == [f"weekly-{MONDAY}", "weekly-2026-03-09"]


def test_what_villagers_ask_decides_an_everyday_week(services: Any, standin: Any) -> None:
    day = services.counters.day(at("2026-02-27 10:00"))
    services.redis.hset(services.keys.stats(f"day:{day}"), mapping={"faq|telecom-fraud": 30, "faq|divorce": 2})
    record = services.posts.run_due(at(f"{MONDAY} 09:00")).record
    assert record["slug"].startswith("fraud-") and record["score"] == "30"


def test_an_article_url_wechat_has_not_given_yet_is_fetched_later(make_posts: Any, standin: Any) -> None:
    posts = make_posts(mode="publish")
    standin.state.fail_next("freepublish/get", -1)
    first = posts.run_due(at(f"{MONDAY} 09:00"))
    assert first.action == "sent" and not first.record.get("article_url")
    current = posts.current(at(f"{MONDAY} 09:00:30"))
    assert current is not None and current.url == f"{PUBLIC}/posts/{first.record['slug']}"
    posts.run_due(at(f"{MONDAY} 09:01"))  # the worker's next minute
    current = posts.current(at(f"{MONDAY} 09:01:30"))
    assert current is not None and current.url.startswith("https://mp.weixin.qq.com/s/")
    assert len(standin.state.calls_to("freepublish/submit")) == 1


def test_a_publication_wechat_refuses_later_is_reported(make_posts: Any, standin: Any) -> None:
    posts = make_posts(mode="publish")
    standin.state.fail_next("freepublish/get", -1)
    record = posts.run_due(at(f"{MONDAY} 09:00")).record
    standin.state.published[record["publish_id"]]["publish_status"] = 4  # refused by platform review
    posts.run_due(at(f"{MONDAY} 09:01"))
    posts.run_due(at(f"{MONDAY} 09:02"))
    alerts = posts.alerts()
    assert [a["kind"] for a in alerts] == ["publish_failed"] and "状态 4" in alerts[0]["text"]
    assert len(standin.state.calls_to("freepublish/get")) == 2  # asked once more, then stopped asking


def test_a_publication_refused_at_once_is_published_again(make_posts: Any, standin: Any) -> None:
    posts = make_posts(mode="publish")
    original = standin.state.publish

    def refused_once(media_id: str) -> dict[str, Any]:
        result = original(media_id)
        standin.state.published[result["publish_id"]]["publish_status"] = 3
        standin.state.publish = original  # type: ignore[method-assign]
        return result

    standin.state.publish = refused_once  # type: ignore[method-assign]
    first = posts.run_due(at(f"{MONDAY} 09:00"))
    assert first.action == "retrying" and "publish_status 3" in first.record["error"]
    second = posts.run_due(at(f"{MONDAY} 09:01:01"))
    assert second.action == "sent" and second.record["article_url"]
    assert len(standin.state.calls_to("freepublish/submit")) == 2 and len(standin.state.calls_to("draft/add")) == 2
