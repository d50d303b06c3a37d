"""A person's decisions on the review sheet: the words that mean "same member" or "different", and the table of
decided pairs that deduplication replays (``cleanse run --decisions``)."""

from __future__ import annotations

import polars as pl

from pipeline.errors import InputError

DECISION_WORDS = {
    "same": True,
    "merge": True,
    "yes": True,
    "y": True,
    "1": True,
    "true": True,
    "כן": True,
    "זהה": True,
    "different": False,
    "keep": False,
    "no": False,
    "n": False,
    "0": False,
    "false": False,
    "לא": False,
    "שונה": False,
}


def read_decisions(frame: pl.DataFrame) -> pl.DataFrame:
    """A person's review decisions: ``source_row_a``, ``source_row_b``, ``same`` (Boolean; blank rows dropped)."""
    needed = {"source_row_a", "source_row_b", "decision"}
    if not needed <= set(frame.columns):
        raise InputError(f"decisions file needs the columns {', '.join(sorted(needed))} (as review.xlsx has)")
    return (
        frame.select(
            pl.col("source_row_a").cast(pl.Int64, strict=False),
            pl.col("source_row_b").cast(pl.Int64, strict=False),
            pl.col("decision")
            .cast(pl.String)
            .str.strip_chars()
            .str.to_lowercase()
            .replace_strict(DECISION_WORDS, default=None, return_dtype=pl.Boolean)
            .alias("same"),
        )
        .drop_nulls()
        .with_columns(
            pl.min_horizontal("source_row_a", "source_row_b").alias("source_row_a"),
            pl.max_horizontal("source_row_a", "source_row_b").alias("source_row_b"),
        )
    )
