"""The law's own words: load ``knowledge/laws/*.toml`` and resolve citations (pure: no Flask, no redis).

A citation names one article, as the knowledge base writes it:
``《中华人民共和国民法典》第一千一百四十三条第四款``, ``《…》第二百八十七条之二``,
``《最高人民法院关于适用〈中华人民共和国民法典〉婚姻家庭编的解释（二）》第十二条``.
Each law file has ``name`` (exactly as cited), ``aliases``, ``version``, ``effective`` (a TOML date)
and an ``[articles]`` table keyed by the Arabic article number (之二 → ``"287-2"``), each text the
article as printed, starting with its number. ``lint`` reports every citation with no text here,
so that staff and reviewers can check each answer against the article it relies on.

A law that a newer one replaces (a code that absorbs it, a new law after a provisional regulation)
names it: ``successor`` (the new law's name) and ``successor_effective`` (its TOML date in force).
``outdated`` warns, from that date on, that this file's version is no longer the law in force and
names every citation that still relies on it: a warning, not an error, because the topics may keep
citing the old text until the new one is transcribed.
"""
from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import knowledge

_NUMERAL = "零〇一二三四五六七八九十百千两0-9"
_CITATION = re.compile(
    rf"^《(?P<law>.+)》第(?P<article>[{_NUMERAL}]+)条(?:之(?P<sub>[{_NUMERAL}]+))?"
    rf"(?:第(?P<para>[{_NUMERAL}]+)款)?(?:第(?P<item>[{_NUMERAL}]+)项)?$"
)
_KEY = re.compile(r"^(?:[1-9][0-9]*(?:-[1-9][0-9]*)?|全文)$")
_WHOLE = re.compile(r"^《(?P<law>[^《》]+(?:〈[^〈〉]+〉[^《》]*)?)》$")
WHOLE = "全文"  # the key of a document without articles (a decision, a policy document), cited whole
_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_ITEM = re.compile(r"^\s*（[一二三四五六七八九十]+）")  # a line that is an item of the paragraph above


def chinese_number(text: str) -> int | None:
    """一千一百四十三 → 1143, 十五 → 15, 一百零五 → 105, 23 → 23; None when it is not a number."""
    if text.isdigit():
        return int(text)
    total = digit = 0
    seen = False
    for char in text:
        if char in _DIGITS:
            digit, seen = _DIGITS[char], True
        elif char in _UNITS:
            total += (digit or 1) * _UNITS[char]
            digit, seen = 0, True
        else:
            return None
    return total + digit if seen else None


@dataclass(frozen=True)
class Citation:
    law: str  # the law's name as cited, without 《》
    key: str  # the article's key in the law file: "1143", "287-2"
    paragraph: int | None = None  # 第X款, 1-based
    sub: str = ""  # 之二 as cited

    @property
    def label(self) -> str:
        """How a reply names it, numbers in digits as phones show them: 第1143条第4款, 第287条之二."""
        if self.key == WHOLE:
            return ""
        text = f"第{self.key.partition('-')[0]}条" + (f"之{self.sub}" if self.sub else "")
        return text + (f"第{self.paragraph}款" if self.paragraph else "")


def parse_citation(text: str) -> Citation | None:
    """The law and article a citation names, or None when it is not shaped like one article."""
    found = _CITATION.match(text.strip())
    if not found:
        whole = _WHOLE.match(text.strip())
        return Citation(whole["law"], WHOLE) if whole else None
    article = chinese_number(found["article"])
    sub = chinese_number(found["sub"]) if found["sub"] else None
    paragraph = chinese_number(found["para"]) if found["para"] else None
    if not article or (found["sub"] and not sub) or (found["para"] and not paragraph):
        return None
    return Citation(found["law"], f"{article}-{sub}" if sub else str(article), paragraph, found["sub"] or "")


@dataclass(frozen=True)
class Law:
    name: str
    aliases: tuple[str, ...]
    version: str
    effective: dt.date
    articles: Mapping[str, str]
    successor: str = ""  # the law that replaces this version ("" when none is known)
    successor_effective: dt.date | None = None


@dataclass(frozen=True)
class Quote:
    """The text of one cited article (or of its cited paragraph), with where it comes from."""

    law: str
    label: str  # 第1143条第4款
    text: str  # without the printed article number


class Laws:
    """Every law file, by name and alias; built once, then only read."""

    def __init__(self, laws: Iterable[Law]):
        by_name: dict[str, Law] = {}
        for law in laws:
            by_name[law.name] = law
        for law in list(by_name.values()):
            for alias in law.aliases:
                by_name.setdefault(alias, law)
        self._by_name = MappingProxyType(by_name)

    @classmethod
    def load(cls, directory: Path | None = None) -> Laws:
        """Load ``directory/laws/*.toml`` (default: the packaged ``knowledge/``); files that do not
        load are skipped here (``lint`` names them)."""
        directory = Path(directory) if directory is not None else knowledge.KNOWLEDGE_DIR
        laws = []
        for path in sorted((directory / "laws").glob("*.toml")):
            data, problems = _read(path)
            if not problems:
                laws.append(_law(data))
        return cls(laws)

    def law(self, name: str) -> Law | None:
        return self._by_name.get(name)

    def quote(self, citation: str) -> Quote | None:
        """The article text a citation names (its paragraph when one is cited), or None."""
        parsed = parse_citation(citation)
        law = self._by_name.get(parsed.law) if parsed else None
        text = law.articles.get(parsed.key) if law and parsed else None
        if parsed is None or law is None or text is None:
            return None
        body = _without_number(text)
        if parsed.paragraph:
            paragraphs = _paragraphs(body)
            if parsed.paragraph <= len(paragraphs):
                return Quote(law.name, parsed.label, paragraphs[parsed.paragraph - 1])
            return Quote(law.name, Citation(parsed.law, parsed.key, None, parsed.sub).label, body)
        return Quote(law.name, parsed.label, body)


def _without_number(text: str) -> str:
    """The article text without its printed number (第一千一百四十三条　)."""
    return re.sub(rf"^\s*第[{_NUMERAL}]+条(?:之[{_NUMERAL}]+)?[\s　]*", "", text.strip())


def _paragraphs(body: str) -> list[str]:
    """款: the article's lines, each item line （一）… kept with the paragraph above it."""
    paragraphs: list[str] = []
    for line in (ln.strip() for ln in body.splitlines()):
        if not line:
            continue
        if paragraphs and _ITEM.match(line):
            paragraphs[-1] += "\n" + line
        else:
            paragraphs.append(line)
    return paragraphs


def _read(path: Path) -> tuple[dict[str, Any], list[str]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return {}, [f"not valid TOML: {exc}"]
    problems = []
    for key in ("name", "version"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            problems.append(f"{key}: missing or not a string")
    aliases = data.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        problems.append("aliases: not a list of strings")
    effective = data.get("effective")
    if not isinstance(effective, dt.date) or isinstance(effective, dt.datetime):
        problems.append("effective: missing or not a TOML date (YYYY-MM-DD)")
    successor, successor_effective = data.get("successor", ""), data.get("successor_effective")
    if not isinstance(successor, str):
        problems.append("successor: not a string")
    elif successor.strip() and not (isinstance(successor_effective, dt.date)
                                    and not isinstance(successor_effective, dt.datetime)):
        problems.append("successor_effective: missing or not a TOML date (YYYY-MM-DD) for the successor")
    elif not successor.strip() and successor_effective is not None:
        problems.append("successor_effective: given without a successor")
    articles = data.get("articles")
    if not isinstance(articles, dict) or not all(isinstance(v, str) for v in articles.values()):
        problems.append("articles: missing or not a table of strings")
    else:
        problems += [f"articles: key {k!r} is not an article number like \"1143\" or \"287-2\""
                     for k in articles if not _KEY.match(k)]
        problems += [f"articles: {k!r} is empty" for k, v in articles.items() if not v.strip()]
    return data, problems


def _law(data: dict[str, Any]) -> Law:
    return Law(data["name"].strip(), tuple(data.get("aliases", [])), data["version"], data["effective"],
               MappingProxyType(dict(data["articles"])), data.get("successor", "").strip(),
               data.get("successor_effective"))


def outdated(directory: Path, citations: Iterable[tuple[str, str, str]], today: dt.date) -> list[tuple[str, str, str]]:
    """(file, field, message): one warning per law file whose listed successor is in force on
    ``today`` and came after this file's version, naming the citations (file, field, citation)
    that still rely on the old version."""
    warnings: list[tuple[str, str, str]] = []
    cited = list(citations)
    for path in sorted((directory / "laws").glob("*.toml")):
        data, problems = _read(path)
        if problems:
            continue  # lint names the broken file
        law = _law(data)
        if not law.successor or law.successor_effective is None:
            continue
        if law.successor_effective > today or law.successor_effective <= law.effective:
            continue
        names = {law.name, *law.aliases}
        users = sorted({file for file, _, citation in cited
                        if (parsed := parse_citation(citation)) is not None and parsed.law in names})
        relied = f"; still cited by {', '.join(users)}" if users else ""
        warnings.append((f"laws/{path.name}", "successor",
                         f"this version (in force {law.effective}) is superseded by 《{law.successor}》, "
                         f"in force since {law.successor_effective}{relied}"))
    return warnings


def lint(directory: Path, citations: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """(file, field, message) for each broken law file and each citation with no article text.

    ``citations`` are (file, field, citation) as the knowledge base makes them."""
    problems: list[tuple[str, str, str]] = []
    for path in sorted((directory / "laws").glob("*.toml")):
        problems += [(f"laws/{path.name}", "(file)", message) for message in _read(path)[1]]
    laws = Laws.load(directory)
    for file, field, citation in citations:
        parsed = parse_citation(citation)
        if parsed is None:
            problems.append((file, field, f"{citation!r}: cannot tell which article it cites"))
        elif laws.law(parsed.law) is None:
            problems.append((file, field, f"{citation!r}: no file in knowledge/laws/ is named 《{parsed.law}》"))
        elif laws.quote(citation) is None:
            what = "the document's text (key 全文)" if parsed.key == WHOLE else f"article {parsed.key}"
            problems.append((file, field, f"{citation!r}: {what} has no text in knowledge/laws/"))
    return problems
