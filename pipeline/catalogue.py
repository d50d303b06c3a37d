"""The catalogue of checks: every fix and every violation has a stable kebab-case code, a default severity,
the action it takes and a message template. Reports render from these codes, never from message text.

Severity can be changed per code in the rules (`checks.yaml`); the code, action and template cannot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]
Action = Literal["fixed", "normalised", "flagged", "quarantined", "merged", "moved"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@dataclass(frozen=True, slots=True)
class Check:
    code: str
    severity: Severity
    action: Action
    title: str
    template: str  # rendered with {field}, {before}, {after}


def _c(code: str, severity: Severity, action: Action, title: str, template: str) -> Check:
    return Check(code, severity, action, title, template)


_CHECKS: tuple[Check, ...] = (
    # --- rows (ingest and quarantine) ---
    _c("empty-row", "info", "quarantined", "Empty row", "The row has no values at all"),
    _c(
        "no-identity",
        "error",
        "quarantined",
        "No usable identity",
        "Row has no member number, ID number, phone or e-mail that can identify the member",
    ),
    _c(
        "csv-ragged-row",
        "error",
        "quarantined",
        "Row has more fields than the header",
        "The record has more fields than the header; its values cannot be aligned to columns",
    ),
    _c(
        "csv-short-row",
        "warning",
        "fixed",
        "Row has fewer fields than the header",
        "The record has fewer fields than the header; the missing trailing fields were left empty",
    ),
    _c(
        "csv-unclosed-quote",
        "error",
        "quarantined",
        "Quote never closed",
        "A quote opened on this line is never closed: read on, it would swallow the lines after it; the line is "
        "quarantined with its raw text and reading goes on from the next line",
    ),
    _c(
        "repeated-header-skipped",
        "warning",
        "fixed",
        "Header line repeated",
        "The line repeats the header (two exports pasted together?); it is not a member and was left out",
    ),
    _c(
        "title-row-skipped",
        "warning",
        "fixed",
        "Title line before a repeated header",
        "A one-value title line right before a repeated header; it is not a member and was left out",
    ),
    _c(
        "quarantined-by-rule",
        "error",
        "quarantined",
        "Quarantined by a rule",
        "A check listed under quarantine_on in the rules failed for this row",
    ),
    # --- any text cell ---
    _c(
        "invisible-chars-removed",
        "info",
        "fixed",
        "Invisible characters removed",
        "Removed direction marks, zero-width characters or non-breaking spaces from {field}",
    ),
    _c("whitespace-trimmed", "info", "fixed", "Spaces trimmed", "Trimmed or collapsed spaces in {field}"),
    _c(
        "placeholder-emptied",
        "info",
        "fixed",
        "Placeholder treated as empty",
        "{field} held a placeholder ({before}) that means 'no value'",
    ),
)

CATALOGUE: dict[str, Check] = {check.code: check for check in _CHECKS}


def register(*checks: Check) -> None:
    """Add the checks of a field module. Codes are unique across the whole catalogue."""
    for check in checks:
        if check.code in CATALOGUE and CATALOGUE[check.code] != check:
            raise ValueError(f"check code {check.code!r} registered twice with different definitions")
        CATALOGUE[check.code] = check


def check(code: str, severity: Severity, action: Action, title: str, template: str) -> Check:
    """Define and register one check; field modules call this at import time."""
    item = Check(code, severity, action, title, template)
    register(item)
    return item


register(
    Check(
        "unicode-normalised",
        "info",
        "fixed",
        "Unicode normalised",
        "{field} was stored in a decomposed Unicode form; normalised to NFC",
    ),
)


def all_checks() -> dict[str, Check]:
    """The whole catalogue: field modules register their checks when imported, so import them first."""
    import pipeline.stages.clean  # noqa: F401  (imports every field module)

    return CATALOGUE
