"""Phones: Excel damage undone, E.164 out, phonenumbers' verdict on validity and type."""

from __future__ import annotations

import phonenumbers
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.fields.phone_parse import parse_phones
from pipeline.fields.phones import clean_phones
from pipeline.rulefile import load_rules

SHIPPED = load_rules().fields
DEFAULTS = {"fake_numbers": SHIPPED.phone_fake_numbers, "max_members_per_number": SHIPPED.phone_max_members_per_number}


def clean_one(mobile: str | None, other: str | None = None, **kw: object) -> dict[str, object]:
    frame = pl.DataFrame(
        {"source_row": [2], "phone_mobile": [mobile], "phone_other": [other]},
        schema={"source_row": pl.Int64, "phone_mobile": pl.String, "phone_other": pl.String},
    )
    out = clean_phones(frame, **(DEFAULTS | kw))  # type: ignore[arg-type]
    row: dict[str, object] = {}
    for name, outcome in out.items():
        for col, series in outcome.columns.items():
            row[col] = series[0]
        row[f"{name}_checks"] = sorted(outcome.entries["check"].to_list())
    return row


@pytest.mark.parametrize(
    ("raw", "e164", "kind", "checks"),
    [
        ("052-2745678", "+972522745678", "mobile", ["phone-normalised"]),
        ("0522985678", "+972522985678", "mobile", ["phone-normalised"]),
        ("054 765 4329", "+972547654329", "mobile", ["phone-normalised"]),
        ("(054) 7654329", "+972547654329", "mobile", ["phone-normalised"]),
        ("054.765.4329", "+972547654329", "mobile", ["phone-normalised"]),
        ("+972-54-7654329", "+972547654329", "mobile", ["phone-normalised"]),
        ("+972547654329", "+972547654329", "mobile", []),
        ("+972 (0)54-7654329", "+972547654329", "mobile", ["phone-normalised"]),
        ("972547654329", "+972547654329", "mobile", ["phone-international-prefix-fixed"]),
        ("00972547654329", "+972547654329", "mobile", ["phone-international-prefix-fixed"]),
        ("547654329", "+972547654329", "mobile", ["phone-leading-zero-restored"]),
        ("547654329.0", "+972547654329", "mobile", ["phone-excel-number-repaired", "phone-leading-zero-restored"]),
        ("5.47654329E+08", "+972547654329", "mobile", ["phone-excel-number-repaired", "phone-leading-zero-restored"]),
        ("5.47654329e8", "+972547654329", "mobile", ["phone-excel-number-repaired", "phone-leading-zero-restored"]),
        # every digit is in the mantissa: repaired
        (
            "9.72547654329E+11",
            "+972547654329",
            "mobile",
            ["phone-excel-number-repaired", "phone-international-prefix-fixed"],
        ),
        # Excel kept 6 of 12 digits: +972545000000 would be an invented number, valid and maybe someone else's
        ("9.72545E+11", "9.72545E+11", None, ["phone-digits-lost"]),
        ("5.476543E+08", "5.476543E+08", None, ["phone-digits-lost"]),
        ("5.4765432E+08", "5.4765432E+08", None, ["phone-digits-lost"]),  # one digit short: still unknown
        ("0502945679", "+972502945679", "mobile", ["phone-normalised"]),
        ("058-7654321", "+972587654321", "mobile", ["phone-fake", "phone-normalised"]),  # a running sequence
        ("0535544332", "+972535544332", "mobile", ["phone-normalised"]),
        ("057-5544332", "+972535544332", "mobile", ["phone-057-migrated"]),
        ("0500000000", "+972500000000", "mobile", ["phone-fake", "phone-normalised"]),
        ("054-7777777", "+972547777777", "mobile", ["phone-fake", "phone-normalised"]),
        ("054-1111111", "054-1111111", None, ["phone-invalid"]),  # unallocated block: invalid before fake
        ("052-7272727", "+972527272727", "mobile", ["phone-fake", "phone-normalised"]),
        ("0521234567", "0521234567", None, ["phone-invalid"]),  # the 052-1 block is not allocated
        ("1234567", "1234567", None, ["phone-invalid"]),
        ("05212345", "05212345", None, ["phone-invalid"]),
        ("לא זמין", "לא זמין", None, ["phone-invalid"]),
        ("*6000", "*6000", "star", ["phone-business-star-number"]),
        ("1-800-200-300", "+9721800200300", "toll_free", ["phone-normalised", "phone-not-personal"]),
        ("+1 212 555 0100", "+12125550100", "fixed_or_mobile", ["phone-foreign", "phone-normalised"]),
        ("+44 20 7946 0958", "+442079460958", "landline", ["phone-foreign", "phone-normalised", "phone-not-mobile"]),
    ],
)
def test_mobile_column(raw: str, e164: str, kind: str | None, checks: list[str]) -> None:
    row = clean_one(raw, "0770000000" if kind == "landline" else None)  # keep landlines in place here
    assert row["phone_mobile"] == e164
    assert row["phone_mobile_type"] == kind
    assert row["phone_mobile_checks"] == sorted(checks)


@pytest.mark.parametrize(
    ("other", "e164", "kind"),
    [
        ("03-6123456", "+97236123456", "landline"),
        ("036123456", "+97236123456", "landline"),
        ("36123456", "+97236123456", "landline"),  # Excel dropped the zero of a landline too
        ("02-6234567", "+97226234567", "landline"),
        ("08-9123456", "+97289123456", "landline"),
        ("077-2945678", "+972772945678", "voip"),
        ("072-2945678", "+972722945678", "voip"),
    ],
)
def test_other_column(other: str, e164: str, kind: str) -> None:
    row = clean_one("054-7654329", other)
    assert (row["phone_other"], row["phone_other_type"], row["phone_other_status"]) == (e164, kind, "valid")


def test_digits_lost_is_invalid_and_never_a_number() -> None:
    row = clean_one("9.72545E+11")
    assert (row["phone_mobile"], row["phone_mobile_status"], row["phone_mobile_type"]) == (
        "9.72545E+11",
        "invalid",
        None,
    )
    # two members whose numbers Excel cut the same way do not share an invented number
    frame = pl.DataFrame(
        {"source_row": [2, 3], "phone_mobile": ["9.72545E+11"] * 2, "phone_other": [None, None]},
        schema={"source_row": pl.Int64, "phone_mobile": pl.String, "phone_other": pl.String},
    )
    mobile = clean_phones(frame, fake_numbers=(), max_members_per_number=25)["phone_mobile"]
    assert mobile.columns["phone_mobile_status"].to_list() == ["invalid", "invalid"]
    assert mobile.usable.to_list() == [False, False]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("raw", "kind"), [("077-2345678", "voip"), ("072-2345678", "voip"), ("03-6123456", "landline")]
)
def test_number_type_is_phonenumbers_answer(raw: str, kind: str) -> None:
    import phonenumbers

    expected = {phonenumbers.PhoneNumberType.VOIP: "voip", phonenumbers.PhoneNumberType.FIXED_LINE: "landline"}
    assert expected[phonenumbers.number_type(phonenumbers.parse(raw, "IL"))] == kind
    assert clean_one(None, raw)["phone_other_type"] == kind


def test_landline_in_mobile_column_moves_to_other() -> None:
    row = clean_one("03-6123456", None)
    assert row["phone_mobile"] is None and row["phone_mobile_status"] is None
    assert row["phone_other"] == "+97236123456"
    assert "phone-moved-to-other" in row["phone_mobile_checks"]  # type: ignore[operator]


def test_landline_stays_when_other_is_taken() -> None:
    row = clean_one("03-6123456", "02-6234567")
    assert row["phone_mobile"] == "+97236123456" and "phone-not-mobile" in row["phone_mobile_checks"]  # type: ignore[operator]


def test_a_landline_in_the_mobile_column_changes_places_with_a_mobile_in_the_other() -> None:
    """The member's mobile was in the other column and never used: contact_sms was false for a landline."""
    row = clean_one("03-6491234", "054-4123456")
    assert (row["phone_mobile"], row["phone_other"]) == ("+972544123456", "+97236491234")
    assert row["phone_mobile_type"] == "mobile" and "phone-not-mobile" not in row["phone_mobile_checks"]  # type: ignore[operator]
    assert "phone-moved-to-other" in row["phone_mobile_checks"]  # type: ignore[operator]
    assert "phone-mobile-moved-from-other" in row["phone_other_checks"]  # type: ignore[operator]


def test_mobile_in_other_column_moves_up_when_mobile_is_empty() -> None:
    row = clean_one(None, "054-7654329")
    assert row["phone_mobile"] == "+972547654329" and row["phone_other"] is None
    assert row["phone_other_checks"] == ["phone-mobile-moved-from-other"]


def test_known_fake_numbers_from_rules() -> None:
    row = clean_one("054-7654329", fake_numbers=["0547654329"])
    assert row["phone_mobile_status"] == "fake"


def test_number_shared_by_many_members_is_flagged() -> None:
    n = 30
    frame = pl.DataFrame(
        {"source_row": range(2, n + 2), "phone_mobile": ["03-6123456"] * n, "phone_other": ["054-7654329"] * n}
    )
    out = clean_phones(frame, fake_numbers=(), max_members_per_number=25)
    assert set(out["phone_other"].columns["phone_other_status"].to_list()) == {"shared"}
    assert not out["phone_other"].usable.any()  # type: ignore[union-attr]


ISRAELI = st.one_of(
    st.tuples(
        st.sampled_from(
            [
                "050",
                "052",
                "053",
                "054",
                "055",
                "058",
                "02",
                "03",
                "04",
                "08",
                "09",
                "072",
                "073",
                "074",
                "076",
                "077",
                "079",
                "1800",
                "1700",
                "1599",
            ]
        ),
        st.integers(0, 9_999_999),
    ).map(lambda t: f"{t[0]}{t[1]:07d}"),
    st.text(alphabet="0123456789", min_size=6, max_size=12),
)
STYLE = st.sampled_from(["{n}", "{n0}", "+972{n0}", "+972-{n0}", "972{n0}", "{a}-{b}", "({a}) {b}", "{a} {b}"])


@settings(max_examples=400, deadline=None)
@given(number=ISRAELI, style=STYLE)
def test_fast_path_agrees_with_phonenumbers(number: str, style: str) -> None:
    """Every shape the fast path reads gives phonenumbers' own E.164, validity and type."""
    text = style.format(n=number, n0=number.lstrip("0") or "0", a=number[:3], b=number[3:])
    if number.startswith("057") or (number.startswith("57") and len(number) == 9):
        return  # 057 is rewritten to 053 on purpose (phonenumbers rejects the retired prefix)
    ours = parse_phones(pl.Series([text])).row(0, named=True)
    try:
        parsed = phonenumbers.parse(text, "IL")
        valid = phonenumbers.is_valid_number(parsed)
    except phonenumbers.NumberParseException:
        valid = False
    if not valid:
        assert ours["e164"] is None, text
        return
    assert ours["e164"] == phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), text
    kind = phonenumbers.number_type(parsed)
    expected = {
        0: "landline",
        1: "mobile",
        2: "fixed_or_mobile",
        3: "toll_free",
        4: "premium",
        5: "shared_cost",
        6: "voip",
        9: "uan",
        10: "voicemail",
    }[kind]
    assert ours["type"] == expected, text


@given(st.sampled_from(["052-2745678", "547654329", "5.47654329E+08", "03-6123456", "972547654329", "*6000", "abc"]))
def test_cleaning_is_idempotent(raw: str) -> None:
    once = clean_one(raw)
    twice = clean_one(once["phone_mobile"], once["phone_other"])  # type: ignore[arg-type]
    assert (twice["phone_mobile"], twice["phone_other"]) == (once["phone_mobile"], once["phone_other"])
