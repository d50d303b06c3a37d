"""``report.html``: one self-contained page (inline CSS, no scripts, no external requests), in Hebrew (right to
left) or English.

Rendered only from the report dict, so the page and ``report.json`` can never disagree. The first screen is for
the club's manager (``overview``), the collapsible detail below it for the data team (``detail``); every word
comes from the language's catalogue (``i18n/he.json``, ``i18n/en.json``).
"""

from __future__ import annotations

from typing import Any

from pipeline.report import detail, overview, value
from pipeline.report.i18n import Words
from pipeline.report.layout import bdi, page


def render_html(report: dict[str, Any], *, lang: str = "en") -> str:
    """The page of ``report`` in ``lang`` (``he`` or ``en``)."""
    w = Words(lang)
    src = report["input"]
    header = (
        f'<header class="top"><h1>{w("page.title")}</h1>'
        f'<p class="sub">{w("page.file", path=bdi(src["path"]))} · '
        f"{w('page.masked' if report['pii_masked'] else 'page.unmasked')}</p></header>"
    )
    footer = f'<p class="sub">{w("page.footer", version=bdi(report["tool_version"]), schema=w.num(report["schema_version"]))}</p>'
    body = header + overview.render(report, w) + value.render(report, w) + detail.render(report, w) + footer
    return page(w, title=w("page.title"), body=body)
