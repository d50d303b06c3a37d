"""Names: Hebrew display values and match keys, titles, deceased markers, visual Hebrew, junk, splitting."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.fields.names import clean_names, first_name_lexicon, match_key
from pipeline.rulefile import load_rules

RULES = load_rules().fields


def clean(first: str | None, last: str | None = None, full: str | None = None) -> dict[str, object]:
    frame = pl.DataFrame(
        {"source_row": [2], "first_name": [first], "last_name": [last], "full_name": [full]},
        schema={"source_row": pl.Int64, "first_name": pl.String, "last_name": pl.String, "full_name": pl.String},
    )
    out = clean_names(
        frame,
        honorifics=RULES.honorifics,
        deceased=RULES.deceased_markers,
        blessings=RULES.blessings,
        test_entries=RULES.test_entries,
    )
    row: dict[str, object] = {}
    checks: set[str] = set()
    for outcome in out.values():
        row |= {k: v[0] for k, v in outcome.columns.items()}
        checks |= set(outcome.entries["check"].to_list())
    row["checks"] = checks
    return row


@pytest.mark.parametrize(
    ("first", "last", "out_first", "out_last", "check"),
    [
        ("משה", "כהן", "משה", "כהן", None),
        ("מֹשֶׁה", "כֹּהֵן", "משה", "כהן", "name-niqqud-removed"),
        ("שָׂרָה", "לוי", "שרה", "לוי", "name-niqqud-removed"),
        ("דוד", "בן־דוד", "דוד", "בן-דוד", "name-punctuation-normalised"),  # maqaf to hyphen
        ("ג׳ורג׳", "לוי", "ג'ורג'", "לוי", "name-punctuation-normalised"),
        ("רחל", "אבו-חמד,", "רחל", "אבו-חמד", "name-punctuation-normalised"),
        ("מר משה", "כהן", "משה", "כהן", "name-title-moved"),
        ('ד"ר יוסי', "לוי", "יוסי", "לוי", "name-title-moved"),
        ("ד״ר יוסי", "לוי", "יוסי", "לוי", "name-title-moved"),
        ("גב' רחל", "מזרחי", "רחל", "מזרחי", "name-title-moved"),
        ("גברת רחל", "מזרחי", "רחל", "מזרחי", "name-title-moved"),
        ('עו"ד אבי', "כץ", "אבי", "כץ", "name-title-moved"),
        ("Dr. David", "Levi", "David", "Levi", "name-title-moved"),
        ("Mrs Sarah", "Cohen", "Sarah", "Cohen", "name-title-moved"),
        ("מרדכי", "פרץ", "מרדכי", "פרץ", None),  # starts like מר, is not a title
        ("שרה", 'כהן ז"ל', "שרה", "כהן", "name-deceased-marker"),
        ("שרה", "כהן ז״ל", "שרה", "כהן", "name-deceased-marker"),
        ("יעקב", 'לוי (ע"ה)', "יעקב", "לוי", "name-deceased-marker"),
        ("דוד", 'לוי הי"ו', "דוד", "לוי", "name-blessing-removed"),
        ("השמ", "ןהכ", "משה", "כהן", "name-visual-hebrew-reversed"),
        ("ףסוי", "ץכ", "יוסף", "כץ", "name-visual-hebrew-reversed"),
        ("MOSHE", "COHEN", "Moshe", "Cohen", "name-title-cased"),
        ("moshe", "cohen", "Moshe", "Cohen", "name-title-cased"),
        ("McDonald", "O'Brien", "McDonald", "O'Brien", None),  # mixed case is left as written
        ("משה2", "כהן", "משה2", "כהן", "name-has-digits"),
        ("אאא", "כהן", "אאא", "כהן", "name-junk"),
        ("???", "כהן", "???", "כהן", "name-junk"),  # no letters: kept as it was, flagged
        ("test", "test", "Test", "Test", "name-test-entry"),
        ("בדיקה", "בדיקה", "בדיקה", "בדיקה", "name-test-entry"),
        ("ישראל", "ישראלי", "ישראל", "ישראלי", "name-test-entry"),
        ("ישראל", "כהן", "ישראל", "כהן", None),  # a real first name on its own is not a test entry
        ("כהן", "משה", "כהן", "משה", "name-possibly-swapped"),
    ],
)
def test_names(first: str, last: str, out_first: str | None, out_last: str, check: str | None) -> None:
    row = clean(first, last)
    assert (row["first_name"], row["last_name"]) == (out_first, out_last)
    if check:
        assert check in row["checks"]  # type: ignore[operator]
    else:
        assert not row["checks"] & {"name-title-moved", "name-test-entry", "name-possibly-swapped"}  # type: ignore[operator]


@pytest.mark.parametrize(
    ("last", "out_last"),
    [
        ("המנוח פרץ", "פרץ"),
        ("המנוחה פרץ", "פרץ"),
        ("פרץ זל", "פרץ"),
        ('פרץ-ז"ל', "פרץ"),
        ("פרץ־ז״ל", "פרץ"),  # maqaf and gershayim
        ('ז"ל', None),
        ('(ז"ל)', None),
        ("פרץ ז''ל", "פרץ"),
        ("פרץ ז״ל", "פרץ"),
        ('פרץ ע"ה', "פרץ"),
        ('פרץ נ"ע', "פרץ"),
        ('פרץ זצ"ל', "פרץ"),
    ],
)
def test_every_spelling_of_a_deceased_marker(last: str, out_last: str | None) -> None:
    row = clean("משה", last)
    assert (row["last_name"], row["deceased"]) == (out_last, True)
    assert "name-deceased-marker" in row["checks"]  # type: ignore[operator]


@pytest.mark.parametrize(
    ("first", "last"), [("זלמן", "כהן"), ("זליג", "לוי"), ("משה", "זלצמן"), ("אבי", "זילברמן"), ("נוע", "עה")]
)
def test_names_that_start_like_a_marker_are_not_deceased(first: str, last: str) -> None:
    row = clean(first, last)
    assert (row["first_name"], row["last_name"], row["deceased"]) == (first, last, False)


def _with_notes(notes: list[str | None]) -> dict[str, object]:
    frame = pl.DataFrame(
        {
            "source_row": range(2, 2 + len(notes)),
            "first_name": ["משה"] * len(notes),
            "last_name": ["כהן"] * len(notes),
            "full_name": [None] * len(notes),
            "notes": notes,
        },
        schema={
            "source_row": pl.Int64,
            "first_name": pl.String,
            "last_name": pl.String,
            "full_name": pl.String,
            "notes": pl.String,
        },
    )
    out = clean_names(frame, deceased=RULES.deceased_markers)
    return {
        "deceased": out["first_name"].columns["deceased"].to_list(),
        "flagged": out["notes"].entries.filter(pl.col("check") == "notes-deceased")["source_row"].to_list(),
    }


def test_a_notes_column_that_says_the_member_died() -> None:
    notes = ["נפטר", "נפטרה בינואר", "נפטר/ה", "Deceased", 'בעלה ז"ל', "לקוח ותיק", "זלמן", None, "ביקש לא להתקשר"]
    out = _with_notes(notes)
    assert out["deceased"] == [True] * 5 + [False] * 4
    assert out["flagged"] == [2, 3, 4, 5, 6]  # traceable in the ledger under notes-deceased


def test_title_and_deceased_columns() -> None:
    row = clean('ד"ר שרה', 'לוי ז"ל')
    assert (row["title"], row["deceased"]) == ('ד"ר', True)
    assert clean("שרה", "לוי")["deceased"] is False


@pytest.mark.parametrize(
    ("full", "first", "last"),
    [
        ("משה כהן", "משה", "כהן"),
        ("כהן משה", "משה", "כהן"),
        ("יוסי בן דוד", "יוסי", "בן דוד"),
        ("מר אבי אבו חמד", "אבי", "אבו חמד"),
        ("שירה", "שירה", None),
        ("ויסמן", None, "ויסמן"),
        ("Moshe Cohen", "Moshe", "Cohen"),
        ("שרה לוי-כהן", "שרה", "לוי-כהן"),
    ],
)
def test_full_name_is_split_only_when_alone(full: str, first: str | None, last: str | None) -> None:
    row = clean(None, None, full)
    assert (row["first_name"], row["last_name"]) == (first, last)
    assert "name-split-from-full" in row["checks"]  # type: ignore[operator]
    kept = clean("דנה", "לוי", full)
    assert (kept["first_name"], kept["last_name"]) == ("דנה", "לוי")


@pytest.mark.parametrize(
    ("name", "key"),
    [("כהן", "כהנ"), ("כֹּהֵן", "כהנ"), ("בן-דוד", "בנ דוד"), ("O'Brien", "obrien"), ('ד"ר', "דר"), ("יוסף", "יוספ")],
)
def test_match_key(name: str, key: str) -> None:
    value = (
        pl.DataFrame({"n": [name]})
        .select(match_key(pl.col("n").str.normalize("NFKD").str.replace_all(r"[\u{0591}-\u{05C7}]", "")))
        .item()
    )
    assert value == key


def test_first_name_lexicon_knows_ambiguous_names() -> None:
    lex = first_name_lexicon()
    p = dict(zip(lex["name"], lex["p_female"], strict=True))
    assert p["שירה"] > 0.95 and p["משה"] < 0.05 and 0.3 < p["טל"] < 0.7


NAMES = st.sampled_from(["משה", "כהן", "מֹשֶׁה", 'ד"ר יוסי', "MOSHE", 'לוי ז"ל', "ןהכ", "Sarah", "בן-דוד", "test"])


@settings(deadline=None)  # an invariant, not a timing: a machine under load must not fail it
@given(NAMES, NAMES)
def test_cleaning_is_idempotent(first: str, last: str) -> None:
    once = clean(first, last)
    twice = clean(once["first_name"], once["last_name"])  # type: ignore[arg-type]
    assert (twice["first_name"], twice["last_name"]) == (once["first_name"], once["last_name"])


@pytest.mark.parametrize(
    ("full", "gender", "first", "last"),
    [
        ("לוי שרה", None, "שרה", "לוי"),  # both given names, שרה twelve times as common
        ("פרץ דוד", None, "דוד", "פרץ"),
        ("דוד לוי", None, "דוד", "לוי"),
        ("כהן משה", None, "משה", "כהן"),  # כהן is no given name
        ("אברהם רחל", "נ", "רחל", "אברהם"),  # both common: the member's recorded sex tells
        ("רחל אברהם", "נ", "רחל", "אברהם"),
        ("ישראל נועה", "F", "נועה", "ישראל"),
        ("אברהם רחל", None, "אברהם", "רחל"),  # nothing tells: the order as written
    ],
)
def test_a_full_name_written_last_name_first_is_split_the_right_way(
    full: str, gender: str | None, first: str, last: str
) -> None:
    frame = pl.DataFrame(
        {"source_row": [2], "first_name": [None], "last_name": [None], "full_name": [full], "gender": [gender]},
        schema={c: pl.String for c in ("first_name", "last_name", "full_name", "gender")} | {"source_row": pl.Int64},
    )
    out = clean_names(frame, gender=RULES.gender_values)
    assert (out["first_name"].columns["first_name"][0], out["last_name"].columns["last_name"][0]) == (first, last)


def test_a_file_written_last_name_first_is_read_so_where_its_names_do_not_tell() -> None:
    """Most of the file's full names show its order (a family name first); a pair of two common given names with no
    recorded sex follows it."""
    fulls = ["כהן משה", "לוי שרה", "מזרחי דנה", "פרידמן יוסי", "אברהם רחל"]
    frame = pl.DataFrame(
        {"source_row": range(2, 7), "first_name": [None] * 5, "last_name": [None] * 5, "full_name": fulls},
        schema={"source_row": pl.Int64, "first_name": pl.String, "last_name": pl.String, "full_name": pl.String},
    )
    out = clean_names(frame)
    assert out["first_name"].columns["first_name"].to_list() == ["משה", "שרה", "דנה", "יוסי", "רחל"]
