"""Quarantine: rows that cannot be used at all leave the member table, each with its reason.

A row is quarantined when its CSV line opens a quote that is never closed, when it is empty, when its CSV record
cannot be aligned to the header, when it has no
usable identity (none of the rules' identity fields holds a usable value), or when the ledger of its cleaning
holds a check code the rules list under ``quarantine_on``. Other field problems never quarantine a row: they are
flagged in the ledger and the value is kept.
"""

from __future__ import annotations

import polars as pl

from pipeline import ledger as ledger_
from pipeline.checks import DECLARED, check
from pipeline.fields.outcome import usable
from pipeline.rawtable import EXTRA_FIELDS, RAW_LINE, RawTable
from pipeline.rules import Rules
from pipeline.stages import StageResult

check("empty-row", "info", "quarantined", "Empty row", "The row has no values at all")
check(
    "no-identity",
    "error",
    "quarantined",
    "No usable identity",
    "Row has no member number, ID number, phone or e-mail that can identify the member",
)
BY_RULE = check(
    "quarantined-by-rule",
    "error",
    "quarantined",
    "Quarantined by a rule",
    "A check listed under quarantine_on in the rules failed for this row",
)

REASON = "__reason"


def quarantine(
    members: pl.DataFrame, /, *, raw: RawTable, rules: Rules, ledger: pl.DataFrame | None = None
) -> tuple[StageResult, pl.DataFrame]:
    """Split the cleaned members into (kept, quarantined).

    ``ledger`` is the ledger of cleaning and validating ``members``: a row with an entry whose check the rules
    list under ``quarantine_on`` is quarantined with that check's code as its reason (the first listed, where it
    has several), and its ledger says ``quarantined-by-rule`` for that entry's field and value.

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
    by_rule = _by_rule(ledger, rules.checks.quarantine_on)
    flags = flags.join(by_rule.select("source_row", "__rule"), on="source_row", how="left")
    reason = (
        pl.when(pl.col("__broken"))
        .then(pl.lit("csv-unclosed-quote"))
        .when(pl.col("__empty"))
        .then(pl.lit("empty-row"))
        .when(pl.col("__ragged"))
        .then(pl.lit("csv-ragged-row"))
        .when(~pl.col("__identity").fill_null(False))
        .then(pl.lit("no-identity"))
        .otherwise(pl.col("__rule"))
        .alias(REASON)
    )
    flags = flags.with_columns(reason).select("source_row", REASON)
    bad = flags.filter(pl.col(REASON).is_not_null())

    texts = pl.DataFrame(
        {
            REASON: list(DECLARED),
            "reason_text": [
                f"{BY_RULE.title}: {c.title}" if c.code in rules.checks.quarantine_on else c.template
                for c in DECLARED.values()
            ],
        }
    )
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
    # one entry per quarantined row; a row quarantined by a rule names the field and value that made it so (its
    # own entry, from cleaning, says which check)
    rows = bad.join(by_rule, on="source_row", how="left", maintain_order="left")
    ruled = (pl.col(REASON) == pl.col("__rule")).fill_null(False)
    entries = rows.select(
        pl.col("source_row").cast(pl.Int64),
        pl.when(ruled).then(pl.col("field")).otherwise(pl.lit("*")).alias("field"),
        pl.when(ruled).then(pl.lit(BY_RULE.code)).otherwise(pl.col(REASON)).alias("check"),
        pl.when(ruled).then(pl.col("before")).otherwise(pl.lit(None, pl.String)).alias("before"),
        pl.lit(None, pl.String).alias("after"),
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


def _by_rule(ledger: pl.DataFrame | None, codes: tuple[str, ...]) -> pl.DataFrame:
    """Per row whose ledger holds one of ``codes``: the first such code (in the rules' order) as ``__rule``, with
    the field and the value it was found in."""
    schema = {"source_row": pl.Int64, "__rule": pl.String, "field": pl.String, "before": pl.String}
    if not codes or ledger is None or not ledger.height:
        return pl.DataFrame(schema=schema)
    order = {code: i for i, code in enumerate(codes)}
    return (
        ledger.lazy()
        .filter(pl.col("check").cast(pl.String).is_in(list(codes)))
        .select(
            "source_row",
            pl.col("check").cast(pl.String).alias("__rule"),
            pl.col("field").cast(pl.String),
            "before",
            pl.col("check").cast(pl.String).replace_strict(order, return_dtype=pl.Int64).alias("__order"),
        )
        .sort("source_row", "__order", maintain_order=True)
        .unique("source_row", keep="first", maintain_order=True)
        .select(list(schema))
        .collect()
    )
