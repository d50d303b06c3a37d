"""Quarantine: rows that cannot be used at all leave the member table, each with its reason.

A row is quarantined when its CSV line opens a quote that is never closed, when it is empty, when its CSV record
cannot be aligned to the header, or when it has no
usable identity (none of the rules' identity fields holds a usable value). Field problems alone never
quarantine a row: they are flagged in the ledger and the value is kept.
"""

from __future__ import annotations

import polars as pl

from pipeline import ledger as ledger_
from pipeline.catalogue import CATALOGUE
from pipeline.ingest import EXTRA_FIELDS, RAW_LINE, RawTable
from pipeline.rules import Rules
from pipeline.stages import StageResult

REASON = "__reason"


USABLE_PREFIX = "__usable_"


def usable(members: pl.DataFrame, field: str) -> pl.Expr:
    """Whether a cleaned field holds a usable value: the field kind's verdict where it gives one."""
    flag = f"{USABLE_PREFIX}{field}"
    return pl.col(flag) if flag in members.columns else pl.col(field).is_not_null()


def quarantine(
    members: pl.DataFrame, /, *, raw: RawTable, rules: Rules, ledger: pl.DataFrame | None = None
) -> tuple[StageResult, pl.DataFrame]:
    """Split the cleaned members into (kept, quarantined).

    Returns:
        The stage result whose table holds the kept rows, and the quarantine table: ``source_row``,
        ``reason`` (check codes), ``reason_text`` and the raw values of every input column.
    """
    raw_cells = [pl.col(h) for h in raw.headers]
    empty = pl.all_horizontal([c.is_null() | (c.str.strip_chars() == "") for c in raw_cells])
    ragged = pl.col(EXTRA_FIELDS).is_not_null() if EXTRA_FIELDS in raw.frame.columns else pl.lit(False)
    broken = pl.col(RAW_LINE).is_not_null() if RAW_LINE in raw.frame.columns else pl.lit(False)
    identity = pl.any_horizontal([usable(members, f) for f in rules.checks.identity_fields])
    flags = raw.frame.select(
        "source_row", empty.alias("__empty"), ragged.alias("__ragged"), broken.alias("__broken")
    ).join(members.select("source_row", identity.alias("__identity")), on="source_row", how="left")
    reason = (
        pl.when(pl.col("__broken"))
        .then(pl.lit("csv-unclosed-quote"))
        .when(pl.col("__empty"))
        .then(pl.lit("empty-row"))
        .when(pl.col("__ragged"))
        .then(pl.lit("csv-ragged-row"))
        .when(~pl.col("__identity").fill_null(False))
        .then(pl.lit("no-identity"))
        .otherwise(pl.lit(None, pl.String))
        .alias(REASON)
    )
    flags = flags.with_columns(reason).select("source_row", REASON)
    bad = flags.filter(pl.col(REASON).is_not_null())

    texts = pl.DataFrame({REASON: list(CATALOGUE), "reason_text": [c.template for c in CATALOGUE.values()]})
    extras = {EXTRA_FIELDS: "extra_fields", RAW_LINE: "raw_line"}
    raw_cols = [*raw.headers, *(c for c in extras if c in raw.frame.columns)]
    quarantined = (
        bad.join(texts, on=REASON, how="left")
        .join(raw.frame.select("source_row", *raw_cols), on="source_row", how="left")
        .rename({REASON: "reason"} | {c: name for c, name in extras.items() if c in raw_cols})
        .sort("source_row")
    )
    kept = members.join(bad.select("source_row"), on="source_row", how="anti")
    kept = kept.drop([c for c in kept.columns if c.startswith("__")])
    entries = (
        ledger_.from_mask(bad, pl.lit(True), field="*", code="", before=pl.lit(None), after=pl.lit(None)).with_columns(
            bad.get_column(REASON).alias("check")
        )
        if bad.height
        else ledger_.empty()
    )
    ledger = ledger_.finish([entries], severities=rules.checks.severity)
    counts = bad.group_by(REASON).len().sort(REASON)
    stats = {
        "rows_in": members.height,
        "rows_out": kept.height,
        "quarantined": bad.height,
        "by_reason": dict(zip(counts.get_column(REASON).to_list(), counts.get_column("len").to_list(), strict=True)),
    }
    return StageResult(table=kept, ledger=ledger, stats=stats), quarantined
