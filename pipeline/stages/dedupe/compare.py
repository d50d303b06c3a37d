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

from typing import Any

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein

from pipeline.fields.ids import nine_digits
from pipeline.stages.dedupe.names import given_name_table, skeletons

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
SIDE_COLUMNS = (
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
    "email_status",
    "national_id",
    "national_id_status",
    "city",
    "street",
    "house_number",
    "zip",
)


def _name_facts(records: pl.DataFrame) -> pl.DataFrame:
    """Per distinct name key: canonical given names and consonant skeletons."""
    table = given_name_table()
    names = pl.concat(
        [
            records.select(pl.col("first_name_key").alias("key"), pl.col("first_name").alias("name")),
            records.select(pl.col("last_name_key").alias("key"), pl.col("last_name").alias("name")),
        ]
    )
    distinct = names.drop_nulls("key").unique("key")
    canon = table.group_by("key").agg(pl.col("canonical").alias("canon"))
    return (
        distinct.join(canon, on="key", how="left")
        .with_columns(
            pl.col("name").map_elements(lambda v: list(skeletons(v)), return_dtype=pl.List(pl.String)).alias("skel"),
            pl.col("canon").fill_null([]),
        )
        .select("key", "canon", "skel")
    )


def _pairwise(a: pl.Series, b: pl.Series, scorer: Any) -> np.ndarray:
    """``scorer(a[k], b[k])`` for every k (nulls as ""), each distinct pair of different values scored once.

    Turning millions of strings into Python objects for rapidfuzz costs more than the scoring, so only what needs
    scoring crosses over: equal values get the scorer's own answer for a value against itself, and candidate pairs
    repeat value pairs heavily (most share a name or a city), so each distinct pair is scored once.
    """
    frame = pl.DataFrame({"a": a.fill_null(""), "b": b.fill_null("")}).with_row_index("k")
    differ = frame.filter(pl.col("a") != pl.col("b"))
    same = process.cpdist(["x"], ["x"], scorer=scorer)[0]
    out = np.full(frame.height, same, dtype=float)
    if differ.height == 0:
        return out
    score = lambda x, y: process.cpdist(x.to_list(), y.to_list(), scorer=scorer, workers=-1)  # noqa: E731
    distinct = differ.select("a", "b").unique()
    if distinct.height * 2 > differ.height:  # little repetition: a join would cost more than it saves
        values = score(differ.get_column("a"), differ.get_column("b"))
    else:
        scored = distinct.with_columns(pl.Series("s", score(distinct.get_column("a"), distinct.get_column("b"))))
        values = differ.join(scored, on=["a", "b"], how="left", maintain_order="left").get_column("s").to_numpy()
    out[differ.get_column("k").to_numpy()] = values
    return out


def sides(records: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """The pair frame with ``_a`` and ``_b`` copies of every column the comparisons use."""
    cols = [c for c in SIDE_COLUMNS if c in records.columns]
    side = records.select("__i", *cols)
    if "national_id" in cols:
        side = side.with_columns(nine_digits(pl.col("national_id")))
    out = pairs.join(side.rename({c: f"{c}_a" for c in cols}), left_on="i", right_on="__i", how="left")
    return out.join(side.rename({c: f"{c}_b" for c in cols}), left_on="j", right_on="__i", how="left")


CHUNK_PAIRS = 250_000


def compare(records: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """Pairs with one ``lvl_<field>`` column per comparison, plus the facts the hard rules need.

    Pairs are compared in chunks: each chunk's wide working frame (both sides of every pair) is dropped before
    the next, so memory is bounded by the chunk, not by the number of pairs.
    """
    facts = _name_facts(records)
    if pairs.height <= CHUNK_PAIRS:
        return _compare(records, pairs, facts)
    return pl.concat([_compare(records, chunk, facts) for chunk in pairs.iter_slices(CHUNK_PAIRS)])


def _compare(records: pl.DataFrame, pairs: pl.DataFrame, facts: pl.DataFrame) -> pl.DataFrame:
    p = sides(records, pairs)
    for side in ("a", "b"):
        for part in ("first", "last"):
            p = p.join(
                facts.rename(
                    {"key": f"{part}_name_key_{side}", "canon": f"{part}_canon_{side}", "skel": f"{part}_skel_{side}"}
                ),
                on=f"{part}_name_key_{side}",
                how="left",
            )
    jw = JaroWinkler.normalized_similarity
    f_ab = _pairwise(p["first_name_key_a"], p["first_name_key_b"], jw)
    l_ab = _pairwise(p["last_name_key_a"], p["last_name_key_b"], jw)
    f_x = _pairwise(p["first_name_key_a"], p["last_name_key_b"], jw)
    l_x = _pairwise(p["last_name_key_a"], p["first_name_key_b"], jw)

    # the better orientation, counting a nickname or transliteration as a full match (Jaro-Winkler cannot see
    # that "Shira Berger" is "ברגר שירה" swapped)
    def equivalent(a: str, b: str) -> pl.Expr:
        hits = [
            pl.col(f"{a}_{what}_a").list.set_intersection(pl.col(f"{b}_{what}_b")).list.len() > 0
            for what in ("skel", "canon")
        ]
        return pl.any_horizontal(hits).fill_null(False).cast(pl.Float64)

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

    def other(part: str, what: str) -> pl.Expr:  # the b-side value compared with a-side `part`, after a swap
        flip = "last" if part == "first" else "first"
        return pl.when(pl.col("__swap")).then(pl.col(f"{flip}_{what}_b")).otherwise(pl.col(f"{part}_{what}_b"))

    def name_level(part: str) -> pl.Expr:
        a_key, b_key = pl.col(f"{part}_name_key_a"), other(part, "name_key")
        shared = lambda what: pl.col(f"{part}_{what}_a").list.set_intersection(other(part, what)).list.len() > 0  # noqa: E731
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
    ds_a, ds_b = da.dt.strftime("%Y%m%d"), db.dt.strftime("%Y%m%d")
    date_typo = (
        (da.dt.day() == db.dt.month()) & (da.dt.month() == db.dt.day()) & (da.dt.year() == db.dt.year())
    ) | pl.Series("__d1", _pairwise(p.select(ds_a).to_series(), p.select(ds_b).to_series(), Levenshtein.distance) <= 1)
    valid = lambda c: (pl.col(c) == "valid").fill_null(False)  # noqa: E731
    phones_a = [
        pl.when(valid("phone_mobile_status_a")).then(pl.col("phone_mobile_a")),
        pl.when(valid("phone_other_status_a")).then(pl.col("phone_other_a")),
    ]
    phones_b = [
        pl.when(valid("phone_mobile_status_b")).then(pl.col("phone_mobile_b")),
        pl.when(valid("phone_other_status_b")).then(pl.col("phone_other_b")),
    ]
    shared_phone = pl.any_horizontal([(x == y).fill_null(False) for x in phones_a for y in phones_b])
    any_phone = pl.any_horizontal([x.is_not_null() for x in phones_a]) & pl.any_horizontal(
        [y.is_not_null() for y in phones_b]
    )
    mobile_off = _pairwise(p["phone_mobile_a"], p["phone_mobile_b"], Levenshtein.distance) == 1
    email_a, email_b = pl.col("email_a").str.to_lowercase(), pl.col("email_b").str.to_lowercase()
    email_jw = _pairwise(p["email_a"].str.to_lowercase(), p["email_b"].str.to_lowercase(), jw)
    id_close = _pairwise(p["national_id_a"], p["national_id_b"], OSA.distance) <= 1
    street_sim = _pairwise(p["street_a"], p["street_b"], fuzz.token_set_ratio)
    zip_close = _pairwise(p["zip_a"], p["zip_b"], OSA.distance) <= 1
    p = p.with_columns(
        pl.Series("__mobile_off", mobile_off),
        pl.Series("__email_jw", email_jw),
        pl.Series("__id_close", id_close),
        pl.Series("__street", street_sim),
        pl.Series("__zip_close", zip_close),
    )
    p = p.with_columns(
        name_level("first").alias("__lvl_first"),
        name_level("last").alias("__lvl_last"),
        pl.when(da.is_null() | db.is_null())
        .then(-1)
        .when(da == db)
        .then(2)
        .when(date_typo)
        .then(1)
        .otherwise(0)
        .alias("lvl_birth_date"),
        pl.when(~any_phone)
        .then(-1)
        .when(shared_phone)
        .then(2)
        .when(pl.col("__mobile_off") & valid("phone_mobile_status_a") & valid("phone_mobile_status_b"))
        .then(1)
        .otherwise(0)
        .alias("lvl_phone"),
        pl.when(email_a.is_null() | email_b.is_null())
        .then(-1)
        .when(email_a == email_b)
        .then(2)
        .when((email_a.str.extract(r"^([^@]+)@") == email_b.str.extract(r"^([^@]+)@")) | (pl.col("__email_jw") >= 0.9))
        .then(1)
        .otherwise(0)
        .alias("lvl_email"),
        pl.when(
            pl.col("national_id_a").is_null()
            | pl.col("national_id_b").is_null()
            | pl.col("national_id_status_a").is_in(["fake", "too_short", "not_a_number"]).fill_null(False)
            | pl.col("national_id_status_b").is_in(["fake", "too_short", "not_a_number"]).fill_null(False)
        )
        .then(-1)
        .when(pl.col("national_id_a") == pl.col("national_id_b"))
        .then(2)
        .when(pl.col("__id_close"))
        .then(1)
        .otherwise(0)
        .alias("lvl_national_id"),
        pl.when(pl.col("city_a").is_null() | pl.col("city_b").is_null())
        .then(-1)
        .when(pl.col("city_a") == pl.col("city_b"))
        .then(1)
        .otherwise(0)
        .alias("lvl_city"),
        pl.when(pl.col("street_a").is_null() | pl.col("street_b").is_null())
        .then(-1)
        .when((pl.col("street_a") == pl.col("street_b")) & (pl.col("house_number_a") == pl.col("house_number_b")))
        .then(2)
        .when(pl.col("__street") >= 90)
        .then(1)
        .otherwise(0)
        .alias("lvl_street"),
        pl.when(pl.col("zip_a").is_null() | pl.col("zip_b").is_null())
        .then(-1)
        .when(pl.col("zip_a") == pl.col("zip_b"))
        .then(2)
        .when(pl.col("__zip_close"))
        .then(1)
        .otherwise(0)
        .alias("lvl_zip"),
        (
            valid("national_id_status_a")
            & valid("national_id_status_b")
            & (pl.col("national_id_a") != pl.col("national_id_b"))
        ).alias("rule_two_ids"),
        shared_phone.alias("__shared_phone"),
        (
            (pl.col("street_a") == pl.col("street_b"))
            & (pl.col("house_number_a") == pl.col("house_number_b"))
            & (pl.col("city_a") == pl.col("city_b"))
        )
        .fill_null(False)
        .alias("__same_address"),
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
    p = p.with_columns(
        # twins and parents never share an ID number, nor have numbers one typo apart (the check digit catches
        # every single-digit typo, so such a pair is one number typed twice): a different birth date under them is
        # a typing error too
        ((pl.col("lvl_birth_date") == 0) & (pl.col("lvl_national_id") < 1)).alias("rule_birth_dates"),
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
        "rule_two_ids",
        "rule_birth_dates",
        "rule_household",
    ]
    return p.select(keep).with_columns([pl.col(f"lvl_{c}").cast(pl.Int8) for c in COMPARISONS])
