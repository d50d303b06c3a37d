"""Clustering without chaining strangers: edges are added strongest first, and an edge that would put two valid
ID numbers, or two clearly different birth dates (unless the records share an ID number or hold numbers one typo
apart), into one cluster is skipped. So one bad link cannot join two people through a third record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import numpy as np
import polars as pl
from rapidfuzz.distance import OSA

from pipeline.fields import Status
from pipeline.fields.ids import nine_digits
from pipeline.stages.dedupe.compare import birth_date_typo, yyyymmdd
from pipeline.stages.dedupe.decide import HARD_RULES


def _dates_compatible(a: dt.date, b: dt.date) -> bool:
    if a == b:
        return True
    if a.year == b.year and a.day == b.month and a.month == b.day:
        return True
    # one digit off or two neighbouring digits swapped: an optimal string alignment distance of one between two
    # texts of one length
    ymd = lambda d: f"{d.year:04d}{d.month:02d}{d.day:02d}"  # noqa: E731 (strftime drops a year's leading zeros)
    return OSA.distance(ymd(a), ymd(b)) <= 1


def _components(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Connected components of the edges (i, j): each record's label is the smallest record index in its
    component. Whole arrays at a time: labels flow along the edges and then jump to their label's label until
    nothing changes (a few rounds, as duplicate clusters are small)."""
    label = np.arange(n, dtype=np.int64)
    while True:
        low = np.minimum(label[i], label[j])
        nxt = label.copy()
        np.minimum.at(nxt, i, low)
        np.minimum.at(nxt, j, low)
        while True:
            jumped = nxt[nxt]
            if np.array_equal(jumped, nxt):
                break
            nxt = jumped
        if np.array_equal(nxt, label):
            return label
        label = nxt


def cluster(
    n: int, edges: pl.DataFrame, records: pl.DataFrame, *, hard_rules: Collection[str] = HARD_RULES
) -> tuple[np.ndarray, int]:
    """Component label per record (``0..n-1``) and how many edges the constraints refused.

    ``edges``: ``i``, ``j``, ``match_probability`` (already above the merge threshold or decided by a person).
    ``hard_rules``: those of the rules that hold for a cluster as for a pair (``two_ids``, ``birth_dates``); a rule
    left out is a fact left out (no valid ID, no birth date), so no edge is refused for it.

    A component whose records hold at most one valid ID number, and whose birth dates are all one typo apart,
    cannot break a constraint, so adding its edges one by one would accept them all: it is the cluster, found for
    every such component at once with array operations. Only components with two valid IDs or a real date clash
    go through the greedy strongest-edge-first clustering, edge by edge.
    """
    i, j = edges.get_column("i").to_numpy(), edges.get_column("j").to_numpy()
    component = _components(n, i, j)
    on_edge = pl.concat([edges.get_column("i"), edges.get_column("j")]).unique()
    facts = records.select(
        "__i",
        nine_digits(pl.col("national_id")),
        pl.when((pl.col("national_id_status") == Status.VALID) & ("two_ids" in hard_rules))
        .then(pl.col("national_id"))
        .alias("valid_id"),
        pl.when("birth_dates" in hard_rules).then(pl.col("birth_date")).alias("birth_date"),
    ).filter(pl.col("__i").is_in(on_edge.implode()))
    facts = facts.with_columns(pl.Series("__c", component[facts.get_column("__i").to_numpy()]))
    mixed = _mixed(facts)
    labels = component.astype(np.uint32)
    if mixed.len() == 0:
        return labels, 0
    hard = np.isin(component[i], mixed.to_numpy())
    greedy, refused = _greedy(
        edges.filter(pl.Series(hard)), facts.filter(pl.col("__c").is_in(mixed.implode())).drop("__c")
    )
    for x, root in greedy.items():
        labels[x] = root
    return labels, refused


def _mixed(facts: pl.DataFrame) -> pl.Series:
    """Components (``__c``) that could break a constraint: two valid ID numbers, or two birth dates that are not
    one typo apart (``birth_date_typo``, on every pair of a component's distinct dates)."""
    two_ids = facts.group_by("__c").agg(pl.col("valid_id").drop_nulls().n_unique() > 1).filter(pl.col("valid_id"))
    dates = facts.select("__c", yyyymmdd(pl.col("birth_date")).alias("ymd")).drop_nulls().unique()
    a, b = pl.col("ymd"), pl.col("ymd_b")
    clash = dates.join(dates, on="__c", suffix="_b").filter(a < b).filter(~birth_date_typo(a, b)).select("__c")
    return pl.concat([two_ids.select("__c"), clash]).unique().get_column("__c")


def _greedy(edges: pl.DataFrame, facts: pl.DataFrame) -> tuple[dict[int, int], int]:
    """Strongest edge first; an edge that would put two valid IDs or two incompatible birth dates in one cluster
    is refused. Returns each record's cluster root and the number of refused edges."""
    parent: dict[int, int] = {}
    ids: dict[int, set[str]] = {}
    any_ids: dict[int, set[str]] = {}
    dates: dict[int, set[dt.date]] = {}
    for i, any_id, valid_id, birth in facts.iter_rows():
        parent[i] = i
        ids[i] = {valid_id} if valid_id else set()
        any_ids[i] = {any_id} if any_id else set()
        dates[i] = {birth} if birth else set()

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    refused = 0
    for i, j in edges.sort("match_probability", descending=True, maintain_order=True).select("i", "j").iter_rows():
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
    return {x: find(x) for x in parent}, refused
