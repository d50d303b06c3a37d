"""Clustering without chaining strangers: edges are added strongest first, and an edge that would put two valid
ID numbers, or two clearly different birth dates (unless the records share an ID number or hold numbers one typo
apart), into one cluster is skipped. So one bad link cannot join two people through a third record."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
from rapidfuzz.distance import OSA

from pipeline.fields.ids import nine_digits


def _dates_compatible(a: dt.date, b: dt.date) -> bool:
    if a == b:
        return True
    if a.year == b.year and a.day == b.month and a.month == b.day:
        return True
    sa, sb = a.strftime("%Y%m%d"), b.strftime("%Y%m%d")
    return sum(x != y for x, y in zip(sa, sb, strict=True)) == 1


def cluster(n: int, edges: pl.DataFrame, records: pl.DataFrame) -> tuple[np.ndarray, int]:
    """Component label per record (``0..n-1``) and how many edges the constraints refused.

    ``edges``: ``i``, ``j``, ``match_probability`` (already above the merge threshold or decided by a person).
    """
    parent = list(range(n))
    # only records on an edge can join a cluster: their facts, not a million empty sets
    on_edge = pl.concat([edges.get_column("i"), edges.get_column("j")]).unique()
    facts = (
        records.select(
            "__i",
            nine_digits(pl.col("national_id")),
            pl.when(pl.col("national_id_status") == "valid").then(pl.col("national_id")).alias("valid_id"),
            "birth_date",
        )
        .filter(pl.col("__i").is_in(on_edge.implode()))
        .iter_rows()
    )
    ids: dict[int, set[str]] = {}
    any_ids: dict[int, set[str]] = {}
    dates: dict[int, set[dt.date]] = {}
    for i, any_id, valid_id, birth in facts:
        ids[i] = {valid_id} if valid_id else set()
        any_ids[i] = {any_id} if any_id else set()
        dates[i] = {birth} if birth else set()

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    refused = 0
    for i, j in edges.sort("match_probability", descending=True).select("i", "j").iter_rows():
        a, b = find(i), find(j)
        if a == b:
            continue
        if len(ids[a] | ids[b]) > 1 or (
            not all(_dates_compatible(x, y) for x in dates[a] for y in dates[b])
            # one ID number, or one typo apart: different birth dates are a typing error
            and not any(OSA.distance(x, y) <= 1 for x in any_ids[a] for y in any_ids[b])
        ):
            refused += 1
            continue
        if len(ids[a]) + len(dates[a]) < len(ids[b]) + len(dates[b]):
            a, b = b, a
        parent[b] = a
        ids[a] |= ids[b]
        any_ids[a] |= any_ids[b]
        dates[a] |= dates[b]
    labels = np.arange(n, dtype=np.uint32)
    for x in ids:
        labels[x] = find(x)
    return labels, refused
