"""Streets, checked against the official streets of their own locality (data.gov.il's list, by CBS code).

The house number is split off first (``הרצל 12א`` -> ``הרצל`` and ``12א``, unless the whole text is itself a
street of the locality), then the street is looked up with the prefixes people add or leave out (``רח'``,
``רחוב``, ``שד'``, ``שדרות``) ignored on both sides, and typos are fixed only within that locality's list
(rapidfuzz): a typo is never "fixed" into a street of another town. Per-value work runs once per distinct
(locality, street) pair: a file of a million rows holds a few thousand.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

import polars as pl
from rapidfuzz import fuzz, process

from pipeline import ledger as ledger_
from pipeline.catalogue import check
from pipeline.fields.outcome import FieldOutcome
from pipeline.fields.places import place_key

check(
    "street-normalised",
    "info",
    "normalised",
    "Street written in its official form",
    "{field} {before} is {after} in its locality's street list",
)
check(
    "street-fuzzy-matched",
    "info",
    "fixed",
    "Street typo fixed within its locality",
    "{field} {before} looks like {after}, a street of the same locality",
)
check(
    "street-unknown",
    "info",
    "flagged",
    "Street not in its locality's list",
    "{field} {before} is not a street of the member's locality",
)
check(
    "street-house-number-split",
    "info",
    "fixed",
    "House number taken out of the street",
    "{field} {before}: the house number {after} moved to house_number",
)

PREFIX = re.compile(r"^(?:רחוב|רח['׳.]?|שדרות|שד['׳.]?|sderot|rehov|st\.?)\s+", re.IGNORECASE)
# "הרצל 12א", "הרצל 12 א'", "הרצל, 12/3": a name, then a house number (digits, an optional letter, an optional flat)
HOUSE = r"^(?<name>.*?[^\d\s,])[\s,]+(?<number>\d{1,4}\s?[א-ת]?['׳]?(?:\s?/\s?\d{1,4})?)$"
STATUSES = ("known", "fixed", "unknown")


@dataclass(frozen=True)
class LocalityStreets:
    names: tuple[str, ...]
    codes: tuple[str, ...]
    index: dict[str, int]  # street key (with and without its prefix) -> position


def street_key(text: str) -> str:
    """``'רח' הרצל'`` and ``'הרצל'`` are one key; ``'שדרות רוטשילד'`` and ``'שד' רוטשילד'`` too."""
    return place_key(PREFIX.sub("", text.strip()))


@functools.lru_cache(maxsize=1)
def _streets_table() -> pl.DataFrame:
    with resources.files("pipeline.reference").joinpath("streets.parquet").open("rb") as handle:
        return pl.read_parquet(handle)


@functools.lru_cache(maxsize=4096)
def locality_streets(code: str) -> LocalityStreets | None:
    """The official streets of one locality (CBS code), or None when the list has none for it."""
    if not code.isdigit():
        return None
    rows = _streets_table().filter(pl.col("locality_code") == int(code))
    if rows.height == 0:
        return None
    names = tuple(rows.get_column("street").to_list())
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        for key in (place_key(name), street_key(name)):
            if key:
                index.setdefault(key, i)
    return LocalityStreets(names, tuple(str(c) for c in rows.get_column("street_code").to_list()), index)


def _match(code: str | None, name: str, whole: str, threshold: float) -> tuple[str | None, str | None, str]:
    """(official name, street code, status) of one distinct (locality, street) pair."""
    streets = locality_streets(code) if code else None
    if streets is None:
        return None, None, "unknown"
    for text in (whole, name):
        for key in (street_key(text), place_key(text)):
            if key in streets.index:
                i = streets.index[key]
                return streets.names[i], streets.codes[i], "known"
    key = street_key(name)
    if len(key) >= 3:
        best = process.extractOne(key, list(streets.index), scorer=fuzz.ratio, score_cutoff=threshold)
        if best is not None:
            i = streets.index[best[0]]
            return streets.names[i], streets.codes[i], "fixed"
    return None, None, "unknown"


def clean_streets(frame: pl.DataFrame, /, *, city_codes: pl.Series, threshold: float) -> FieldOutcome:
    """``street`` -> its official name in its locality (``city_codes``: the CBS code per row, from ``clean_city``),
    with ``street_code`` and ``street_status`` (known / fixed / unknown); a house number written in the street
    goes to ``house_number`` when that is empty."""
    raw = pl.col("street")
    parts = raw.str.strip_chars().str.extract_groups(HOUSE)
    work = frame.select(
        "source_row",
        raw.alias("raw"),
        pl.col("house_number").alias("house_in"),
        city_codes.alias("city_code"),
        parts.struct.field("name").alias("name"),
        parts.struct.field("number").str.replace_all(r"\s", "").alias("number"),
    ).with_columns(pl.coalesce("name", pl.col("raw").str.strip_chars()).alias("name"))
    pairs = work.select("city_code", "raw", "name").filter(pl.col("raw").is_not_null()).unique(maintain_order=True)
    found = [
        _match(code, name, raw_value.strip(), threshold)
        for code, raw_value, name in pairs.iter_rows()  # once per distinct (locality, street)
    ]
    table = pairs.with_columns(
        pl.Series("official", [f[0] for f in found], dtype=pl.String),
        pl.Series("street_code", [f[1] for f in found], dtype=pl.String),
        pl.Series("status", [f[2] for f in found], dtype=pl.String),
    )
    work = work.join(table, on=["city_code", "raw", "name"], how="left", maintain_order="left", nulls_equal=True)
    # a street whose official name ends in a number (דרך 443) is not split
    split = pl.col("number").is_not_null() & ~(
        pl.col("official").is_not_null()
        & (pl.col("official").str.replace_all(r"\s", "") == pl.col("raw").str.replace_all(r"\s", ""))
    )
    work = work.with_columns(split.fill_null(False).alias("split"))
    street = pl.coalesce("official", pl.when(pl.col("split")).then(pl.col("name")).otherwise(pl.col("raw")))
    house = pl.when(pl.col("split") & pl.col("house_in").is_null()).then(pl.col("number")).otherwise("house_in")
    status = pl.when(pl.col("raw").is_not_null()).then(pl.col("status"))
    work = work.with_columns(street.alias("value"), house.alias("house"), status.alias("status"))
    flags = {
        "street-normalised": (pl.col("status") == "known") & (pl.col("value") != pl.col("raw")) & ~pl.col("split"),
        "street-fuzzy-matched": pl.col("status") == "fixed",
        "street-unknown": (pl.col("status") == "unknown") & pl.col("city_code").is_not_null(),
    }
    entries = ledger_.from_flags(work, field="street", flags=flags, before=pl.col("raw"), after=pl.col("value"))
    moved = ledger_.from_flags(
        work,
        field="street",
        flags={"street-house-number-split": pl.col("split")},
        before=pl.col("raw"),
        after=pl.col("number"),
    )
    return FieldOutcome(
        columns={
            "street": work.get_column("value"),
            "street_code": work.get_column("street_code"),
            "street_status": work.get_column("status"),
            "house_number": work.get_column("house"),
        },
        entries=pl.concat([entries, moved]) if moved.height else entries,
    )
