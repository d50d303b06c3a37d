"""Dates: day-first Israeli formats, Excel cells and serials, two-digit years, plausibility."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.fields.dates import clean_dates, parse_dates

REF = dt.date(2026, 10, 1)
D = dt.date


def parse_one(raw: str) -> dict[str, object]:
    return parse_dates(pl.Series([raw], dtype=pl.String), reference=REF).row(0, named=True)


@pytest.mark.parametrize(
    ("raw", "expected", "flag"),
    [
        ("31/12/1980", D(1980, 12, 31), None),
        ("1/2/1980", D(1980, 2, 1), None),
        ("01/02/1980", D(1980, 2, 1), None),
        ("31.12.1980", D(1980, 12, 31), None),
        ("31-12-1980", D(1980, 12, 31), None),
        ("1.2.80", D(1980, 2, 1), "two_digit"),
        ("01/02/05", D(2005, 2, 1), "two_digit"),
        ("15/07/26", D(2026, 7, 15), "two_digit"),
        ("15/07/27", D(1927, 7, 15), "two_digit"),
        ("1980-12-31", D(1980, 12, 31), None),
        ("1980-12-31 00:00:00", D(1980, 12, 31), None),  # an Excel date cell read as text
        ("1980-12-31T00:00:00", D(1980, 12, 31), None),
        ("1980/12/31", D(1980, 12, 31), None),
        ("29444", D(1980, 8, 11), "serial"),
        ("29444.0", D(1980, 8, 11), "serial"),
        ("45000", D(2023, 3, 15), "serial"),
        ("19801231", D(1980, 12, 31), None),
        ("31121980", D(1980, 12, 31), None),
        ("29/02/2024", D(2024, 2, 29), None),
        ("29/02/2000", D(2000, 2, 29), None),
        ("31/12/1980 10:30", D(1980, 12, 31), None),
        ("29/02/2023", None, "impossible"),
        ("29/02/1900", None, "impossible"),
        ("31/02/1985", None, "impossible"),
        ("31/04/1985", None, "impossible"),
        ("12/31/1980", None, "impossible"),  # month-first is never guessed
        ("00/01/1980", None, "impossible"),
        ("1980-13-01", None, "impossible"),
        ("1980", None, "year_only"),
        ("abc", None, "unparseable"),
        ("31 בדצמבר 1980", None, "unparseable"),
        ("123", None, "unparseable"),
        ("5000", None, "unparseable"),  # too early to be an Excel serial of a member's date
    ],
)
def test_parse(raw: str, expected: dt.date | None, flag: str | None) -> None:
    row = parse_one(raw)
    assert row["value"] == expected
    for name in ("serial", "two_digit", "impossible", "unparseable", "year_only"):
        assert bool(row[name]) == (name == flag), name


def run(**columns: list[str | None]) -> dict[str, list[str]]:
    n = len(next(iter(columns.values())))
    data = {f: columns.get(f, [None] * n) for f in ("birth_date", "join_date", "last_purchase_date", "consent_date")}
    frame = pl.DataFrame(
        {"source_row": range(2, n + 2), **data}, schema={"source_row": pl.Int64, **{f: pl.String for f in data}}
    )
    out = clean_dates(frame, fields=list(data), reference=REF, birth_placeholders=["1900-01-01"], min_age=16)
    entries = pl.concat([o.entries for o in out.values()])
    return {
        f"{r['field']}@{r['source_row']}": r["check"]
        for r in entries.iter_rows(named=True)
        if r["check"] not in ("date-normalised",)
    }


def test_plausibility_checks() -> None:
    found = run(
        birth_date=["01/01/1900", "01/01/1890", "01/01/2015", "01/01/1980", "01/01/2030", "01/01/1980"],
        join_date=["01/01/2010", "01/01/2010", "01/01/2020", "01/01/1970", "01/01/2020", "01/01/2027"],
        last_purchase_date=[None, None, None, "01/01/1969", None, None],
    )
    assert found == {
        "birth_date@2": "birth-date-placeholder",
        "birth_date@3": "birth-date-implausible",
        "birth_date@4": "member-under-min-age",
        "join_date@5": "join-before-birth",
        "last_purchase_date@5": "purchase-before-join",
        "birth_date@6": "birth-date-implausible",
        "join_date@6": "join-before-birth",
        "join_date@7": "date-in-future",
    }


def test_implausible_dates_never_fill_the_typed_column() -> None:
    frame = pl.DataFrame(
        {
            "source_row": [2, 3, 4, 5],
            "birth_date": ["05/06/2033", "01/01/1890", "05/06/1973", "05/06/2030"],
            "join_date": ["01/01/2020", "01/01/2020", "01/01/1970", "01/01/2020"],
            "last_purchase_date": ["01/01/2040", None, "01/01/2024", None],
            "consent_date": [None, None, None, None],
        },
        schema_overrides={"consent_date": pl.String},
    )
    fields = ["birth_date", "join_date", "last_purchase_date", "consent_date"]
    out = clean_dates(frame, fields=fields, reference=REF, max_age=120)
    assert out["birth_date"].columns["birth_date"].to_list() == [None, None, D(1973, 6, 5), None]
    # a join before a plausible birth is the implausible one; before an implausible birth it stays
    assert out["join_date"].columns["join_date"].to_list() == [D(2020, 1, 1), D(2020, 1, 1), None, D(2020, 1, 1)]
    assert out["last_purchase_date"].columns["last_purchase_date"].to_list() == [None, None, D(2024, 1, 1), None]
    ledger = out["birth_date"].entries.filter(pl.col("check") == "birth-date-implausible")
    assert ledger.select("source_row", "before", "after").rows() == [
        (2, "05/06/2033", None),
        (3, "01/01/1890", None),
        (5, "05/06/2030", None),
    ]


def test_placeholder_birth_date_is_not_a_birthday() -> None:
    frame = pl.DataFrame(
        {
            "source_row": [2],
            "birth_date": ["01/01/1900"],
            "join_date": [None],
            "last_purchase_date": [None],
            "consent_date": [None],
        },
        schema_overrides={"join_date": pl.String, "last_purchase_date": pl.String, "consent_date": pl.String},
    )
    out = clean_dates(frame, fields=["birth_date"], reference=REF, birth_placeholders=["1900-01-01"])
    assert out["birth_date"].columns["birth_date"].to_list() == [None]


def test_age_boundary_is_the_birthday() -> None:
    # 16 on the reference day itself is old enough; a day later born is not
    found = run(birth_date=["01/10/2010", "02/10/2010"])
    assert found == {"birth_date@3": "member-under-min-age"}


@given(
    st.dates(min_value=D(1901, 1, 1), max_value=D(2099, 12, 31)),
    st.sampled_from(["{d:02d}/{m:02d}/{y}", "{d}.{m}.{y}", "{y}-{m:02d}-{d:02d}", "{d:02d}-{m:02d}-{y}"]),
)
def test_round_trip_and_idempotent(day: dt.date, style: str) -> None:
    text = style.format(d=day.day, m=day.month, y=day.year)
    assert parse_one(text)["value"] == day
    assert parse_one(day.isoformat())["value"] == day  # cleaning its own output changes nothing


@pytest.mark.parametrize(
    ("raw", "year", "under_age"),
    [
        ("15/03/1985", 1985, False),  # a whole date: its year
        ("2014", 2014, True),  # only a year: no date, but a year that proves the member is 12 at most
        ("05/2014", 2014, True),
        ("2014-05", 2014, True),
        ("May 15 2012", 2012, True),
        ("12/31/2012", 2012, True),  # month first: an impossible date whose year is still known
        ("1980", 1980, False),
        ("2033", None, False),  # in the future: no year of birth
        ("1850", None, False),  # over the rules' max age
        ("1990 or 1991", None, False),  # two years: neither
        ("01/01/1900", None, False),  # a placeholder for "unknown"
        ("01/01/2000", None, False),
        (None, None, False),
    ],
)
def test_the_year_of_a_birth_date_given_in_part(raw: str | None, year: int | None, under_age: bool) -> None:
    frame = pl.DataFrame(
        {"source_row": [2], "birth_date": [raw]}, schema={"source_row": pl.Int64, "birth_date": pl.String}
    )
    out = clean_dates(
        frame, fields=["birth_date"], reference=REF, birth_placeholders=["1900-01-01", "2000-01-01"], min_age=16
    )
    assert out["birth_date"].columns["birth_year"].to_list() == [year]
    assert ("member-under-min-age" in out["birth_date"].entries["check"].to_list()) is under_age
