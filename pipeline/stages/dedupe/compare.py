"""Comparison: each candidate pair gets a level per field, computed with rapidfuzz's multi-threaded pairwise
functions (``process.cpdist``) over whole columns, never a Python loop over pairs.

Levels (higher is stronger agreement; -1 means one side is empty, which is no evidence either way):
first_name 4 same, 3 nickname/cognate/transliteration, 2 Jaro-Winkler >= 0.92, 1 >= 0.80, 0 different;
last_name 4 same, 3 transliteration, 2 JW >= 0.92, 1 >= 0.80, 0 different (names compared in the better of the
straight and the swapped order); birth_date 2 same, 1 a typo (day and month swapped, one digit off), 0 different;
phone 2 a shared valid number, 1 one digit off, 0 different; email 2 same, 1 same mailbox name or JW >= 0.9,
0 different; national_id 2 same, 1 one digit off or two swapped, 0 different; city 1 same, 0 different;
street 2 same street and number, 1 similar street (token set >= 90), 0 different; zip (postcode) 2 same, 1 one
digit off or two swapped, 0 different.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein

from pipeline.fields.emails import email_match_key
from pipeline.fields.ids import NOT_AN_IDENTITY, nine_digits
from pipeline.rules import HARD_RULES
from pipeline.stages.dedupe.names import given_name_table, skeleton_lists

COMPARISONS: dict[str, int] = {  # field -> number of levels (0..n-1)
    "first_name": 5,
    "last_name": 5,
    "birth_date": 3,
    "phone": 3,
    "email": 3,
    "national_id": 3,
    "city": 2,
    "street": 3,
    "zip": 3,
}
SIDE_COLUMNS = (  # every column of the records that ``encode`` reads
    "first_name",
    "last_name",
    "first_name_key",
    "last_name_key",
    "birth_date",
    "phone_mobile",
    "phone_mobile_status",
    "phone_other",
    "phone_other_status",
    "email",
    "national_id",
    "national_id_status",
    "city",
    "street",
    "house_number",
    "zip",
)


def _name_facts(values: pl.Series, names: pl.DataFrame) -> pl.DataFrame:
    """Per name code (``values[code]`` is the folded key): its spelling skeletons and its canonical given names
    (nicknames, cognates, transliterations), as lists. ``names`` pairs each key with one spelling of it."""
    table = given_name_table()
    spelled = names.drop_nulls("key").unique("key")
    canon = table.group_by("key").agg(pl.col("canonical").alias("canon"))
    facts = (
        values.rename("key")
        .to_frame()
        .with_row_index("code")
        .join(spelled, on="key", how="inner")
        .join(canon, on="key", how="left")
    )
    return facts.select(
        "code",
        pl.col("canon").fill_null([]),
        skeleton_lists(facts.get_column("name")).alias("skel"),
        pl.col("name").str.contains("[A-Za-z]").alias("latin"),
    )


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


def _codes(*columns: pl.Series) -> tuple[list[pl.Series], pl.Series]:
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


def _distinct_pairs(a: pl.Series, b: pl.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
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


def _pairwise_codes(
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
    where, da, db, inverse = _distinct_pairs(a, b)
    if len(where):
        pick = lambda codes: values.gather(codes).to_list()  # noqa: E731
        scored = process.cpdist(pick(da), pick(db), scorer=scorer, score_cutoff=cutoff, workers=-1)
        out[where if empty_read else into[where]] = np.asarray(scored, dtype=float)[inverse]
    return out


def _pairwise(a: pl.Series, b: pl.Series, scorer: Any) -> np.ndarray:
    """``scorer(a[k], b[k])`` for every k, nulls as "" (the fast path of ``_pairwise_codes`` on plain text)."""
    (ca, cb), values = _codes(a, b)
    return _pairwise_codes(ca, cb, values, scorer)


def _shared_lists(
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
    where, da, db, inverse = _distinct_pairs(a, b)
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


Encoded = tuple[pl.DataFrame, dict[str, pl.Series], pl.DataFrame]


def encode(records: pl.DataFrame) -> Encoded:
    """Per record, the compact form the comparisons read: each text as a dense code (fields compared crosswise,
    first with last name and mobile with other phone, share a code space), what the rules ask of a status as a
    Boolean. Both sides of millions of pairs are then gathers of small integers, not of strings.

    Returns the coded table (row k is record ``__i`` = k), the values of each code space, and the name facts."""
    records = records.select(SIDE_COLUMNS)  # a projection (no copy); a missing column fails here, by name
    email_text = records.select(email_match_key(pl.col("email"))).to_series()  # Gmail dots and +tags ignored
    (first, last), names = _codes(records.get_column("first_name_key"), records.get_column("last_name_key"))
    (mobile, other), phones = _codes(records.get_column("phone_mobile"), records.get_column("phone_other"))
    (email,), emails = _codes(email_text)
    (local,), _ = _codes(email_text.str.extract(r"^([^@]+)@"))
    (nid,), ids = _codes(records.select(nine_digits(pl.col("national_id"))).to_series())
    (city,), _ = _codes(records.get_column("city"))
    (street,), streets = _codes(records.get_column("street"))
    (house,), _ = _codes(records.get_column("house_number"))
    (zip_,), zips = _codes(records.get_column("zip"))
    valid = lambda c: (pl.col(c) == "valid").fill_null(False)  # noqa: E731
    flags = records.select(
        valid("phone_mobile_status").alias("mobile_ok"),
        valid("phone_other_status").alias("other_ok"),
        valid("national_id_status").alias("id_valid"),
        pl.col("national_id_status").is_in(NOT_AN_IDENTITY).fill_null(False).alias("id_void"),
        "birth_date",
    )
    coded = flags.with_columns(
        first.alias("first"),
        last.alias("last"),
        mobile.alias("mobile"),
        other.alias("other"),
        email.alias("email"),
        local.alias("local"),
        nid.alias("nid"),
        city.alias("city"),
        street.alias("street"),
        house.alias("house"),
        zip_.alias("zip"),
    )
    spelled = pl.concat(
        [
            records.select(pl.col("first_name_key").alias("key"), pl.col("first_name").alias("name")),
            records.select(pl.col("last_name_key").alias("key"), pl.col("last_name").alias("name")),
        ]
    )
    values = {"name": names, "phone": phones, "email": emails, "id": ids, "street": streets, "zip": zips}
    return coded, values, _name_facts(names, spelled)


CHUNK_PAIRS = 500_000
# two birth dates at most this far apart, on records sharing an e-mail or a valid mobile, are one date mistyped
BIRTH_DATE_SLIP_DAYS = 366


def in_slices(frame: pl.DataFrame, rows: int, fn: Callable[[pl.DataFrame], pl.DataFrame]) -> pl.DataFrame:
    """``fn`` of ``frame`` a slice of ``rows`` at a time, concatenated: the working memory of ``fn`` is a slice's,
    not that of tens of millions of pairs."""
    if frame.height <= rows:
        return fn(frame)
    return pl.concat([fn(part) for part in frame.iter_slices(rows)])


def compare(records: pl.DataFrame, pairs: pl.DataFrame, *, encoded: Encoded | None = None) -> pl.DataFrame:
    """Pairs with one ``lvl_<field>`` column per comparison, plus the facts the hard rules need.

    Pairs are compared in chunks: each chunk's working frame (both sides of every pair) is dropped before the
    next, so memory is bounded by the chunk, not by the number of pairs. ``encoded`` is ``encode(records)``, for
    a caller that compares several sets of pairs of the same records.
    """
    coded, values, facts = encoded or encode(records)
    return in_slices(pairs, CHUNK_PAIRS, lambda chunk: _compare(coded, chunk, values, facts))


def _compare(
    coded: pl.DataFrame, pairs: pl.DataFrame, values: dict[str, pl.Series], facts: pl.DataFrame
) -> pl.DataFrame:
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
    f_ab = _pairwise_codes(p["first_a"], p["first_b"], names, jw)
    l_ab = _pairwise_codes(p["last_a"], p["last_b"], names, jw)
    f_x = _pairwise_codes(p["first_a"], p["last_b"], names, jw)
    l_x = _pairwise_codes(p["last_a"], p["first_b"], names, jw)
    shared = {
        # a given name on either side: the cross pairs are strict in both orders, so scores stay symmetric
        (x, y): _shared_lists(p[f"{x}_a"], p[f"{y}_b"], facts, given="first" in (x, y))
        for x, y in (("first", "first"), ("last", "last"), ("first", "last"), ("last", "first"))
    }
    p = p.with_columns(
        *[s.alias(f"__skel_{x}_{y}") for (x, y), (s, _) in shared.items()],
        *[c.alias(f"__canon_{x}_{y}") for (x, y), (_, c) in shared.items()],
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
    swap = crossed > straight + 0.2
    p = p.with_columns(
        pl.Series("__swap", swap),
        pl.Series("__jw_first", np.where(swap, f_x, f_ab)),
        pl.Series("__jw_last", np.where(swap, l_x, l_ab)),
    )

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
        alias = shared("skel") | (shared("canon") if part == "first" else pl.lit(False))
        score = pl.col(f"__jw_{part}")
        return (
            pl.when(a_key.is_null() | b_key.is_null())
            .then(-1)
            .when(a_key == b_key)
            .then(4)
            .when(alias.fill_null(False))
            .then(3)
            .when(score >= 0.92)
            .then(2)
            .when(score >= 0.80)
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
    any_phone = pl.any_horizontal([x.is_not_null() for x in phones_a]) & pl.any_horizontal(
        [y.is_not_null() for y in phones_b]
    )
    mobile_off = (
        _pairwise_codes(p["mobile_a"], p["mobile_b"], values["phone"], Levenshtein.distance, empty_read=False, cutoff=1)
        == 1
    )
    email_jw = _pairwise_codes(p["email_a"], p["email_b"], values["email"], jw, empty_read=False, cutoff=0.9)
    id_close = _pairwise_codes(p["nid_a"], p["nid_b"], values["id"], OSA.distance, empty_read=False, cutoff=1) <= 1
    street_sim = _pairwise_codes(
        p["street_a"], p["street_b"], values["street"], fuzz.token_set_ratio, empty_read=False, cutoff=90
    )
    zip_close = _pairwise_codes(p["zip_a"], p["zip_b"], values["zip"], OSA.distance, empty_read=False, cutoff=1) <= 1
    p = p.with_columns(
        yyyymmdd(da).alias("__ymd_a"),
        yyyymmdd(db).alias("__ymd_b"),
        pl.Series("__mobile_off", mobile_off),
        pl.Series("__email_jw", email_jw),
        pl.Series("__id_close", id_close),
        pl.Series("__street", street_sim),
        pl.Series("__zip_close", zip_close),
    )
    same = lambda c: pl.col(f"{c}_a") == pl.col(f"{c}_b")  # noqa: E731
    empty = lambda c: pl.col(f"{c}_a").is_null() | pl.col(f"{c}_b").is_null()  # noqa: E731
    p = p.with_columns(
        name_level("first").alias("__lvl_first"),
        name_level("last").alias("__lvl_last"),
        pl.when(da.is_null() | db.is_null())
        .then(-1)
        .when(da == db)
        .then(2)
        .when(birth_date_typo(pl.col("__ymd_a"), pl.col("__ymd_b")))
        .then(1)
        .otherwise(0)
        .alias("lvl_birth_date"),
        pl.when(~any_phone)
        .then(-1)
        .when(shared_phone)
        .then(2)
        .when(pl.col("__mobile_off") & pl.col("mobile_ok_a") & pl.col("mobile_ok_b"))
        .then(1)
        .otherwise(0)
        .alias("lvl_phone"),
        pl.when(empty("email"))
        .then(-1)
        .when(same("email"))
        .then(2)
        .when(same("local") | (pl.col("__email_jw") >= 0.9))
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
        pl.when(empty("city")).then(-1).when(same("city")).then(1).otherwise(0).alias("lvl_city"),
        pl.when(empty("street"))
        .then(-1)
        .when(same("street") & same("house"))
        .then(2)
        .when(pl.col("__street") >= 90)
        .then(1)
        .otherwise(0)
        .alias("lvl_street"),
        pl.when(empty("zip"))
        .then(-1)
        .when(same("zip"))
        .then(2)
        .when(pl.col("__zip_close"))
        .then(1)
        .otherwise(0)
        .alias("lvl_zip"),
        (pl.col("id_valid_a") & pl.col("id_valid_b") & ~same("nid")).alias("rule_two_ids"),
        shared_phone.alias("__shared_phone"),
        (same("street") & same("house") & same("city")).fill_null(False).alias("__same_address"),
    )
    # swapped names are compared crosswise; which cross comparison counts as "first" must not depend on the order
    # of the pair, so the stronger one does (pair scores are symmetric: a property test proves it)
    swapped = pl.col("__swap")
    p = p.with_columns(
        pl.when(swapped)
        .then(pl.max_horizontal("__lvl_first", "__lvl_last"))
        .otherwise(pl.col("__lvl_first"))
        .alias("lvl_first_name"),
        pl.when(swapped)
        .then(pl.min_horizontal("__lvl_first", "__lvl_last"))
        .otherwise(pl.col("__lvl_last"))
        .alias("lvl_last_name"),
        pl.when(swapped)
        .then(pl.max_horizontal("__jw_first", "__jw_last"))
        .otherwise(pl.col("__jw_first"))
        .alias("__jw_first"),
        pl.when(swapped)
        .then(pl.min_horizontal("__jw_first", "__jw_last"))
        .otherwise(pl.col("__jw_last"))
        .alias("__jw_last"),
    )
    # a personal identifier both records hold: one e-mail address, or one valid mobile
    shared_personal = (pl.col("lvl_email") == 2) | (
        pl.col("mobile_ok_a") & pl.col("mobile_ok_b") & (pl.col("mobile_a") == pl.col("mobile_b"))
    ).fill_null(False)
    months_apart = ((da - db).dt.total_days().abs() <= BIRTH_DATE_SLIP_DAYS).fill_null(False)
    p = p.with_columns(
        # twins and parents never share an ID number, nor have numbers one typo apart (the check digit catches
        # every single-digit typo, so such a pair is one number typed twice): a different birth date under them is
        # a typing error too; so is one weeks or months off on records that share an e-mail or a mobile (a
        # grandfather and grandson of one name, decades apart, stay two people whatever they share)
        ((pl.col("lvl_birth_date") == 0) & (pl.col("lvl_national_id") < 1) & ~(months_apart & shared_personal)).alias(
            "rule_birth_dates"
        ),
        # twins, siblings, a parent and child: one last name, birth date or address, but two first names and no
        # ID number or e-mail of one person
        ((pl.col("lvl_first_name") == 0) & (pl.col("lvl_national_id") < 1) & (pl.col("lvl_email") < 2)).alias(
            "rule_first_names"
        ),
        (
            (pl.col("__shared_phone") | pl.col("__same_address"))
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
        *[f"rule_{rule}" for rule in HARD_RULES],  # the names the rules file gives them
    ]
    return p.select(keep).with_columns([pl.col(f"lvl_{c}").cast(pl.Int8) for c in COMPARISONS])
