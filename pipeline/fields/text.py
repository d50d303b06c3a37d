"""Text hygiene shared by every field: Unicode NFC, invisible marks, control characters, spaces, placeholders.

Copy-paste from Hebrew UIs brings direction marks (U+200E/F, U+202A-E, U+2066-9), zero-width characters and
non-breaking spaces; they break equality and parsing while being invisible to a person. Control characters
(BEL, BS, ESC and the terminal escape sequences they start) are never part of a name or an address: a file that
carries them means to beep, erase or recolour a terminal when the value is printed.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

from pipeline import ledger as ledger_
from pipeline.checks import check

check(
    "invisible-chars-removed",
    "info",
    "fixed",
    "Invisible characters removed",
    "Removed direction marks, zero-width characters or non-breaking spaces from {field}",
)
check("whitespace-trimmed", "info", "fixed", "Spaces trimmed", "Trimmed or collapsed spaces in {field}")
check(
    "placeholder-emptied",
    "info",
    "fixed",
    "Placeholder treated as empty",
    "{field} held a placeholder ({before}) that means 'no value'",
)
check(
    "unicode-normalised",
    "info",
    "fixed",
    "Unicode normalised",
    "{field} was stored in a decomposed Unicode form; normalised to NFC",
)

CONTROL_CHARS_REMOVED = check(
    "control-chars-removed",
    "warning",
    "fixed",
    "Control characters removed",
    "Removed control characters or terminal escape sequences (BEL, BS, ESC ...) from {field}",
)

# Rust-regex classes (polars) and the same sets for Python (used on single values: headers, rules).
INVISIBLE_RE = r"[\u{200B}-\u{200F}\u{202A}-\u{202E}\u{2060}-\u{2064}\u{2066}-\u{2069}\u{FEFF}\u{00AD}\u{061C}]"
ODD_SPACE_RE = r"[\u{00A0}\u{2000}-\u{200A}\u{202F}\u{205F}\u{3000}\t\r\n\v\f]"
_PY_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad\u061c]")
_PY_ODD_SPACE = re.compile("[\u00a0\u2000-\u200a\u202f\u205f\u3000\t\r\n\v\f]")
# An escape sequence whole (CSI and OSC, so no "[31m" is left behind), then any other C0/C1 control; tab, line
# breaks, vertical tab and form feed are spaces (ODD_SPACE_RE), not controls.
CONTROL_RE = r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|[\x00-\x08\x0e-\x1f\x7f-\x9f]"
_PY_CONTROL = re.compile(CONTROL_RE)

# Geresh and gershayim and their look-alikes, folded to the ASCII forms people type.
GERESH_LOOKALIKES = "׳’‘´`"  # -> '
GERSHAYIM_LOOKALIKES = "״“”„"  # -> "


def clean_text(value: str) -> str:
    """One Python value through the same hygiene as :func:`hygiene` (for headers and rule values)."""
    text = unicodedata.normalize("NFC", _PY_INVISIBLE.sub("", _PY_CONTROL.sub("", value)))
    text = _PY_ODD_SPACE.sub(" ", text)
    return " ".join(text.split())


def hygiene(raw: pl.Expr, *, placeholders: list[str]) -> tuple[pl.Expr, dict[str, pl.Expr]]:
    """The cleaned text and its outcome flags (code -> boolean expression) over a raw String column.

    Empty strings and placeholders (``-``, ``NULL``, ``#N/A`` ...) become null: they mean "no value".
    """
    # control characters and invisible marks go first: one between a letter and its accent would keep NFC from
    # composing them
    controlled = raw.str.replace_all(CONTROL_RE, "")
    visible = controlled.str.replace_all(INVISIBLE_RE, "")
    nfc = visible.str.normalize("NFC")
    spaced = nfc.str.replace_all(ODD_SPACE_RE, " ").str.replace_all(" {2,}", " ").str.strip_chars(" ")
    lowered = [p.lower() for p in placeholders]
    is_placeholder = spaced.str.to_lowercase().is_in(lowered) if placeholders else pl.lit(False)
    value = pl.when((spaced == "") | is_placeholder).then(pl.lit(None, pl.String)).otherwise(spaced)
    flags = {
        CONTROL_CHARS_REMOVED.code: controlled != raw,
        "invisible-chars-removed": visible != controlled,
        "unicode-normalised": nfc != visible,
        "whitespace-trimmed": (spaced != nfc) & (spaced != ""),
        "placeholder-emptied": is_placeholder,
    }
    return value, flags


# Anything but printable ASCII, Hebrew letters, single inner spaces and a few signs common in member files may need
# hygiene; the rest provably don't. The signs (geresh and gershayim, the shekel sign, check marks and crosses, the
# multiplication sign, en and em dashes) have no decomposition, combine with nothing, and are no space, mark or
# control: a tenth of a million members' values held the shekel sign or a check mark, and went through the whole
# chain for nothing (1.1 s).
_SAFE_SIGNS = r"\u{05F3}\u{05F4}\u{20AA}\u{2713}\u{2714}\u{2717}\u{2718}\u{00D7}\u{2013}\u{2014}"
_MAYBE_DIRTY = rf"[^\x21-\x7E\u{{05D0}}-\u{{05EA}}{_SAFE_SIGNS} ]|^ | $|  |^$"


def rx_escape(text: str) -> str:
    """Escape text for polars (Rust) regex: only its metacharacters, which Rust allows escaping."""
    return "".join("\\" + ch if ch in r"\.+*?()|[]{}^$#&-~" else ch for ch in text)


def screen(placeholders: list[str]) -> str:
    """A regex that matches every value :func:`hygiene` could change (and, rarely, some it won't)."""
    if not placeholders:
        return _MAYBE_DIRTY
    return f"(?i){_MAYBE_DIRTY}|^(?:{'|'.join(rx_escape(p) for p in placeholders)})$"


def hygiene_column(frame: pl.DataFrame, name: str, *, placeholders: list[str]) -> tuple[pl.Series, pl.DataFrame]:
    """Hygiene for one column of ``frame``: (the cleaned column, ledger entries).

    The full chain runs only on rows the screen picks out (typically a few percent); the rest pass unchanged.
    A property test proves the result equals running :func:`hygiene` on every row.
    """
    column = frame.get_column(name)
    rows = (
        frame.select("source_row", name).with_row_index("__i").filter(pl.col(name).str.contains(screen(placeholders)))
    )
    value, flags = hygiene(pl.col(name), placeholders=placeholders)
    entries = ledger_.from_flags(rows, field=name, flags=flags, before=pl.col(name), after=value)
    if rows.height == 0:
        return column, entries
    fixed = rows.select("__i", value.alias("__after"))
    return column.scatter(fixed.get_column("__i"), fixed.get_column("__after")), entries
