"""Golden records. Until deduplication runs, every kept row is its own golden record."""

from __future__ import annotations

import polars as pl

from pipeline.stages import StageResult


def singletons(members: pl.DataFrame, /) -> tuple[StageResult, pl.DataFrame]:
    """Each row becomes one golden record (``G0000001``...) in input order; returns (result, merge map)."""
    table = (
        members.sort("source_row")
        .with_row_index("__n", offset=1)
        .with_columns(
            pl.format("G{}", pl.col("__n").cast(pl.String).str.zfill(7)).alias("golden_id"),
            pl.col("source_row").cast(pl.String).alias("source_rows"),
        )
        .drop("__n")
    )
    merge_map = table.select(
        "source_row",
        "golden_id",
        pl.lit(None, pl.Float64).alias("match_probability"),
        pl.lit("single record", pl.String).alias("reason"),
    )
    table = table.select("golden_id", "source_rows", pl.exclude("golden_id", "source_rows", "source_row"))
    return StageResult(table=table, stats={"rows_in": members.height, "rows_out": table.height}), merge_map
