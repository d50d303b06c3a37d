"""The page around the sections: one self-contained HTML document (inline CSS, no scripts, no requests), right to
left for Hebrew, a print stylesheet for A4, and the small builders every section uses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from pipeline.report.i18n import Words

CSS = """
:root{--ink:#1d2433;--mute:#566072;--line:#dfe3ea;--ok:#1b7f4b;--warn:#9a5b00;--bad:#b3261e;--bg:#f6f7f9;
--accent:#2f5f98}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI","Noto Sans Hebrew",Arial,sans-serif;color:var(--ink);margin:0;
background:var(--bg)}
main{max-width:1180px;margin:0 auto;padding:16px 24px 32px}
h1{font-size:22px;margin:0}h2{font-size:17px;margin:0 0 8px}h3{font-size:15px;margin:14px 0 6px}
.sub{color:var(--mute);margin:2px 0 10px;font-size:13px}
.top{display:flex;flex-wrap:wrap;gap:4px 16px;align-items:baseline;justify-content:space-between}
.cards{display:grid;grid-template-columns:repeat(5,minmax(0,1fr));gap:10px;margin:8px 0}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.card .n{font-size:26px;font-weight:650;font-variant-numeric:tabular-nums;line-height:1.2}
.card .l{font-weight:600;font-size:13px}.card .s{color:var(--mute);font-size:12px}
.grid2{display:grid;grid-template-columns:minmax(0,1.1fr) minmax(0,1fr);gap:12px}
.panel{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 14px}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:start;vertical-align:top}
th{background:#eef0f4;font-weight:600;font-size:13px}
td.num,th.num{text-align:end;font-variant-numeric:tabular-nums;white-space:nowrap}
.up{color:var(--ok)}.down{color:var(--bad)}
ol.actions{margin:4px 0;padding-inline-start:22px}ol.actions li{margin:4px 0}
.gain{color:var(--mute);font-size:12px;display:block}
.alarm{background:#fdecea;border:1px solid #f1b8b3;border-radius:8px;padding:8px 12px;margin:8px 0}
.alarm h2{color:var(--bad);font-size:15px;margin:0 0 4px}.alarm ul{margin:0;padding-inline-start:20px}
.ok{color:var(--ok);font-weight:600}.bad{color:var(--bad);font-weight:600}
.sev-error{color:var(--bad);font-weight:600}.sev-warning{color:var(--warn);font-weight:600}.sev-info{color:var(--mute)}
.ex{font-size:12px;color:var(--mute)}.ex bdi{color:var(--ink)}
code{font-size:12px;direction:ltr;unicode-bidi:isolate}
.detail-head{margin:22px 0 6px;font-size:17px;border-bottom:1px solid var(--line);padding-bottom:4px}
details{background:#fff;border:1px solid var(--line);border-radius:8px;margin:8px 0}
details>summary{cursor:pointer;padding:8px 14px;font-weight:600;font-size:15px}
details>.body{padding:0 14px 12px;overflow-x:auto}
.chart{max-width:100%;height:auto;display:block}
.charts{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:12px}
.note{background:#fff8e6;border:1px solid #f0d9a8;border-radius:6px;padding:6px 12px;margin:6px 0}
@media (max-width:900px){.cards{grid-template-columns:repeat(2,minmax(0,1fr))}.grid2,.charts{grid-template-columns:1fr}}
@page{size:A4;margin:12mm}
@media print{
body{background:#fff;font-size:11px}main{max-width:none;padding:0}
.cards{grid-template-columns:repeat(5,minmax(0,1fr))}.card .n{font-size:18px}
details{border:0;break-inside:auto}details>summary{list-style:none;padding:8px 0 4px;font-size:14px}
details::details-content{content-visibility:visible;display:block}
details>.body{padding:0;overflow:visible}
/* a chart is drawn at its own size: Chromium's PDF reverses Hebrew in scaled SVG text */
.charts{grid-template-columns:1fr}.chart{max-width:none}
table{font-size:10px}thead{display:table-header-group}tr,.card,.panel,.alarm,svg{break-inside:avoid}
.detail-head,h2,h3{break-after:avoid}
}
"""


def bdi(value: Any) -> str:
    """A value from the file, isolated so that Hebrew, Latin and digits inside it keep their own order."""
    return f"<bdi>{escape('' if value is None else str(value))}</bdi>"


def table(headers: Sequence[tuple[str, bool]], rows: Iterable[Sequence[tuple[str, bool]]]) -> str:
    """A table of already-rendered cells; each cell is (html, numeric)."""
    head = "".join(f"<th{' class=num' if num else ''}>{h}</th>" for h, num in headers)
    body = "".join(
        "<tr>" + "".join(f"<td{' class=num' if num else ''}>{c}</td>" for c, num in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def details(section_id: str, heading: str, body: str, *, open_: bool = False) -> str:
    """An engineer's section: collapsed to its heading until clicked."""
    return (
        f'<section id="{section_id}"><details{" open" if open_ else ""}><summary>{heading}</summary>'
        f'<div class="body">{body}</div></details></section>'
    )


def page(words: Words, *, title: str, body: str) -> str:
    """The whole document."""
    return (
        f'<!doctype html><html lang="{words.lang}" dir="{words.dir}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{title}</title><style>{CSS}</style></head><body><main>{body}</main></body></html>\n"
    )
