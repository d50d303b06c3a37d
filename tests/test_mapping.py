"""Header -> canonical field: Hebrew and English aliases, quote variants, typos, overrides."""

from __future__ import annotations

import pytest

from pipeline.errors import InputError
from pipeline.mapping import header_key, map_columns, parse_overrides, require_identifying
from pipeline.rules import Rules


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("שם פרטי", "first_name"),
        ("First Name", "first_name"),
        ("fname", "first_name"),
        ("שם משפחה", "last_name"),
        ("Surname", "last_name"),
        ("טלפון נייד", "phone_mobile"),
        ("נייד", "phone_mobile"),
        ("Mobile", "phone_mobile"),
        ("cell", "phone_mobile"),
        ("ת.ז.", "national_id"),
        ('ת"ז', "national_id"),
        ("ת״ז", "national_id"),
        ("ת''ז", "national_id"),
        ("תעודת זהות", "national_id"),
        ("ID Number", "national_id"),
        ('דוא"ל', "email"),
        ("דוא״ל", "email"),
        ("אימייל", "email"),
        ("E-Mail", "email"),
        ("email", "email"),
        ("מספר חבר", "member_id"),
        ("Member No.", "member_id"),
        ("תאריך לידה", "birth_date"),
        ("DOB", "birth_date"),
        ("מין", "gender"),
        ("עיר", "city"),
        ("יישוב", "city"),
        ("מיקוד", "zip"),
        ("תאריך הצטרפות", "join_date"),
        ('סה"כ קניות', "total_spend"),
        ("אישור דיוור", "email_consent"),
        ("  שם   פרטי ", "first_name"),
        ("\u200fשם פרטי\u200e", "first_name"),
        ("תאריך לידת", "birth_date"),
        ("טלפון ניד", "phone_mobile"),
        ("Emial Address", "email"),  # typos
    ],
)
def test_known_headers_map(rules: Rules, header: str, field: str) -> None:
    mapping = map_columns([header], rules=rules.columns)
    assert mapping.by_field == {field: header}


def test_header_key_folds_quotes_and_punctuation() -> None:
    assert header_key("ת.ז.") == header_key('ת"ז') == header_key("ת״ז") == header_key("תז")
    assert header_key("E-Mail") == "e mail"


def test_unknown_columns_are_carried_not_dropped(rules: Rules) -> None:
    mapping = map_columns(["שם פרטי", "תחביבים", "צבע מועדף"], rules=rules.columns)
    assert mapping.unmapped == ("תחביבים", "צבע מועדף")


def test_short_headers_are_not_matched_by_similarity(rules: Rules) -> None:
    assert map_columns(["abc", "תא"], rules=rules.columns).by_field == {}


def test_second_column_for_the_same_field_is_carried_with_a_note(rules: Rules) -> None:
    mapping = map_columns(["נייד", "טלפון נייד"], rules=rules.columns)
    assert mapping.by_field == {"phone_mobile": "נייד"}
    assert mapping.unmapped == ("טלפון נייד",)
    assert "also looks like phone_mobile" in mapping.notes[0]


def test_override_wins_and_can_unmap(rules: Rules) -> None:
    overrides = parse_overrides(["עיר מגורים=city", "עיר=-"])
    mapping = map_columns(["עיר", "עיר מגורים"], rules=rules.columns, overrides=overrides)
    assert mapping.by_field == {"city": "עיר מגורים"}
    assert mapping.matches[0].method == "override"


@pytest.mark.parametrize(
    ("item", "message"),
    [("no-equals", "expected HEADER=FIELD"), ("x=citty", "did you mean 'city'"), ("=city", "expected HEADER=FIELD")],
)
def test_bad_overrides_are_usage_errors(item: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_overrides([item])


def test_override_of_a_missing_column_is_an_error(rules: Rules) -> None:
    with pytest.raises(InputError, match="not in the file"):
        map_columns(["שם פרטי"], rules=rules.columns, overrides={"עיר מגורים": "city"})


def test_file_without_identifying_column_is_refused(rules: Rules) -> None:
    mapping = map_columns(["עיר", "מיקוד", "צבע"], rules=rules.columns)
    with pytest.raises(InputError, match="no recognisable identifying column"):
        require_identifying(mapping, path="x.csv")
