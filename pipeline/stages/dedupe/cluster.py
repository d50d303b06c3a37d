"""Clustering without chaining strangers: edges are added strongest first, and an edge that would put two valid
ID numbers, or two clearly different birth dates (unless the records share an ID number or hold numbers one typo
apart), into one cluster is skipped. So one bad link cannot join two people through a third record."""

from __future__ import annotations

import datetime as dt

import polars as pl
from rapidfuzz.distance import OSA

from pipeline.stages.dedupe.compare import id_digits


def _dates_compatible(a: dt.date, b: dt.date) -> bool:
    if a == b:
        return True
    if a.year == b.year and a.day == b.month and a.month == b.day:
        return True
    sa, sb = a.strftime("%Y%m%d"), b.strftime("%Y%m%d")
    return sum(x != y for x, y in zip(sa, sb, strict=True)) == 1


def cluster(n: int, edges: pl.DataFrame, records: pl.DataFrame) -> tuple[list[int], int]:
    """Component label per record (``0..n-1``) and how many edges the constraints refused.

    ``edges``: ``i``, ``j``, ``match_probability`` (already above the merge threshold or decided by a person).
    """
    parent = list(range(n))
    ids: list[set[str]] = [set() for _ in range(n)]
    dates: list[set[dt.date]] = [set() for _ in range(n)]
    any_ids: list[set[str]] = [set() for _ in range(n)]
    for i, value in enumerate(records.select(id_digits("national_id")).to_series().to_list()):
        if value:
            any_ids[i].add(value)
    valid_ids = records.select(pl.when(pl.col("national_id_status") == "valid").then(pl.col("national_id"))).to_series()
    births = records.get_column("birth_date")
    for i, value in enumerate(valid_ids.to_list()):
        if value:
            ids[i].add(value)
    for i, value in enumerate(births.to_list()):
        if value:
            dates[i].add(value)

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
        # one ID number, or one typo apart: different birth dates are a typing error
        same_id = any(OSA.distance(x, y) <= 1 for x in any_ids[a] for y in any_ids[b])
        if len(ids[a] | ids[b]) > 1 or (
            not same_id and not all(_dates_compatible(x, y) for x in dates[a] for y in dates[b])
        ):
            refused += 1
            continue
        if len(ids[a]) + len(dates[a]) < len(ids[b]) + len(dates[b]):
            a, b = b, a
        parent[b] = a
        ids[a] |= ids[b]
        any_ids[a] |= any_ids[b]
        dates[a] |= dates[b]
    return [find(x) for x in range(n)], refused
