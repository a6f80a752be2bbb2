"""Server-rendered SVG bar charts for the stats page (pure: no Flask, no scripts, no CDN).

``bar_chart`` draws grouped bars, one group per category and one colour per series, with a
legend, a y axis rounded to a readable maximum and a ``<title>`` on every bar (the value on hover or
long-press). All text is escaped. Rates are passed as fractions and drawn on a 0–100 % axis.
"""

from __future__ import annotations

import math
from typing import Sequence

from markupsafe import Markup, escape

PALETTE = ("#1f4e79", "#ef6c00", "#2e7d32", "#8e24aa", "#c62828", "#00838f")
Series = tuple[str, Sequence[float | None]]


def nice_max(value: float) -> float:
    """The axis top for counts: four equal whole-number steps of 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8
    times a power of ten, the smallest whose top reaches ``value`` (at least 4: ticks 0-4)."""
    quarter = value / 4
    if quarter <= 1:
        return 4.0
    exp = 10 ** math.floor(math.log10(quarter))
    for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        step = m * exp
        if step >= quarter and float(step).is_integer():
            return float(step * 4)
    return float(40 * exp)  # pragma: no cover - m = 10 always qualifies


def _fmt(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.0f}%"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def bar_chart(title: str, categories: Sequence[str], series: Sequence[Series], percent: bool = False,
              width: int = 720, height: int = 260) -> Markup:
    left, right, top, bottom = 48, 12, 40, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for _, vals in series for v in vals if v is not None]
    top_value = 1.0 if percent else nice_max(max(values, default=0))
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg" font-size="12" font-family="sans-serif">',
             f'<text x="{left}" y="16" font-size="14" font-weight="bold">{escape(title)}</text>']
    parts += _legend(series, left, 32)
    for i in range(5):
        y = top + plot_h - plot_h * i / 4
        label = _fmt(top_value * i / 4, percent)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e3e6ea"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{label}</text>')
    parts += _bars(categories, series, percent, top_value, left, top, plot_w, plot_h)
    parts.append("</svg>")
    return Markup("".join(parts))


def _text_width(text: str) -> float:
    """Approximate width at 12 px: Chinese characters 12 px, digits and Latin letters 7 px."""
    return sum(7 if ord(ch) < 0x2E80 else 12 for ch in text)


def _fit(label: str, width: float) -> str:
    """The label cut to the room it has, with an ellipsis."""
    if _text_width(label) <= width:
        return label
    while label and _text_width(label + "…") > width:
        label = label[:-1]
    return label + "…"


def _legend(series: Sequence[Series], x: int, y: int) -> list[str]:
    out = []
    for i, (name, _) in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        out.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colour}"/>'
                   f'<text x="{x + 14}" y="{y}">{escape(name)}</text>')
        x += 24 + 13 * len(name)
    return out


def _bars(categories: Sequence[str], series: Sequence[Series], percent: bool, top_value: float,
          left: int, top: int, plot_w: int, plot_h: int) -> list[str]:
    out: list[str] = []
    group_w = plot_w / max(1, len(categories))
    bar_w = max(2.0, group_w * 0.8 / max(1, len(series)))
    step = max(1, math.ceil(len(categories) * 40 / plot_w))  # thin out labels that would overlap
    for c, category in enumerate(categories):
        x0 = left + c * group_w + group_w * 0.1
        for s, (name, vals) in enumerate(series):
            value = vals[c] if c < len(vals) else None
            if value is None:
                continue
            h = plot_h * min(value, top_value) / top_value
            x, y = x0 + s * bar_w, top + plot_h - h
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w - 1:.1f}" height="{h:.1f}" '
                       f'fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(category)} {escape(name)}：'
                       f'{_fmt(value, percent)}</title></rect>')
        if c % step == 0:
            cx = left + c * group_w + group_w / 2
            out.append(f'<text x="{cx:.1f}" y="{top + plot_h + 16}" text-anchor="middle" fill="#333">'
                       f'<title>{escape(category)}</title>{escape(_fit(category, group_w * step))}</text>')
    return out
