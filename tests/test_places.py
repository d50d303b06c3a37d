"""Localities and zip codes: every spelling to one canonical name and district; legacy zips flagged."""

from __future__ import annotations

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
        ("הרצלייה", "הרצליה", "תל אביב"),
        ("חיפא", "חיפה", "חיפה"),
        ("Haifa", "חיפה", "חיפה"),
        ("מודיעין", "מודיעין-מכבים-רעות", "המרכז"),
        ("נהרייה", "נהריה", "הצפון"),
        ("טבריה", "טבריה", "הצפון"),
        ("  חולון ", "חולון", "תל אביב"),
    ],
)
def test_city_spellings(raw: str, canonical: str, district: str) -> None:
    row = city([raw.strip()]).row(0, named=True)
    assert (row["city"], row["city_district"]) == (canonical, district)


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
        ("473910", "0473910", "zip-leading-zero-restored"),
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
