"""Israeli ID numbers: stdnum's check digit over the whole column, and the gaps it leaves closed."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.il import idnr

from pipeline.fields.ids import check_digit_ok, clean_national_ids
from pipeline.rulefile import load_rules

SHIPPED = load_rules().fields
DEFAULTS = {"min_digits": SHIPPED.national_id_min_digits, "fakes": SHIPPED.national_id_fakes}


def clean(values: list[str | None], **kw: object) -> pl.DataFrame:
    frame = pl.DataFrame(
        {"source_row": range(2, len(values) + 2), "national_id": values},
        schema={"source_row": pl.Int64, "national_id": pl.String},
    )
    out = clean_national_ids(frame, **(DEFAULTS | kw))  # type: ignore[arg-type]
    checks = out.entries.group_by("source_row").agg(pl.col("check").sort()).sort("source_row")
    table = pl.DataFrame(dict(out.columns)).with_columns(frame["source_row"])
    return table.join(checks, on="source_row", how="left").with_columns(pl.col("check").fill_null([]))


@pytest.mark.parametrize(
    ("raw", "value", "status", "checks"),
    [
        ("039337423", "039337423", "valid", []),
        ("39337423", "039337423", "valid", ["national-id-padded"]),
        ("39337423.0", "039337423", "valid", ["national-id-excel-number-repaired", "national-id-padded"]),
        ("039-337-423", "039337423", "valid", ["national-id-normalised"]),
        ("03933742-3", "039337423", "valid", ["national-id-normalised"]),
        ("039 337 423", "039337423", "valid", ["national-id-normalised"]),
        ("03.933.742.3", "039337423", "valid", ["national-id-normalised"]),
        ("231740705", "231740705", "valid", []),
        ("7193428", "007193428", "valid", ["national-id-padded"]),
        ("039337424", "039337424", "invalid", ["national-id-bad-check-digit"]),
        ("39337424", "39337424", "invalid", ["national-id-bad-check-digit"]),
        ("231740706", "231740706", "invalid", ["national-id-bad-check-digit"]),
        ("18", "18", "too_short", ["national-id-too-short"]),
        ("000000018", "000000018", "too_short", ["national-id-too-short"]),
        ("12345", "12345", "too_short", ["national-id-too-short"]),
        ("123456782", "123456782", "fake", ["national-id-fake"]),
        ("111111118", "111111118", "fake", ["national-id-fake"]),
        ("999999998", "999999998", "fake", ["national-id-fake"]),
        ("12345678-2", "123456782", "fake", ["national-id-fake", "national-id-normalised"]),
        ("1234567890", "1234567890", "not_a_number", ["national-id-not-a-number"]),
        ("AB123456", "AB123456", "not_a_number", ["national-id-not-a-number"]),
        ("ת.ז. חסרה", "ת.ז. חסרה", "not_a_number", ["national-id-not-a-number"]),
        ("3.9337423E+07", "3.9337423E+07", "not_a_number", ["national-id-not-a-number"]),
        ("513642390", "513642390", "invalid", ["national-id-bad-check-digit"]),
        ("516179157", "516179157", "company", ["national-id-company-number"]),
        ("000000000", "000000000", "too_short", ["national-id-too-short"]),
        ("0", "0", "too_short", ["national-id-too-short"]),
        (
            "3933742.3",
            "039337423",
            "valid",
            ["national-id-normalised", "national-id-padded"],
        ),  # a dot separates  # a decimal is not an ID
        ("039-33-7423", "039337423", "valid", ["national-id-normalised"]),
        ("039/337/423", "039337423", "valid", ["national-id-normalised"]),
        ("231740705.00", "231740705", "valid", ["national-id-excel-number-repaired"]),
        ("12345678", "12345678", "invalid", ["national-id-bad-check-digit"]),
        (None, None, None, []),
    ],
)
def test_national_id(raw: str | None, value: str | None, status: str | None, checks: list[str]) -> None:
    row = clean([raw]).row(0, named=True)
    assert (row["national_id"], row["national_id_status"], row["check"]) == (value, status, checks)


def test_min_digits_is_a_rule() -> None:
    assert clean(["7193428"], min_digits=8)["national_id_status"].item() == "too_short"


def test_only_valid_ids_are_usable_identity() -> None:
    frame = pl.DataFrame({"source_row": [2, 3, 4], "national_id": ["039337423", "039337424", "123456782"]})
    assert clean_national_ids(frame, **DEFAULTS).usable.to_list() == [True, False, False]  # type: ignore[union-attr]


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_check_digit_agrees_with_stdnum(nine: str) -> None:
    ours = pl.DataFrame({"n": [nine]}).select(check_digit_ok(pl.col("n"))).item()
    assert ours == idnr.is_valid(nine)


@given(st.text(alphabet="0123456789", min_size=7, max_size=9))
def test_valid_status_implies_stdnum_valid(digits: str) -> None:
    row = clean([digits]).row(0, named=True)
    if row["national_id_status"] == "valid":
        assert idnr.is_valid(row["national_id"])
        assert row["national_id"] == idnr.compact(digits).zfill(9)


@given(st.text(alphabet="0123456789-. ", max_size=12))
def test_cleaning_is_idempotent(raw: str) -> None:
    once = clean([raw or None])["national_id"].item()
    assert clean([once])["national_id"].item() == once
