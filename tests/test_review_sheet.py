"""review.xlsx for a person: decision first with a drop-down, the two records side by side with differences lit,
headers in the member file's language, frozen header row; and a sheet saved in Hebrew replays its decisions."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import polars as pl
import pytest

from pipeline.rulefile import load_rules
from pipeline.runner import RunOptions, process
from pipeline.stages.dedupe.decisions import read_decisions
from pipeline.writing import write_outputs
from sample_data.generate import HEADERS, generate, to_frame

RULES = load_rules()


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 25-row Hebrew-headed file holding one pair for a person to decide (two גלית חדד of one town, two
    different mobiles: names and place alone)."""
    tmp = tmp_path_factory.mktemp("review")
    pair = pl.DataFrame(
        [
            {
                HEADERS["member_id"]: m,
                HEADERS["first_name"]: "גלית",
                HEADERS["last_name"]: "חדד",
                HEADERS["phone_mobile"]: phone,
                HEADERS["city"]: "עכו",
            }
            for m, phone in (("90001", "054-7654329"), ("90002", "052-3456781"))
        ]
    )
    path = tmp / "m.csv"
    pl.concat([to_frame(generate(23, seed=7)[0]), pair], how="diagonal").write_csv(path)
    result = process(path, rules=RULES, options=RunOptions(reference_date=dt.date(2026, 11, 22)))
    assert result.review.height >= 1
    write_outputs(result, tmp / "out")
    return tmp / "out" / "review.xlsx"


def test_review_sheet_puts_the_decision_first_under_the_files_own_headers(written: Path) -> None:
    sheet = pl.read_excel(written, infer_schema_length=0)
    assert sheet.columns[:3] == ["החלטה", "הסתברות", "למה ייתכן שזה אותו חבר"]
    assert {"מספר חבר א", "מספר חבר ב", "שם פרטי (א)", "שם פרטי (ב)", "טלפון נייד (א)", "טלפון נייד (ב)"} <= set(
        sheet.columns
    )
    pair = sheet.filter(pl.col("מספר חבר א").is_in(["90001", "90002"]))
    assert pair.height == 1
    assert pair.get_column("שם פרטי (א)").item() == pair.get_column("שם פרטי (ב)").item() == "גלית"


def test_review_sheet_has_a_drop_down_lit_differences_and_a_frozen_header(written: Path) -> None:
    xml = zipfile.ZipFile(written).read("xl/worksheets/sheet1.xml").decode()
    assert '<dataValidation type="list"' in xml and "כן,לא,דלג" in xml
    assert 'state="frozen"' in xml
    assert xml.count("<conditionalFormatting") >= 5  # one per field shown side by side
    assert 'rightToLeft="1"' in xml


def test_a_sheet_saved_in_hebrew_replays_its_decisions(written: Path) -> None:
    sheet = pl.read_excel(written, infer_schema_length=0)
    filled = sheet.with_columns(pl.lit("כן").alias("החלטה")).with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("דלג")).otherwise(pl.col("החלטה")).alias("החלטה")
    )
    decisions = read_decisions(filled)
    assert decisions.undecided == 1  # "skip" leaves a pair undecided, without a warning
    assert decisions.table.height == sheet.height - 1
    assert decisions.table.get_column("same").all()
    assert not decisions.unknown_words


def test_a_field_the_file_has_no_column_of_is_named_in_the_sheet_s_language(tmp_path: Path) -> None:
    """A landline moved into phone_other of a file with no such column was headed "phone_other (א)" in a Hebrew
    sheet."""
    from pipeline.review_sheet import write_review

    review = pl.DataFrame(
        {"decision": [None], "a_first_name": ["גלית"], "b_first_name": ["גלית"], "a_phone_other": ["+97246123456"]}
        | {"b_phone_other": [None]},
        schema_overrides={"decision": pl.String, "b_phone_other": pl.String},
    )
    write_review(review, tmp_path / "r.xlsx", field_headers={"first_name": "שם פרטי"}, lang="he")
    headers = pl.read_excel(tmp_path / "r.xlsx", infer_schema_length=0).columns
    assert {"שם פרטי (א)", "טלפון נוסף (א)", "טלפון נוסף (ב)"} <= set(headers)


def test_the_sheet_says_why_a_person_decides_and_words_the_evidence_in_the_file_s_language(written: Path) -> None:
    """Two גלית חדד of one town with two different mobiles: the sheet said only "two different mobiles, first name
    equal, ..." in English, and 80 of 255 pairs at 100,000 members showed 100% with nothing to say why a person must
    decide (one name with a family's facts: a parent and child look the same)."""
    sheet = pl.read_excel(written, infer_schema_length=0)
    assert sheet.columns[3] == "למה נדרשת החלטה"
    pair = sheet.filter(pl.col("מספר חבר א").is_in(["90001", "90002"])).row(0, named=True)
    assert pair["למה ייתכן שזה אותו חבר"] == "שני ניידים שונים, אותו שם פרטי, אותו שם משפחה, אותו יישוב"
    assert pair["למה נדרשת החלטה"] == "הראיות לא מכריעות לאף צד"  # scored between the bands
    assert pair["מה זהה"] == "שם פרטי, שם משפחה"  # under the file's own headers, not field names
    assert pair["מה שונה"] == "טלפון"
    # no English left in what a Hebrew reader reads
    for column in ("למה ייתכן שזה אותו חבר", "למה נדרשת החלטה", "מה זהה", "מה שונה"):
        assert not sheet.get_column(column).drop_nulls().str.contains("[A-Za-z]").any(), column


def test_every_word_of_the_evidence_has_its_hebrew() -> None:
    from pipeline.review_sheet import ADDRESS_HE, BECAUSE, REASON_HE, _hebrew_reason
    from pipeline.stages.dedupe.address import ADDRESS_LEVELS
    from pipeline.stages.dedupe.decide import REVIEW_BECAUSE
    from pipeline.stages.dedupe.phrases import PHRASES

    assert set(REASON_HE) == set(PHRASES)
    assert len(ADDRESS_HE) == len(ADDRESS_LEVELS)
    assert set(BECAUSE) == set(REVIEW_BECAUSE)
    # a phrase with a comma in it, and one that starts another, are each replaced whole
    assert _hebrew_reason(
        "same landline, two mobiles, same landline, same locality, another street, same locality"
    ) == ("אותו טלפון בבית, שני ניידים, אותו טלפון בבית, אותו יישוב, רחוב אחר, אותו יישוב")
    assert _hebrew_reason("first name ~0.93, last name ~ (transliteration)") == "שם פרטי ~0.93, שם משפחה ~ (תעתיק)"


@pytest.mark.parametrize(
    ("rows", "because"),
    [
        # one name and home, two different mobiles, no birth date on one record: scored 1.0, a parent and child?
        (
            [
                '1,יעקב,חדד,,050-9302321,,yaakov.hadad@gmail.com,24/02/1942,תל אביב,הפלמ"ח,3,,,,,',
                '2,יעקב,חדד,,055-9318737,,yaakov.hadad@gmail.com,,תל אביב,הפלמ"ח,3,,,,,',
            ],
            "family_facts",
        ),
        # names and a town alone
        (
            ["1,גלית,חדד,,054-7654329,,,,עכו,,,,,,,", "2,גלית,חדד,,052-3456781,,,,עכו,,,,,,,"],
            "no_identifier",
        ),
    ],
)
def test_why_a_pair_is_in_review_is_the_rule_that_sent_it_there(tmp_path: Path, rows: list[str], because: str) -> None:
    header = (
        'מספר חבר,שם פרטי,שם משפחה,ת"ז,טלפון נייד,טלפון נוסף,דוא"ל,תאריך לידה,עיר,רחוב,מס\' בית,'
        'תאריך הצטרפות,תאריך קנייה אחרונה,מספר קניות,סה"כ קניות,אישור SMS\n'
    )
    path = tmp_path / "m.csv"
    path.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    result = process(path, rules=RULES, options=RunOptions(reference_date=dt.date(2026, 11, 22)))
    assert result.review.get_column("because").to_list() == [because]


def test_an_english_file_s_sheet_words_why_in_english_under_its_own_headers() -> None:
    from pipeline.review_sheet import BECAUSE, _worded

    review = pl.DataFrame(
        {
            "reason": ["two different mobiles, first name equal, same locality"],
            "because": ["family_facts"],
            "agreed": ["first_name, address"],
            "disagreed": ["phone"],
        }
    )
    worded = _worded(review, field_headers={"first_name": "First Name"}, lang="en").row(0, named=True)
    assert worded == {
        "reason": "two different mobiles, first name equal, same locality",  # the English phrases themselves
        "because": BECAUSE["family_facts"][0],
        "agreed": "First Name, address",
        "disagreed": "phone",
    }


def test_every_pair_in_review_gets_the_reason_that_sent_it_there(tmp_path: Path) -> None:
    """``review_because`` reads ``bands``' own tests: over 5,000 generated members with families, a reason that holds
    back a merge is given only to pairs that scored high enough to merge, and every review pair has one reason."""
    from pipeline.stages.dedupe.decide import REVIEW_BECAUSE

    path = tmp_path / "m.csv"
    to_frame(generate(5000, seed=11, families=0.1)[0]).write_csv(path)
    review = process(path, rules=RULES).review
    assert set(review.get_column("because").unique()) >= {"family_facts", "no_identifier", "between_bands"}
    assert review.height > 0
    assert set(review.get_column("because").to_list()) <= set(REVIEW_BECAUSE)
    merge = RULES.dedupe.merge
    held = review.filter(pl.col("because").is_in(["family_facts", "alike_first_names", "no_identifier"]))
    assert (held.get_column("match_probability") >= round(merge, 3)).all()
    between = review.filter(pl.col("because") == "between_bands")
    assert (between.get_column("match_probability") <= merge).all()  # rounded to 3 places on the sheet
