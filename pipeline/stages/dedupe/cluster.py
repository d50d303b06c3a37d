"""Clustering without chaining strangers: merge edges are added strongest first, and an edge is skipped when it
would put into one cluster two records that, compared directly, must stay apart: a hard rule holds them apart
(two valid ID numbers, clearly different birth dates or first names, a household), or they score below `review`
although they have an identifier to compare. The pair rules and the cluster rule are one rule, applied by
comparing the records (``cannot_links``), so one bad link cannot join two people through a third record."""

from __future__ import annotations

from collections.abc import Callable, Collection

import numpy as np
import polars as pl

IDENTIFIERS = ("national_id", "phone", "email", "birth_date")


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


def _pairs_within(n: int, edges: pl.DataFrame, *, max_component: int) -> tuple[pl.DataFrame, int]:
    """Every pair of records in one component of ``edges`` that is not an edge itself (components of three or
    more: in a component of two the only pair is its edge), and how many components were too large to check.

    A component larger than ``max_component`` (``dedupe.yaml`` ``clustering``) is not compared pair by pair (k^2 / 2
    pairs); its cluster stays as its edges make it, and the run counts it (blocking's caps make such a chain rare:
    a few records per person)."""
    empty = pl.DataFrame(schema={"i": pl.UInt32, "j": pl.UInt32})
    if edges.height == 0:
        return empty, 0
    i, j = edges.get_column("i").to_numpy(), edges.get_column("j").to_numpy()
    nodes = pl.DataFrame({"__i": np.arange(n, dtype=np.uint32), "__c": _components(n, i, j)})
    sizes = nodes.group_by("__c").len()
    too_large = int((sizes.get_column("len") > max_component).sum())
    checked = sizes.filter((pl.col("len") >= 3) & (pl.col("len") <= max_component)).get_column("__c")
    members = nodes.filter(pl.col("__c").is_in(checked.implode()))
    if members.height == 0:
        return empty, too_large
    pairs = (
        members.join(members, on="__c", suffix="_b")
        .filter(pl.col("__i") < pl.col("__i_b"))
        .select(pl.col("__i").alias("i"), pl.col("__i_b").alias("j"))
        .join(edges.select("i", "j"), on=["i", "j"], how="anti")
    )
    return pairs, too_large


def cannot_links(
    n: int,
    edges: pl.DataFrame,
    *,
    score: Callable[[pl.DataFrame], pl.DataFrame],
    hard_rules: Collection[str],
    review: float,
    max_component: int,
) -> tuple[pl.DataFrame, int]:
    """The pairs (``i`` < ``j``) that must not share a cluster, among the records that the merge ``edges`` could
    join, and how many components were too large to check.

    ``score`` compares and scores pairs as the candidate pairs were (levels, ``rule_*``, ``match_probability``).
    A pair must stay apart when one of the run's ``hard_rules`` holds it apart, or when it scores below
    ``review`` although both records hold an identifier to compare (ID number, phone, e-mail or birth date): a
    low score on names alone is missing evidence, not evidence of two people."""
    pairs, too_large = _pairs_within(n, edges, max_component=max_component)
    if pairs.height == 0:
        return pairs, too_large
    scored = score(pairs)
    rules = [pl.col(f"rule_{rule}") for rule in hard_rules]
    comparable = pl.any_horizontal([pl.col(f"lvl_{c}") >= 0 for c in IDENTIFIERS])
    apart = pl.any_horizontal(pl.lit(False), *rules) | ((pl.col("match_probability") < review) & comparable)
    return scored.filter(apart).select("i", "j"), too_large


def cluster(n: int, edges: pl.DataFrame, cannot: pl.DataFrame | None = None) -> tuple[np.ndarray, int]:
    """Component label per record (``0..n-1``) and how many edges were refused.

    ``edges``: ``i``, ``j``, ``match_probability`` (already above the merge threshold or decided by a person), and
    ``match_weight`` where the model gave one (see ``_greedy``).
    ``cannot``: ``i``, ``j`` pairs that must not end in one cluster (``cannot_links``).

    A component of the edges that holds no ``cannot`` pair would accept every edge one by one: it is the cluster,
    found for every such component at once with array operations. Only components holding a ``cannot`` pair go
    through the greedy strongest-edge-first clustering, edge by edge.
    """
    i, j = edges.get_column("i").to_numpy(), edges.get_column("j").to_numpy()
    component = _components(n, i, j)
    labels = component.astype(np.uint32)
    if cannot is None or cannot.height == 0:
        return labels, 0
    mixed = np.unique(component[cannot.get_column("i").to_numpy()])
    hard = np.isin(component[i], mixed)
    greedy, refused = _greedy(edges.filter(pl.Series(hard)), cannot)
    for x, root in greedy.items():
        labels[x] = root
    return labels, refused


def _greedy(edges: pl.DataFrame, cannot: pl.DataFrame) -> tuple[dict[int, int], int]:
    """Strongest edge first; an edge that would put a ``cannot`` pair in one cluster is refused. Returns each
    record's cluster root (for the records on ``edges``) and the number of refused edges.

    Strength is the match probability, then the match weight: past 53 bits of evidence the probability is 1.0, and
    two such edges in conflict (twins on one e-mail, one of them also on his ID number) were taken in row order; the
    weight keeps counting."""
    apart: dict[int, set[int]] = {}
    for a, b in cannot.select("i", "j").iter_rows():
        apart.setdefault(a, set()).add(b)
        apart.setdefault(b, set()).add(a)
    parent: dict[int, int] = {}
    members: dict[int, set[int]] = {}
    for x in pl.concat([edges.get_column("i"), edges.get_column("j")]).unique().to_list():
        parent[x] = x
        members[x] = {x}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    refused = 0
    strength = [c for c in ("match_probability", "match_weight") if c in edges.columns]
    for i, j in edges.sort(strength, descending=True, maintain_order=True).select("i", "j").iter_rows():
        a, b = find(i), find(j)
        if a == b:
            continue
        if len(members[a]) < len(members[b]):
            a, b = b, a
        if any(apart.get(x, set()) & members[a] for x in members[b]):
            refused += 1
            continue
        parent[b] = a
        members[a] |= members.pop(b)
    return {x: find(x) for x in parent}, refused
