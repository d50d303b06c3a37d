"""Stable identity across runs: last run's golden records take part in matching as identity-only records, so
the same members keep their ``golden_id`` in next month's export; new members get new ids; and what appeared,
merged, split or disappeared is reported."""

from __future__ import annotations

import polars as pl


def with_previous(members: pl.DataFrame, previous: pl.DataFrame) -> pl.DataFrame:
    """Last run's golden records join this run's records as identity-only nodes (negative ``source_row``)."""
    shared = [c for c in members.columns if c in previous.columns and c != "source_row"]
    prev = previous.select(*shared, pl.col("golden_id").alias("__prev_id")).with_row_index("__n")
    prev = prev.with_columns((-(pl.col("__n").cast(pl.Int64) + 1)).alias("source_row")).drop("__n")
    prev = prev.cast({c: members.schema[c] for c in shared}, strict=False)
    current = members.with_columns(pl.lit(None, pl.String).alias("__prev_id"))
    return pl.concat([current, prev], how="diagonal_relaxed")


def stable_ids(
    records: pl.DataFrame, golden: pl.DataFrame, edges: pl.DataFrame
) -> tuple[pl.DataFrame, dict[str, object]]:
    """Golden ids last run gave keep them; new members get new ids. Reports what appeared, merged, split, left."""
    prev = records.filter(pl.col("__prev_id").is_not_null())
    by_cluster = prev.group_by("__cluster").agg(pl.col("__prev_id").sort().alias("__prev_ids"))
    golden = golden.join(by_cluster, on="__cluster", how="left").with_columns(
        pl.col("__prev_ids").list.first().alias("__kept")
    )
    numbers = prev.get_column("__prev_id").str.extract(r"(\d+)$", 1).cast(pl.Int64, strict=False)
    top = numbers.max()
    start = int(top) + 1 if isinstance(top, int) else 1
    new_rank = golden.filter(pl.col("__kept").is_null()).with_row_index("__k", offset=start).select("__cluster", "__k")
    golden = golden.join(new_rank, on="__cluster", how="left").with_columns(
        pl.coalesce(pl.col("__kept"), pl.format("G{}", pl.col("__k").cast(pl.String).str.zfill(7))).alias("golden_id")
    )
    current_clusters = golden.get_column("__cluster").unique().to_list()
    merged = [
        {"golden_id": ids[0], "absorbed": ids[1:]}
        for ids in golden.get_column("__prev_ids").drop_nulls().to_list()
        if len(ids) > 1
    ]
    gone = prev.filter(~pl.col("__cluster").is_in(current_clusters)).get_column("__prev_id").to_list()
    split: list[str] = []
    if edges.height:
        ends = records.select("__i", "__cluster", "__prev_id")
        links = edges.join(ends.rename({"__i": "i", "__cluster": "ci", "__prev_id": "pi"}), on="i").join(
            ends.rename({"__i": "j", "__cluster": "cj", "__prev_id": "pj"}), on="j"
        )
        cross = pl.concat(
            [
                links.filter(pl.col("pi").is_not_null() & pl.col("pj").is_null()).select(
                    pl.col("pi").alias("prev"), pl.col("cj").alias("c")
                ),
                links.filter(pl.col("pj").is_not_null() & pl.col("pi").is_null()).select(
                    pl.col("pj").alias("prev"), pl.col("ci").alias("c")
                ),
            ]
        )
        split = cross.group_by("prev").agg(pl.col("c").n_unique().alias("n")).filter(pl.col("n") > 1)["prev"].to_list()
    appeared = golden.filter(pl.col("__kept").is_null()).height
    events: dict[str, object] = {
        "kept": golden.height - appeared,
        "appeared": appeared,
        "merged": merged,
        "split": sorted(split),
        "disappeared": sorted(gone),
    }
    return golden.drop("__prev_ids", "__kept", "__k"), events
