"""Enrichment: ages at a fixed date (29 February), age bands, e-mail domain classes, gender from first names
(abstaining on ambiguous ones), contactability per channel with its reason."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from pipeline.rulefile import load_rules
from pipeline.stages.enrich import age_at, enrich

RULES = load_rules()
REF = dt.date(2026, 10, 1)


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (dt.date(1980, 10, 1), REF, 46),
        (dt.date(1980, 10, 2), REF, 45),
        (dt.date(1980, 9, 30), REF, 46),
        (dt.date(2000, 2, 29), dt.date(2025, 2, 28), 25),  # a leap-day birthday counts on 28 Feb in common years
        (dt.date(2000, 2, 29), dt.date(2025, 2, 27), 24),
        (dt.date(2000, 2, 29), dt.date(2024, 2, 28), 23),  # in a leap year it waits for the 29th
        (dt.date(2000, 2, 29), dt.date(2024, 2, 29), 24),
    ],
)
def test_age_at(born: dt.date, on: dt.date, age: int) -> None:
    assert pl.DataFrame({"b": [born]}).select(age_at(pl.col("b"), on)).item() == age


def member(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "golden_id": "G0000001",
        "source_rows": "2",
        "first_name": "משה",
        "gender": None,
        "birth_date": dt.date(1980, 5, 17),
        "join_date": dt.date(2020, 10, 1),
        "deceased": False,
        "phone_mobile": "+972547654329",
        "phone_mobile_type": "mobile",
        "phone_mobile_status": "valid",
        "phone_other": None,
        "phone_other_status": None,
        "email": "a@gmail.com",
        "email_status": "valid",
        "email_domain": "gmail.com",
        "sms_consent": True,
        "email_consent": True,
        "street": "הרצל",
        "city": "חיפה",
    }
    return base | over


def run(*members: dict[str, object]) -> pl.DataFrame:
    frame = pl.DataFrame(
        list(members),
        schema_overrides={
            "gender": pl.String,
            "phone_other": pl.String,
            "phone_other_status": pl.String,
            "email": pl.String,
            "email_status": pl.String,
            "email_domain": pl.String,
            "phone_mobile": pl.String,
            "phone_mobile_status": pl.String,
            "phone_mobile_type": pl.String,
            "street": pl.String,
            "birth_date": pl.Date,
            "join_date": pl.Date,
        },
    )
    return enrich(frame, rules=RULES, reference_date=REF, as_of=REF).table


def test_derived_facts() -> None:
    row = run(member()).row(0, named=True)
    assert (row["age"], row["age_band"], row["birthday_month"], row["birthday_day"]) == (46, "45-54", 5, 17)
    assert row["tenure_years"] == 6.0 and row["email_domain_class"] == "free_webmail"


@pytest.mark.parametrize(
    ("domain", "status", "cls"),
    [
        ("gmail.com", "valid", "free_webmail"),
        ("walla.co.il", "valid", "israeli_isp"),
        ("bezeqint.net", "valid", "israeli_isp"),
        ("elbit.co.il", "valid", "corporate"),
        ("shop.co.il", "role", "corporate"),
        ("mailinator.com", "disposable", "disposable"),
        (None, None, None),
    ],
)
def test_email_domain_class(domain: str | None, status: str | None, cls: str | None) -> None:
    assert run(member(email_domain=domain, email_status=status))["email_domain_class"].item() == cls


@pytest.mark.parametrize(
    ("first", "recorded", "gender", "inferred"),
    [
        ("שירה", None, "F", True),
        ("משה", None, "M", True),
        ("יוסף", None, "M", True),
        ("טל", None, None, False),
        ("חן", None, None, False),
        ("נועם", None, None, False),  # ambiguous: abstain
        ("Moshe", None, None, False),  # Latin script: the CBS list is Hebrew only
        ("שירה", "M", "M", False),
    ],  # a recorded gender is never overwritten
)
def test_gender_from_first_name(first: str, recorded: str | None, gender: str | None, inferred: bool) -> None:
    row = run(member(first_name=first, gender=recorded)).row(0, named=True)
    assert (row["gender"], row["gender_inferred"]) == (gender, inferred)
    if inferred:
        assert row["gender_probability"] >= 0.95


def test_recorded_gender_contradicting_a_near_certain_name_is_flagged() -> None:
    result = enrich(pl.DataFrame([member(first_name="שירה", gender="M")]), rules=RULES, reference_date=REF, as_of=REF)
    assert result.ledger["check"].to_list() == ["gender-contradicts-name"]


@pytest.mark.parametrize(
    ("over", "channel", "reason"),
    [
        ({}, "sms", None),
        ({"sms_consent": False}, "sms", "no_consent"),
        ({"deceased": True}, "sms", "deceased"),
        ({"phone_mobile": None, "phone_mobile_status": None}, "sms", "no_mobile"),
        ({"phone_mobile_status": "fake"}, "sms", "fake_phone"),
        ({"phone_mobile_status": "invalid"}, "sms", "invalid_phone"),
        ({"phone_mobile_type": "landline"}, "sms", "landline"),
        ({"phone_mobile_type": "voip"}, "sms", "voip"),  # 077: VoIP, not called a landline
        ({}, "email", None),
        ({"email_consent": False}, "email", "no_consent"),
        ({"email_status": "disposable"}, "email", "disposable_email"),
        ({"email_status": "role"}, "email", "role_email"),
        ({"email_status": "invalid"}, "email", "invalid_email"),
        ({"email": None, "email_status": None}, "email", "no_email"),
        ({"deceased": True}, "email", "deceased"),
        ({}, "call", None),
        ({"phone_mobile_status": "invalid"}, "call", "invalid_phone"),
        ({"phone_mobile": None, "phone_mobile_status": None}, "call", "no_phone"),
        ({}, "post", None),
        ({"street": None}, "post", "no_address"),
    ],
)
def test_contactability(over: dict[str, object], channel: str, reason: str | None) -> None:
    row = run(member(**over)).row(0, named=True)
    assert (row[f"contact_{channel}"], row[f"contact_{channel}_reason"]) == (reason is None, reason)
