"""Inline SVG charts for report.html: horizontal bars, a histogram and a funnel. No scripts, no external files.

Every label is drawn inside the chart's own box (nothing relies on the page around it), at 12-13 px in a chart
that scales down with the page but never up. ``rtl=True`` mirrors a chart for a Hebrew page: labels on the right,
bars growing leftwards, text anchored at its start as Hebrew is read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

_BAR = "#2f5f98"
_MUTED = "#566072"
_FONT = "font-family=\"system-ui,'Noto Sans Hebrew',Arial,sans-serif\""


def _open(width: int, height: int, *, label: str, size: int = 13) -> str:
    return (
        f'<svg class="chart" role="img" aria-label="{escape(label)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" {_FONT} font-size="{size}">'
    )


def _x(x: float, w: float, width: int, rtl: bool) -> float:
    """The left edge of a box of width ``w`` that starts ``x`` from the reading start."""
    return width - x - w if rtl else x


def _label(x: float, y: float, text: str, *, rtl: bool) -> str:
    """A category label that ends at ``x`` where the bars start. Hebrew is set right to left, where SVG's
    ``end`` is the left edge, so the one anchor serves both directions."""
    return f'<text x="{x:.1f}" y="{y}" text-anchor="end" direction="{"rtl" if rtl else "ltr"}">{escape(text)}</text>'


def _value(x: float, y: float, text: str, *, rtl: bool) -> str:
    """A figure (digits, left to right in both languages: the page's direction is not inherited) that starts at
    ``x`` beyond a bar's end."""
    anchor = "end" if rtl else "start"
    return f'<text x="{x:.1f}" y="{y}" text-anchor="{anchor}" direction="ltr">{escape(text)}</text>'


def bars(
    items: Sequence[tuple[str, float]],
    *,
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
    rtl: bool = False,
    label: str = "",
    width: int = 500,
) -> str:
    """One horizontal bar per (label, value), the value written at the bar's end inside the chart."""
    if not items:
        return ""
    top = max(v for _, v in items) or 1
    row, label_w, value_w = 26, 170, 80
    height = row * len(items) + 6
    span = width - label_w - value_w - 12
    parts = [_open(width, height, label=label)]
    for i, (name, value) in enumerate(items):
        y = 3 + i * row
        w = max(1.0, span * value / top)
        parts.append(_label(_x(label_w - 8, 0, width, rtl), y + 17, name, rtl=rtl))
        parts.append(
            f'<rect x="{_x(label_w, w, width, rtl):.1f}" y="{y + 4}" width="{w:.1f}" height="18" rx="2" fill="{_BAR}"/>'
        )
        parts.append(_value(_x(label_w + w + 6, 0, width, rtl), y + 17, fmt(value), rtl=rtl))
    parts.append("</svg>")
    return "".join(parts)


def histogram(
    bins: Sequence[tuple[str, int]], *, rtl: bool = False, label: str = "", width: int = 500, height: int = 190
) -> str:
    """Vertical bars for (bin label, count), counts above the bars, bins below; right to left for Hebrew."""
    if not bins:
        return ""
    top = max(n for _, n in bins) or 1
    gap, base = 6, height - 22
    bar_w = (width - gap * (len(bins) + 1)) / len(bins)
    parts = [_open(width, height, label=label, size=12)]
    for i, (name, n) in enumerate(bins):
        h = (base - 20) * n / top
        x = _x(gap + i * (bar_w + gap), bar_w, width, rtl)
        parts.append(f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{_BAR}"/>')
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{base - h - 5:.1f}" text-anchor="middle" direction="ltr">{n:,}</text>'
        )
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{height - 6}" text-anchor="middle" direction="ltr" fill="{_MUTED}">'
            f"{escape(name)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def funnel(steps: Sequence[tuple[str, int]], *, rtl: bool = False, label: str = "", width: int = 500) -> str:
    """A bar per step from the reading start, narrowing from the first, each with its count and share of the first
    written beside it."""
    if not steps:
        return ""
    first = steps[0][1] or 1
    row, label_w, value_w = 30, 170, 110
    span = width - label_w - value_w - 12
    height = row * len(steps) + 4
    parts = [_open(width, height, label=label)]
    for i, (name, n) in enumerate(steps):
        w = max(2.0, span * n / first)
        y = 2 + i * row
        parts.append(_label(_x(label_w - 8, 0, width, rtl), y + 19, name, rtl=rtl))
        parts.append(
            f'<rect x="{_x(label_w, w, width, rtl):.1f}" y="{y + 4}" width="{w:.1f}" height="22" rx="3" fill="{_BAR}" '
            f'opacity="{1 - 0.12 * i:.2f}"/>'
        )
        parts.append(_value(_x(label_w + w + 6, 0, width, rtl), y + 19, f"{n:,} ({100 * n / first:.0f}%)", rtl=rtl))
    parts.append("</svg>")
    return "".join(parts)
