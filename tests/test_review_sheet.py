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
