"""Localities and zip codes: every spelling to one official name, CBS code and district; legacy zips flagged."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest

from pipeline.errors import RulesError
from pipeline.fields.places import clean_city, clean_zip, gazetteer, place_key
from pipeline.rulefile import load_rules

RULES = load_rules().fields
GAZ = gazetteer(aliases=RULES.places_aliases)


def city(values: list[str | None], gaz=GAZ) -> pl.DataFrame:  # type: ignore[no-untyped-def]
    frame = pl.DataFrame(
        {"source_row": range(2, len(values) + 2), "city": values}, schema={"source_row": pl.Int64, "city": pl.String}
    )
    out = clean_city(frame, gaz=gaz, threshold=RULES.places_fuzzy_threshold)
    checks = out.entries.group_by("source_row").agg(pl.col("check").first())
    return pl.DataFrame(dict(out.columns)).with_columns(frame["source_row"]).join(checks, on="source_row", how="left")


@pytest.mark.parametrize(
    ("raw", "canonical", "district"),
    [
        ("תל אביב - יפו", "תל אביב - יפו", "תל אביב"),
        ("תל אביב", "תל אביב - יפו", "תל אביב"),
        ('ת"א', "תל אביב - יפו", "תל אביב"),
        ("ת״א", "תל אביב - יפו", "תל אביב"),
        ("ת''א", "תל אביב - יפו", "תל אביב"),
        ("תל-אביב יפו", "תל אביב - יפו", "תל אביב"),
        ("Tel Aviv", "תל אביב - יפו", "תל אביב"),
        ("TEL AVIV-YAFO", "תל אביב - יפו", "תל אביב"),
        ("יפו", "תל אביב - יפו", "תל אביב"),
        ("ירושלים", "ירושלים", "ירושלים"),
        ("ירושליים", "ירושלים", "ירושלים"),
        ("י-ם", "ירושלים", "ירושלים"),
        ("Jerusalem", "ירושלים", "ירושלים"),
        ("ירושָׁלַיִם", "ירושלים", "ירושלים"),
        ('ב"ש', "באר שבע", "הדרום"),
        ("באר-שבע", "באר שבע", "הדרום"),
        ("Beersheba", "באר שבע", "הדרום"),
        ('פ"ת', "פתח תקווה", "המרכז"),
        ("פתח תקוה", "פתח תקווה", "המרכז"),
        ("פתח תיקווה", "פתח תקווה", "המרכז"),
        ('ראשל"צ', "ראשון לציון", "המרכז"),
        ("Rishon LeZion", "ראשון לציון", "המרכז"),
        ('ר"ג', "רמת גן", "תל אביב"),
        ('ב"ב', "בני ברק", "תל אביב"),
        ('ק"ש', "קריית שמונה", "הצפון"),
        ("קרית שמונה", "קריית שמונה", "הצפון"),
        ("קרית גת", "קריית גת", "הדרום"),
        ("נצרת עילית", "נוף הגליל", "הצפון"),
        ("נוף הגליל", "נוף הגליל", "הצפון"),
        ("הרצליה", "הרצלייה", "תל אביב"),
        ("חיפא", "חיפה", "חיפה"),
        ("Haifa", "חיפה", "חיפה"),
        ("מודיעין", "מודיעין-מכבים-רעות", "המרכז"),
        ("נהריה", "נהרייה", "הצפון"),
        ("טבריה", "טבריה", "הצפון"),
        ("  חולון ", "חולון", "תל אביב"),
    ],
)
def test_city_spellings(raw: str, canonical: str, district: str) -> None:
    row = city([raw.strip()]).row(0, named=True)
    assert (row["city"], row["city_district"]) == (canonical, district)


SPELLINGS = Path(__file__).parent / "data" / "locality_spellings.csv"


def test_locality_spellings_map_to_their_cbs_code() -> None:
    """>= 200 spellings as members write them (official, variants, English, abbreviations, typos, former names,
    Arab localities' variants), each with the CBS code it means: at least 99% must come out right, and a miss
    must be "unknown", never another place."""
    with SPELLINGS.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 200
    out = city([r["spelling"] for r in rows])
    got = out.get_column("city_code").to_list()
    misses = [(r["spelling"], r["code"], g) for g, r in zip(got, rows, strict=True) if g != r["code"]]
    assert 1 - len(misses) / len(rows) >= 0.99, misses
    wrong_place = [(r["spelling"], g) for g, r in zip(got, rows, strict=True) if g is not None and g != r["code"]]
    assert wrong_place == []


@pytest.mark.parametrize(
    ("raw", "code", "name"),
    [
        ("ביתר עילית", "3780", "ביתר עילית"),  # not in GeoNames
        ("שפרעמ", "8800", "שפרעם"),  # a regular mem at the end
        ("פרדס חנה כרכור", "7800", "פרדס חנה-כרכור"),
        ("חוסיפה", "534", "עספיא"),  # the Arabic name
        ("נצרת עילית", "1061", "נוף הגליל"),  # former name
        ("Qiryat Shemona", "2800", "קריית שמונה"),
        ("קרית גט", "2630", "קריית גת"),  # sounds alike
        ("טמרה", "8900", "טמרה"),  # not טמרה (יזרעאל), the smaller place
    ],
)
def test_official_name_and_code(raw: str, code: str, name: str) -> None:
    row = city([raw]).row(0, named=True)
    assert (row["city_code"], row["city"]) == (code, name)


def test_typo_is_matched_by_similarity_with_its_score() -> None:
    row = city(["תל אביבב"]).row(0, named=True)
    assert row["city"] == "תל אביב - יפו" and row["check"] == "city-fuzzy-matched"
    frame = pl.DataFrame({"source_row": [2], "city": ["תל אביבב"]})
    entry = clean_city(frame, gaz=GAZ, threshold=88).entries.row(0, named=True)
    assert entry["after"].startswith("תל אביב - יפו (") and entry["after"].endswith(")")


@pytest.mark.parametrize("raw", ["blah", "עיר לא קיימת", "XYZ"])
def test_unknown_places_are_kept_and_flagged(raw: str) -> None:
    row = city([raw]).row(0, named=True)
    assert (row["city"], row["city_district"], row["check"]) == (raw, None, "city-unknown")


def test_place_key_folds_spelling_variants() -> None:
    assert place_key("קריית שמונה") == place_key("קרית שמונה")
    assert place_key("פתח תקווה") == place_key("פתח-תקוה")
    assert place_key("ת״א") == place_key('ת"א') == place_key("ת''א")


def test_cbs_file_gives_official_names_and_codes(tmp_path: Path) -> None:
    sheet = pl.DataFrame(
        {
            "שם יישוב": ["תל אביב - יפו", "קריית שמונה", "חיפה"],
            "סמל יישוב": ["5000", "2800", "4000"],
            "מחוז": ["5", "2", "3"],
        }
    )
    path = tmp_path / "bycode2024.xlsx"
    sheet.write_excel(path)
    gaz = gazetteer(aliases=RULES.places_aliases, cbs_file=str(path))
    rows = city(['ת"א', "קרית שמונה", "חיפה"], gaz=gaz)
    assert rows.select("city", "city_code").rows() == [
        ("תל אביב - יפו", "5000"),
        ("קריית שמונה", "2800"),
        ("חיפה", "4000"),
    ]


def test_missing_cbs_file_is_a_rules_error(tmp_path: Path) -> None:
    with pytest.raises(RulesError):
        gazetteer(aliases={}, cbs_file=str(tmp_path / "nope.xlsx"))


@pytest.mark.parametrize(
    ("raw", "value", "check"),
    [
        ("6473910", "6473910", None),
        ("647 3910", "6473910", "zip-normalised"),
        ("647-3910", "6473910", "zip-normalised"),
        ("612010", "612010", "zip-6-digit"),  # no home's zip code starts with 0: a digit is lost, not a zero
        ("6473910.0", "6473910", "zip-normalised"),
        ("64739", "64739", "zip-legacy-5-digit"),
        ("1234", "1234", "zip-invalid"),
        ("ABCDEFG", "ABCDEFG", "zip-invalid"),
        ("12345678", "12345678", "zip-invalid"),
    ],
)
def test_zip(raw: str, value: str, check: str | None) -> None:
    frame = pl.DataFrame({"source_row": [2], "zip": [raw]})
    out = clean_zip(frame)
    assert out.columns["zip"].to_list() == [value]
    assert out.entries["check"].to_list() == ([check] if check else [])
