"""Localities and zip codes.

Every spelling of a locality maps to one canonical name and its district: an exact match on a folded key first
(the reference's names and aliases, plus the rules' abbreviations such as ``ת"א`` and renames such as
``נצרת עילית`` -> ``נוף הגליל``), then rapidfuzz over the distinct unmatched values in one multi-threaded batch.
The score goes to the ledger; unknown places are kept as they were and flagged.

The packaged reference comes from GeoNames (see ``reference/localities.csv``); point the rules at the official
CBS localities spreadsheet (``places.cbs_file``) to get CBS names and locality codes instead.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process

from pipeline import ledger as ledger_
from pipeline.checks import check
from pipeline.errors import RulesError
from pipeline.fields.outcome import FieldOutcome

check("city-normalised", "info", "normalised", "Locality written in its canonical form", "{field} {before} is {after}")
check("city-fuzzy-matched", "info", "fixed", "Locality matched by similarity", "{field} {before} looks like {after}")
check("city-unknown", "warning", "flagged", "Unknown locality", "{field} {before} is not a known Israeli locality")
check(
    "zip-leading-zero-restored",
    "info",
    "fixed",
    "Zip code's leading zero restored",
    "{field} {before} had lost its leading zero",
)
check("zip-normalised", "info", "normalised", "Zip code written as 7 digits", "{field} {before} written as {after}")
check(
    "zip-legacy-5-digit",
    "warning",
    "flagged",
    "Legacy 5-digit zip code",
    "{field} {before} is a 5-digit code from before 2013; it cannot be converted without the address",
)
check("zip-invalid", "warning", "flagged", "Zip code is not valid", "{field} {before} is not a 7-digit zip code")

_MARKS = re.compile("[\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7]")
_PUNCT = re.compile(r"[\-_–—־,.()]+")
_QUOTES = str.maketrans({"״": '"', "”": '"', "“": '"', "׳": "'", "’": "'", "`": "'", "´": "'"})


def place_key(text: str) -> str:
    """``'ת״א-יפו '`` -> ``'ת"ה יפו'``: niqqud, quote look-alikes, hyphens, case, spacing and the spelling
    variants of Hebrew (doubled vav/yod, final alef/he) folded. Only ever compared with other keys."""
    text = _MARKS.sub("", unicodedata.normalize("NFC", text)).translate(_QUOTES).replace("''", '"')
    text = " ".join(_PUNCT.sub(" ", text).lower().split())
    # Hebrew spelling variants are one key: קריית/קרית, תקווה/תקוה, and a final alef or he (חיפא/חיפה)
    return re.sub(r"א(?=\s|$)", "ה", text.replace("יי", "י").replace("וו", "ו"))


@dataclass(frozen=True)
class Gazetteer:
    names: tuple[str, ...]  # canonical name per entry
    districts: tuple[str | None, ...]
    codes: tuple[str | None, ...]
    index: Mapping[str, int]  # folded key -> entry


def _gazetteer_from(table: pl.DataFrame, aliases: Mapping[str, str]) -> Gazetteer:
    names, districts, codes = [], [], []
    index: dict[str, int] = {}
    for i, row in enumerate(table.iter_rows(named=True)):
        names.append(row["name"])
        districts.append(row.get("district"))
        codes.append(row.get("code"))
        for key in [row["name"], *((row.get("aliases") or "").split("|"))]:
            if key:
                index.setdefault(place_key(key), i)  # rows are by population: the larger place keeps a key
    for alias, target in aliases.items():
        entry = index.get(place_key(target))
        if entry is None:
            names.append(target)
            districts.append(None)
            codes.append(None)
            entry = len(names) - 1
            index[place_key(target)] = entry
        index[place_key(alias)] = entry
    return Gazetteer(tuple(names), tuple(districts), tuple(codes), index)


@functools.lru_cache(maxsize=4)
def _reference_table() -> pl.DataFrame:
    text = resources.files("pipeline.reference").joinpath("localities.csv").read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return pl.read_csv(body.encode(), infer_schema=False).with_columns(pl.lit(None, pl.String).alias("code"))


def _cbs_table(path: str) -> pl.DataFrame:
    """The CBS localities spreadsheet (bycode<year>.xlsx): name, code and district columns found by header."""
    import fastexcel

    from pipeline.mapping import header_key

    try:
        sheet = fastexcel.read_excel(path).load_sheet(0, dtypes="string").to_polars()
    except Exception as exc:
        raise RulesError(
            [f"places.cbs_file cannot be read as a CBS localities spreadsheet ({exc})"], path=path
        ) from exc
    by_key = {header_key(c).replace(" ", ""): c for c in sheet.columns}
    name = next((by_key[k] for k in ("שםיישוב", "שםישוב") if k in by_key), None)
    code = next((by_key[k] for k in ("סמליישוב", "סמלישוב") if k in by_key), None)
    district = next((by_key[k] for k in ("מחוז", "שםמחוז") if k in by_key), None)
    if name is None:
        raise RulesError(["places.cbs_file has no 'שם יישוב' column"], path=path)
    return sheet.select(
        pl.col(name).str.strip_chars().alias("name"),
        (pl.col(district) if district else pl.lit(None, pl.String)).alias("district"),
        (pl.col(code) if code else pl.lit(None, pl.String)).alias("code"),
        pl.lit(None, pl.String).alias("aliases"),
    ).filter(pl.col("name").is_not_null())


def gazetteer(*, aliases: Mapping[str, str], cbs_file: str | None = None) -> Gazetteer:
    table = _cbs_table(cbs_file) if cbs_file else _reference_table()
    if cbs_file and not Path(cbs_file).exists():
        raise RulesError(["places.cbs_file does not exist"], path=cbs_file)
    return _gazetteer_from(table, aliases)


def match_places(values: list[str], gaz: Gazetteer, *, threshold: float) -> list[tuple[int | None, float]]:
    """(entry, score) for each distinct value: exact key, else the best rapidfuzz match at or above threshold."""
    keys = [place_key(v) for v in values]
    found: list[tuple[int | None, float]] = [(gaz.index.get(k), 100.0) for k in keys]
    todo = [i for i, (entry, _) in enumerate(found) if entry is None and len(keys[i]) >= 3]
    if todo:
        choices = list(gaz.index)
        scores = process.cdist(
            [keys[i] for i in todo], choices, scorer=fuzz.ratio, workers=-1, score_cutoff=threshold, dtype=np.uint8
        )
        best = scores.argmax(axis=1)
        for row, i in enumerate(todo):
            score = float(scores[row, best[row]])
            found[i] = (gaz.index[choices[best[row]]], score) if score >= threshold else (None, 0.0)
    return [(e, s) if e is not None else (None, 0.0) for e, s in found]


def clean_city(frame: pl.DataFrame, /, *, gaz: Gazetteer, threshold: float) -> FieldOutcome:
    """``city`` -> canonical name, plus ``city_district`` and ``city_code`` (CBS code when a CBS file is used)."""
    raw = frame.get_column("city")
    distinct = raw.drop_nulls().unique(maintain_order=True)
    matches = match_places(distinct.to_list(), gaz, threshold=threshold)
    table = pl.DataFrame(
        {
            "raw": distinct,
            "canonical": [gaz.names[e] if e is not None else None for e, _ in matches],
            "district": [gaz.districts[e] if e is not None else None for e, _ in matches],
            "code": [gaz.codes[e] if e is not None else None for e, _ in matches],
            "score": [s for _, s in matches],
        },
        schema={
            "raw": pl.String,
            "canonical": pl.String,
            "district": pl.String,
            "code": pl.String,
            "score": pl.Float64,
        },
    )
    work = frame.select("source_row", pl.col("city").alias("raw")).join(
        table, on="raw", how="left", maintain_order="left"
    )
    exact = pl.col("score") == 100.0
    flags = {
        "city-normalised": pl.col("canonical").is_not_null() & exact & (pl.col("canonical") != pl.col("raw")),
        "city-fuzzy-matched": pl.col("canonical").is_not_null() & ~exact,
        "city-unknown": pl.col("raw").is_not_null() & pl.col("canonical").is_null(),
    }
    after = (
        pl.when(pl.col("score") < 100)
        .then(pl.format("{} ({})", pl.col("canonical"), pl.col("score").round(0).cast(pl.Int32)))
        .otherwise(pl.col("canonical"))
    )
    entries = ledger_.from_flags(work, field="city", flags=flags, before=pl.col("raw"), after=after)
    value = work.select(pl.coalesce("canonical", "raw")).to_series()
    return FieldOutcome(
        columns={"city": value, "city_district": work.get_column("district"), "city_code": work.get_column("code")},
        entries=entries,
    )


def clean_zip(frame: pl.DataFrame, /) -> FieldOutcome:
    raw = pl.col("zip")
    digits = raw.str.replace_all(r"[\s\-]", "").str.replace(r"\.0+$", "")
    work = frame.select("source_row", raw.alias("raw"), digits.alias("digits"))
    d = pl.col("digits")
    value = (
        pl.when(d.str.contains(r"^\d{7}$"))
        .then(d)
        .when(d.str.contains(r"^\d{6}$"))
        .then(pl.lit("0") + d)
        .otherwise(pl.col("raw"))
    )
    work = work.with_columns(value.alias("value"))
    flags = {
        "zip-leading-zero-restored": d.str.contains(r"^\d{6}$"),
        "zip-normalised": d.str.contains(r"^\d{7}$") & (d != pl.col("raw")),
        "zip-legacy-5-digit": d.str.contains(r"^\d{5}$"),
        "zip-invalid": pl.col("raw").is_not_null() & ~d.str.contains(r"^\d{5,7}$"),
    }
    entries = ledger_.from_flags(work, field="zip", flags=flags, before=pl.col("raw"), after=pl.col("value"))
    return FieldOutcome(columns={"zip": work.get_column("value")}, entries=entries)
