"""In the chat: 本周普法 (menu), 普法 / 本周 (words) and topic answers; the public post pages."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.posts.conftest import PUBLIC

pytestmark = pytest.mark.clock  # the weekly post reads the wall clock: tests/test_any_day.py moves it

REDIS_KINDS = ("single", "cluster")  # run on one server and on a Redis Cluster


@pytest.fixture
def sent(services: Any, standin: Any) -> dict[str, str]:
    """This week's post, sent by the weekly job."""
    outcome = services.posts.run_due(services.posts.scheduled_at(services.posts.active_week(time.time())).timestamp())
    assert outcome.action == "sent"
    return outcome.record


def test_before_any_post_the_menu_says_so_honestly(villager: Any, standin: Any) -> None:
    reply = villager().click("MENU_WEEKLY")
    assert reply.kind == "text" and "本周的普法文章还在准备中" in reply.content


@pytest.mark.parametrize("ask", [lambda v: v.click("MENU_WEEKLY"), lambda v: v.say("普法"),
                                 lambda v: v.say("本周"), lambda v: v.say(" 本周普法 ")])
def test_the_menu_and_the_words_return_this_weeks_post(villager: Any, sent: dict[str, str], ask: Any) -> None:
    reply = ask(villager())
    assert reply.kind == "news"
    assert reply.title == sent["title"] and reply.description == sent["digest"]
    assert reply.url == f"{PUBLIC}/posts/{sent['slug']}"


def test_in_safe_mode_too(villager: Any, sent: dict[str, str]) -> None:
    reply = villager(safe_mode=True).say("普法")
    assert reply.kind == "news" and reply.title == sent["title"]


def test_the_news_reply_shows_the_cover_wechat_stored(villager: Any, sent: dict[str, str]) -> None:
    assert "<PicUrl><![CDATA[http://mmbiz.qpic.cn/" in villager().click("MENU_WEEKLY").raw


def test_the_whole_topic_answer_ends_with_a_related_post(villager: Any, services: Any) -> None:
    v = villager()
    assert "「详细」" in v.say("网上刷单返利是不是骗人的").content  # the short answer
    reply = v.say("详细")
    assert reply.kind == "text"
    if "相关普法文章" not in reply.content:
        pytest.skip("the matcher did not answer with a topic that has a post")
    assert f'<a href="{PUBLIC}/posts/' in reply.content
    assert len(reply.content.encode("utf-8")) <= 2048


def test_a_related_post_link_is_added_only_when_it_fits(services: Any) -> None:
    posts = services.posts
    short = posts.with_related("telecom-fraud", "答复")
    assert short.startswith("答复\n相关普法文章：") and f"{PUBLIC}/posts/fraud-" in short
    long = "长" * 670  # 2010 bytes: the link would go over WeChat's 2048
    assert posts.with_related("telecom-fraud", long) == long
    assert posts.with_related("no-such-topic", "答复") == "答复"


def test_no_link_without_a_public_address(make_posts: Any) -> None:
    assert make_posts(public_base_url="").with_related("telecom-fraud", "答复") == "答复"


def test_the_public_page_serves_the_rendered_post(client: Any, services: Any) -> None:
    slug = next(iter(services.posts.library.posts))
    post = services.posts.library.get(slug)
    res = client.get(f"/posts/{slug}")
    assert res.status_code == 200 and res.mimetype == "text/html"
    page = res.get_data(as_text=True)
    assert post.title in page and "<script" not in page and "<p style=" in page
    cover = client.get(f"/posts/{slug}/cover.png")
    assert cover.status_code == 200 and cover.data.startswith(b"\x89PNG")
    assert client.get("/posts/no-such-post").status_code == 404
    assert client.get("/posts/..%2Fconfig").status_code == 404
