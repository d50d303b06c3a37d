"""How a module declares its checks: every fix and every violation has a stable kebab-case code, a default
severity, the action it takes and a message template. Reports render from these codes, never from message text.

A leaf: the module that owns a check declares it here at import (``check(...)``); ``pipeline.catalogue`` imports
every such module and so holds them all. Severity can be changed per code in the rules (``checks.yaml``); the
code, action and template cannot.
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


# the checks declared so far, in declaration order; complete once ``pipeline.catalogue`` is imported
DECLARED: dict[str, Check] = {}


def register(*checks: Check) -> None:
    """Add checks to the catalogue. Codes are unique across the whole catalogue."""
    for item in checks:
        if item.code in DECLARED and DECLARED[item.code] != item:
            raise ValueError(f"check code {item.code!r} registered twice with different definitions")
        DECLARED[item.code] = item


def check(code: str, severity: Severity, action: Action, title: str, template: str) -> Check:
    """Declare and register one check; the module that writes the code calls this at import time."""
    item = Check(code, severity, action, title, template)
    register(item)
    return item
