"""The legal knowledge base: load and lint ``knowledge/topics/*.toml`` (pure: no Flask, no redis).

``KnowledgeBase.load`` is strict about the schema (a broken file stops start-up with a message
naming the file and the field); ``lint`` checks everything a reviewer should not have to: lengths,
markup, legal-basis shape, coverage of ``topics.tsv``, related ids, dates, and that every cited
article has its text in ``knowledge/laws/`` (``bot.matching.laws``).
"""
from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import knowledge
from bot.errors import PufabotError
from bot.matching import laws

DISPUTE_KINDS = frozenset(
    {"neighbours", "land", "family", "inheritance", "wages", "debts", "traffic", "consumer", "other", ""}
)
MIN_QUESTIONS = 8
MAX_REPLY_CHARS = 600
MAX_REPLY_BYTES = 2048  # WeChat's limit for one passive text reply

_STR_LISTS = ("questions", "keywords", "legal_basis", "hotlines", "related")
_STRINGS = ("id", "title", "dispute_kind", "answer", "next_steps")
_FIELDS = frozenset(_STR_LISTS + _STRINGS + ("reviewed", "synonyms", "summary", "points"))
_POINT_FIELDS = frozenset({"id", "title", "questions", "keywords", "answer", "basis"})
_POINT_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_POINT_CHARS = 160  # a point answers one question: about a phone screen
MAX_SUMMARY_CHARS = 160
MIN_POINT_QUESTIONS = 3
_LEGAL_BASIS = re.compile(r"^《[^\n]{2,80}》[^\n《]*$")
_MARKUP = (
    (re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>"), "HTML tag"),
    (re.compile(r"&[a-zA-Z]{2,8};|&#\d+;"), "HTML entity"),
    (re.compile(r"\*\*|__|`"), "Markdown emphasis or code"),
    (re.compile(r"(?m)^\s*#{1,6}\s"), "Markdown heading"),
    (re.compile(r"(?m)^\s*(?:[-*+>])\s"), "Markdown list or quote"),
    (re.compile(r"\[[^\]]*\]\([^)]*\)"), "Markdown link"),
)


class KnowledgeError(PufabotError):
    """A topic file cannot be loaded; the message names the file and the field."""


@dataclass(frozen=True)
class LintError:
    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}"


@dataclass(frozen=True)
class Point:
    """A short answer to one specific thing villagers ask about a topic (期限, 去哪办, 要多少钱...)."""

    id: str
    title: str
    questions: tuple[str, ...]
    keywords: tuple[str, ...]
    answer: str
    basis: tuple[str, ...]


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    dispute_kind: str
    reviewed: dt.date
    questions: tuple[str, ...]
    keywords: tuple[str, ...]
    synonyms: Mapping[str, str]
    answer: str
    legal_basis: tuple[str, ...]
    next_steps: str
    hotlines: tuple[str, ...]
    related: tuple[str, ...]
    summary: str = ""
    points: tuple[Point, ...] = ()

    def point(self, point_id: str) -> Point | None:
        return next((p for p in self.points if p.id == point_id), None)

    def reply_text(self) -> str:
        """The one WeChat text reply for this topic."""
        return (
            f"【{self.title.strip()}】\n{self.answer.strip()}\n"
            f"依据：{'；'.join(b.strip() for b in self.legal_basis)}\n"
            f"下一步：{self.next_steps.strip()}"
        )


@dataclass(frozen=True)
class KnowledgeBase:
    topics: Mapping[str, Topic]
    scope: Mapping[str, str] = field(default_factory=dict)  # id → what topics.tsv says it covers

    @classmethod
    def load(cls, directory: Path | None = None) -> KnowledgeBase:
        """Load ``directory/topics/*.toml`` (default: the packaged ``knowledge/``), ordered by id."""
        directory = Path(directory) if directory is not None else knowledge.KNOWLEDGE_DIR
        topics: dict[str, Topic] = {}
        for path in sorted((directory / "topics").glob("*.toml")):
            data, errors = _read(path)
            if errors:
                raise KnowledgeError(str(errors[0]))
            topic = _topic(data)
            if topic.id in topics:
                raise KnowledgeError(f"{path.name}: id: {topic.id!r} is used by another file")
            topics[topic.id] = topic
        scope = read_topic_list(directory, "covers") if (directory / "topics.tsv").exists() else {}
        return cls(MappingProxyType(dict(sorted(topics.items()))), MappingProxyType(scope))

    def get(self, topic_id: str) -> Topic | None:
        return self.topics.get(topic_id)


def read_topic_list(directory: Path, column: str = "title") -> dict[str, str]:
    """id → one column (``title`` or ``covers``) of ``topics.tsv``, whose first line names the columns."""
    lines = (directory / "topics.tsv").read_text(encoding="utf-8").splitlines()
    header = [cell.strip() for cell in lines[0].split("\t")] if lines else []
    at = header.index(column) if column in header else None
    rows: dict[str, str] = {}
    for line in lines[1:]:
        cells = line.split("\t")
        if cells and cells[0].strip():
            rows[cells[0].strip()] = cells[at].strip() if at is not None and at < len(cells) else ""
    return rows


def lint(directory: Path | None = None, today: dt.date | None = None) -> list[LintError]:
    """Every problem of the knowledge base in ``directory``; an empty list means it is fine."""
    directory = Path(directory) if directory is not None else knowledge.KNOWLEDGE_DIR
    today = today or dt.date.today()
    errors: list[LintError] = []
    loaded: dict[str, tuple[str, Topic]] = {}
    for path in sorted((directory / "topics").glob("*.toml")):
        data, file_errors = _read(path)
        errors.extend(file_errors)
        if file_errors:
            continue
        topic = _topic(data)
        errors.extend(_lint_topic(path.name, topic, today))
        if topic.id in loaded:
            errors.append(LintError(path.name, "id", f"{topic.id!r} is also the id of {loaded[topic.id][0]}"))
        else:
            loaded[topic.id] = (path.name, topic)
    errors.extend(_lint_across(directory, loaded))
    errors.extend(_lint_citations(directory, loaded))
    vocabulary_file = directory / "dict" / "vocabulary.tsv"
    if vocabulary_file.is_file():
        from bot.matching.vocabulary import lint as lint_vocabulary

        errors.extend(LintError(where, "vocabulary", problem) for where, problem in lint_vocabulary(vocabulary_file, loaded))
    return errors


def warnings(directory: Path | None = None, today: dt.date | None = None) -> list[LintError]:
    """What a reviewer should look at but need not block a release: law files whose version a
    successor in force has replaced (bot/matching/laws.py ``outdated``)."""
    directory = Path(directory) if directory is not None else knowledge.KNOWLEDGE_DIR
    loaded: dict[str, tuple[str, Topic]] = {}
    for path in sorted((directory / "topics").glob("*.toml")):
        data, file_errors = _read(path)
        if not file_errors:
            topic = _topic(data)
            loaded.setdefault(topic.id, (path.name, topic))
    found = laws.outdated(directory, _citations(loaded), today or dt.date.today())
    return [LintError(*warning) for warning in found]


def _citations(loaded: dict[str, tuple[str, Topic]]) -> list[tuple[str, str, str]]:
    """(file, field, citation) for every topic's legal_basis and every point's basis."""
    citations = [(name, "legal_basis", c) for name, t in loaded.values() for c in t.legal_basis]
    citations += [(name, f"points[{p.id}].basis", c) for name, t in loaded.values()
                  for p in t.points for c in p.basis]
    return citations


def _lint_citations(directory: Path, loaded: dict[str, tuple[str, Topic]]) -> list[LintError]:
    """Every cited article (topics' legal_basis, points' basis) has its text in ``laws/``."""
    return [LintError(*problem) for problem in laws.lint(directory, _citations(loaded))]


def _read(path: Path) -> tuple[dict[str, Any], list[LintError]]:
    """Parse one file and check the schema (field names and types)."""
    name = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return {}, [LintError(name, "(file)", f"not valid TOML: {exc}")]
    errors = [LintError(name, key, "unknown field") for key in sorted(set(data) - _FIELDS)]
    for key in _STRINGS:
        if not isinstance(data.get(key), str):
            errors.append(LintError(name, key, "missing or not a string"))
    for key in _STR_LISTS:
        value = data.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors.append(LintError(name, key, "missing or not a list of strings"))
    reviewed = data.get("reviewed")
    if not isinstance(reviewed, dt.date) or isinstance(reviewed, dt.datetime):
        errors.append(LintError(name, "reviewed", "missing or not a TOML date (YYYY-MM-DD)"))
    synonyms = data.get("synonyms", {})
    if not isinstance(synonyms, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in synonyms.items()
    ):
        errors.append(LintError(name, "synonyms", "not a table of strings"))
    errors.extend(_read_points(name, data))
    return data, errors


def _topic(data: dict[str, Any]) -> Topic:
    return Topic(
        id=data["id"],
        title=data["title"],
        dispute_kind=data["dispute_kind"],
        reviewed=data["reviewed"],
        questions=tuple(data["questions"]),
        keywords=tuple(data["keywords"]),
        synonyms=MappingProxyType(dict(data.get("synonyms", {}))),
        answer=data["answer"],
        summary=data.get("summary", ""),
        points=tuple(_point(p) for p in data.get("points", [])),
        legal_basis=tuple(data["legal_basis"]),
        next_steps=data["next_steps"],
        hotlines=tuple(data["hotlines"]),
        related=tuple(data["related"]),
    )


def _point(data: dict[str, Any]) -> Point:
    return Point(
        id=data["id"], title=data["title"], questions=tuple(data["questions"]),
        keywords=tuple(data.get("keywords", [])), answer=data["answer"], basis=tuple(data["basis"]),
    )


def _read_points(name: str, data: dict[str, Any]) -> list[LintError]:
    """Schema of ``summary`` and ``[[points]]`` (types only; content is checked by ``_lint_points``)."""
    errors: list[LintError] = []
    if not isinstance(data.get("summary", ""), str):
        errors.append(LintError(name, "summary", "not a string"))
    points = data.get("points", [])
    if not isinstance(points, list) or not all(isinstance(p, dict) for p in points):
        return errors + [LintError(name, "points", "not an array of tables ([[points]])")]
    for at, point in enumerate(points):
        where = f"points[{point.get('id', at)}]"
        errors.extend(LintError(name, where, f"{key}: unknown field") for key in sorted(set(point) - _POINT_FIELDS))
        for key in ("id", "title", "answer"):
            if not isinstance(point.get(key), str):
                errors.append(LintError(name, where, f"{key}: missing or not a string"))
        for key in ("questions", "basis", "keywords"):
            value = point.get(key, [] if key == "keywords" else None)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                errors.append(LintError(name, where, f"{key}: missing or not a list of strings"))
    if errors:
        data.pop("points", None)
    return errors


def _lint_points(name: str, topic: Topic) -> list[LintError]:
    errors: list[LintError] = []

    def err(key: str, message: str) -> None:
        errors.append(LintError(name, key, message))

    if not topic.summary.strip():
        err("summary", "missing: the short answer when no point fits")
    elif len(topic.summary.strip()) > MAX_SUMMARY_CHARS:
        err("summary", f"{len(topic.summary.strip())} characters, at most {MAX_SUMMARY_CHARS}")
    if not topic.points:
        err("points", "no point: give the short answers to what villagers ask")
    seen: set[str] = set()
    for point in topic.points:
        where = f"points[{point.id}]"
        if not _POINT_ID.match(point.id):
            err(where, "id: use lower-case ascii words joined by '-'")
        if point.id in seen:
            err(where, "id: used twice in this topic")
        seen.add(point.id)
        if not point.title.strip():
            err(where, "title: empty")
        if len(point.answer.strip()) > MAX_POINT_CHARS:
            err(where, f"answer: {len(point.answer.strip())} characters, at most {MAX_POINT_CHARS}")
        if not point.answer.strip():
            err(where, "answer: empty")
        if len({q.strip() for q in point.questions} - {""}) < MIN_POINT_QUESTIONS:
            err(where, f"questions: at least {MIN_POINT_QUESTIONS} phrasings")
        if not point.basis:
            err(where, "basis: no legal basis")
        for basis in point.basis:
            if not _LEGAL_BASIS.match(basis.strip()):
                err(where, f"basis: {basis!r} is not shaped like 《法律名称》第X条")
        for pattern, what in _MARKUP:
            if pattern.search(point.answer) or pattern.search(topic.summary):
                err(where, f"answer or summary contains markup WeChat cannot show ({what})")
    return errors


def _lint_topic(name: str, topic: Topic, today: dt.date) -> list[LintError]:
    errors: list[LintError] = []

    def err(key: str, message: str) -> None:
        errors.append(LintError(name, key, message))

    if topic.id != name.removesuffix(".toml"):
        err("id", f"{topic.id!r} differs from the file name")
    for key in ("title", "answer", "next_steps"):
        if not getattr(topic, key).strip():
            err(key, "empty")
    if topic.dispute_kind not in DISPUTE_KINDS:
        err("dispute_kind", f"{topic.dispute_kind!r} is not one of {sorted(DISPUTE_KINDS)}")
    if topic.reviewed > today:
        err("reviewed", f"{topic.reviewed} is in the future")
    questions = [q.strip() for q in topic.questions]
    if len(set(questions) - {""}) < MIN_QUESTIONS:
        err("questions", f"{len(set(questions) - {''})} distinct phrasings, at least {MIN_QUESTIONS} needed")
    if len(set(questions)) != len(questions):
        err("questions", "a phrasing is repeated")
    if not any(k.strip() for k in topic.keywords):
        err("keywords", "no keyword")
    for colloquial, canonical in topic.synonyms.items():
        if not colloquial.strip() or not canonical.strip() or colloquial == canonical:
            err("synonyms", f"{colloquial!r} = {canonical!r} is not a usable pair")
    if not topic.legal_basis:
        err("legal_basis", "no legal basis")
    for basis in topic.legal_basis:
        if not _LEGAL_BASIS.match(basis.strip()):
            err("legal_basis", f"{basis!r} is not shaped like 《法律名称》第X条")
    for number in topic.hotlines:
        if number not in topic.next_steps and number not in topic.answer:
            err("hotlines", f"{number} is named in neither next_steps nor answer")
    if topic.id in topic.related:
        err("related", "a topic cannot be related to itself")
    errors.extend(_lint_reply(name, topic))
    errors.extend(_lint_points(name, topic))
    return errors


def _lint_reply(name: str, topic: Topic) -> list[LintError]:
    errors: list[LintError] = []
    reply = topic.reply_text()
    if len(reply) > MAX_REPLY_CHARS:
        errors.append(LintError(name, "answer", f"the reply is {len(reply)} characters, at most {MAX_REPLY_CHARS}"))
    size = len(reply.encode("utf-8"))
    if size > MAX_REPLY_BYTES:
        errors.append(LintError(name, "answer", f"the reply is {size} bytes, at most {MAX_REPLY_BYTES}"))
    fields = {"title": topic.title, "answer": topic.answer, "next_steps": topic.next_steps}
    fields["legal_basis"] = "\n".join(topic.legal_basis)
    for key, text in fields.items():
        for pattern, what in _MARKUP:
            if pattern.search(text):
                errors.append(LintError(name, key, f"contains markup WeChat cannot show ({what})"))
    return errors


def _lint_across(directory: Path, loaded: dict[str, tuple[str, Topic]]) -> list[LintError]:
    """Checks that need every topic: coverage of topics.tsv, related ids, shared phrasings."""
    errors: list[LintError] = []
    try:
        listed = read_topic_list(directory)
    except OSError as exc:
        return [LintError("topics.tsv", "(file)", f"cannot be read: {exc}")]
    for topic_id in listed:
        if topic_id not in loaded:
            errors.append(LintError(f"topics/{topic_id}.toml", "(file)", "missing: topics.tsv lists this id"))
    seen: dict[str, str] = {}
    for topic_id, (name, topic) in loaded.items():
        for related in topic.related:
            if related not in loaded:
                errors.append(LintError(name, "related", f"{related!r} is not a topic id"))
        for question in topic.questions:
            key = re.sub(r"\W+", "", question)
            if key in seen and seen[key] != topic_id:
                errors.append(LintError(name, "questions", f"{question!r} is also a phrasing of {seen[key]}"))
            seen.setdefault(key, topic_id)
    return errors
