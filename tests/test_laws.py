"""The law's own words: citations resolve to article text in knowledge/laws/, and lint says which do not."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.matching.laws import Laws, chinese_number, lint, parse_citation

CIVIL = "中华人民共和国民法典"
INTERPRETATION = "最高人民法院关于适用〈中华人民共和国民法典〉婚姻家庭编的解释（二）"


@pytest.fixture
def laws_dir(tmp_path: Path) -> Path:
    """A small knowledge directory with two law files, as the data team writes them."""
    (tmp_path / "laws").mkdir()
    (tmp_path / "laws" / "civil-code.toml").write_text(f'''
name = "{CIVIL}"
aliases = ["民法典"]
version = "2020年5月28日第十三届全国人民代表大会第三次会议通过"
effective = 2021-01-01

[articles]
"287-2" = """第二百八十七条之二　测试用的条文之二。"""
"1143" = """第一千一百四十三条　无民事行为能力人或者限制民事行为能力人所立的遗嘱无效。
遗嘱必须表示遗嘱人的真实意思，受欺诈、胁迫所立的遗嘱无效。
伪造的遗嘱无效。
遗嘱被篡改的，篡改的内容无效。"""
"1079" = """第一千零七十九条　夫妻一方要求离婚的，可以由有关组织进行调解或者直接向人民法院提起离婚诉讼。
有下列情形之一，调解无效的，应当准予离婚：
（一）重婚或者与他人同居；
（二）实施家庭暴力或者虐待、遗弃家庭成员；
一方被宣告失踪，另一方提起离婚诉讼的，应当准予离婚。"""
''', encoding="utf-8")
    (tmp_path / "laws" / "marriage-interpretation-2.toml").write_text(f'''
name = "{INTERPRETATION}"
version = "2025年1月15日公布"
effective = 2025-02-01

[articles]
"12" = """第十二条　父母一方或者其近亲属等抢夺、藏匿未成年子女……"""
''', encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("text, number", [("一千一百四十三", 1143), ("二百八十七", 287), ("十五", 15),
                                          ("一百零五", 105), ("四十", 40), ("一千零七十九", 1079), ("23", 23),
                                          ("第", None), ("", None)])
def test_chinese_numerals_become_numbers(text: str, number: int | None) -> None:
    assert chinese_number(text) == number


@pytest.mark.parametrize("citation, law, key, label", [
    (f"《{CIVIL}》第一千一百四十三条第四款", CIVIL, "1143", "第1143条第4款"),
    (f"《{CIVIL}》第二百八十七条之二", CIVIL, "287-2", "第287条之二"),
    (f"《{INTERPRETATION}》第十二条", INTERPRETATION, "12", "第12条"),
    (f"《{CIVIL}》第一千零七十九条第二款第一项", CIVIL, "1079", "第1079条第2款"),
])
def test_a_citation_names_one_article(citation: str, law: str, key: str, label: str) -> None:
    parsed = parse_citation(citation)
    assert parsed is not None and (parsed.law, parsed.key, parsed.label) == (law, key, label)


def test_a_document_without_articles_is_cited_whole_and_quoted_from_its_file() -> None:
    decision = "《全国人民代表大会常务委员会关于设立国家宪法日的决定》"
    parsed = parse_citation(decision)
    assert parsed is not None and parsed.key == "全文" and parsed.label == ""
    quote = Laws.load().quote(decision)
    assert quote is not None and "12月4日" in quote.text


@pytest.mark.parametrize("citation", [f"《{CIVIL}》第五条、第六条", f"《{CIVIL}》第五条至第九条",
                                      "民法典第五条", f"《{CIVIL}》第条"])
def test_what_is_not_one_article_is_refused(citation: str) -> None:
    assert parse_citation(citation) is None


def test_a_cited_paragraph_is_quoted_alone_without_the_printed_number(laws_dir: Path) -> None:
    laws = Laws.load(laws_dir)
    quote = laws.quote(f"《{CIVIL}》第一千一百四十三条第四款")
    assert quote is not None and (quote.law, quote.label, quote.text) == (CIVIL, "第1143条第4款", "遗嘱被篡改的，篡改的内容无效。")
    whole = laws.quote(f"《{CIVIL}》第一千一百四十三条")
    assert whole is not None and whole.text.startswith("无民事行为能力人") and whole.text.endswith("篡改的内容无效。")
    items = laws.quote(f"《{CIVIL}》第一千零七十九条第二款")
    assert items is not None and items.text.startswith("有下列情形之一") and "（二）实施家庭暴力" in items.text
    assert "一方被宣告失踪" not in items.text


def test_sub_articles_aliases_and_interpretations_resolve(laws_dir: Path) -> None:
    laws = Laws.load(laws_dir)
    assert laws.quote(f"《{CIVIL}》第二百八十七条之二").text == "测试用的条文之二。"
    assert laws.quote("《民法典》第二百八十七条之二").law == CIVIL
    assert laws.quote(f"《{INTERPRETATION}》第十二条").text.startswith("父母一方")
    assert laws.quote(f"《{CIVIL}》第一千一百四十三条第九款").label == "第1143条"  # no such paragraph: whole article
    assert laws.quote(f"《{CIVIL}》第一条") is None and laws.quote("《中华人民共和国讨薪法》第一条") is None


def test_lint_names_each_citation_without_text_and_each_broken_law_file(laws_dir: Path) -> None:
    (laws_dir / "laws" / "broken.toml").write_text('name = "x"\nversion = "v"\neffective = "yesterday"\n'
                                                   '[articles]\n"第一条" = "x"\n', encoding="utf-8")
    citations = [("will.toml", "legal_basis", f"《{CIVIL}》第一千一百四十三条第四款"),
                 ("will.toml", "points[tampered].basis", f"《{CIVIL}》第一千一百四十四条"),
                 ("x.toml", "legal_basis", "《中华人民共和国讨薪法》第一条"),
                 ("x.toml", "legal_basis", f"《{CIVIL}》第五条、第六条")]
    problems = lint(laws_dir, citations)
    where = [(file, field) for file, field, _ in problems]
    assert ("will.toml", "legal_basis") not in where
    assert ("will.toml", "points[tampered].basis") in where and where.count(("x.toml", "legal_basis")) == 2
    broken = [message for file, _, message in problems if file == "laws/broken.toml"]
    assert any("effective" in m for m in broken) and any("第一条" in m for m in broken)


def test_every_citation_of_the_real_knowledge_base_is_shaped_like_one_article_or_named_by_lint() -> None:
    """The real data: whatever lint does not report resolves to article text."""
    from bot.matching.kb import KnowledgeBase, lint as kb_lint

    kb = KnowledgeBase.load()
    reported = {str(e) for e in kb_lint()}
    laws = Laws.load()
    for topic in kb.topics.values():
        for citation in topic.legal_basis:
            if not any(citation in r for r in reported):
                assert laws.quote(citation) is not None, citation


def test_a_law_replaced_by_a_successor_in_force_is_named_with_the_answers_that_still_rely_on_it(laws_dir: Path) -> None:
    """A reviewer marks the old environmental law with the code that takes it in; from the code's
    first day, lint warns once for the file and names the topic files that still cite it."""
    import datetime as dt

    from bot.matching.laws import outdated

    (laws_dir / "laws" / "old-law.toml").write_text('''
name = "中华人民共和国测试旧法"
aliases = ["测试旧法"]
version = "2014年修订"
effective = 2015-01-01
successor = "中华人民共和国测试法典"
successor_effective = 2026-08-15

[articles]
"57" = """第五十七条　测试用的条文。"""
''', encoding="utf-8")
    citations = [("environment.toml", "legal_basis", "《测试旧法》第五十七条"),
                 ("environment.toml", "points[report].basis", "《中华人民共和国测试旧法》第五十七条"),
                 ("will.toml", "legal_basis", f"《{CIVIL}》第一千一百四十三条")]
    assert outdated(laws_dir, citations, dt.date(2026, 8, 14)) == []  # the code is not in force yet
    [(file, field, message)] = outdated(laws_dir, citations, dt.date(2026, 12, 8))
    assert (file, field) == ("laws/old-law.toml", "successor")
    assert "《中华人民共和国测试法典》" in message and "2026-08-15" in message and "2015-01-01" in message
    assert "environment.toml" in message and "will.toml" not in message
    assert lint(laws_dir, citations) == []  # a warning, not an error: the old text still resolves


@pytest.mark.parametrize("header, problem", [
    ('successor = "中华人民共和国测试法典"\n', "successor_effective"),
    ('successor = "中华人民共和国测试法典"\nsuccessor_effective = "2026年8月15日"\n', "successor_effective"),
    ("successor = 7\nsuccessor_effective = 2026-08-15\n", "successor: not a string"),
    ("successor_effective = 2026-08-15\n", "without a successor"),
])
def test_a_successor_without_its_date_is_an_error_of_the_law_file(laws_dir: Path, header: str, problem: str) -> None:
    (laws_dir / "laws" / "old-law.toml").write_text(
        f'name = "旧法"\nversion = "v"\neffective = 2015-01-01\n{header}[articles]\n"1" = "第一条　x"\n', encoding="utf-8")
    messages = [message for file, _, message in lint(laws_dir, []) if file == "laws/old-law.toml"]
    assert any(problem in m for m in messages), messages
