"""The report's words, one catalogue per language (``he.json``, ``en.json``), and Israeli number and date formats.

Every sentence the report shows is a key here; the rendering code holds no text of its own. Values put into a
sentence are formatted (and HTML-escaped) by the caller, so a translation can move them freely.
"""

from __future__ import annotations

import datetime as dt
import json
import string
from dataclasses import dataclass
from functools import cache
from html import escape
from importlib import resources
from typing import Any, Final

LANGUAGES: Final = ("he", "en")
_MONTHS_EN: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The catalogue of one language (``he`` or ``en``)."""
    if lang not in LANGUAGES:
        raise ValueError(f"no report language {lang!r}: use one of {', '.join(LANGUAGES)}")
    text = resources.files(__package__).joinpath(f"{lang}.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return {str(k): str(v) for k, v in data.items()}


def placeholders(template: str) -> set[str]:
    """The names a template fills: ``"{n} members"`` -> ``{"n"}``."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@dataclass(frozen=True)
class Words:
    """One language's sentences and number formats for one page."""

    lang: str

    @property
    def rtl(self) -> bool:
        return self.lang == "he"

    @property
    def dir(self) -> str:
        return "rtl" if self.rtl else "ltr"

    def __call__(self, key: str, /, **values: str) -> str:
        """The sentence ``key``, HTML-escaped, with ``values`` (already HTML) put in its placeholders."""
        template = catalogue(self.lang)[key]
        return escape(template, quote=False).format(**values)

    def get(self, key: str, default: str) -> str:
        """A word for a value from the data (a segment name, a funnel step), or the value itself."""
        found = catalogue(self.lang).get(key)
        return escape(found if found is not None else default, quote=False)

    def num(self, value: Any, *, digits: int = 0) -> str:
        """``12345.6`` -> ``12,346`` (Israel groups thousands with a comma and writes decimals with a point)."""
        if value is None or isinstance(value, bool) or not isinstance(value, int | float):
            return "—"
        return f"{value:,.{digits}f}"

    def money(self, value: Any) -> str:
        """Shekels, whole: ``₪12,346`` (English) / ``12,346 ₪`` (Hebrew, as Israeli shops print it)."""
        if not isinstance(value, int | float) or isinstance(value, bool):
            return "—"
        n = f"{value:,.0f}"
        return f"{n}\u00a0₪" if self.rtl else f"₪{n}"

    def pct(self, value: Any, *, digits: int = 1) -> str:
        """A share (0.123) as ``12.3%``."""
        if not isinstance(value, int | float) or isinstance(value, bool):
            return "—"
        return f"{100 * value:.{digits}f}%"

    def date(self, value: Any) -> str:
        """An ISO date as Israelis write it (``27.11.2026``) or as ``27 Nov 2026`` in English."""
        try:
            d = dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            return escape(str(value))
        return f"{d.day}.{d.month:02d}.{d.year}" if self.rtl else f"{d.day} {_MONTHS_EN[d.month - 1]} {d.year}"
