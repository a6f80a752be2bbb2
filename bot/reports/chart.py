"""The Word report's monthly chart as a PNG, drawn with matplotlib (pure: figures in, bytes out).

Grouped bars per month, one colour per figure, with a y axis of whole numbers, month labels, a
legend and the value over every bar. Only matplotlib's object API and its Agg renderer are used (no
``pyplot``: no global state, safe in a threaded web worker), imported when a chart is drawn.

Chinese labels need a CJK font. The install provides one (``fonts-wqy-microhei`` in the Makefile's
Debian packages) and it is found by its file path (``FONT_FILES``), never by a font-cache lookup
that depends on the machine. Without any of them the chart is still drawn, with axes and values,
and its labels fall back to ASCII (months as ``2026-01``, figures by their report names), so no
label is a row of empty boxes; the table under the chart in the report has the Chinese labels.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from bot.reports.figures import LABELS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# CJK fonts as Debian installs them, the first present is used.
FONT_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",               # fonts-wqy-microhei (the Makefile's)
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",       # fonts-noto-cjk
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",                 # fonts-wqy-zenhei
    "/usr/share/fonts/truetype/arphic/uming.ttc",                   # fonts-arphic-uming
)
PALETTE = ("#1f4e79", "#ef6c00", "#2e7d32", "#8e24aa")  # the console charts' colours (bot/console/charts.py)
Series = tuple[str, Sequence[float]]  # (a figure's name in ``LABELS``, one value per month)


def cjk_font(candidates: Sequence[str] = FONT_FILES) -> Path | None:
    """The first CJK font file present, else None."""
    return next((Path(p) for p in candidates if Path(p).is_file()), None)


def month_label(month: str, chinese: bool) -> str:
    """「2026-03」 as 「3月」 (or as is, without a Chinese font)."""
    return f"{int(month[5:7])}月" if chinese and len(month) == 7 else month


def monthly_bars(months: Sequence[str], series: Sequence[Series], fonts: Sequence[str] = FONT_FILES,
                 width_cm: float = 16.0) -> bytes:
    """A grouped bar chart of ``series`` by month (``months`` as 「2026-03」) as PNG bytes."""
    out = io.BytesIO()
    draw(months, series, fonts, width_cm).savefig(out, format="png")
    return out.getvalue()


def draw(months: Sequence[str], series: Sequence[Series], fonts: Sequence[str] = FONT_FILES,
         width_cm: float = 16.0) -> Figure:
    """The chart as a matplotlib ``Figure`` (``monthly_bars`` renders it)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.ticker import MaxNLocator

    font_file = cjk_font(fonts)
    font = FontProperties(fname=str(font_file), size=9) if font_file else FontProperties(size=9)
    chinese = font_file is not None
    figure = Figure(figsize=(width_cm / 2.54, width_cm / 2.54 * 0.42), dpi=200)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    count = max(1, len(series))
    bar_width = 0.8 / count
    for i, (name, values) in enumerate(series):
        xs = [x + (i - (count - 1) / 2) * bar_width for x in range(len(months))]
        bars = axes.bar(xs, [v or 0 for v in values], bar_width, color=PALETTE[i % len(PALETTE)],
                        label=LABELS.get(name, name) if chinese else name)
        axes.bar_label(bars, labels=[f"{v:g}" if v else "" for v in values], fontproperties=font, padding=1)
    axes.set_xticks(list(range(len(months))), [month_label(m, chinese) for m in months], fontproperties=font)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    axes.set_ylim(bottom=0, top=max([1.0, *(float(v or 0) for _, values in series for v in values)]) * 1.15)
    axes.set_ylabel("件" if chinese else "count", fontproperties=font)
    for label in axes.get_yticklabels():
        label.set_fontproperties(font)
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(prop=font, frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=count)  # above the bars
    figure.tight_layout()
    return figure
