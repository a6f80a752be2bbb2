"""The weekly posts' content library: load and lint ``knowledge/posts/*.md`` (pure: no Flask, no redis).

A post is one Markdown file ``<slug>.md``: TOML front matter between two ``+++`` lines, then the
body (format: ``knowledge/posts/README.md``). ``Library.load`` never stops the bot for one broken
file: it skips the file and remembers why (``Library.broken``), so the webhook keeps answering
while ``lint`` names every problem a reviewer should not have to look for.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import knowledge
from bot.matching.kb import LintError, read_topic_list

CAMPAIGNS = ("consumer-day", "constitution-month", "civil-code-month", "anti-drug-day", "constitution-week")
MIN_POSTS = 16
MAX_TITLE, MAX_DIGEST, MAX_AUTHOR, MAX_SLOGAN, MAX_BODY = 32, 120, 16, 20, 1500
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
THEME = re.compile(r"^[a-z]+(?:-[a-z]+)*$")
FRONT = re.compile(r"\A\+\+\+[ \t]*\r?\n(.*?)\r?\n\+\+\+[ \t]*(?:\r?\n|\Z)(.*)\Z", re.S)
_REQUIRED = ("title", "digest", "theme", "topics", "earliest", "author", "slogan")
_KNOWN = frozenset(_REQUIRED + ("tags", "campaign", "date"))
# Markdown the renderer does not carry into a WeChat article, and why.
_BODY_MARKUP = (
    (re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>"), "raw HTML (WeChat strips or refuses it)"),
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), "an image (external images are stripped by WeChat)"),
    (re.compile(r"(?<!!)\[[^\]]*\]\([^)]*\)"), "a link (links to other sites do not work in articles)"),
    (re.compile(r"```|`"), "code markup"),
    (re.compile(r"(?m)^#(?!#)\s"), "a level-1 heading (the title is shown by WeChat)"),
    (re.compile(r"(?m)^#{4,}\s"), "a heading deeper than ###"),
    (re.compile(r"(?m)^\s*\|.*\|\s*$"), "a table"),
)


class PostError(ValueError):
    """A post file cannot be read; the message names the file and the field."""


@dataclass(frozen=True)
class Post:
    slug: str
    title: str
    digest: str
    theme: str
    topics: tuple[str, ...]
    earliest: dt.date
    author: str
    slogan: str
    body: str
    tags: tuple[str, ...] = ()
    campaign: str = ""
    date: dt.date | None = None  # a fixed publication date (the post's week is that date's week)

    @property
    def chars(self) -> int:
        """Body length as lint counts it (characters, blanks excluded)."""
        return len(re.sub(r"\s", "", self.body))


@dataclass(frozen=True)
class Library:
    """Posts by slug, in slug order; ``broken`` maps the files that could not be read to why."""

    posts: Mapping[str, Post]
    broken: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path | None = None) -> Library:
        directory = Path(directory) if directory is not None else knowledge.KNOWLEDGE_DIR / "posts"
        posts: dict[str, Post] = {}
        broken: dict[str, str] = {}
        for path in post_files(directory):
            try:
                posts[path.stem] = read_post(path)
            except PostError as exc:
                broken[path.name] = str(exc)
        return cls(posts, broken)

    def get(self, slug: str) -> Post | None:
        return self.posts.get(slug)

    def __iter__(self) -> Any:
        return iter(self.posts.values())

    def __len__(self) -> int:
        return len(self.posts)

    def slogans(self, campaign: str | None = None) -> list[str]:
        """One LED-screen slogan per post (library order, no duplicates), optionally of one campaign."""
        seen: dict[str, None] = {}
        for post in self.posts.values():
            if post.slogan and (campaign is None or post.campaign == campaign):
                seen.setdefault(post.slogan, None)
        return list(seen)

    def related(self, topic_id: str, today: dt.date) -> Post | None:
        """The first post (slug order) about ``topic_id`` that may already be shown on ``today``."""
        for post in self.posts.values():
            if topic_id in post.topics and post.earliest <= today and (post.date is None or post.date <= today):
                return post
        return None


def post_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.md") if p.name.lower() != "readme.md")


def split_front_matter(text: str, name: str) -> tuple[dict[str, Any], str]:
    m = FRONT.match(text.lstrip("\ufeff"))
    if not m:
        raise PostError(f"{name}: front matter: the file must start with +++, TOML, +++")
    try:
        return tomllib.loads(m.group(1)), m.group(2).strip()
    except tomllib.TOMLDecodeError as exc:
        raise PostError(f"{name}: front matter: not valid TOML: {exc}") from None


def read_post(path: Path) -> Post:
    """One post, with the field types checked (lengths and references are ``lint``'s job)."""
    meta, body = split_front_matter(path.read_text(encoding="utf-8"), path.name)
    for key in _REQUIRED:
        if key not in meta:
            raise PostError(f"{path.name}: {key}: missing")
    unknown = sorted(set(meta) - _KNOWN)
    if unknown:
        raise PostError(f"{path.name}: {unknown[0]}: unknown field")
    strings = {k: _string(meta, k, path.name) for k in ("title", "digest", "theme", "author", "slogan", "campaign")}
    return Post(
        slug=path.stem, body=body, topics=_strings(meta, "topics", path.name), tags=_strings(meta, "tags", path.name),
        earliest=_date(meta, "earliest", path.name), date=_date(meta, "date", path.name) if "date" in meta else None,
        **strings,
    )


def _string(meta: dict[str, Any], key: str, name: str) -> str:
    value = meta.get(key, "")
    if not isinstance(value, str):
        raise PostError(f"{name}: {key}: must be a string")
    return value.strip()


def _strings(meta: dict[str, Any], key: str, name: str) -> tuple[str, ...]:
    value = meta.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PostError(f"{name}: {key}: must be a list of strings")
    return tuple(v.strip() for v in value)


def _date(meta: dict[str, Any], key: str, name: str) -> dt.date:
    value = meta.get(key)
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise PostError(f"{name}: {key}: must be a date like 2026-03-15 (no quotes)")
    return value


# -- lint ---------------------------------------------------------------------------------------------
def topic_ids(knowledge_dir: Path | None = None) -> set[str]:
    """Knowledge-base topic ids a post may name: ``topics.tsv`` plus the topic files."""
    directory = Path(knowledge_dir) if knowledge_dir is not None else knowledge.KNOWLEDGE_DIR
    ids = {p.stem for p in (directory / "topics").glob("*.toml")}
    if (directory / "topics.tsv").is_file():
        ids |= set(read_topic_list(directory))
    return ids


def lint(directory: Path | None = None, topics: Iterable[str] | None = None) -> list[LintError]:
    """Every problem of the library in ``directory``; an empty list means it is ready to publish."""
    directory = Path(directory) if directory is not None else knowledge.KNOWLEDGE_DIR / "posts"
    known = set(topics) if topics is not None else topic_ids()
    errors: list[LintError] = []
    posts: list[Post] = []
    for path in post_files(directory):
        if not SLUG.match(path.stem):
            errors.append(LintError(path.name, "slug", "file name must be lowercase words joined by '-'"))
        try:
            post = read_post(path)
        except PostError as exc:
            name, fld, message = (str(exc).split(": ", 2) + ["", ""])[:3]
            errors.append(LintError(name, fld, message))
            continue
        errors.extend(lint_post(post, path.name, known))
        posts.append(post)
    errors.extend(_lint_across(posts))
    return errors


def lint_post(post: Post, name: str, known_topics: set[str]) -> list[LintError]:
    errors: list[LintError] = []

    def err(fld: str, message: str) -> None:
        errors.append(LintError(name, fld, message))

    for fld, limit in (("title", MAX_TITLE), ("digest", MAX_DIGEST), ("author", MAX_AUTHOR), ("slogan", MAX_SLOGAN)):
        value = getattr(post, fld)
        if not value:
            err(fld, "must not be empty")
        elif len(value) > limit:
            err(fld, f"{len(value)} characters, at most {limit}")
    if "\n" in post.slogan:
        err("slogan", "must be one line")
    if not THEME.match(post.theme):
        err("theme", "one lowercase word (words joined by '-')")
    if post.campaign and post.campaign not in CAMPAIGNS:
        err("campaign", f"{post.campaign!r} is not one of {', '.join(CAMPAIGNS)}")
    if not post.topics:
        err("topics", "name at least one knowledge-base topic")
    for topic in post.topics:
        if topic not in known_topics:
            err("topics", f"{topic!r} is not a knowledge-base topic id")
    if post.date is not None and post.date < post.earliest:
        err("date", "is before earliest")
    errors.extend(_lint_body(post, name))
    return errors


def _lint_body(post: Post, name: str) -> list[LintError]:
    errors = []
    if not post.body:
        errors.append(LintError(name, "body", "is empty"))
    elif post.chars > MAX_BODY:
        errors.append(LintError(name, "body", f"{post.chars} characters, at most {MAX_BODY}"))
    for pattern, what in _BODY_MARKUP:
        m = pattern.search(post.body)
        if m:
            errors.append(LintError(name, "body", f"contains {what}: {m.group(0)[:40]!r}"))
    return errors


def _lint_across(posts: list[Post]) -> list[LintError]:
    errors = []
    if len(posts) < MIN_POSTS:
        errors.append(LintError("(library)", "posts", f"{len(posts)} readable posts, at least {MIN_POSTS}"))
    for campaign in CAMPAIGNS:
        if not any(p.campaign == campaign for p in posts):
            errors.append(LintError("(library)", "campaign", f"no post for the campaign {campaign}"))
    seen: dict[str, str] = {}
    for post in posts:
        for fld in ("title", "slogan"):
            value = getattr(post, fld)
            if value and f"{fld}:{value}" in seen:
                errors.append(LintError(f"{post.slug}.md", fld, f"same {fld} as {seen[f'{fld}:{value}']}"))
            seen.setdefault(f"{fld}:{value}", f"{post.slug}.md")
    return errors
