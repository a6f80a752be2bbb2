"""The content library: the real posts are ready to publish, and lint names every kind of mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.posts.library import CAMPAIGNS, MAX_BODY, Library, lint

GOOD = """+++
title = "欠薪别慌，四步讨回血汗钱"
digest = "包工头跑了、老板拖着不给，怎么办？"
theme = "wages"
tags = ["欠薪"]
topics = ["wage-arrears"]
earliest = 2026-01-01
campaign = ""
author = "镇司法所"
slogan = "讨薪找劳动监察"
+++
张三在工地干了半年，工钱一直拖着。

## 第一步

- 留好证据；
- 拨打12333。
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_real_library_passes_lint_and_covers_every_campaign() -> None:
    assert [str(e) for e in lint()] == []
    library = Library.load()
    assert len(library) >= 16 and not library.broken
    for campaign in CAMPAIGNS:
        assert any(p.campaign == campaign for p in library), campaign
    assert all(p.chars <= MAX_BODY and len(p.title) <= 32 for p in library)


def test_everyday_rural_themes_are_covered() -> None:
    themes = {p.theme for p in Library.load()}
    assert {"wages", "land", "fraud", "anti-drug", "minors", "domestic-violence"} <= themes


def test_a_good_post_passes(tmp_path: Path) -> None:
    write(tmp_path, "wages-four-steps.md", GOOD)
    errors = lint(tmp_path, topics={"wage-arrears"})
    assert all(e.file == "(library)" for e in errors)  # only "too few posts" / campaigns missing


@pytest.mark.parametrize("change, field", [
    (('title = "欠薪别慌，四步讨回血汗钱"', 'title = "' + "长" * 33 + '"'), "title"),
    (('digest = "包工头跑了、老板拖着不给，怎么办？"', 'digest = ""'), "digest"),
    (('slogan = "讨薪找劳动监察"', 'slogan = "' + "标" * 21 + '"'), "slogan"),
    (('topics = ["wage-arrears"]', 'topics = ["no-such-topic"]'), "topics"),
    (('campaign = ""', 'campaign = "labour-day"'), "campaign"),
    (('theme = "wages"', 'theme = "Wages and pay"'), "theme"),
    (("- 拨打12333。", "<script>alert(1)</script>"), "body"),
    (("- 拨打12333。", "![图](http://example.org/a.png)"), "body"),
    (("- 拨打12333。", "[详情](http://example.org)"), "body"),
    (("## 第一步", "# 第一步"), "body"),
    (("张三在工地干了半年，工钱一直拖着。", "张" * (MAX_BODY + 1)), "body"),
    (("earliest = 2026-01-01", 'earliest = "2026-01-01"'), "earliest"),
    (("author = \"镇司法所\"\n", ""), "author"),
    (("+++\ntitle", "title"), "front matter"),
])
def test_lint_names_the_field_of_each_mistake(tmp_path: Path, change: tuple[str, str], field: str) -> None:
    old, new = change
    assert old in GOOD
    write(tmp_path, "wages-four-steps.md", GOOD.replace(old, new, 1))
    errors = [e for e in lint(tmp_path, topics={"wage-arrears"}) if e.file != "(library)"]
    assert [e.field for e in errors] == [field], [str(e) for e in errors]


def test_a_bad_file_name_and_duplicate_titles_are_reported(tmp_path: Path) -> None:
    write(tmp_path, "Wages_Steps.md", GOOD)
    write(tmp_path, "wages-again.md", GOOD)
    errors = [str(e) for e in lint(tmp_path, topics={"wage-arrears"})]
    assert any("Wages_Steps.md: slug" in e for e in errors)
    assert any("same title" in e for e in errors) and any("same slogan" in e for e in errors)


def test_a_library_too_small_or_missing_a_campaign_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "wages-four-steps.md", GOOD)
    errors = [str(e) for e in lint(tmp_path, topics={"wage-arrears"})]
    assert any("at least 16" in e for e in errors)
    assert sum("no post for the campaign" in e for e in errors) == len(CAMPAIGNS)


def test_loading_skips_a_broken_file_and_says_why(tmp_path: Path) -> None:
    write(tmp_path, "wages-four-steps.md", GOOD)
    write(tmp_path, "broken-post.md", "no front matter here")
    write(tmp_path, "README.md", "# not a post")
    library = Library.load(tmp_path)
    assert list(library.posts) == ["wages-four-steps"]
    assert "front matter" in library.broken["broken-post.md"]


def test_slogans_are_one_short_line_per_post() -> None:
    library = Library.load()
    slogans = library.slogans()
    assert len(slogans) == len(set(slogans)) >= 16
    assert all(0 < len(s) <= 20 and "\n" not in s for s in slogans)
    assert set(library.slogans("constitution-week")) < set(slogans)
