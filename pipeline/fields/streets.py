"""Streets, checked against the official streets of their own locality (data.gov.il's list, by CBS code).

The house number is split off first (``הרצל 12א`` -> ``הרצל`` and ``12א``, unless the whole text is itself a
street of the locality), then the street is looked up with the prefixes people add or leave out (``רח'``,
``רחוב``, ``שד'``, ``שדרות``) ignored on both sides, and typos are fixed only within that locality's list
(rapidfuzz): a typo is never "fixed" into a street of another town. Per-value work runs once per distinct
(locality, street name) pair, and typos are matched in one rapidfuzz batch per locality: a file of a million rows
holds a few thousand pairs.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

import polars as pl
from rapidfuzz import fuzz, process

from pipeline import ledger as ledger_
from pipeline.checks import check
from pipeline.fields.outcome import FieldOutcome, on_matching
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

check(
    "street-flat-removed",
    "info",
    "fixed",
    "Flat or floor taken out of the street",
    "{field} {before}: {after} is a flat, floor or entrance, not the house number; left out",
)
check(
    "street-po-box",
    "warning",
    "flagged",
    "A PO box, not a street address",
    "{field} {before} holds a PO box ({after}); it is not split into a street and a house number",
)

# after a house number: the flat, floor or entrance ("הרצל 12 דירה 4", "הרצל 12, ד' 4", "Herzl St 12, Apt 4"), which
# was taken for the house number
FLAT = (
    r"(?i)^(?<rest>.*\d[א-ת]?['׳]?)[\s,]+(?<flat>(?:דירה|דיר['׳]|ד['׳]|קומה|ק['׳]|כניסה|כנ['׳]|apt\.?|apartment|flat"
    r"|floor|fl\.|unit|suite)\s*\d{1,4}\s*[א-תa-z]?['׳]?)\s*$"
)
# a PO box, alone or after a street: ת.ד. 555, ת"ד 555, תא דואר 555, P.O. Box 555
PO_BOX = r"(?i)^(?<rest>.*?)[\s,]*(?<box>(?:ת\s?\.?\s?ד\s?\.?|ת[\"״']{1,2}ד|תא\s+דואר|p\.?\s?o\.?\s?box)\s*\d{1,6})\s*$"

# cheap tests for the values that may hold a PO box or a flat (the full patterns run only on those)
_MAYBE_PO_BOX = r"ת[\s.\"״']{0,3}ד|דואר|(?i:box)"
_MAYBE_FLAT = r"דיר|ד['׳]|קומה|ק['׳]|כניס|כנ['׳]|(?i:apt|apartment|flat|floor|fl\.|unit|suite)"


def _groups(values: pl.Series, pattern: str, names: dict[str, str]) -> pl.DataFrame:
    """The named groups of ``pattern`` in each value, under ``names`` (null where it does not match)."""
    found = values.to_frame("v").select(pl.col("v").str.extract_groups(pattern).alias("g"))
    return found.select(*[pl.col("g").struct.field(group).alias(name) for group, name in names.items()])


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


@functools.lru_cache(maxsize=1)
def _numbered_localities() -> list[str]:
    """Localities with a street whose official name ends in a number (דרך 443): only there can a street and house
    number written together be one street's name."""
    numbered = _streets_table().filter(pl.col("street").str.contains(r"\d\s*$"))
    return [str(c) for c in numbered.get_column("locality_code").unique().to_list()]


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


def _lookup(streets: LocalityStreets, text: str) -> int | None:
    for key in (street_key(text), place_key(text)):
        if key in streets.index:
            return streets.index[key]
    return None


def _match_locality(code: str, names: list[str], threshold: float) -> list[tuple[str | None, str | None, str]]:
    """(official name, street code, status) of each distinct street name of one locality: exact key, else the
    best rapidfuzz match among that locality's streets (one batch per locality)."""
    streets = locality_streets(code)
    if streets is None:
        return [(None, None, "unknown")] * len(names)
    found: list[tuple[str | None, str | None, str]] = []
    todo: list[int] = []
    for n, name in enumerate(names):
        i = _lookup(streets, name)
        if i is None:
            todo.append(n)
            found.append((None, None, "unknown"))
        else:
            found.append((streets.names[i], streets.codes[i], "known"))
    todo = [n for n in todo if len(street_key(names[n])) >= 3]
    if todo:
        choices = list(streets.index)
        scores = process.cdist(
            [street_key(names[n]) for n in todo], choices, scorer=fuzz.ratio, score_cutoff=threshold, workers=-1
        )
        best = scores.argmax(axis=1)
        for row, n in enumerate(todo):
            if scores[row, best[row]] >= threshold:
                i = streets.index[choices[best[row]]]
                found[n] = (streets.names[i], streets.codes[i], "fixed")
    return found


def _match_pairs(pairs: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """Distinct (city_code, name) pairs -> official, street_code, status; per locality, in batches."""
    rows: list[tuple[str, str, str | None, str | None, str]] = []
    for (code,), group in pairs.group_by("city_code", maintain_order=True):
        names = group.get_column("name").to_list()
        rows += [(code, n, *f) for n, f in zip(names, _match_locality(str(code), names, threshold), strict=True)]
    schema = {c: pl.String for c in ("city_code", "name", "official", "street_code", "status")}
    return pl.DataFrame(rows, schema=schema, orient="row")


def clean_streets(frame: pl.DataFrame, /, *, city_codes: pl.Series, threshold: float) -> FieldOutcome:
    """``street`` -> its official name in its locality (``city_codes``: the CBS code per row, from ``clean_city``),
    with ``street_code`` and ``street_status`` (known / fixed / unknown); a house number written in the street
    goes to ``house_number`` when that is empty."""
    raw = pl.col("street")
    texts = frame.get_column("street").str.strip_chars()
    # a PO box alone is left as written; after a street it is taken off, and the street is read without it. Both it
    # and a flat are rare: only the values that may hold one are parsed for it (on a million streets, 1.4 s)
    boxed = on_matching(texts, _MAYBE_PO_BOX, lambda few: _groups(few, PO_BOX, {"rest": "box_rest", "box": "box"}))
    text = pl.when(pl.col("box").is_not_null()).then(pl.col("box_rest").str.strip_chars()).otherwise(pl.col("text"))
    staged = frame.select("source_row", texts.alias("text")).with_columns(boxed)
    staged = staged.with_columns(pl.when(text == "").then(None).otherwise(text).alias("text"))
    flat = on_matching(
        staged.get_column("text"), _MAYBE_FLAT, lambda few: _groups(few, FLAT, {"rest": "flat_rest", "flat": "flat"})
    )
    staged = staged.with_columns(flat).with_columns(pl.coalesce("flat_rest", "text").alias("text"))
    parts = pl.col("text").str.extract_groups(HOUSE)
    work = (
        frame.with_columns(staged.select("box", "flat", "text"))
        .select(
            "source_row",
            raw.alias("raw"),
            "box",
            "flat",
            "text",
            pl.col("house_number").alias("house_in"),
            city_codes.alias("city_code"),
            parts.struct.field("name").alias("name"),
            parts.struct.field("number").str.replace_all(r"\s", "").alias("number"),
        )
        .with_columns(pl.coalesce("name", "text").alias("name"))
    )
    located = pl.col("city_code").is_not_null() & pl.col("name").is_not_null()
    pairs = work.filter(located).select("city_code", "name").unique(maintain_order=True)
    work = work.join(_match_pairs(pairs, threshold), on=["city_code", "name"], how="left", maintain_order="left")
    # a street whose own name ends in a number (דרך 443): the whole text, looked up as written (exact only)
    numbered = pl.col("city_code").is_in(_numbered_localities())
    wholes = work.filter(located & pl.col("number").is_not_null() & numbered).select("city_code", "raw").unique()
    whole_found = []
    for code, raw_value in wholes.iter_rows():
        streets = locality_streets(code)
        i = _lookup(streets, raw_value) if streets is not None else None
        whole_found.append(
            (streets.names[i], streets.codes[i]) if streets is not None and i is not None else (None, None)
        )
    wholes = wholes.with_columns(
        pl.Series("whole_official", [w[0] for w in whole_found], dtype=pl.String),
        pl.Series("whole_code", [w[1] for w in whole_found], dtype=pl.String),
    )
    work = work.join(wholes, on=["city_code", "raw"], how="left", maintain_order="left").with_columns(
        pl.coalesce("whole_official", "official").alias("official"),
        pl.coalesce("whole_code", "street_code").alias("street_code"),
        pl.when(pl.col("whole_official").is_not_null()).then(pl.lit("known")).otherwise("status").alias("status"),
    )
    split = pl.col("number").is_not_null() & pl.col("whole_official").is_null()
    work = work.with_columns(split.fill_null(False).alias("split"))
    street = pl.coalesce("official", pl.when(pl.col("split")).then(pl.col("name")).otherwise(pl.col("raw")))
    house = pl.when(pl.col("split") & pl.col("house_in").is_null()).then(pl.col("number")).otherwise("house_in")
    status = pl.when(pl.col("raw").is_not_null()).then(pl.col("status").fill_null("unknown"))
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
    parts_out = [
        ledger_.from_flags(
            work, field="street", flags={code: pl.col(part).is_not_null()}, before=pl.col("raw"), after=pl.col(part)
        )
        for code, part in (("street-flat-removed", "flat"), ("street-po-box", "box"))
    ]
    return FieldOutcome(
        columns={
            "street": work.get_column("value"),
            "street_code": work.get_column("street_code"),
            "street_status": work.get_column("status"),
            "house_number": work.get_column("house"),
        },
        entries=pl.concat([e for e in (entries, moved, *parts_out) if e.height] or [entries]),
    )
