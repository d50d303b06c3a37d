"""Pairwise scoring over whole columns of pairs: values coded once, each distinct pair of different values scored
once by rapidfuzz's multi-threaded ``process.cpdist``, never a Python loop over pairs."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from rapidfuzz import process


def codes(*columns: pl.Series) -> tuple[list[pl.Series], pl.Series]:
    """Dense codes for the values of one or more columns that share one code space (equal text, equal code; null
    stays null), and the values by code. Code 0 is the empty text, which a null is scored as."""
    distinct = pl.concat([c.drop_nulls() for c in columns]).unique()
    values = pl.concat([pl.Series([""], dtype=pl.String), distinct])
    lookup = pl.DataFrame({"v": distinct}).with_row_index("c", offset=1)
    coded = [
        c.rename("v").to_frame().join(lookup, on="v", how="left", maintain_order="left").get_column("c")
        for c in columns
    ]
    return coded, values


def distinct_pairs(a: pl.Series, b: pl.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The pairs of codes that differ (nulls as code 0): their positions, the distinct (a, b) among them, and for
    each position the index of its distinct pair."""
    x = a.fill_null(0).to_numpy().astype(np.uint64)
    y = b.fill_null(0).to_numpy().astype(np.uint64)
    where = np.flatnonzero(x != y)
    distinct, inverse = np.unique((x[where] << np.uint64(32)) | y[where], return_inverse=True)
    return (
        where,
        (distinct >> np.uint64(32)).astype(np.int64),
        (distinct & np.uint64(0xFFFFFFFF)).astype(np.int64),
        inverse,
    )


def pairwise_codes(
    a: pl.Series, b: pl.Series, values: pl.Series, scorer: Any, *, empty_read: bool = True, cutoff: float | None = None
) -> np.ndarray:
    """``scorer(values[a[k]], values[b[k]])`` for every k (nulls as ""), each distinct pair of different codes
    scored once.

    Turning millions of strings into Python objects for rapidfuzz costs more than the scoring, so only what needs
    scoring crosses over: equal codes get the scorer's own answer for a value against itself, and candidate pairs
    repeat value pairs heavily (most share a name or a city), so each distinct pair is scored once. With
    ``empty_read=False`` pairs with an empty side are not scored (the caller never reads them); ``cutoff`` is
    rapidfuzz's ``score_cutoff``, for a caller that only asks whether a score passes it.
    """
    out = np.full(len(a), process.cpdist(["x"], ["x"], scorer=scorer)[0], dtype=float)
    if not empty_read:
        both = a.is_not_null() & b.is_not_null()
        a, b = a.filter(both), b.filter(both)
        into = np.flatnonzero(both.to_numpy())
    where, da, db, inverse = distinct_pairs(a, b)
    if len(where):
        pick = lambda codes: values.gather(codes).to_list()  # noqa: E731
        scored = process.cpdist(pick(da), pick(db), scorer=scorer, score_cutoff=cutoff, workers=-1)
        out[where if empty_read else into[where]] = np.asarray(scored, dtype=float)[inverse]
    return out


def pairwise(a: pl.Series, b: pl.Series, scorer: Any) -> np.ndarray:
    """``scorer(a[k], b[k])`` for every k, nulls as "" (the fast path of ``pairwise_codes`` on plain text)."""
    (ca, cb), values = codes(a, b)
    return pairwise_codes(ca, cb, values, scorer)


def shared_lists(
    a: pl.Series, b: pl.Series, facts: pl.DataFrame, *, given: bool = False
) -> tuple[pl.Series, pl.Series]:
    """Whether names ``a[k]`` and ``b[k]`` (codes) share a skeleton, and a canonical name, worked out once per
    distinct pair of codes. Equal codes share whatever their one list holds.

    ``given``: the names are given names. Two given names in one script that share only a skeleton of two
    consonants are different names with other vowels (``Sarah`` and ``Shira``, ``שרה`` and ``שירה``: both ``SR``);
    across scripts the vowels are not written alike, and such a skeleton still counts (``Moshe`` ~ ``משה``)."""
    has = facts.select("code", (pl.col("skel").list.len() > 0).alias("s"), (pl.col("canon").list.len() > 0).alias("c"))
    same = a.rename("code").to_frame().join(has, on="code", how="left", maintain_order="left")
    skel = same.get_column("s").fill_null(False).to_numpy().copy()
    canon = same.get_column("c").fill_null(False).to_numpy().copy()
    where, da, db, inverse = distinct_pairs(a, b)
    if len(where):
        known = facts.select("code", "skel", "canon", "latin")
        shared_skeletons = pl.col("sa").list.set_intersection(pl.col("sb"))
        if given:  # one script: only skeletons of three consonants or more
            shared_skeletons = (
                pl.when(pl.col("la") == pl.col("lb"))
                .then(shared_skeletons.list.eval(pl.element().filter(pl.element().str.len_chars() >= 3)))
                .otherwise(shared_skeletons)
            )
        both = (
            pl.DataFrame({"a": da, "b": db})
            .with_row_index("n")
            .join(known.rename({"code": "a", "skel": "sa", "canon": "ca", "latin": "la"}), on="a", how="left")
            .join(known.rename({"code": "b", "skel": "sb", "canon": "cb", "latin": "lb"}), on="b", how="left")
            .sort("n")
            .select(
                (shared_skeletons.list.len() > 0).fill_null(False).alias("s"),
                (pl.col("ca").list.set_intersection(pl.col("cb")).list.len() > 0).fill_null(False).alias("c"),
            )
        )
        skel[where] = both.get_column("s").to_numpy()[inverse]
        canon[where] = both.get_column("c").to_numpy()[inverse]
    nulls = (a.is_null() | b.is_null()).to_numpy()
    skel[nulls] = False
    canon[nulls] = False
    return pl.Series(skel), pl.Series(canon)
