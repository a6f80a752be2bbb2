"""The villagers' own words for things (knowledge/dict/vocabulary.tsv) lead to the right topic."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from bot.matching.matcher import Matcher
from bot.matching.vocabulary import Vocabulary, lint

# Written for this test: each names the thing, never the legal category.
CONCRETE = [
    ("在直播间抢了一瓶面霜 钱付了半个月还没发货", "consumer-rights"),
    ("下地浇水被耷拉的电线电了一下 手都麻了", "personal-injury"),
    ("公交车上有人摸屁股 我能报警吗", "public-security-penalty"),
    ("村里有人偷电 拉线接到自家", "public-security-penalty"),
]


@pytest.fixture(scope="module")
def matcher(knowledge: tuple[Any, Any]) -> Matcher:
    return knowledge[1]


@pytest.fixture(scope="module")
def without_vocabulary(matcher: Matcher) -> Matcher:
    bare = copy.copy(matcher)
    bare.vocabulary = Vocabulary.empty()
    return bare


@pytest.mark.parametrize(("text", "topic"), CONCRETE)
def test_a_concrete_thing_leads_to_its_topic_and_more_surely_than_without_the_list(
        matcher: Matcher, without_vocabulary: Matcher, text: str, topic: str) -> None:
    found = matcher._match(text)  # uncached: the copy without the list must not share results
    bare = without_vocabulary._match(text)
    assert (found.intent, found.topic) == ("faq", topic), found  # answered, or the one "did you mean"
    assert found.ambiguous is False or len(found.candidates) == 1, found
    assert found.score > bare.score, (found, bare)


def test_hints_take_the_longest_word_and_name_few_topics() -> None:
    vocabulary = Vocabulary.from_rows([("电线", "personal-injury"), ("电线杆", "neighbor-relations"),
                                       ("面霜", "consumer-rights")],
                                      {"personal-injury": "人身损害", "neighbor-relations": "相邻关系",
                                       "consumer-rights": "消费者维权"}, lambda t: t.replace(" ", ""))
    assert vocabulary.hints("电线杆倒在我家院子") == ("neighbor-relations",)
    assert vocabulary.hints("面霜没发货") == ("consumer-rights",)
    assert vocabulary.titles["consumer-rights"] == "消费者维权" and vocabulary.hints("今天天气") == ()


def test_a_hinted_message_reads_as_if_the_title_were_written_after_it(knowledge: tuple[Any, Any]) -> None:
    """The matcher joins the message's analysis with the title's (one cut of the message); that is
    exactly the analysis of the message with the title appended after a space."""
    matcher = knowledge[1]
    for message, title in (("面霜 没 发货", "消费者维权"), ("电线 掉 下来 把 人 电 了", "人身损害")):
        joined = matcher.analyse(message).followed_by(matcher.analyse(title))
        assert joined == matcher.analyse(f"{message} {title}")


def test_the_list_is_lint_clean_and_a_word_under_two_topics_is_refused(tmp_path: Path) -> None:
    import knowledge

    shipped = knowledge.KNOWLEDGE_DIR / "dict" / "vocabulary.tsv"
    topics = [p.stem for p in (knowledge.KNOWLEDGE_DIR / "topics").glob("*.toml")]
    assert lint(shipped, topics) == []
    bad = tmp_path / "vocabulary.tsv"
    bad.write_text("面霜\tconsumer-rights\n面霜\tpersonal-injury\n扯证\tno-such-topic\n", encoding="utf-8")
    assert [problem for _, problem in lint(bad, topics)] == [
        "'面霜' is listed for both consumer-rights and personal-injury", "unknown topic 'no-such-topic'"]
