"""Blocking: candidate pairs from cheap keys, each key's blocks found by sorting its values (``runs``). Blocks larger
than the cap are skipped."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from pipeline.fields import Status
from pipeline.fields.emails import email_match_key
from pipeline.fields.ids import NOT_AN_IDENTITY, nine_digits
from pipeline.stages.dedupe import runs
from pipeline.stages.dedupe.encode import SIDE_COLUMNS
from pipeline.stages.dedupe.names import skeleton_lists

# the keys a rules file may name (``dedupe.yaml`` ``blocking.keys``), in the order they spend the comparison budget;
# KEY_EXPRS builds each of them
BLOCKING_KEYS = (
    "phone",
    "email",
    "national_id",
    "name_birth_date",
    "address_birth_date",
    "name_street",
    "zip_house",
    "skeleton_birth_year",
    "name_part_birth_date",
    "name",
    "name_city",
    "skeleton_city",
    "birth_date",
    "national_id_typo",
)
KEYS = BLOCKING_KEYS


DECISION_BIT = 1 << 31  # a pair a person decided on, whether or not a key proposed it


# a 64-bit odd constant (the golden ratio's): multiplying by it before each xor makes (a, b) and (b, a) two keys
_MIX = 0x9E3779B97F4A7C15


def _hashed(value: pl.Expr) -> pl.Expr:
    """A value's 64-bit hash; null stays null (polars hashes a null to a number)."""
    return pl.when(value.is_not_null()).then(value.hash())


def _mix(*parts: str) -> pl.Expr:
    """One 64-bit key from hashed columns of ``key_table``, in order; null when any part is null. Integer arithmetic
    (wrapping) on columns hashed once, instead of a string joined and hashed per key and record: a fifteenth of the
    time at a million members."""
    key = pl.col(parts[0])
    for part in parts[1:]:
        key = (key * pl.lit(_MIX, pl.UInt64)) ^ pl.col(part)
    return key


def _plausible_id() -> pl.Expr:
    """An ID number that can tell people apart: valid, or invalid by a typo; never a known fake or a stub."""
    return ~pl.col("national_id_status").is_in(NOT_AN_IDENTITY).fill_null(False)


def _id_like() -> pl.Expr:
    """Five to nine digits and a plausible identity: the records the ID keys block on."""
    return pl.col("national_id").str.contains(r"^\d{5,9}$") & _plausible_id()


def _id_deletions(number: str) -> list[pl.Expr]:
    """The nine numbers left when one digit is struck out of the nine-digit ID in column ``number`` (an integer
    column, computed once: an expression here would be worked out again for each of the nine), as integers.

    Two IDs one digit apart, or with two neighbouring digits swapped, share one of them: a typo that only
    the check digit gives away still finds the member's right number. Integers, not strings: nine arithmetic
    columns instead of nine million short strings at a million members.
    """
    n = pl.col(number)
    return [(n // 10 ** (9 - k)) * 10 ** (8 - k) + n % 10 ** (8 - k) for k in range(9)]


def _chance_neighbours(table: pl.DataFrame) -> float:
    """How many other numbers in the file a number that fails its check digit is one typo from, by chance alone.

    A number of L significant digits has about 9L neighbours one digit off; N distinct numbers fill 10^L of them.
    Israeli IDs (nine digits) at a million members: about 0.07, so the ID-typo key proposes real typos. FEBRL's
    seven-digit numbers at a million records: 3.6, so it would propose strangers and is skipped."""
    numbers = table.select(pl.col("__id_number").filter("__id_like").unique()).to_series()
    if numbers.len() < 2:
        return 0.0
    digits = float(numbers.cast(pl.String).str.len_chars().median() or 9)  # type: ignore[arg-type]
    return 9 * digits * numbers.len() / 10**digits


@dataclass(frozen=True)
class Shape:
    """How a key's blocks differ from a plain self-join of records (columns are ``key_table``'s)."""

    # a record may start a pair only where this column holds, and a block counts only with such a record in it
    probe: str | None = None
    # records with one value in this column are one entry of the key's blocks (they neither fill the block cap
    # nor spend the budget twice), and every record of one entry meets every record of another
    group: str | None = None
    # how many values each one is a typo from by chance: above 1 the key would propose strangers and is skipped
    chance: Callable[[pl.DataFrame], float] | None = None
    # a tighter block cap than the rules' for a key of one weak field (a birth date is shared by chance)
    max_block_size: int | None = None


# the ID-typo key pairs a number that fails its check digit with a valid one (or two invalid ones), never two
# valid numbers (the hard rule keeps those apart anyway); the five records of a member that share one number
# (paired already by the exact key) are one entry in each typo block, and the typo's record meets all five
SHAPES: dict[str, Shape] = {
    "national_id_typo": Shape(probe="__id_probe", group="__id_number", chance=_chance_neighbours),
    "birth_date": Shape(max_block_size=8),
}


# every column of the records that ``key_table`` reads besides ``__i``: what comparison reads, and whether an
# e-mail is good enough to block on
KEY_COLUMNS = (*SIDE_COLUMNS, "email_status")


def key_table(records: pl.DataFrame) -> pl.DataFrame:
    """``__i``, the columns ``SHAPES`` name, and each value the keys are made of as a 64-bit hash (``__h_*``: null
    where the record has none, or none good enough to block on). The keys themselves are ``KEY_EXPRS`` over this
    table, built one at a time."""
    records = records.select("__i", *KEY_COLUMNS)  # a projection (no copy); a missing column fails here, by name
    valid = lambda status: pl.col(status) == Status.VALID  # noqa: E731
    # skeletons per distinct name, not per distinct pair of names (a million members have a million pairs)
    records = records.with_columns(
        skeleton_lists(records.get_column("first_name")).alias("__fsk"),
        skeleton_lists(records.get_column("last_name")).alias("__lsk"),
    )
    return records.select(
        "__i",
        nine_digits(pl.col("national_id")).cast(pl.UInt64, strict=False).alias("__id_number"),
        (pl.col("national_id_status") != Status.VALID).fill_null(True).alias("__id_probe"),
        _id_like().alias("__id_like"),
        _hashed(pl.col("first_name_key")).alias("__h_first"),
        _hashed(pl.col("last_name_key")).alias("__h_last"),
        # a name's first and last skeletons (one for most names)
        _hashed(pl.col("__fsk").list.first()).alias("__h_first_skeleton"),
        _hashed(pl.col("__lsk").list.first()).alias("__h_last_skeleton"),
        _hashed(pl.col("__fsk").list.last()).alias("__h_first_skeleton_2"),
        _hashed(pl.col("__lsk").list.last()).alias("__h_last_skeleton_2"),
        _hashed(pl.col("birth_date")).alias("__h_born"),
        _hashed(pl.col("birth_date").dt.year()).alias("__h_year"),
        pl.when(valid("phone_mobile_status")).then(_hashed(pl.col("phone_mobile"))).alias("__h_mobile"),
        pl.when(valid("phone_other_status")).then(_hashed(pl.col("phone_other"))).alias("__h_other"),
        pl.when(pl.col("email_status").is_in([Status.VALID, Status.ROLE]))
        .then(_hashed(email_match_key(pl.col("email"))))
        .alias("__h_email"),
        # any ID-like number, valid or not: a mistyped check digit still finds its twin (the hard rule needs valid)
        pl.when(_id_like()).then(_hashed(nine_digits(pl.col("national_id")))).alias("__h_id"),
        *[_hashed(pl.col(c)).alias(f"__h_{c}") for c in ("city", "street", "house_number", "zip")],
    )


def _skeletons_with(*parts: str) -> list[pl.Expr]:
    """Both names' skeletons with ``parts``, in either order; and with each name's last skeleton, where a name has
    more than one (``key_table``'s ``_2`` columns; most names have one)."""
    return [
        _mix("__h_first_skeleton", "__h_last_skeleton", *parts),
        _mix("__h_last_skeleton", "__h_first_skeleton", *parts),
        _mix("__h_first_skeleton_2", "__h_last_skeleton_2", *parts),
    ]


def _key_exprs() -> dict[str, list[pl.Expr]]:
    """Each key as expressions over ``key_table``, a value per record each (a record may carry several phones),
    null where a record has none. Names are keyed in both orders (first and last names swapped are one member)."""
    return {
        "phone": [pl.col("__h_mobile"), pl.col("__h_other")],
        "email": [pl.col("__h_email")],
        "national_id": [pl.col("__h_id")],
        "name_birth_date": [_mix("__h_first", "__h_last", "__h_born"), _mix("__h_last", "__h_first", "__h_born")],
        "skeleton_birth_year": _skeletons_with("__h_year"),
        # either name, in either field, with the birth date: a member whose names are swapped *and* mistyped
        "name_part_birth_date": [_mix("__h_first", "__h_born"), _mix("__h_last", "__h_born")],
        "national_id_typo": [pl.when("__id_like").then(d) for d in _id_deletions("__id_number")],
        # where the member lives and when they were born: both names changed or mistyped beyond a key (and the
        # locality alone for a street mistyped too)
        "address_birth_date": [_mix(f"__h_{c}", "__h_born") for c in ("zip", "street", "city")],
        # the birth date alone, in small blocks: a member whose names, address and contacts all changed at once
        "birth_date": [pl.col("__h_born")],
        "name": [_mix("__h_first", "__h_last"), _mix("__h_last", "__h_first")],
        "zip_house": [_mix("__h_zip", "__h_house_number")],
        "name_city": [_mix("__h_first", "__h_last", "__h_city"), _mix("__h_last", "__h_first", "__h_city")],
        "skeleton_city": _skeletons_with("__h_city"),
        # one home and both names by skeleton, in either order: a member with no birth date on one record. Not the
        # last name alone: a home's family all share it (at a million members that proposed 2.4M pairs, 173 of
        # them one person, each with equal or close first names)
        "name_street": _skeletons_with("__h_street", "__h_house_number"),
    }


def key_values(table: pl.DataFrame, key: str, *columns: pl.Expr, distinct: bool = True) -> pl.DataFrame:
    """``__i``, the key's values as ``k`` (one row per record and distinct value: a record whose mobile is also its
    other phone is in that block once; with ``distinct`` off, a value may repeat) and ``columns`` of
    ``key_table``."""
    exprs = KEY_EXPRS[key]
    parts = []
    for n, expr in enumerate(exprs):
        # a value an earlier expression of the key already gave this record is not given again
        earlier = exprs[:n] if distinct else []
        fresh = pl.all_horizontal([expr.ne_missing(e) for e in earlier]) if earlier else pl.lit(True)
        parts.append(
            table.select("__i", pl.when(fresh).then(expr).cast(pl.UInt64).alias("k"), *columns).drop_nulls("k")
        )
    return pl.concat(parts)


KEY_EXPRS = _key_exprs()


def _cap_for_budget(sizes: pl.Series, *, max_block_size: int, budget: int, pairs: pl.Series | None = None) -> int:
    """The largest block size whose blocks (all blocks up to that size) make at most ``budget`` pairs.

    ``pairs``: each block's pairs when they are not n(n-1)/2 of its size (a grouped key's entries stand for
    several records each)."""
    if budget <= 0:
        return 1
    table = (
        pl.DataFrame({"n": sizes, "p": pairs if pairs is not None else sizes * (sizes - 1) // 2})
        .filter(pl.col("n") > 1)
        .group_by("n")
        .agg(pl.col("p").sum())
        .sort("n")
        .with_columns(pl.col("p").cum_sum().alias("pairs"))
    )
    fits = table.filter((pl.col("pairs") <= budget) & (pl.col("n") <= max_block_size))
    return int(fits.get_column("n").max() or 1) if fits.height else 1  # type: ignore[arg-type]


def candidate_pairs(
    records: pl.DataFrame,
    /,
    *,
    keys: Sequence[str] = KEYS,
    max_block_size: int = 40,
    max_pairs_per_record: float = 4.0,
) -> tuple[pl.DataFrame, dict[str, dict[str, float]]]:
    """Pairs ``(i, j)`` with ``i < j`` and the keys that proposed each (``keys``: bit k for ``keys[k]``, see
    ``key_names``); per key: pairs, blocks and capped blocks.

    The comparison budget is checked before any join: all keys together may propose at most
    ``max_pairs_per_record`` distinct pairs per record. Keys spend it in the order given (strong identifiers
    first); a key whose blocks would exceed what is left gets a tighter block cap (its estimate counts every pair
    of its blocks, so it can only overestimate), so memory stays linear in the rows.
    """
    table = key_table(records)
    budget = int(max_pairs_per_record * max(records.height, 1))
    seen = np.zeros(0, np.uint64)  # every pair proposed so far, sorted (see ``runs``)
    found: list[tuple[int, runs.Pairs]] = []
    stats: dict[str, dict[str, float]] = {}
    for bit, key in enumerate(keys):
        shape = SHAPES.get(key, Shape())
        if shape.chance and (chance := shape.chance(table)) > 1:
            stats[key] = dict.fromkeys(("pairs", "new_pairs", "blocks", "block_cap", "capped_blocks"), 0)
            stats[key] |= {"capped_records": 0, "skipped_chance_neighbours_per_number": round(chance, 1)}
            continue
        pairs, lengths, cap = _key_pairs(table, key, shape, max_block_size=max_block_size, budget=budget - len(seen))
        # only pairs no earlier key proposed spend the budget: strong keys mostly re-find the same duplicates
        new = runs.not_in(pairs, seen)
        seen = runs.merged(seen, new)
        blocks, capped = lengths > 1, lengths > cap
        stats[key] = {
            "pairs": pairs.size,
            "new_pairs": new.size,
            "blocks": int(blocks.sum()),
            "block_cap": cap,
            "capped_blocks": int((capped & blocks).sum()),
            "capped_records": int(lengths[capped & blocks].sum()),
        }
        found.append((bit, pairs))
    # which keys proposed a pair, as bits (key k is bit k): millions of small integers instead of millions of lists
    # of strings
    bits = np.zeros(seen.size, np.uint32)
    for bit, pairs in found:
        bits[np.searchsorted(seen, pairs)] |= np.uint32(1 << bit)
    return (
        pl.DataFrame(
            {
                "i": (seen >> np.uint64(32)).astype(np.uint32),
                "j": (seen & np.uint64(0xFFFFFFFF)).astype(np.uint32),
                "keys": bits,
            },
            schema={"i": pl.UInt32, "j": pl.UInt32, "keys": pl.UInt32},
        ),
        stats,
    )


def _key_pairs(
    table: pl.DataFrame, key: str, shape: Shape, *, max_block_size: int, budget: int
) -> tuple[runs.Pairs, npt.NDArray[np.int64], int]:
    """One key's pairs (sorted, see ``runs``), the size of each of its blocks, and the block cap that keeps its pairs
    within ``budget``."""
    # blocks are made of 64-bit hashes of the key's values, not of the text: two values that share a hash only
    # propose a pair, which the comparison then scores on the real values
    probe, group = shape.probe, shape.group
    values = key_values(
        table,
        key,
        *([pl.col(probe).alias("probe")] if probe else []),
        *([pl.col(group).alias("g")] if group else []),
        distinct=group is None,  # a grouped key's entries are distinct groups whatever the records repeat
    )
    if probe:  # only blocks with a record that may start a pair (a few percent of the values)
        values = values.filter(pl.col("k").is_in(values.filter("probe").get_column("k").implode()))
    max_block_size = min(max_block_size, shape.max_block_size or max_block_size)
    if group:  # a block's entries are its distinct groups, each as many records as it holds
        entries = values.select("k", "g", "probe").unique(["k", "g"])
        held = values.group_by("g").agg(pl.col("__i").n_unique().cast(pl.Int64).alias("m"))
        sizes = (
            entries.join(held, on="g")
            .group_by("k")
            .agg(pl.len(), ((pl.col("m").sum() ** 2 - (pl.col("m") ** 2).sum()) // 2).alias("pairs"))
        )
        lengths = sizes.get_column("len").to_numpy().astype(np.int64)
        cap = _cap_for_budget(
            sizes.get_column("len"), max_block_size=max_block_size, budget=budget, pairs=sizes.get_column("pairs")
        )
        kept = entries.join(sizes.filter(pl.col("len") > cap).select("k"), on="k", how="anti")
        grouped = _group_pairs(kept, values, max_group=max_block_size)
        return runs.as_pairs(grouped.get_column("__i").to_numpy(), grouped.get_column("__i_b").to_numpy()), lengths, cap
    ordered = values.sort("k")  # each block's records side by side
    starts, lengths = runs.runs(ordered.get_column("k").to_numpy())
    cap = _cap_for_budget(pl.Series(lengths), max_block_size=max_block_size, budget=budget)
    keep = (lengths > 1) & (lengths <= cap)
    a, b = runs.pairs_in_runs(starts[keep], lengths[keep])
    if probe:  # a pair needs a record that may start one
        may_start = ordered.get_column("probe").to_numpy()
        either = may_start[a] | may_start[b]
        a, b = a[either], b[either]
    record = ordered.get_column("__i").to_numpy()
    return runs.as_pairs(record[a], record[b]), lengths, cap


def _group_pairs(kept: pl.DataFrame, values: pl.DataFrame, *, max_group: int) -> pl.DataFrame:
    """Record pairs ``(__i, __i_b)`` from pairs of groups that share a block, each group expanded to its records
    (a group larger than ``max_group``, a number on hundreds of records, is not expanded)."""
    group_pairs = (
        kept.join(kept, on="k", suffix="_b")
        .filter((pl.col("g") < pl.col("g_b")) & (pl.col("probe") | pl.col("probe_b")))
        .select("g", "g_b")
        .unique()
    )
    members = values.select("g", "__i").unique()
    members = members.filter(pl.len().over("g") <= max_group)
    # in either order: ``runs.as_pairs`` orders each pair
    return (
        group_pairs.join(members, on="g")
        .join(members.rename({"g": "g_b", "__i": "__i_b"}), on="g_b")
        .select("__i", "__i_b")
    )


def key_names(masks: pl.Series, keys: Sequence[str]) -> pl.Series:
    """The ``keys`` bits of each pair in words, "phone;name" (``DECISION_BIT``: a person's decision); Categorical,
    as millions of pairs share a few dozen combinations."""
    names = {
        int(mask): ";".join(
            [key for bit, key in enumerate(keys) if mask >> bit & 1] + (["decision"] if mask & DECISION_BIT else [])
        )
        for mask in masks.unique().drop_nulls().to_list()
    }
    return masks.replace_strict(names, default=None, return_dtype=pl.Categorical)
