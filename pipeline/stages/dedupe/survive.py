"""Survivorship: which value each golden record keeps, per field, by the rules.

Fields that belong together (a phone and its type and status, an e-mail and its status and domain, a city with its
district, street, house number and zip code) always come from the same record. ``all_true`` for consent means an
opt-out in any record beats a consent in another, as the anti-spam law requires. Whatever a field's rule, a value
that failed its checks never survives over one that passed them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import polars as pl

from pipeline.fields import STATUS_COLUMNS, Status

# the survivorship rules a rules file may name (``dedupe.yaml`` ``survivorship``)
SURVIVORSHIP = (
    "most_complete",
    "most_frequent",
    "most_recent",
    "valid_most_recent",
    "sum",
    "earliest",
    "latest",
    "all_true",
    "any_true",
)
GROUPS: dict[str, tuple[str, ...]] = {
    "first_name": ("first_name", "first_name_key"),
    "last_name": ("last_name", "last_name_key"),
    "national_id": ("national_id", "national_id_status"),
    "phone_mobile": ("phone_mobile", "phone_mobile_type", "phone_mobile_status"),
    "phone_other": ("phone_other", "phone_other_type", "phone_other_status"),
    "email": ("email", "email_status", "email_domain"),
    # one address, from one record: a city from one and a street from another made an address the member never
    # had (Haifa with Tel Aviv's Herzl 12 and its street code)
    "city": ("city", "city_district", "city_code", "street", "street_code", "street_status", "house_number", "zip"),
}


def _recency() -> pl.Expr:
    return pl.coalesce(pl.col("last_purchase_date"), pl.col("join_date")).cast(pl.Int64).fill_null(-(10**9))


def _unflagged(field: str, columns: Collection[str]) -> pl.Expr:
    """Whether a record's value of ``field`` passed its checks: a valid ID, phone or e-mail; a known locality; a
    street found in its locality's list. Fields with no verdict count as unflagged (implausible dates are already
    empty: the clean stage never types them)."""
    status = STATUS_COLUMNS.get(field)
    if status is not None and status in columns:
        return (pl.col(status) == Status.VALID).fill_null(False)
    if field == "city" and "city_code" in columns:
        return pl.col("city_code").is_not_null()
    if field == "street" and "street_status" in columns:
        return pl.col("street_status").is_in(["known", "fixed"]).fill_null(False)
    return pl.lit(True)


def _address_rank(rule: str, columns: Collection[str]) -> pl.Expr:
    """The record whose address survives: its city by the city's rule (a known locality over an unknown one), and
    among the records in that city the one whose address is most complete (a street found in the locality's list,
    a house number, a zip code), then the most recent."""
    city = _rank("city", rule, columns)
    winner = pl.col("city").sort_by(city).last().over("__cluster")
    parts = {
        "street_status": pl.col("street_status").is_in(["known", "fixed"]).fill_null(False) * 8,
        "street": pl.col("street").is_not_null() * 4,
        "house_number": pl.col("house_number").is_not_null() * 2,
        "zip": pl.col("zip").is_not_null().cast(pl.Int64),
    }
    complete = pl.sum_horizontal([part.cast(pl.Int64) for column, part in parts.items() if column in columns] or [0])
    return pl.col("city").eq_missing(winner).cast(pl.Int64) * 10**18 + complete * 10**12 + _recency()


def _rank(field: str, rule: str, columns: Collection[str]) -> pl.Expr:
    """Higher is better: a value over none, then an unflagged value over a flagged one whatever the rule (a survivor
    is never a value that failed its checks while a sound one exists), then the rule; ties go to the more recent
    record, then to the earlier row in the file."""
    present = pl.col(field).is_not_null().cast(pl.Int64) * 10**16
    sound = _unflagged(field, columns).cast(pl.Int64) * 10**15
    if rule == "most_frequent":
        return present + sound + pl.len().over("__cluster", field).cast(pl.Int64) * 10**9 + _recency()
    if rule in ("most_recent", "valid_most_recent"):
        return present + sound + _recency()
    # most_complete: the longest value
    return (
        present + sound + pl.col(field).cast(pl.String).str.len_chars().fill_null(0).cast(pl.Int64) * 10**9 + _recency()
    )


def golden_records(records: pl.DataFrame, *, rules: Mapping[str, str], default: str) -> pl.DataFrame:
    """One row per ``__cluster``: every column survives by its rule; ``source_rows`` lists the rows merged."""
    grouped = {c for cols in GROUPS.values() for c in cols}
    aggs: list[pl.Expr] = [
        pl.col("source_row").sort().cast(pl.String).str.join(";").alias("source_rows"),
        pl.col("source_row").min().alias("__first_row"),
    ]
    # most members are alone in their cluster: they survive as they are, and only real clusters are ranked and
    # aggregated
    alone = records.select(pl.col("__cluster").is_unique()).to_series()
    table = records.filter(~alone)
    for field, cols in GROUPS.items():
        if field not in records.columns:
            continue
        rank = f"__rank_{field}"
        rule = rules.get(field, default)
        ranked = _address_rank(rule, records.columns) if field == "city" else _rank(field, rule, records.columns)
        table = table.with_columns(ranked.alias(rank))
        aggs += [pl.col(c).sort_by(rank).last().alias(c) for c in cols if c in records.columns]
    for column in records.columns:
        if column in grouped or column in ("source_row", "__cluster", "__i") or column.startswith("__"):
            continue
        rule = rules.get(column, default)
        col = pl.col(column)
        if rule == "sum":
            agg = col.sum() if records.schema[column].is_numeric() else col.drop_nulls().first()
            agg = pl.when(col.is_not_null().any()).then(agg)
        elif rule == "earliest":
            agg = col.min()
        elif rule == "latest":
            agg = col.max()
        elif rule == "all_true":
            agg = col.fill_null(False).all()
        elif rule == "any_true":
            agg = col.fill_null(False).any()
        else:
            rank = f"__rank_{column}"
            table = table.with_columns(_rank(column, rule, records.columns).alias(rank))
            agg = col.sort_by(rank).last()
        aggs.append(agg.alias(column))
    golden = table.group_by("__cluster").agg(aggs)
    # every record as a one-record cluster, made of the records' own columns (no copy), of which the clusters of
    # one are then gathered with the golden records, in the file's order: one copy of each column in all
    single = records.select(
        "__cluster",
        pl.col("source_row").cast(pl.String).alias("source_rows"),
        pl.col("source_row").alias("__first_row"),
        *[
            (pl.col(c).fill_null(False) if rules.get(c, default) in ("all_true", "any_true") else pl.col(c))
            for c in golden.columns
            if c not in ("__cluster", "source_rows", "__first_row")
        ],
    )
    both = pl.concat([golden, single.cast(golden.schema)], rechunk=False)
    take = pl.concat([pl.int_range(golden.height, dtype=pl.UInt32, eager=True), alone.arg_true() + golden.height])
    take = take.gather(both.get_column("__first_row").gather(take).arg_sort())
    golden = both[take]
    order = [
        "source_rows",
        *[c for c in records.columns if c not in ("source_row", "__cluster", "__i") and not c.startswith("__")],
    ]
    return golden.select("__cluster", "__first_row", *order)
