"""The whole pipeline on real-looking files: the same data in every format gives the same clean table, and no
input row is ever lost (rows in = rows in the merge map + rows in quarantine)."""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from pipeline.rulefile import load_rules
from pipeline.rules import Rules
from pipeline.runner import RunOptions, RunResult, process
from tests.conftest import SAMPLE, write_xlsx_strings


def _comparable(result: RunResult) -> pl.DataFrame:
    """The clean table without what legitimately differs by format (the row numbers)."""
    return result.members.drop("golden_id", "source_rows")


def _formats(frame: pl.DataFrame, tmp: Path) -> dict[str, Path]:
    files = {
        "windows-1255.csv": frame.write_csv().encode("cp1255"),
        "utf8-bom.csv": b"\xef\xbb\xbf" + frame.write_csv().encode("utf-8"),
        "semicolon.csv": frame.write_csv(separator=";").encode("utf-8"),
        "tab.tsv": frame.write_csv(separator="\t").encode("utf-16"),
    }
    paths: dict[str, Path] = {}
    for name, data in files.items():
        paths[name] = tmp / name
        paths[name].write_bytes(data)
    paths["members.parquet"] = tmp / "members.parquet"
    frame.write_parquet(paths["members.parquet"])
    paths["titled.xlsx"] = tmp / "titled.xlsx"
    write_xlsx_strings(frame, paths["titled.xlsx"], titles=["ייצוא חברי מועדון", "הופק 01/10/2026"])
    return paths


def test_every_format_gives_the_same_clean_table(tmp_path: Path, rules: Rules, member_frame: pl.DataFrame) -> None:
    paths = _formats(member_frame, tmp_path)
    results = {name: process(path, rules=rules) for name, path in paths.items()}
    baseline = _comparable(results["members.parquet"])
    assert baseline.height > 250
    for name, result in results.items():
        assert result.accounted, name
        assert_frame_equal(_comparable(result), baseline, check_dtypes=True)
    assert results["windows-1255.csv"].source.encoding == "cp1255"
    assert results["semicolon.csv"].source.delimiter == "semicolon"
    assert results["titled.xlsx"].source.header_row == 3


def test_sample_file_nothing_lost_and_ledger_rows_exist(rules: Rules) -> None:
    result = process(SAMPLE, rules=rules)
    assert result.rows_in == 2000
    assert result.merge_map.height + result.quarantine.height == 2000
    assert result.accounted
    assert set(result.quarantine["reason"]) <= {"empty-row", "no-identity", "csv-ragged-row"}
    assert result.quarantine.filter(pl.col("reason") == "empty-row").height >= 1
    rows = set(result.merge_map["source_row"]) | set(result.quarantine["source_row"])
    assert set(result.ledger.collect()["source_row"]) <= rows


def test_quarantine_keeps_raw_values_and_reason(tmp_path: Path, rules: Rules) -> None:
    path = tmp_path / "q.csv"
    path.write_text(
        "מספר חבר,שם פרטי,שם משפחה,טלפון נייד,עיר\n"
        "1,משה,כהן,0521234567,חיפה\n"
        ",בדיקה,בדיקה,,תל אביב\n"
        ",,,,\n"
        "4,רון,לוי,0541234567,חיפה,עודף\n",
        encoding="utf-8",
    )
    result = process(path, rules=rules)
    q = result.quarantine
    assert q.select("source_row", "reason").rows() == [(3, "no-identity"), (4, "empty-row"), (5, "csv-ragged-row")]
    assert q.filter(pl.col("source_row") == 3)["עיר"].item() == "תל אביב"
    assert q.filter(pl.col("source_row") == 5)["extra_fields"].item() == "עודף"
    assert result.members["first_name"].to_list() == ["משה"]
    assert set(result.ledger.filter(pl.col("action") == "quarantined").collect()["check"]) == {
        "no-identity",
        "empty-row",
        "csv-ragged-row",
    }


CELL = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "",
            " ",
            "-",
            "NULL",
            "משה",
            "כהן",
            "0521234567",
            "521234567",
            'ד"ר',
            "a,b",
            "x;y",
            "=1+1",
            "\u200fלוי\u200e",
            "line\nbreak",
            '"quoted"',
            "12/03/1980",
        ]
    ),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8),
)


RULES = load_rules()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(CELL, min_size=3, max_size=6), min_size=1, max_size=25))
def test_no_row_is_ever_lost(tmp_path_factory: pytest.TempPathFactory, rows: list[list[str | None]]) -> None:
    """Any CSV records (ragged, empty, multi-line, odd text): every record ends in the merge map or in
    quarantine, exactly once, under the line number it starts on."""
    header = ["מספר חבר", "שם פרטי", "טלפון נייד", "עיר", "הערות"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if c is None else c for c in row])
    text = buf.getvalue()
    # the records a CSV reader sees, with the line each starts on (rows of 3+ cells are never blank lines)
    reader = csv.reader(io.StringIO(text, newline=""))
    starts, last = [], 0
    for _ in reader:
        starts.append(last + 1)
        last = reader.line_num
    expected = starts[1:]
    path = tmp_path_factory.mktemp("prop") / "m.csv"
    path.write_text(text, encoding="utf-8")
    result = process(path, rules=RULES)
    got = sorted([*result.merge_map["source_row"].to_list(), *result.quarantine["source_row"].to_list()])
    assert result.accounted
    assert got == expected


def test_same_input_gives_the_same_output(tmp_path: Path, rules: Rules) -> None:
    import datetime as dt
    import json

    from pipeline.runner import RunOptions
    from pipeline.writing import write_outputs

    options = RunOptions(reference_date=dt.date(2026, 11, 22))
    first = process(SAMPLE, rules=rules, options=options)
    second = process(SAMPLE, rules=rules, options=options)
    assert_frame_equal(first.members, second.members)
    assert_frame_equal(first.ledger, second.ledger)
    _, report_a = write_outputs(first, tmp_path / "a", options=options)
    _, report_b = write_outputs(second, tmp_path / "b", options=options)
    for report in (report_a, report_b):
        report.pop("stages")
    assert json.dumps(report_a, default=str) == json.dumps(report_b, default=str)


def test_sample_output_carries_enrichment_and_club_figures(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from pipeline.cli import app

    out = tmp_path / "o"
    assert (
        CliRunner().invoke(app, ["run", str(SAMPLE), "--out", str(out), "--reference-date", "2026-11-22"]).exit_code
        == 0
    )
    clean = pl.read_parquet(out / "members_clean.parquet")
    for column in (
        "age",
        "age_band",
        "birthday_month",
        "tenure_years",
        "phone_mobile_type",
        "email_domain_class",
        "city_district",
        "gender_inferred",
        "deceased",
        "contact_sms",
        "contact_sms_reason",
        "rfm_r",
        "rfm_f",
        "rfm_m",
        "rfm_segment",
        "aov",
        "purchases_per_year",
        "clv",
        "value_history",
        "p_alive",
        "expected_purchases_90d",
        "expected_spend_365d",
        "p_active_180d",
        "repeat_customer",
        "churn_risk",
        "quality_score",
        "quality_grade",
        "quality_issues",
    ):
        assert column in clean.columns, column
    assert clean["quality_grade"].is_in(["A", "B", "C", "D", "E", "F"]).all()
    assert not clean.filter(pl.col("deceased"))["contact_sms"].any()  # the deceased are never contactable
    assert not clean.filter(~pl.col("sms_consent"))["contact_sms"].any()
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    club = report["club"]
    assert club["as_of"] == "2026-11-22"  # --reference-date sets the scoring date, not the latest purchase
    assert report["customer_value"]["model"]["purchase_model"]["params"]
    assert report["customer_value"]["forecast"]["90d"]["expected_active_members"] > 0
    assert club["before"]["members"] == 2000 and club["after"]["members"] == clean.height
    assert club["after"]["reach"]["sms"] < club["before"]["reach"]["sms"]  # consent and validity cost reach
    assert set(club["after"]["segments"]) >= {"Champions", "Lost", "No purchases"}


def test_a_file_cleaned_in_chunks_gives_what_the_whole_file_gives(
    tmp_path: Path, rules: Rules, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline import ledger as ledger_
    from pipeline.report import build_report
    from sample_data.generate import HEADERS, generate, to_frame

    records, _ = generate(1000, seed=5)
    phone, gender = HEADERS["phone_mobile"], HEADERS["gender"]
    row = pl.int_range(pl.len())
    frame = to_frame(records).with_columns(
        # one number on 31 rows, at most 7 in any chunk of 200: shared in the file (over 25), in no chunk
        pl.when(row % 33 == 0).then(pl.lit("052-3816492")).otherwise(pl.col(phone)).alias(phone),
        # a field with values only in the last chunk: the other chunks must still type it as the file does
        pl.when(row >= 800).then(pl.col(gender)).alias(gender),
    )
    path = tmp_path / "members.parquet"
    frame.write_parquet(path)
    whole = process(path, rules=rules)
    whole_report = build_report(whole, show_pii=False, xlsx_max_rows=50_000)
    # the chunked run also reads its ledger (gates, scores, report) 150 source rows at a time: counts of distinct
    # rows must add up over the ranges, and each check's examples must be the first in the file
    monkeypatch.setattr(ledger_, "PART_ROWS", 150)
    chunked = process(path, rules=rules, options=RunOptions(chunk_rows=200))
    chunked_report = build_report(chunked, show_pii=False, xlsx_max_rows=50_000)

    assert [t.rows_in for t in chunked.timings if t.stage == "validate"] == [1000]
    for name in ("members", "merge_map", "quarantine", "ledger", "pairs"):
        assert_frame_equal(getattr(chunked, name), getattr(whole, name), check_dtypes=True)
    assert dict(chunked.stats) == dict(whole.stats)
    assert len(list(ledger_.by_rows(chunked.ledger))) == 7
    for key in set(whole_report) - {"stages"}:
        assert chunked_report[key] == whole_report[key], key
    assert sum(c["count"] > 3 and len(c["examples"]) == 3 for c in whole_report["checks"]) > 5
    shared = whole.ledger.filter(pl.col("check") == "phone-shared-by-many").collect()
    assert shared.height == 31
    # the chunked run's ledger was read from disk, and the folder it was written to goes with the result
    assert whole.spill is None and chunked.spill is not None
    spill = chunked.spill.path
    assert sorted(p.name for p in spill.glob("ledger-*.parquet")) == [f"ledger-{k:05d}.parquet" for k in range(1, 6)]
    # the scored pairs parked on disk are copied out, not encoded again, and the copy is the file a whole run writes
    assert chunked.spill.file_of(chunked.pairs) == spill / "pairs.parquet"
    from pipeline.writing import write_outputs

    write_outputs(whole, tmp_path / "whole")
    write_outputs(chunked, tmp_path / "chunked")
    for name in ("pairs.parquet", "members_clean.parquet", "ledger.parquet", "ledger.csv", "merge_map.csv"):
        assert (tmp_path / "whole" / name).read_bytes() == (tmp_path / "chunked" / name).read_bytes(), name
    del chunked
    gc.collect()
    assert not spill.exists()


def test_quarantine_on_sends_a_flagged_row_to_quarantine_with_that_reason(tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_text(
        "מספר חבר,שם פרטי,שם משפחה,טלפון נייד,עיר\n"
        "1,משה,כהן,0521234567,חיפה\n"
        "2,בדיקה,בדיקה,0541234567,תל אביב\n"
        "3,רון,לוי,0501234567,חיפה\n",
        encoding="utf-8",
    )
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    (rules_dir / "checks.yaml").write_text("quarantine_on: [name-test-entry]\n", encoding="utf-8")

    flagged_only = process(path, rules=load_rules())
    assert flagged_only.quarantine.height == 0  # by default a test entry is flagged and kept

    result = process(path, rules=load_rules(rules_dir))
    assert result.quarantine.select("source_row", "reason").rows() == [(3, "name-test-entry")]
    assert result.quarantine["reason_text"].item() == "Quarantined by a rule: Test entry"
    assert result.quarantine["שם פרטי"].item() == "בדיקה"  # the raw row, whole
    assert sorted(result.members["member_id"].to_list()) == ["1", "3"]
    assert result.accounted
    entries = result.ledger.filter(pl.col("source_row") == 3).collect()
    quarantined = entries.filter(pl.col("action") == "quarantined")
    assert quarantined.select(pl.col("field", "check").cast(pl.String), "before").rows() in (
        [("first_name", "quarantined-by-rule", "בדיקה")],
        [("last_name", "quarantined-by-rule", "בדיקה")],
    )
    assert "name-test-entry" in entries.get_column("check").cast(pl.String).to_list()  # why, in its own entry


def test_a_transactions_file_gives_the_purchase_columns_of_merged_members(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from pipeline.cli import app

    members = tmp_path / "members.csv"
    members.write_text(
        "member_id,first_name,last_name,national_id,phone_mobile,join_date,purchase_count,total_spend\n"
        "1001,דנה,לוי,039337423,052-3816492,01/01/2025,1,10\n"
        "1002,דנה,לוי,039337423,052-3816492,01/03/2025,1,10\n"  # the same person under a second member number
        "1003,יוסי,כהן,,054-7654329,01/02/2025,9,900\n"
        "1004,רחל,מזרחי,,050-1234567,01/02/2025,,\n",
        encoding="utf-8",
    )
    tx = tmp_path / "purchases.csv"
    tx.write_text(
        "member,date,amount\n"
        "1001,01/01/2025,100\n"
        "1001,01/01/2025,20\n"  # the same day: one purchase occasion
        "1002,15/06/2025,50\n"
        "1003,01/02/2025,70\n"
        "1003,01/02/2026,-30\n"  # a refund: left out, counted
        "7777,01/05/2025,15\n",  # no such member
        encoding="utf-8",
    )
    out = tmp_path / "o"
    result = CliRunner().invoke(
        app,
        ["run", str(members), "--out", str(out), "--transactions", str(tx), "--reference-date", "2025-12-31"],
    )
    assert result.exit_code == 0, result.output
    clean = pl.read_parquet(out / "members_clean.parquet").sort("member_id")
    merged = clean.filter(pl.col("national_id") == "039337423").row(0, named=True)
    assert merged["purchase_count"] == 2 and merged["total_spend"] == 170.0  # 1001's day and 1002's
    assert merged["first_purchase_date"] == dt.date(2025, 1, 1) and merged["last_purchase_date"] == dt.date(2025, 6, 15)
    assert merged["repeat_spend"] == 50.0
    rest = clean.filter(pl.col("national_id").is_null()).sort("member_id")
    assert rest["purchase_count"].to_list() == [1, 0]  # the file's 9 purchases are replaced by the transactions
    notes = json.loads((out / "report.json").read_text(encoding="utf-8"))["notes"]
    assert any("4 purchases used" in n and "1 a refund" in n and "1 member number not in" in n for n in notes), notes


def test_every_column_cleanse_makes_is_one_a_carried_column_steps_aside_for(rules: Rules) -> None:
    """conform.PRODUCED is the list a carried header is checked against; a column a stage adds and the list lacks
    would let a file's column of that name break the run or be overwritten."""
    from pipeline.fields import FIELDS
    from pipeline.stages.conform import extra_name

    result = process(SAMPLE, rules=rules, options=RunOptions(reference_date=dt.date(2026, 11, 22)))
    carried = {extra_name(h) for h in result.mapping.unmapped}
    made = [c for c in result.members.columns if c not in carried and c not in FIELDS]
    assert made and all(extra_name(c) != c for c in made), [c for c in made if extra_name(c) == c]


def test_a_file_whose_columns_bear_cleanse_s_own_names_keeps_them(tmp_path: Path, rules: Rules) -> None:
    """deceased, title, city_code or email_status beside the fields broke the run (exit 3, a duplicate column); age
    and rfm_segment were overwritten by the computed ones. Each is carried as "NAME (original)", untouched."""
    path = tmp_path / "m.csv"
    path.write_text(
        "member_id,first_name,mobile,sms_consent,deceased,title,city_code,email_status,age,rfm_segment,"
        "first_name_key,lapsed_90d,__cluster\n"
        "1001,דנה,0528881234,yes,x,Dr,77,ok,33,VIP,k,12.5,c1\n",
        encoding="utf-8",
    )
    row = process(path, rules=rules).members.row(0, named=True)
    assert row["age (original)"] == "33" and row["age"] is None
    assert row["rfm_segment (original)"] == "VIP" and row["rfm_segment"] != "VIP"
    assert (row["deceased (original)"], row["deceased"]) == ("x", False)
    assert (row["title (original)"], row["city_code (original)"], row["email_status (original)"]) == ("Dr", "77", "ok")
    assert (row["lapsed_90d (original)"], row["original__cluster"]) == ("12.5", "c1")
