"""Gender and consent vocabularies (from the rules), amounts and counts."""

from __future__ import annotations

import polars as pl
import pytest

from pipeline.fields.flags import clean_consent, clean_gender, opt_out_column
from pipeline.fields.money import clean_count, clean_money
from pipeline.rulefile import load_rules

RULES = load_rules().fields


def frame(name: str, values: list[str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {"source_row": range(2, len(values) + 2), name: values}, schema={"source_row": pl.Int64, name: pl.String}
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ז", "M"),
        ("זכר", "M"),
        ("ז.", "M"),
        ("M", "M"),
        ("m", "M"),
        ("Male", "M"),
        ("MALE", "M"),
        ("1", "M"),
        ("גבר", "M"),
        ("Mr", "M"),
        ("נ", "F"),
        ("נקבה", "F"),
        ("נ.", "F"),
        ("F", "F"),
        ("f", "F"),
        ("female", "F"),
        ("Female", "F"),
        ("2", "F"),
        ("אישה", "F"),
        ("Mrs", "F"),
        ("X", None),
        ("לא ידוע", None),
        ("3", None),
        ("other", None),
        (None, None),
        ("M.", "M"),
        ("Woman", "F"),
        ("בן", "M"),
        ("בת", "F"),
        ("?", None),
        ("זכר/נקבה", None),
    ],
)
def test_gender(raw: str | None, expected: str | None) -> None:
    out = clean_gender(frame("gender", [raw]), values=RULES.gender_values)
    assert out.columns["gender"].to_list() == [expected]
    checks = out.entries["check"].to_list()
    if raw is not None and expected is None:
        assert checks == ["gender-unrecognised"]
    elif raw is not None and raw != expected:
        assert checks == ["gender-normalised"]


@pytest.mark.parametrize(
    ("raw", "expected", "check"),
    [
        ("כן", True, "consent-normalised"),
        ("כ", True, "consent-normalised"),
        ("V", True, "consent-normalised"),
        ("v", True, "consent-normalised"),
        ("✓", True, "consent-normalised"),
        ("✔", True, "consent-normalised"),
        ("1", True, "consent-normalised"),
        ("TRUE", True, "consent-normalised"),
        ("true", True, "consent-normalised"),
        ("Y", True, "consent-normalised"),
        ("yes", True, "consent-normalised"),
        ("מאשר", True, "consent-normalised"),
        ("מאשרת", True, "consent-normalised"),
        ("X", True, "consent-normalised"),
        ("on", True, "consent-normalised"),
        ("לא", False, "consent-normalised"),
        ("0", False, "consent-normalised"),
        ("FALSE", False, "consent-normalised"),
        ("N", False, "consent-normalised"),
        ("no", False, "consent-normalised"),
        ("לא מאשר", False, "consent-normalised"),
        ("הוסר", False, "consent-normalised"),
        ("opt out", False, "consent-normalised"),
        ("1.0", True, "consent-normalised"),  # Excel's number cell
        ("0.0", False, "consent-normalised"),
        ("מאושר", True, "consent-normalised"),
        ("Subscribed", True, "consent-normalised"),  # Wix's subscriber status
        ("Never subscribed", False, "consent-normalised"),
        (None, False, "consent-missing"),
        ("אולי", False, "consent-unrecognised"),
        ("2", False, "consent-unrecognised"),
    ],
)
def test_consent_missing_or_unknown_means_no(raw: str | None, expected: bool, check: str) -> None:
    out = clean_consent(frame("sms_consent", [raw]), "sms_consent", yes=RULES.consent_yes, no=RULES.consent_no)
    assert out.columns["sms_consent"].to_list() == [expected]
    assert out.entries["check"].to_list() == [check]


@pytest.mark.parametrize(
    ("raw", "expected", "checks"),
    [
        ("1234.50", 1234.5, ["money-normalised"]),
        ("₪1,234.50", 1234.5, ["money-normalised"]),
        ("₪ 1,234.50", 1234.5, ["money-normalised"]),
        ("1,234", 1234.0, ["money-normalised"]),
        ('1234 ש"ח', 1234.0, ["money-normalised"]),
        ("1234 ש״ח", 1234.0, ["money-normalised"]),
        ("1,234 שח", 1234.0, ["money-normalised"]),
        ("NIS 99.90", 99.9, ["money-normalised"]),
        ("99.90 ILS", 99.9, ["money-normalised"]),
        ("1,234,567.89", 1234567.89, ["money-normalised"]),
        ("1234,50", 1234.5, ["money-normalised"]),
        ("0", 0.0, ["money-normalised"]),
        ("12.5", 12.5, []),
        (".5", 0.5, ["money-normalised"]),
        ("-12", -12.0, ["money-negative", "money-normalised"]),
        ("(12.50)", -12.5, ["money-negative", "money-normalised"]),
        ("12-", -12.0, ["money-negative", "money-normalised"]),
        ("abc", None, ["money-unparseable"]),
        ("12.3.4", None, ["money-unparseable"]),
        ("1.234.567", None, ["money-unparseable"]),
        ("₪", None, ["money-unparseable"]),
        (None, None, []),
    ],
)
def test_money(raw: str | None, expected: float | None, checks: list[str]) -> None:
    out = clean_money(frame("total_spend", [raw]), "total_spend")
    assert out.columns["total_spend"].to_list() == [expected]
    assert sorted(out.entries["check"].to_list()) == checks


@pytest.mark.parametrize(
    ("raw", "expected", "checks"),
    [
        ("3", 3, []),
        ("3.0", 3, ["count-normalised"]),
        ("1,200", 1200, ["count-normalised"]),
        (" 7", 7, []),
        ("-2", -2, ["count-negative"]),
        ("2.5", None, ["count-unparseable"]),
        ("שלוש", None, ["count-unparseable"]),
        ("", None, ["count-unparseable"]),
        (None, None, []),
    ],
)
def test_counts(raw: str | None, expected: int | None, checks: list[str]) -> None:
    value = raw.strip() if raw and raw.strip() else raw
    out = clean_count(frame("purchase_count", [value]), "purchase_count")
    assert out.columns["purchase_count"].to_list() == [expected]
    assert sorted(out.entries["check"].to_list()) == checks


@pytest.mark.parametrize(
    ("consent", "refusal", "expected", "checks"),
    [
        ("כן", "כן", False, ["consent-withdrawn"]),  # said yes, then refused
        ("כן", "01/02/2024", False, ["consent-withdrawn"]),  # a date of removal is a refusal
        ("כן", "הוסר", False, ["consent-withdrawn"]),
        ("כן", "לא", True, ["consent-normalised"]),  # an explicit "no refusal"
        ("כן", None, True, ["consent-normalised"]),  # nothing in the opt-out column
        ("לא", "לא", False, ["consent-normalised"]),  # not refusing is no consent
        (None, "לא", False, ["consent-missing"]),
    ],
)
def test_an_opt_out_column_withdraws_consent_and_never_gives_it(
    consent: str | None, refusal: str | None, expected: bool, checks: list[str]
) -> None:
    table = pl.DataFrame(
        {"source_row": [2], "sms_consent": [consent], opt_out_column("sms_consent", 0): [refusal]},
        schema={"source_row": pl.Int64, "sms_consent": pl.String, opt_out_column("sms_consent", 0): pl.String},
    )
    out = clean_consent(
        table, "sms_consent", yes=RULES.consent_yes, no=RULES.consent_no, not_opted_out=RULES.opt_out_no
    )
    assert out.columns["sms_consent"].to_list() == [expected]
    assert out.entries["check"].to_list() == checks


def test_in_a_column_of_ticks_and_crosses_the_cross_is_no() -> None:
    """In a V/X consent column (Israeli forms) X is "no"; it was read as consent and sent to. Alone, an X marks a box
    ticked."""
    ticks = pl.DataFrame({"source_row": [2, 3, 4], "sms_consent": ["V", "X", "x"]})
    out = clean_consent(ticks, "sms_consent", yes=RULES.consent_yes, no=RULES.consent_no)
    assert out.columns["sms_consent"].to_list() == [True, False, False]
    crosses = pl.DataFrame({"source_row": [2, 3], "sms_consent": ["X", None]})
    out = clean_consent(crosses, "sms_consent", yes=RULES.consent_yes, no=RULES.consent_no)
    assert out.columns["sms_consent"].to_list() == [True, False]
