"""Post Markdown → the HTML a WeChat article accepts (pure: no Flask, no redis).

Supported Markdown (what ``knowledge/posts/README.md`` allows): paragraphs, ``##``/``###``
headings, ``-``/``*``/``+`` and ``1.`` lists, ``**bold**``. Guaranteed: every character of the
source is HTML-escaped before any markup is added, so the output holds only the tags
``p section strong ul ol li`` with fixed inline styles (WeChat drops ``<style>`` and classes):
no script, no link, no image, nothing external, whatever the source contains. Markdown links keep
their text only; images are dropped (lint refuses both anyway).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

STYLE = {
    "p": "margin:0 0 1em;line-height:1.75;font-size:16px;color:#333;",
    "h2": "margin:1.6em 0 0.8em;padding-left:8px;border-left:4px solid #b71c1c;font-size:17px;color:#b71c1c;",
    "h3": "margin:1.2em 0 0.6em;font-size:16px;color:#333;",
    "ul": "margin:0 0 1em;padding-left:1.5em;list-style-type:disc;",
    "ol": "margin:0 0 1em;padding-left:1.5em;list-style-type:decimal;",
    "li": "margin:0 0 0.4em;line-height:1.75;font-size:16px;color:#333;",
    "footer": "margin:2em 0 0;font-size:14px;line-height:1.6;color:#888;",
}
_HEADING = re.compile(r"^(#{2,3})\s+(.*)$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBER = re.compile(r"^\s*\d{1,3}[.)、]\s+(.*)$")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")


@dataclass(frozen=True)
class Block:
    kind: str  # p | h2 | h3 | ul | ol
    lines: tuple[str, ...]


def blocks(markdown: str) -> list[Block]:
    """The body split into paragraphs, headings and lists (blank lines end paragraphs and lists)."""
    out: list[Block] = []
    current: list[str] = []
    kind = ""

    def close() -> None:
        nonlocal current, kind
        if current:
            out.append(Block(kind, tuple(current)))
        current, kind = [], ""

    for raw in markdown.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        heading, bullet, number = _HEADING.match(line), _BULLET.match(raw), _NUMBER.match(raw)
        if not line:
            close()
        elif heading:
            close()
            out.append(Block(f"h{len(heading.group(1))}", (heading.group(2),)))
        elif bullet or number:
            item_kind = "ul" if bullet else "ol"
            if kind != item_kind:
                close()
                kind = item_kind
            current.append((bullet or number).group(1))  # type: ignore[union-attr]
        elif kind in ("ul", "ol"):
            current[-1] += line  # a list item's continuation line
        else:
            kind = "p"
            current.append(line)
    close()
    return out


def inline(text: str) -> str:
    """Escape everything, then turn ``**bold**`` into <strong>."""
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    escaped = html.escape(text, quote=False)  # text nodes only: every attribute is fixed above
    return _BOLD.sub(lambda m: f"<strong>{m.group(1) or m.group(2)}</strong>", escaped)


def to_html(markdown: str, footer: str = "") -> str:
    """The article body; ``footer`` (plain text, escaped here) ends it in small grey type."""
    parts = []
    for block in blocks(markdown):
        if block.kind in ("h2", "h3"):
            parts.append(f'<section style="{STYLE[block.kind]}"><strong>{inline(block.lines[0])}</strong></section>')
        elif block.kind in ("ul", "ol"):
            items = "".join(f'<li style="{STYLE["li"]}">{inline(item)}</li>' for item in block.lines)
            parts.append(f'<{block.kind} style="{STYLE[block.kind]}">{items}</{block.kind}>')
        else:
            text = inline("".join(block.lines))
            if text.strip():
                parts.append(f'<p style="{STYLE["p"]}">{text}</p>')
    if footer:
        lines = "<br/>".join(html.escape(line) for line in footer.splitlines() if line.strip())
        parts.append(f'<p style="{STYLE["footer"]}">{lines}</p>')
    return "".join(parts)


PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}</title>
<style>body{{margin:0;background:#f5f5f5;font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif}}
main{{max-width:680px;margin:0 auto;padding:20px 16px 40px;background:#fff}}
h1{{font-size:22px;line-height:1.4;margin:0 0 8px;color:#222}}
.meta{{font-size:14px;color:#888;margin:0 0 20px}}
.review{{font-size:13px;background:#fff8e1;border:1px solid #ffe082;padding:8px 12px;margin:0 0 16px}}
.review dt{{font-weight:bold}}.review dd{{margin:0 0 4px}}</style></head>
<body><main>{review}<h1>{title}</h1><p class="meta">{meta}</p>{cover}{content}</main></body></html>
"""


def page(title: str, meta: str, content: str, cover_url: str = "", review: dict[str, str] | None = None) -> str:
    """A whole HTML page around an article body (the public page and the dry-run review file).

    ``content`` is trusted output of ``to_html``; every other argument is escaped here.
    """
    box = ""
    if review:
        rows = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in review.items())
        box = f'<dl class="review">{rows}</dl>'
    cover = f'<img src="{html.escape(cover_url)}" alt="" style="width:100%;margin:0 0 16px">' if cover_url else ""
    return PAGE.format(title=html.escape(title), meta=html.escape(meta), content=content, cover=cover, review=box)
