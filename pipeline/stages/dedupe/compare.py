"""Comparison: each candidate pair gets a level per field, computed with rapidfuzz's multi-threaded pairwise
functions (``process.cpdist``) over whole columns, never a Python loop over pairs.

Levels (higher is stronger agreement; -1 means one side is empty, which is no evidence either way):
first_name 4 same, 3 nickname/cognate/transliteration, 2 Jaro-Winkler >= name_close, 1 >= name_near, 0 different;
last_name 4 same, 3 transliteration, 2 JW >= name_close, 1 >= name_near, 0 different (names compared in the better
of the straight and the swapped order: swapped when it scores more than swap_margin better); birth_date 2 same,
1 a typo (day and month swapped, one digit off), 0 different; phone 2 a shared valid number, 1 one digit off,
0 different; email 2 same, 1 same mailbox name or JW >= email_close, 0 different; national_id 2 same, 1 one digit
off or two swapped, 0 different; city 1 same, 0 different; street 2 same street and number, 1 similar street
(token set >= street_close), 0 different; zip (postcode) 2 same, 1 one digit off or two swapped, 0 different.
The thresholds are the rules' (``dedupe.yaml`` ``comparison``).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import polars as pl
from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein

from pipeline.rules import DedupeRules
from pipeline.stages.dedupe.address import address_level, city_close, street_similarity
from pipeline.stages.dedupe.decide import HARD_RULES
from pipeline.stages.dedupe.encode import Encoded, encode
from pipeline.stages.dedupe.pairwise import (
    cross_script_similarity,
    distinct_pairs,
    pairwise_codes,
    shared_lists,
    two_given_names,
)

COMPARISONS: dict[str, int] = {  # field -> number of levels (0..n-1)
    "first_name": 5,
    "last_name": 5,
    "birth_date": 3,
    "phone": 5,
    "email": 3,
    "national_id": 3,
    "address": 6,
}


def yyyymmdd(date: pl.Expr) -> pl.Expr:
    """A date as the integer YYYYMMDD, the digits a person types."""
    return date.dt.year().cast(pl.Int32) * 10_000 + date.dt.month().cast(pl.Int32) * 100 + date.dt.day()


def birth_date_typo(x: pl.Expr, y: pl.Expr) -> pl.Expr:
    """Two different birth dates (as ``yyyymmdd`` integers) that one slip of typing makes: day and month swapped,
    one digit off, or two neighbouring digits swapped (1933-01-22 typed 1933-02-12), on whole columns. Give it
    columns, not ``yyyymmdd`` of a date column: each digit reads them several times, and an eager frame works an
    expression out again at each use. (Clustering asks the same question by comparing the records: one rule.)"""
    dx = [x // 10**k % 10 for k in range(8)]
    dy = [y // 10**k % 10 for k in range(8)]
    digits_off = pl.sum_horizontal([(a != b).cast(pl.Int8) for a, b in zip(dx, dy, strict=True)])
    neighbours_swapped = pl.any_horizontal(
        [(dx[k] != dy[k]) & (dx[k] == dy[k + 1]) & (dx[k + 1] == dy[k]) for k in range(7)]
    )
    day_month_swapped = (x // 10_000 == y // 10_000) & (x % 100 == y // 100 % 100) & (x // 100 % 100 == y % 100)
    return day_month_swapped | (digits_off == 1) | ((digits_off == 2) & neighbours_swapped)


CHUNK_PAIRS = 500_000
# slices compared at once: a slice's comparison used 1.26 cores of two (rapidfuzz is multi-threaded, but polars'
# expressions on one column and the numpy around them are not)
COMPARERS = 2


def in_slices(
    frame: pl.DataFrame, rows: int, fn: Callable[[pl.DataFrame], pl.DataFrame], *, threads: int = 1
) -> pl.DataFrame:
    """``fn`` of ``frame`` a slice of ``rows`` at a time, concatenated: the working memory of ``fn`` is a slice's,
    not that of tens of millions of pairs. With ``threads``, that many slices at once, each ``rows / threads``
    rows (the same working memory): for an ``fn`` much of whose time is on one core."""
    if frame.height <= rows // threads:
        return fn(frame)
    if threads == 1:
        return pl.concat([fn(part) for part in frame.iter_slices(rows)])
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="cleanse-slices") as pool:
        return pl.concat(list(pool.map(fn, frame.iter_slices(max(rows // threads, 1)))))


def compare(
    records: pl.DataFrame, pairs: pl.DataFrame, *, rules: DedupeRules, encoded: Encoded | None = None
) -> pl.DataFrame:
    """Pairs with one ``lvl_<field>`` column per comparison, plus the facts the hard rules need.

    Pairs are compared in chunks: each chunk's working frame (both sides of every pair) is dropped before the
    next, so memory is bounded by the chunk, not by the number of pairs. ``encoded`` is ``encode(records)``, for
    a caller that compares several sets of pairs of the same records.
    """
    known = encoded or encode(records)
    return in_slices(pairs, CHUNK_PAIRS, lambda chunk: _compare(known, chunk, rules=rules), threads=COMPARERS)


def _compare(encoded: Encoded, pairs: pl.DataFrame, *, rules: DedupeRules) -> pl.DataFrame:
    coded, values, edits, facts = encoded
    i, j = pairs.get_column("i"), pairs.get_column("j")
    p = pl.concat(
        [
            pairs,
            coded[i].rename(lambda c: f"{c}_a"),
            coded[j].rename(lambda c: f"{c}_b"),
        ],
        how="horizontal",
    )
    jw = JaroWinkler.normalized_similarity
    names = values["name"]
    # each orientation of the names is asked three questions (similarity, shared lists, two given names): its
    # distinct pairs of codes are found once
    orientations = (("first", "first"), ("last", "last"), ("first", "last"), ("last", "first"))
    name_pairs = {(x, y): distinct_pairs(p[f"{x}_a"], p[f"{y}_b"]) for x, y in orientations}

    def similarity(x: str, y: str) -> np.ndarray:
        return pairwise_codes(p[f"{x}_a"], p[f"{y}_b"], names, jw, distinct=name_pairs[x, y])

    f_ab, l_ab, f_x, l_x = (similarity(x, y) for x, y in orientations)
    # names in two scripts: how alike their consonant skeletons are (0 in one script), for the close and near levels
    xf_ab, xl_ab, xf_x, xl_x = (
        cross_script_similarity(p[f"{x}_a"], p[f"{y}_b"], facts, jw, distinct=name_pairs[x, y]) for x, y in orientations
    )
    shared = {
        # a given name on either side: the cross pairs are strict in both orders, so scores stay symmetric
        (x, y): shared_lists(p[f"{x}_a"], p[f"{y}_b"], facts, given="first" in (x, y), distinct=name_pairs[x, y])
        for x, y in orientations
    }
    # a given name on either side: one mostly a man's and one mostly a woman's are two names (מיכאל, מיכל), and
    # two common given names are two names however alike (שרה, שירה), unless the nickname table makes them one
    # (אבי is a man's name, and Avigail's nickname)
    given = {
        (x, y): two_given_names(p[f"{x}_a"], p[f"{y}_b"], facts, distinct=name_pairs[x, y])
        for x, y in (("first", "first"), ("first", "last"), ("last", "first"))
    }
    p = p.with_columns(
        *[s.alias(f"__skel_{x}_{y}") for (x, y), (s, _) in shared.items()],
        *[c.alias(f"__canon_{x}_{y}") for (x, y), (_, c) in shared.items()],
        *[(s & ~shared[xy][1]).alias(f"__sexes_{xy[0]}_{xy[1]}") for xy, (s, _, _) in given.items()],
        *[(c & ~shared[xy][1]).alias(f"__names_{xy[0]}_{xy[1]}") for xy, (_, c, _) in given.items()],
        *[g.alias(f"__given_{xy[0]}_{xy[1]}") for xy, (_, _, g) in given.items() if xy != ("first", "first")],
    )

    # the better orientation, counting a nickname or transliteration as a full match (Jaro-Winkler cannot see
    # that "Shira Berger" is "ברגר שירה" swapped)
    def equivalent(a: str, b: str) -> pl.Expr:
        return (pl.col(f"__skel_{a}_{b}") | pl.col(f"__canon_{a}_{b}")).cast(pl.Float64)

    bonus = p.select(
        (equivalent("first", "first") + equivalent("last", "last")).alias("straight"),
        (equivalent("first", "last") + equivalent("last", "first")).alias("swapped"),
    )
    straight = f_ab + l_ab + bonus["straight"].to_numpy()
    crossed = f_x + l_x + bonus["swapped"].to_numpy()
    swap = crossed > straight + rules.swap_margin
    p = p.with_columns(
        pl.Series("__swap", swap),
        pl.Series("__jw_first", np.where(swap, f_x, f_ab)),
        pl.Series("__jw_last", np.where(swap, l_x, l_ab)),
        pl.Series("__xs_first", np.where(swap, xf_x, xf_ab)),
        pl.Series("__xs_last", np.where(swap, xl_x, xl_ab)),
    )

    def spelled(part: str) -> pl.Expr:
        """How alike two names are spelled: Jaro-Winkler, or across scripts their skeletons' (two common given
        names are read by Jaro-Winkler alone: Chen and חנה share every consonant)."""
        return pl.max_horizontal(f"__jw_{part}", f"__xs_{part}")

    def other(part: str) -> str:  # the b-side name compared with a-side `part`, after a swap
        return "last" if part == "first" else "first"

    def name_level(part: str) -> pl.Expr:
        a_key = pl.col(f"{part}_a")
        b_key = pl.when(pl.col("__swap")).then(pl.col(f"{other(part)}_b")).otherwise(pl.col(f"{part}_b"))
        shared = lambda what: (  # noqa: E731
            pl.when(pl.col("__swap"))
            .then(pl.col(f"__{what}_{part}_{other(part)}"))
            .otherwise(pl.col(f"__{what}_{part}_{part}"))
        )
        # a nickname or transliteration joins two given names: the first names, or, read swapped, either cross (the
        # a side's last name against the b side's first is then a first name too; applying it to one cross only
        # made a pair's levels depend on which record was a: אבי אברם ~ טל אברהם scored 3 one way and 0 the other)
        alias = shared("skel") | (shared("canon") if part == "first" else pl.col("__swap") & shared("canon"))
        score = pl.col(f"__jw_{part}")

        # two given names: the a side's first name against the b side's, or, read swapped, either cross
        def given_names(what: str) -> pl.Expr:
            return (
                pl.when(pl.col("__swap"))
                .then(pl.col(f"__{what}_first_last"))
                .otherwise(pl.col(f"__{what}_first_first"))
                if part == "first"
                else pl.col("__swap") & pl.col(f"__{what}_last_first")
            )

        return (
            pl.when(a_key.is_null() | b_key.is_null())
            .then(-1)
            .when(a_key == b_key)
            .then(4)
            .when(given_names("sexes"))
            .then(0)
            # two common given names the nickname table does not join: alike at best (a shared skeleton is not
            # evidence between two names of their own: Chen and חנה, Leah and יעל)
            .when(given_names("names"))
            .then(pl.when(score >= rules.name_near).then(1).otherwise(0))
            .when(alias.fill_null(False))
            .then(3)
            .when(spelled(part) >= rules.name_close)
            .then(2)
            .when(spelled(part) >= rules.name_near)
            .then(1)
            .otherwise(0)
        )

    da, db = pl.col("birth_date_a"), pl.col("birth_date_b")
    phones_a = [
        pl.when(pl.col("mobile_ok_a")).then(pl.col("mobile_a")),
        pl.when(pl.col("other_ok_a")).then(pl.col("other_a")),
    ]
    phones_b = [
        pl.when(pl.col("mobile_ok_b")).then(pl.col("mobile_b")),
        pl.when(pl.col("other_ok_b")).then(pl.col("other_b")),
    ]
    shared_phone = pl.any_horizontal([(x == y).fill_null(False) for x in phones_a for y in phones_b])
    # a shared number that is a mobile (in either column): a person's; any other shared number is a home's landline
    kinds_a = [pl.col("mobile_is_mobile_a"), pl.col("other_is_mobile_a")]
    shared_mobile = pl.any_horizontal(
        [((x == y) & kind).fill_null(False) for x, kind in zip(phones_a, kinds_a, strict=True) for y in phones_b]
    )
    any_phone = pl.any_horizontal([x.is_not_null() for x in phones_a]) & pl.any_horizontal(
        [y.is_not_null() for y in phones_b]
    )
    mobile_off = (
        pairwise_codes(
            p["mobile_a"],
            p["mobile_b"],
            values["phone"],
            Levenshtein.distance,
            empty_read=False,
            cutoff=1,
            near=edits["phone"],
        )
        == 1
    )
    email_jw = pairwise_codes(
        p["email_a"], p["email_b"], values["email"], jw, empty_read=False, cutoff=rules.email_close
    )
    id_close = (
        pairwise_codes(p["nid_a"], p["nid_b"], values["id"], OSA.distance, empty_read=False, cutoff=1, near=edits["id"])
        <= 1
    )
    street_sim = street_similarity(p["street_a"], p["street_b"], values, rules=rules)
    zip_close = (
        pairwise_codes(
            p["zip_a"], p["zip_b"], values["zip"], OSA.distance, empty_read=False, cutoff=1, near=edits["zip"]
        )
        <= 1
    )
    p = p.with_columns(
        pl.Series("__city_close", city_close(p, values, rules=rules)),
        yyyymmdd(da).alias("__ymd_a"),
        yyyymmdd(db).alias("__ymd_b"),
        pl.Series("__mobile_off", mobile_off),
        pl.Series("__email_jw", email_jw),
        pl.Series("__id_close", id_close),
        pl.Series("__street", street_sim),
        pl.Series("__zip_close", zip_close),
    )
    same = lambda c: pl.col(f"{c}_a") == pl.col(f"{c}_b")  # noqa: E731
    both_mobiles = pl.col("mobile_ok_a") & pl.col("mobile_ok_b")
    same_mobile = (both_mobiles & same("mobile")).fill_null(False)
    two_mobiles = (both_mobiles & ~same("mobile")).fill_null(False)
    empty = lambda c: pl.col(f"{c}_a").is_null() | pl.col(f"{c}_b").is_null()  # noqa: E731
    p = p.with_columns(
        # two people's own numbers: both are mobiles (a landline stays in the mobile column when the other is
        # taken), and neither record's mobile is the other's second number
        (two_mobiles & pl.col("mobile_is_mobile_a") & pl.col("mobile_is_mobile_b") & ~shared_mobile).alias(
            "__two_mobiles"
        ),
        (shared_phone & ~shared_mobile).alias("__landline_only"),
        name_level("first").alias("__lvl_first"),
        name_level("last").alias("__lvl_last"),
        # the similarity a pair's reason quotes ("last name ~0.92"): across scripts, the skeletons'
        *[spelled(part).alias(f"__jw_{part}") for part in ("first", "last")],
        pl.when(da.is_null() | db.is_null())
        .then(-1)
        .when(da == db)
        .then(2)
        .when(birth_date_typo(pl.col("__ymd_a"), pl.col("__ymd_b")))
        .then(1)
        .otherwise(0)
        .alias("lvl_birth_date"),
        # a valid mobile both records hold is a person's own (4); another shared number is a home's landline, or a
        # mobile typed in the other column (3); a landline shared by two records with two different valid mobiles
        # is a household of two people more often than one person (2); one digit off (1)
        pl.when(~any_phone)
        .then(-1)
        .when(same_mobile)
        .then(4)
        .when(shared_phone & ~two_mobiles)
        .then(3)
        .when(shared_phone)
        .then(2)
        .when(pl.col("__mobile_off") & both_mobiles)
        .then(1)
        .otherwise(0)
        .alias("lvl_phone"),
        pl.when(empty("email"))
        .then(-1)
        .when(same("email"))
        .then(2)
        .when(same("local") | (pl.col("__email_jw") >= rules.email_close))
        .then(1)
        .otherwise(0)
        .alias("lvl_email"),
        pl.when(empty("nid") | pl.col("id_void_a") | pl.col("id_void_b"))
        .then(-1)
        .when(same("nid"))
        .then(2)
        .when(pl.col("__id_close"))
        .then(1)
        .otherwise(0)
        .alias("lvl_national_id"),
        address_level(rules).alias("lvl_address"),
        (pl.col("id_valid_a") & pl.col("id_valid_b") & ~same("nid")).alias("rule_two_ids"),
        # one home as the household rule reads it: street, house number and locality each the same
        (same("street") & same("house") & same("city")).fill_null(False).alias("__same_address"),
    )
    # swapped names are compared crosswise; which cross comparison counts as "first" must not depend on the order
    # of the pair, so the stronger one does (pair scores are symmetric: a property test proves it), unless a cross
    # comparison met two given names (of the two sexes, or two common names): that one is the first names'
    swapped = pl.col("__swap")
    crossed_given = swapped & pl.any_horizontal(
        [pl.col(f"__{what}_{xy}") for what in ("sexes", "names") for xy in ("first_last", "last_first")]
    )

    # a swapped pair whose one cross holds two given names and whose other cross does not: that cross is the first
    # names' (מזרחי אסר against איתי מזרחי: the family name matched, the given names did not, and read the other way
    # round "first name equal" merged a sister with her brother)
    given_first = swapped & pl.col("__given_first_last") & ~pl.col("__given_last_first")
    given_last = swapped & pl.col("__given_last_first") & ~pl.col("__given_first_last")

    def oriented(first: str, last: str) -> tuple[pl.Expr, pl.Expr]:
        """The first names' and the last names' of two cross-or-straight comparisons ``first`` and ``last`` (after a
        swap, ``first`` is the a side's first name against the b side's last)."""
        stronger, weaker = pl.max_horizontal(first, last), pl.min_horizontal(first, last)

        def pick(this: pl.Expr, that: pl.Expr, given: pl.Expr, other: pl.Expr) -> pl.Expr:
            chosen = pl.when(given_first).then(this).when(given_last).then(that).when(crossed_given).then(given)
            return chosen.when(swapped).then(other).otherwise(this)

        return pick(pl.col(first), pl.col(last), weaker, stronger), pick(pl.col(last), pl.col(first), stronger, weaker)

    lvl_first, lvl_last = oriented("__lvl_first", "__lvl_last")
    jw_first, jw_last = oriented("__jw_first", "__jw_last")
    p = p.with_columns(
        lvl_first.alias("lvl_first_name"),
        lvl_last.alias("lvl_last_name"),
        jw_first.alias("__jw_first"),
        jw_last.alias("__jw_last"),
    )
    # a personal identifier both records hold: one e-mail address, or one valid mobile
    shared_personal = (pl.col("lvl_email") == 2) | (pl.col("lvl_phone") == 4)
    months_apart = ((da - db).dt.total_days().abs() <= rules.birth_date_slip_days).fill_null(False)
    p = p.with_columns(
        # twins and parents never share an ID number, nor have numbers one typo apart (the check digit catches
        # every single-digit typo, so such a pair is one number typed twice): a different birth date under them is
        # a typing error too; so is one weeks or months off on records that share an e-mail or a mobile (a
        # grandfather and grandson of one name, decades apart, stay two people whatever they share)
        ((pl.col("lvl_birth_date") == 0) & (pl.col("lvl_national_id") < 1) & ~(months_apart & shared_personal)).alias(
            "rule_birth_dates"
        ),
        # twins, siblings, a parent and child: one last name, birth date, home or family e-mail, but two first
        # names and no ID number of one person (an e-mail or phone two first names share is the family's)
        ((pl.col("lvl_first_name") == 0) & (pl.col("lvl_national_id") < 1)).alias("rule_first_names"),
        (
            ((pl.col("lvl_phone") >= 2) | pl.col("__same_address"))  # a shared number: phone levels 2-4
            & (pl.col("lvl_first_name") == 0)
            & (pl.col("lvl_national_id") < 1)
        ).alias("rule_household"),
    )
    keep = [
        "i",
        "j",
        *[c for c in p.columns if c == "keys"],
        *[f"lvl_{c}" for c in COMPARISONS],
        "__swap",
        "__jw_first",
        "__jw_last",
        "__two_mobiles",
        "__landline_only",
        *[f"rule_{rule}" for rule in HARD_RULES],  # the names the rules file gives them
    ]
    return p.select(keep).with_columns([pl.col(f"lvl_{c}").cast(pl.Int8) for c in COMPARISONS])
