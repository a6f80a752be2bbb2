"""Markdown → WeChat article HTML: the structure survives, nothing executable or external does."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from bot.posts.library import Library
from bot.posts.render import STYLE, blocks, page, to_html

ALLOWED = {"p", "section", "strong", "ul", "ol", "li", "br"}


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def test_headings_lists_and_bold_become_styled_wechat_markup() -> None:
    html = to_html("开头一段，\n接着一行。\n\n## 怎么办\n\n- 第一，**留证据**；\n- 第二，找调解。\n\n### 小标题\n\n1. 甲\n2. 乙")
    assert html.startswith(f'<p style="{STYLE["p"]}">开头一段，接着一行。</p>')
    assert f'<section style="{STYLE["h2"]}"><strong>怎么办</strong></section>' in html
    assert "<li style=" in html and "<strong>留证据</strong>" in html
    assert f'<section style="{STYLE["h3"]}"><strong>小标题</strong></section>' in html
    assert html.count("<ol ") == 1 and html.count("<ul ") == 1


def test_blocks_split_on_blank_lines_and_item_continuations() -> None:
    found = blocks("甲\n乙\n\n- 一\n  续\n- 二\n\n丙")
    assert [(b.kind, b.lines) for b in found] == [("p", ("甲", "乙")), ("ul", ("一续", "二")), ("p", ("丙",))]


@pytest.mark.parametrize("hostile", [
    "<script>alert(1)</script>",
    '<img src="http://evil.example/x.png" onerror="alert(1)">',
    "![cover](http://evil.example/x.png)",
    "[点我](javascript:alert(1))",
    '<a href="http://evil.example">链接</a>',
    '**<iframe src="http://evil.example"></iframe>**',
    "## <style>body{display:none}</style>",
])
def test_nothing_executable_or_external_gets_through(hostile: str) -> None:
    html = to_html(f"正文\n\n{hostile}\n\n- {hostile}")
    for tag, attrs in tags_of(html):
        assert tag in ALLOWED
        assert attrs == {} or (set(attrs) == {"style"} and attrs["style"] in STYLE.values())
    assert not any(raw in html for raw in ("<script", "<img", "<a ", "<iframe", "<style", "](javascript"))


def test_the_footer_is_escaped_plain_text() -> None:
    html = to_html("正文", footer="示例镇司法所 <b>电话</b>\n第二行")
    assert html.endswith(f'<p style="{STYLE["footer"]}">示例镇司法所 &lt;b&gt;电话&lt;/b&gt;<br/>第二行</p>')


def test_every_post_renders_within_wechat_limits() -> None:
    for post in Library.load():
        html = to_html(post.body, "页脚")
        assert 0 < len(html) < 20000 and len(html.encode()) < 1024 * 1024, post.slug
        assert {tag for tag, _ in tags_of(html)} <= ALLOWED, post.slug
        assert "**" not in html and "##" not in html, post.slug


def test_the_page_escapes_everything_but_the_rendered_body() -> None:
    html = page('标题<script>', "作者\"", "<p>正文</p>", cover_url='x.png" onload="y', review={"周<": "2026>"})
    assert "<script>" not in html and "标题&lt;script&gt;" in html
    assert 'x.png&quot; onload=&quot;y' in html and "周&lt;" in html and "<p>正文</p>" in html
