"""Money and counts: ``₪1,234.50``, ``1,234``, ``1234 ש"ח`` -> numbers; negative or non-numeric values flagged.

Israeli files write thousands with commas and decimals with a point. A value with a comma as its only
separator and exactly two digits after it (``1234,50``) is read as a decimal comma.
"""

from __future__ import annotations

import polars as pl

from pipeline import ledger as ledger_
from pipeline.checks import check
from pipeline.fields.outcome import FieldOutcome, on_distinct

check("money-normalised", "info", "normalised", "Amount written as a number", "{field} {before} written as {after}")
check("money-unparseable", "warning", "flagged", "Amount is not a number", "{field} {before} is not an amount")
check("money-negative", "warning", "flagged", "Negative amount", "{field} {before} is negative")
check(
    "count-normalised", "info", "normalised", "Count written as a whole number", "{field} {before} written as {after}"
)
check(
    "count-unparseable", "warning", "flagged", "Count is not a whole number", "{field} {before} is not a whole number"
)
check("count-negative", "warning", "flagged", "Negative count", "{field} {before} is negative")

_CURRENCY = r"(?i)₪|ש\"ח|ש״ח|ש''ח|שח|nis|ils|שקלים|שקל|\s"


def parse_amount(raw: pl.Series) -> pl.Series:
    """Text to Float64 (null when it is not an amount), once per distinct text (``on_distinct``).

    Step by step, as columns: as one expression the stripped text was computed again in every branch (1.5 s of a
    million members' cleaning with the count's three reads of it, now about 0.15 s).
    """
    return on_distinct(raw, _parse_distinct).get_column("n").alias(raw.name)


def _parse_distinct(raw: pl.Series) -> pl.DataFrame:
    return (
        pl.DataFrame({"raw": raw})
        .with_columns(pl.col("raw").str.replace_all(_CURRENCY, "").alias("bare"))
        .with_columns(
            pl.col("bare").str.contains(r"^\(.*\)$|^-|-$").alias("negative"),
            pl.col("bare").str.strip_chars("()-+").alias("body"),
        )
        .with_columns(
            pl.when(pl.col("body").str.contains(r"^\d+,\d{2}$"))  # a decimal comma
            .then(pl.col("body").str.replace(",", "."))
            .when(pl.col("body").str.contains(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$"))
            .then(pl.col("body").str.replace_all(",", ""))
            .when(pl.col("body").str.contains(r"^\d+(?:\.\d+)?$|^\.\d+$"))
            .then(pl.col("body"))
            .cast(pl.Float64, strict=False)
            .alias("number")
        )
        .select(pl.when(pl.col("negative")).then(-pl.col("number")).otherwise(pl.col("number")).alias("n"))
    )


def clean_money(frame: pl.DataFrame, name: str, /) -> FieldOutcome:
    return _clean_number(frame, name, parse_amount(frame.get_column(name)), kind="money")


def clean_count(frame: pl.DataFrame, name: str, /) -> FieldOutcome:
    amount = pl.col("amount")
    count = (
        pl.DataFrame({"amount": parse_amount(frame.get_column(name))})
        .select(pl.when(amount.is_not_null() & (amount == amount.floor())).then(amount.cast(pl.Int64, strict=False)))
        .to_series()
    )
    return _clean_number(frame, name, count, kind="count")


def _clean_number(frame: pl.DataFrame, name: str, value: pl.Series, *, kind: str) -> FieldOutcome:
    """The column as ``value`` says, with its ledger: ``<kind>-normalised``, ``-unparseable`` and ``-negative``."""
    work = frame.select("source_row", pl.col(name).alias("raw")).with_columns(value.alias("value"))
    flags = {
        f"{kind}-normalised": pl.col("value").is_not_null() & (pl.col("value").cast(pl.String) != pl.col("raw")),
        f"{kind}-unparseable": pl.col("raw").is_not_null() & pl.col("value").is_null(),
        f"{kind}-negative": pl.col("value") < 0,
    }
    entries = ledger_.from_flags(
        work, field=name, flags=flags, before=pl.col("raw"), after=pl.col("value").cast(pl.String)
    )
    return FieldOutcome(columns={name: work.get_column("value")}, entries=entries)
