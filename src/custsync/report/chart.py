"""Small inline SVG bar charts, so the HTML report needs no script, no CDN and no network.

Two shapes are enough: stacked horizontal bars (operations per entity) and plain horizontal bars (failures per
rule). Every label is XML-escaped: rule names and keys come from user data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

ROW_HEIGHT = 26
BAR_HEIGHT = 18
LABEL_WIDTH = 170
BAR_WIDTH = 360
VALUE_WIDTH = 60


@dataclass(frozen=True)
class Series:
    """One segment kind of a stacked bar (e.g. ``create``), with its colour."""

    name: str
    colour: str


def stacked_bars(rows: Mapping[str, Mapping[str, int]], series: Sequence[Series], *, title: str) -> str:
    """A horizontal stacked bar per row; ``rows`` maps a label to counts per series name."""
    if not rows:
        return ""
    biggest = max(sum(max(0, counts.get(s.name, 0)) for s in series) for counts in rows.values()) or 1
    legend_height = 22
    height = legend_height + ROW_HEIGHT * len(rows) + 6
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    parts = [_open(width, height, title), _legend(series)]
    for i, (label, counts) in enumerate(rows.items()):
        y = legend_height + i * ROW_HEIGHT
        parts.append(_label(label, y))
        x = float(LABEL_WIDTH)
        total = 0
        for s in series:
            n = max(0, counts.get(s.name, 0))
            total += n
            if n == 0:
                continue
            w = BAR_WIDTH * n / biggest
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 4}" width="{max(w, 1.0):.1f}" height="{BAR_HEIGHT}" '
                f'fill="{s.colour}"><title>{escape(label)} {escape(s.name)}: {n}</title></rect>'
            )
            x += w
        parts.append(_value(total, x, y))
    parts.append("</svg>")
    return "".join(parts)


def bars(values: Mapping[str, int], *, colour: str, title: str) -> str:
    """A horizontal bar per label, longest first."""
    if not values:
        return ""
    ordered = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))
    biggest = max(v for _, v in ordered) or 1
    height = ROW_HEIGHT * len(ordered) + 6
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    parts = [_open(width, height, title)]
    for i, (label, n) in enumerate(ordered):
        y = i * ROW_HEIGHT
        w = BAR_WIDTH * max(0, n) / biggest
        parts.append(_label(label, y))
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{max(w, 1.0):.1f}" height="{BAR_HEIGHT}" '
            f'fill="{colour}"><title>{escape(label)}: {n}</title></rect>'
        )
        parts.append(_value(n, LABEL_WIDTH + w, y))
    parts.append("</svg>")
    return "".join(parts)


def _open(width: int, height: int, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" class="chart">'
        f"<title>{escape(title)}</title>"
    )


def _legend(series: Sequence[Series]) -> str:
    out = []
    x = LABEL_WIDTH
    for s in series:
        out.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{s.colour}"/>')
        out.append(f'<text x="{x + 16}" y="14" class="legend">{escape(s.name)}</text>')
        x += 16 + 8 * len(s.name) + 18
    return "".join(out)


def _label(label: str, y: int) -> str:
    shown = label if len(label) <= 24 else label[:23] + "…"
    return (
        f'<text x="{LABEL_WIDTH - 8}" y="{y + 4 + BAR_HEIGHT - 5}" text-anchor="end" class="label">'
        f"{escape(shown)}</text>"
    )


def _value(n: int, x: float, y: int) -> str:
    return f'<text x="{x + 6:.1f}" y="{y + 4 + BAR_HEIGHT - 5}" class="value">{n}</text>'
