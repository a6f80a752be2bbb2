"""The knowledge base: the real files load and lint clean; broken copies are caught by file and field."""
from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

import knowledge
from bot.matching.kb import MAX_REPLY_CHARS, KnowledgeBase, KnowledgeError, lint, read_topic_list

REAL = knowledge.KNOWLEDGE_DIR


def test_real_knowledge_base_lints_clean() -> None:
    assert [str(e) for e in lint(REAL)] == []


def test_every_listed_topic_is_loaded_in_id_order() -> None:
    kb = KnowledgeBase.load()
    listed = read_topic_list(REAL)
    assert set(listed) <= set(kb.topics)
    assert list(kb.topics) == sorted(kb.topics)
    assert kb.get("wage-arrears") is kb.topics["wage-arrears"]
    assert kb.get("no-such-topic") is None
    assert kb.scope["divorce"]  # the "covers" column of topics.tsv


def test_topic_list_is_copied_from_shared_when_shared_exists() -> None:
    shared = REAL.parents[1] / "shared" / "knowledge" / "topics.tsv"
    if not shared.exists():
        pytest.skip("../shared/knowledge/topics.tsv is not beside the project")
    assert set(read_topic_list(shared.parent)) <= set(read_topic_list(REAL))


def test_reply_text_is_one_plain_wechat_message() -> None:
    topic = KnowledgeBase.load().topics["wage-arrears"]
    reply = topic.reply_text()
    title, answer, basis, steps = reply.split("\n", 3)
    assert title == f"【{topic.title}】"
    assert answer == topic.answer.strip()
    assert basis == "依据：" + "；".join(topic.legal_basis)
    assert steps == "下一步：" + topic.next_steps
    for t in KnowledgeBase.load().topics.values():
        assert len(t.reply_text()) <= MAX_REPLY_CHARS
        assert len(t.reply_text().encode("utf-8")) <= 2048


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A writable copy of the real knowledge directory (topics, topic list, law texts)."""
    shutil.copytree(REAL / "topics", tmp_path / "topics")
    shutil.copytree(REAL / "laws", tmp_path / "laws")
    shutil.copy(REAL / "topics.tsv", tmp_path / "topics.tsv")
    return tmp_path


def _edit(path: Path, pattern: str, replacement: str) -> None:
    text = path.read_text(encoding="utf-8")
    changed, count = re.subn(pattern, replacement, text, count=1, flags=re.M | re.S)
    assert count == 1, f"{pattern!r} not found in {path.name}"
    path.write_text(changed, encoding="utf-8")


def _wage(copy: Path) -> Path:
    return copy / "topics" / "wage-arrears.toml"


BREAKAGES: dict[str, tuple[Callable[[Path], None], str, str]] = {
    "missing topic": (lambda d: (d / "topics" / "divorce.toml").unlink(), "topics/divorce.toml", "(file)"),
    "bad toml": (lambda d: _edit(_wage(d), r'^title = "', 'title = "unterminated\n'), "wage-arrears.toml", "(file)"),
    "id differs from file": (lambda d: _edit(_wage(d), r'^id = "wage-arrears"', 'id = "wages"'),
                             "wage-arrears.toml", "id"),
    "duplicate id": (lambda d: _edit(d / "topics" / "divorce.toml", r'^id = "divorce"', 'id = "wage-arrears"'),
                     "divorce.toml", "id"),
    "few questions": (lambda d: _edit(_wage(d), r"^questions = \[.*?\]", 'questions = ["讨薪"]'),
                      "wage-arrears.toml", "questions"),
    "long answer": (lambda d: _edit(_wage(d), r'^answer = """', 'answer = """' + "很长" * 400),
                    "wage-arrears.toml", "answer"),
    "markdown": (lambda d: _edit(_wage(d), r'^answer = """', 'answer = """**注意**'), "wage-arrears.toml", "answer"),
    "html": (lambda d: _edit(_wage(d), r'^next_steps = "', 'next_steps = "<b>先</b>'),
             "wage-arrears.toml", "next_steps"),
    "basis shape": (lambda d: _edit(_wage(d), r"^legal_basis = \[.*?\]", 'legal_basis = ["劳动合同法第三十条"]'),
                    "wage-arrears.toml", "legal_basis"),
    "no basis": (lambda d: _edit(_wage(d), r"^legal_basis = \[.*?\]", "legal_basis = []"),
                 "wage-arrears.toml", "legal_basis"),
    "unknown related": (lambda d: _edit(_wage(d), r"^related = \[", 'related = ["no-such-topic", '),
                        "wage-arrears.toml", "related"),
    "dispute kind": (lambda d: _edit(_wage(d), r'^dispute_kind = ".*?"', 'dispute_kind = "salary"'),
                     "wage-arrears.toml", "dispute_kind"),
    "future review": (lambda d: _edit(_wage(d), r"^reviewed = .*?$", "reviewed = 2999-01-01"),
                      "wage-arrears.toml", "reviewed"),
    "review not a date": (lambda d: _edit(_wage(d), r"^reviewed = .*?$", 'reviewed = "last week"'),
                          "wage-arrears.toml", "reviewed"),
    "wrong type": (lambda d: _edit(_wage(d), r"^keywords = \[.*?\]", 'keywords = "工资"'),
                   "wage-arrears.toml", "keywords"),
    "unknown field": (lambda d: _edit(_wage(d), r"^id = ", 'titel = "x"\nid = '), "wage-arrears.toml", "titel"),
    "hotline not named": (lambda d: _edit(_wage(d), r"^hotlines = \[", 'hotlines = ["12369", '),
                          "wage-arrears.toml", "hotlines"),
    "cited article without text": (
        lambda d: _edit(_wage(d), r"^legal_basis = \[", 'legal_basis = ["《中华人民共和国劳动合同法》第九百九十九条", '),
        "wage-arrears.toml", "legal_basis"),
    "cited law without a file": (
        lambda d: _edit(_wage(d), r"^legal_basis = \[", 'legal_basis = ["《中华人民共和国讨薪法》第一条", '),
        "wage-arrears.toml", "legal_basis"),
    "point basis without text": (
        lambda d: _edit(_wage(d), r"^basis = \[", 'basis = ["《中华人民共和国劳动合同法》第九百九十九条", '),
        "wage-arrears.toml", "points[contractor-ran].basis"),
    "shared phrasing": (lambda d: _edit(d / "topics" / "divorce.toml", r"^questions = \[", 'questions = ["讨薪", '),
                        "wage-arrears.toml", "questions"),  # the later file of the two is named
}


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_lint_names_file_and_field_of_each_breakage(copy: Path, breakage: str) -> None:
    break_it, file, field = BREAKAGES[breakage]
    assert lint(copy) == []
    break_it(copy)
    errors = lint(copy)
    assert any(e.file == file and e.field == field for e in errors), [str(e) for e in errors]


def test_load_refuses_a_broken_file_naming_file_and_field(copy: Path) -> None:
    _edit(_wage(copy), r"^keywords = \[.*?\]", "keywords = 3")
    with pytest.raises(KnowledgeError, match=r"wage-arrears\.toml: keywords"):
        KnowledgeBase.load(copy)


def test_lint_uses_the_given_day_for_future_dates(copy: Path) -> None:
    reviewed = KnowledgeBase.load(copy).topics["wage-arrears"].reviewed
    early = reviewed - dt.timedelta(days=1)
    assert any(e.field == "reviewed" for e in lint(copy, today=early))
    assert not any(e.field == "reviewed" for e in lint(copy, today=reviewed))
