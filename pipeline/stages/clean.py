"""Clean: text hygiene on every canonical field, then each field kind's own repair and validation.

Carried-through (unmapped) columns are left exactly as they were read.
"""

from __future__ import annotations

import polars as pl

from pipeline import ledger as ledger_
from pipeline.fields import FIELDS
from pipeline.fields.text import hygiene_column
from pipeline.rules import Rules
from pipeline.stages import StageResult


def clean(members: pl.DataFrame, /, *, rules: Rules) -> StageResult:
    present = [f for f in FIELDS if members.get_column(f).null_count() < members.height]
    placeholders = list(rules.checks.placeholders)
    entries = []
    values = []
    for name in present:
        value, found = hygiene_column(members, name, placeholders=placeholders)
        entries.append(found)
        values.append(value.alias(name))
    table = members.with_columns(values)
    ledger = ledger_.finish(entries, severities=rules.checks.severity)
    return StageResult(
        table=table,
        ledger=ledger,
        stats={"rows_in": members.height, "rows_out": table.height, "fixes": ledger.height},
    )
