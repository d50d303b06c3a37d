"""Pairwise scoring over whole columns of pairs: values coded once, each distinct pair of different values scored
once by rapidfuzz's multi-threaded ``process.cpdist``, never a Python loop over pairs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, NamedTuple

import numpy as np
import polars as pl
from rapidfuzz import process

from pipeline.stages.dedupe.runs import firsts


def codes(*columns: pl.Series) -> tuple[list[pl.Series], pl.Series]:
    """Dense codes for the values of one or more columns that share one code space (equal text, equal code; null
    stays null), and the values by code. Code 0 is the empty text, which a null is scored as.

    One hash grouping of all the columns' rows, its row numbers scattered back: a million phone numbers take a
    third less time than finding the distinct values and joining each column back to them."""
    both = pl.concat([c.rename("v") for c in columns])
    groups = both.to_frame().with_row_index("r").drop_nulls("v").group_by("v").agg("r").with_row_index("c", offset=1)
    rows = groups.select("c", "r").explode("r")
    code = np.zeros(both.len(), dtype=np.uint32)
    code[rows.get_column("r").to_numpy()] = rows.get_column("c").to_numpy()
    coded = pl.Series("c", code)
    if both.null_count():
        coded = coded.set(both.is_null(), None)
    out, start = [], 0
    for column in columns:
        out.append(coded.slice(start, column.len()))
        start += column.len()
    return out, pl.concat([pl.Series([""], dtype=pl.String), groups.get_column("v")])


class Distinct(NamedTuple):
    """The pairs of codes of two columns that differ (see ``distinct_pairs``)."""

    where: np.ndarray  # positions whose codes differ
    a: np.ndarray  # the distinct (a, b) among them
    b: np.ndarray
    inverse: np.ndarray  # for each of those positions, the index of its distinct pair


def distinct_pairs(a: pl.Series, b: pl.Series) -> Distinct:
    """The pairs of codes that differ (nulls as code 0): their positions, the distinct (a, b) among them, and for
    each position the index of its distinct pair.

    A sort of the pairs' packed codes: a caller that asks several questions of one pair of columns (the names'
    similarity, skeletons and sexes, in each orientation) works this out once and passes it as ``distinct`` (at a
    million members these sorts took 3-5 s, two thirds of them repeats)."""
    x = a.fill_null(0).to_numpy().astype(np.uint64)
    y = b.fill_null(0).to_numpy().astype(np.uint64)
    where = np.flatnonzero(x != y)
    packed, inverse = _distinct((x[where] << np.uint64(32)) | y[where])
    return Distinct(
        where,
        (packed >> np.uint64(32)).astype(np.int64),
        (packed & np.uint64(0xFFFFFFFF)).astype(np.int64),
        inverse,
    )


def _distinct(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, return_inverse=True)`` by polars' sort, which runs on every core (NumPy's: on one, and
    0.8 s for 2.8M keys against 0.4 s)."""
    if not keys.size:
        return keys, np.zeros(0, np.int64)
    order = pl.Series(keys).arg_sort().to_numpy()
    ordered = keys[order]
    first = firsts(ordered)
    inverse = np.empty(ordered.size, dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    return ordered[first], inverse


def texts(values: pl.Series) -> np.ndarray:
    """A code space's values as Python strings, made once: a pair's sides are then picked by indexing (a tenth of
    the time of making the strings again for every distinct pair)."""
    return np.asarray(values.to_list(), dtype=object)


def edit_signatures(values: pl.Series) -> np.ndarray:
    """Per value of a code space: its length, and hashes of its first and last ``(length - 1) // 2`` characters
    (a 3 x n array, for ``pairwise_codes``' ``near``).

    Two different values of one length n that one substitution or one swap of neighbours turns into each other
    agree on one of those ends (the edit is at position p and p + 1 at most: if p >= (n - 1) // 2 the start is
    untouched, otherwise the end), so pairs that agree on neither are more than one edit apart, unscored."""
    length = values.str.len_chars().cast(pl.Int64)
    half = ((length - 1) // 2).clip(lower_bound=0)
    frame = pl.DataFrame({"v": values, "h": half})
    ends = frame.select(
        pl.col("v").str.head(pl.col("h")).hash().cast(pl.Int64, wrap_numerical=True).alias("head"),
        pl.col("v").str.tail(pl.col("h")).hash().cast(pl.Int64, wrap_numerical=True).alias("tail"),
    )
    return np.vstack([length.to_numpy(), ends.get_column("head").to_numpy(), ends.get_column("tail").to_numpy()])


def pairwise_codes(
    a: pl.Series,
    b: pl.Series,
    values: np.ndarray,
    scorer: Any,
    *,
    empty_read: bool = True,
    cutoff: float | None = None,
    near: np.ndarray | None = None,
    distinct: Distinct | None = None,
) -> np.ndarray:
    """``scorer(values[a[k]], values[b[k]])`` for every k (nulls as ""), each distinct pair of different codes
    scored once; ``values`` are the code space's ``texts``.

    Turning millions of strings into Python objects for rapidfuzz costs more than the scoring, so only what needs
    scoring crosses over: equal codes get the scorer's own answer for a value against itself, and candidate pairs
    repeat value pairs heavily (most share a name or a city), so each distinct pair is scored once. With
    ``empty_read=False`` pairs with an empty side are not scored (the caller never reads them); ``cutoff`` is
    rapidfuzz's ``score_cutoff``, for a caller that only asks whether a score passes it. ``distinct``: the
    ``distinct_pairs`` of ``a`` and ``b``, where the caller has it (only with ``empty_read``, which keeps every pair).

    ``near`` (the code space's ``edit_signatures``), with a distance ``scorer`` and ``cutoff=1``: only pairs that can
    be one edit apart are scored (lengths one apart, or one length and one end alike); the others get
    ``cutoff + 1``, rapidfuzz's answer for a distance over the cutoff. Most candidate pairs have two unrelated phone
    numbers: this skips nine in ten of them (a property test holds it to the scorer's own answer).
    """
    out = np.full(len(a), process.cpdist(["x"], ["x"], scorer=scorer)[0], dtype=float)
    if not empty_read:
        both = a.is_not_null() & b.is_not_null()
        a, b = a.filter(both), b.filter(both)
        into = np.flatnonzero(both.to_numpy())
    where, da, db, inverse = distinct if distinct is not None and empty_read else distinct_pairs(a, b)
    if len(where):
        scored = np.full(len(da), np.nan)
        maybe = np.ones(len(da), dtype=bool)
        if near is not None and cutoff == 1:
            length, head, tail = near
            apart = np.abs(length[da] - length[db])
            maybe = (apart == 1) | ((apart == 0) & ((head[da] == head[db]) | (tail[da] == tail[db])))
            scored[~maybe] = cutoff + 1
        picked = process.cpdist(values[da[maybe]], values[db[maybe]], scorer=scorer, score_cutoff=cutoff, workers=-1)
        scored[maybe] = picked
        out[where if empty_read else into[where]] = scored[inverse]
    return out


def pairwise(a: pl.Series, b: pl.Series, scorer: Any) -> np.ndarray:
    """``scorer(a[k], b[k])`` for every k, nulls as "" (the fast path of ``pairwise_codes`` on plain text)."""
    (ca, cb), values = codes(a, b)
    return pairwise_codes(ca, cb, texts(values), scorer)


def pair_verdicts(
    a: pl.Series,
    b: pl.Series,
    facts: pl.DataFrame,
    verdicts: Mapping[str, pl.Expr],
    *,
    equal: Mapping[str, np.ndarray] | None = None,
    distinct: Distinct | None = None,
) -> dict[str, np.ndarray]:
    """Boolean ``verdicts`` on what ``facts`` (one row per ``code``) say of the values ``a[k]`` and ``b[k]`` (codes),
    worked out once per distinct pair of codes that differ; a verdict reads a fact column ``c`` as ``c_a`` and
    ``c_b``, and a missing fact makes it false. Where the codes are equal, a verdict is its array in ``equal``
    (false without one). ``distinct``: the ``distinct_pairs`` of ``a`` and ``b``, where the caller has it."""
    out = {name: equal[name].copy() if equal and name in equal else np.zeros(a.len(), dtype=bool) for name in verdicts}
    where, da, db, inverse = distinct if distinct is not None else distinct_pairs(a, b)
    if len(where):
        both = (
            _with_facts(da, db, facts, how="left")
            .sort("n")
            .select(*[verdict.fill_null(False).alias(name) for name, verdict in verdicts.items()])
        )
        for name in verdicts:
            out[name][where] = both.get_column(name).to_numpy()[inverse]
    return out


def _with_facts(da: np.ndarray, db: np.ndarray, facts: pl.DataFrame, *, how: Literal["left", "inner"]) -> pl.DataFrame:
    """The distinct pairs of codes ``da[n]``, ``db[n]`` (``n``) with what ``facts`` (one row per ``code``) say of
    each side, as ``<fact>_a`` and ``<fact>_b``."""
    return (
        pl.DataFrame({"code_a": da, "code_b": db})
        .with_row_index("n")
        .join(facts.rename(lambda c: f"{c}_a"), on="code_a", how=how)
        .join(facts.rename(lambda c: f"{c}_b"), on="code_b", how=how)
    )


def _facts_by_row(codes: pl.Series, facts: pl.DataFrame, per_code: Mapping[str, pl.Expr]) -> dict[str, np.ndarray]:
    """Boolean ``per_code`` facts of each row's value (``codes``), false where the code has none: a verdict on a
    pair of equal codes is a fact of the one value (``pair_verdicts``' ``equal``)."""
    known = facts.select("code", *[fact.alias(name) for name, fact in per_code.items()])
    rows = codes.rename("code").to_frame().join(known, on="code", how="left", maintain_order="left")
    return {name: rows.get_column(name).fill_null(False).to_numpy() for name in per_code}


# the fewest consonants a skeleton must hold to be evidence: two given names in one script that share only a
# shorter one (``shared_lists``), and names compared across scripts (``cross_script_similarity``)
SKELETON_MIN = 3


def shared_lists(
    a: pl.Series, b: pl.Series, facts: pl.DataFrame, *, given: bool = False, distinct: Distinct | None = None
) -> tuple[pl.Series, pl.Series]:
    """Whether names ``a[k]`` and ``b[k]`` (codes) share a skeleton, and a canonical name, worked out once per
    distinct pair of codes. Equal codes share whatever their one list holds.

    ``given``: the names are given names. Two given names in one script that share only a skeleton of two
    consonants are different names with other vowels (``Sarah`` and ``Shira``, ``שרה`` and ``שירה``: both ``SR``);
    across scripts the vowels are not written alike, and such a skeleton still counts (``Moshe`` ~ ``משה``)."""
    shared_skeletons = pl.col("skel_a").list.set_intersection(pl.col("skel_b"))
    if given:  # one script: only skeletons of three consonants or more
        shared_skeletons = (
            pl.when(pl.col("latin_a") == pl.col("latin_b"))
            .then(shared_skeletons.list.eval(pl.element().filter(pl.element().str.len_chars() >= SKELETON_MIN)))
            .otherwise(shared_skeletons)
        )
    found = pair_verdicts(
        a,
        b,
        facts.select("code", "skel", "canon", "latin"),
        {
            "s": shared_skeletons.list.len() > 0,
            "c": pl.col("canon_a").list.set_intersection(pl.col("canon_b")).list.len() > 0,
        },
        equal=_facts_by_row(a, facts, {"s": pl.col("skel").list.len() > 0, "c": pl.col("canon").list.len() > 0}),
        distinct=distinct,
    )
    nulls = (a.is_null() | b.is_null()).to_numpy()
    for shared in found.values():
        shared[nulls] = False
    return pl.Series(found["s"]), pl.Series(found["c"])


def cross_script_similarity(
    a: pl.Series, b: pl.Series, facts: pl.DataFrame, scorer: Any, *, distinct: Distinct | None = None
) -> np.ndarray:
    """For names ``a[k]`` and ``b[k]`` (codes) written in two scripts, one Latin and one Hebrew: ``scorer``'s best
    answer over their consonant skeletons (``names.skeletons``); 0 for two names in one script, or an empty side.

    Jaro-Winkler reads no letter of ``Ashkenazi`` in ``אשנזי``, so a typo in a name written in the other script
    was a different name (level 0) where the same typo in one script is a close one. Their skeletons (``SKNZ`` and
    ``SNZ``) are compared instead, every skeleton of one against every one of the other, in one rapidfuzz batch
    over the distinct pairs of codes. Only skeletons of three consonants or more: two consonants and a third
    scored 0.91 ("near") for ``גל`` and ``Golan``, ``לוי`` and ``Levin``, ``חדד`` and ``Hadar``, names of other
    families, and such a pair of one birth date and town merged."""
    out = np.zeros(a.len(), dtype=float)
    where, da, db, inverse = distinct if distinct is not None else distinct_pairs(a, b)
    if not len(where):
        return out
    both = (
        _with_facts(da, db, facts.select("code", "skel", "latin"), how="inner")
        .filter(pl.col("latin_a") != pl.col("latin_b"))
        .select("n", "skel_a", "skel_b")
        .explode("skel_a")
        .explode("skel_b")
        .drop_nulls()
        .filter((pl.col("skel_a").str.len_chars() >= SKELETON_MIN) & (pl.col("skel_b").str.len_chars() >= SKELETON_MIN))
    )
    if both.height:
        scores = process.cpdist(both["skel_a"].to_list(), both["skel_b"].to_list(), scorer=scorer, workers=-1)
        best = both.select("n").with_columns(pl.Series("s", scores)).group_by("n").agg(pl.col("s").max())
        per = np.zeros(len(da), dtype=float)
        per[best.get_column("n").to_numpy()] = best.get_column("s").to_numpy()
        out[where] = per[inverse]
    return out


def two_given_names(
    a: pl.Series, b: pl.Series, facts: pl.DataFrame, *, distinct: Distinct | None = None
) -> tuple[pl.Series, pl.Series, pl.Series]:
    """Whether names ``a[k]`` and ``b[k]`` (codes) are two different given names: mostly borne by the two sexes
    (the name facts' ``sex``), unless one is borne by under ``RARE_BESIDE`` of the other's bearers (a misspelling
    of it more likely than a name: אסר for אסתר); and both common given names (``common``). Worked out once per
    distinct pair of codes, false where a fact is unknown. Equal codes are one name. Third: whether both are
    given names at all (borne as first names by Israelis, CBS), which tells the given names' cross of a swapped
    pair from the family names'."""
    from pipeline.stages.dedupe.names import RARE_BESIDE

    fewer, more = pl.min_horizontal("bearers_a", "bearers_b"), pl.max_horizontal("bearers_a", "bearers_b")
    found = pair_verdicts(
        a,
        b,
        facts.select("code", "sex", "common", "bearers"),
        {
            "sexes": (pl.col("sex_a") != pl.col("sex_b")) & (fewer >= RARE_BESIDE * more),
            "common": pl.col("common_a") & pl.col("common_b"),
            "given": pl.col("bearers_a").is_not_null() & pl.col("bearers_b").is_not_null(),
        },
        equal=_facts_by_row(a, facts, {"given": pl.col("bearers").is_not_null()}),
        distinct=distinct,
    )
    return pl.Series(found["sexes"]), pl.Series(found["common"]), pl.Series(found["given"])
