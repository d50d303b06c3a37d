"""Inline SVG charts for report.html: horizontal bars, a histogram and a funnel. No scripts, no external files."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

_BAR = "#3b6ea8"
_MUTED = "#9aa5b8"


def bars(items: Sequence[tuple[str, float]], *, unit: str = "", width: int = 640) -> str:
    """One horizontal bar per (label, value); labels may be Hebrew (drawn right-aligned in their own box)."""
    if not items:
        return ""
    top = max(v for _, v in items) or 1
    row, label_w = 24, 190
    height = row * len(items) + 8
    parts = [
        f'<svg role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'xmlns="http://www.w3.org/2000/svg" font-family="system-ui,Arial,sans-serif" font-size="12">'
    ]
    for i, (label, value) in enumerate(items):
        y = 4 + i * row
        w = max(1.0, (width - label_w - 90) * value / top)
        parts.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="16" rx="2" fill="{_BAR}"/>')
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 15}">{value:,.0f}{escape(unit)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def histogram(bins: Sequence[tuple[str, int]], *, width: int = 640, height: int = 180) -> str:
    """Vertical bars for (bin label, count)."""
    if not bins:
        return ""
    top = max(n for _, n in bins) or 1
    gap, base = 6, height - 24
    bar_w = (width - gap * (len(bins) + 1)) / len(bins)
    parts = [
        f'<svg role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'xmlns="http://www.w3.org/2000/svg" font-family="system-ui,Arial,sans-serif" font-size="11">'
    ]
    for i, (label, n) in enumerate(bins):
        h = (base - 16) * n / top
        x = gap + i * (bar_w + gap)
        parts.append(f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{_BAR}"/>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{base - h - 4:.1f}" text-anchor="middle">{n:,}</text>')
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{height - 8}" text-anchor="middle" fill="{_MUTED}">'
            f"{escape(label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def funnel(steps: Sequence[tuple[str, int]], *, width: int = 640) -> str:
    """Centred bars narrowing from the first step, each with its count and share of the first."""
    if not steps:
        return ""
    first = steps[0][1] or 1
    row = 30
    height = row * len(steps) + 4
    parts = [
        f'<svg role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'xmlns="http://www.w3.org/2000/svg" font-family="system-ui,Arial,sans-serif" font-size="12">'
    ]
    for i, (label, n) in enumerate(steps):
        w = max(2.0, (width - 260) * n / first)
        x = 250 + (width - 260 - w) / 2
        y = 2 + i * row
        parts.append(f'<text x="240" y="{y + 18}" text-anchor="end">{escape(label)}</text>')
        parts.append(
            f'<rect x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="22" rx="3" fill="{_BAR}" '
            f'opacity="{1 - 0.1 * i:.2f}"/>'
        )
        parts.append(
            f'<text x="{250 + (width - 260) / 2:.1f}" y="{y + 18}" text-anchor="middle" fill="#fff">'
            f"{n:,} ({100 * n / first:.0f}%)</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
