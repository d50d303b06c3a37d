"""The catalogue of checks, complete: every code any run can write, with its severity, action, title and template.

Each module that writes ledger codes declares them at import (``pipeline.checks.check``); this module imports
every such module, so importing it is enough to see them all (``tests/test_catalogue.py`` proves it in a fresh
interpreter). Nothing below it imports it: the stages and fields import the leaf ``pipeline.checks``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# the modules that own checks, each declaring its own at import (a test fails if one is missing here)
import pipeline.fields.dates
import pipeline.fields.emails
import pipeline.fields.flags
import pipeline.fields.ids
import pipeline.fields.money
import pipeline.fields.names
import pipeline.fields.phones
import pipeline.fields.places
import pipeline.fields.streets
import pipeline.fields.text
import pipeline.rawtable
import pipeline.stages.dedupe.explain
import pipeline.stages.enrich
import pipeline.stages.quarantine
import pipeline.stages.validate  # noqa: F401
from pipeline.checks import DECLARED, SEVERITIES, Check

__all__ = ["CATALOGUE", "SEVERITIES", "Check", "all_checks"]

CATALOGUE: Mapping[str, Check] = MappingProxyType(DECLARED)


def all_checks() -> Mapping[str, Check]:
    """The whole catalogue, code -> check."""
    return CATALOGUE
