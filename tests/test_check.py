"""cleanse check: gates from the rules, the exit-code contract, JUnit XML, GitHub annotations, a baseline."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from tests.conftest import SAMPLE

runner = CliRunner()
HEADER = 'מספר חבר,שם פרטי,טלפון נייד,דוא"ל,ת.ז.\n'
GOOD_ROWS = [
    "1,משה,054-7654329,moshe@gmail.com,039337423",
    "2,שרה,052-2745678,sara@walla.co.il,231740705",
    "3,דוד,050-2945679,david@gmail.com,",
    "4,רחל,053-2945671,,",
]


def member_file(tmp_path: Path, rows: list[str], name: str = "m.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def gates(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gates.yaml"
    path.write_text(text, encoding="utf-8")
    return path


MOBILE_GATE = "gates:\n  - name: valid mobiles\n    metric: valid_pct:phone_mobile\n    min: {warn: 99, fail: 60}\n"


def test_passes_with_exit_0_and_writes_no_data(tmp_path: Path) -> None:
    path = member_file(tmp_path, GOOD_ROWS)
    result = runner.invoke(app, ["check", str(path), "--rules", str(gates(tmp_path, MOBILE_GATE))])
    assert result.exit_code == 0, result.output
    assert "1 passed, 0 warned, 0 failed" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gates.yaml", "m.csv"]  # nothing written


def test_fail_level_breach_exits_1(tmp_path: Path) -> None:
    rows = [*GOOD_ROWS, "5,יוסי,0521234567,,", "6,דנה,12345,,"]  # two of six mobiles invalid: 66.7% < 70
    text = MOBILE_GATE.replace("fail: 60", "fail: 70")
    result = runner.invoke(app, ["check", str(member_file(tmp_path, rows)), "--rules", str(gates(tmp_path, text))])
    assert result.exit_code == 1
    assert "must be at least 70" in result.output


def test_warnings_pass_unless_fail_on_warn(tmp_path: Path) -> None:
    rows = [*GOOD_ROWS, "5,יוסי,0521234567,,"]  # 80% valid: below warn 99, above fail 60
    args = ["check", str(member_file(tmp_path, rows)), "--rules", str(gates(tmp_path, MOBILE_GATE))]
    assert runner.invoke(app, args).exit_code == 0
    assert runner.invoke(app, [*args, "--fail-on", "warn"]).exit_code == 1


def test_default_gates_fail_the_sample_on_duplicates() -> None:
    result = runner.invoke(app, ["check", str(SAMPLE)])
    assert result.exit_code == 1
    assert "duplicate_pct" in result.output


def test_broken_rules_and_bad_input_exit_2(tmp_path: Path) -> None:
    path = member_file(tmp_path, GOOD_ROWS)
    bad = gates(tmp_path, "gates:\n  - name: x\n    metric: valid_pct:phone_mobil\n    min: {fail: 1}\n")
    result = runner.invoke(app, ["check", str(path), "--rules", str(bad)])
    assert result.exit_code == 2 and "did you mean 'phone_mobile'" in result.stderr
    assert runner.invoke(app, ["check", str(tmp_path / "missing.csv")]).exit_code == 2
    assert runner.invoke(app, ["check", str(path), "--fail-on", "maybe"]).exit_code == 2


def test_no_gate_that_can_run_is_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_text("מספר חבר,שם פרטי\n1,משה\n", encoding="utf-8")
    only_email = gates(tmp_path, "gates:\n  - name: e-mail\n    metric: valid_pct:email\n    min: {fail: 90}\n")
    result = runner.invoke(app, ["check", str(path), "--rules", str(only_email)])
    assert result.exit_code == 2 and "no gate could run" in result.stderr


def test_junit_xml_has_one_case_per_gate(tmp_path: Path) -> None:
    rows = [*GOOD_ROWS, "5,יוסי,0521234567,,", "6,דנה,12345,,"]
    text = MOBILE_GATE.replace("fail: 60", "fail: 70") + (
        "  - name: e-mail\n    metric: valid_pct:email\n    min: {fail: 50}\n"
        "  - name: zip codes\n    metric: valid_pct:zip\n    min: {fail: 50}\n"
    )
    junit = tmp_path / "reports" / "cleanse.xml"
    result = runner.invoke(
        app, ["check", str(member_file(tmp_path, rows)), "--rules", str(gates(tmp_path, text)), "--junit", str(junit)]
    )
    assert result.exit_code == 1
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "3" and suite.get("failures") == "1"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert cases["valid mobiles"].find("failure") is not None
    assert cases["e-mail"].find("failure") is None
    assert cases["zip codes"].find("skipped") is not None  # no zip column: skipped, not passed


def test_github_annotations(tmp_path: Path) -> None:
    rows = [*GOOD_ROWS, "5,יוסי,0521234567,,"]
    result = runner.invoke(
        app,
        ["check", str(member_file(tmp_path, rows)), "--rules", str(gates(tmp_path, MOBILE_GATE)), "--format", "github"],
    )
    lines = result.output.strip().splitlines()
    assert lines == [
        f"::warning file={tmp_path / 'm.csv'},title=cleanse: valid mobiles::WARN: "
        "valid_pct:phone_mobile = 80, should be at least 99"
    ]


def test_baseline_catches_a_drop(tmp_path: Path) -> None:
    text = MOBILE_GATE + "    max_drop: 5\n"
    rules = gates(tmp_path, text)
    baseline = tmp_path / "baseline.json"
    good = member_file(tmp_path, GOOD_ROWS, "good.csv")
    assert runner.invoke(app, ["check", str(good), "--rules", str(rules), "--report", str(baseline)]).exit_code == 0
    assert json.loads(baseline.read_text(encoding="utf-8"))["gates"]["valid_pct:phone_mobile"] == 100.0
    worse = member_file(tmp_path, [*GOOD_ROWS, "5,יוסי,0521234567,,"], "worse.csv")  # 80%: still above fail 60
    result = runner.invoke(app, ["check", str(worse), "--rules", str(rules), "--baseline", str(baseline)])
    assert result.exit_code == 1 and "moved the wrong way by 20" in result.output
    run_report = tmp_path / "run"
    assert runner.invoke(app, ["run", str(good), "--out", str(run_report), "--quiet"]).exit_code == 0
    result = runner.invoke(
        app, ["check", str(worse), "--rules", str(rules), "--baseline", str(run_report / "report.json")]
    )
    assert result.exit_code == 1  # a cleanse run report works as a baseline too
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    assert runner.invoke(app, ["check", str(worse), "--rules", str(rules), "--baseline", str(bad)]).exit_code == 2


DROP_GATE = MOBILE_GATE + "    max_drop: 5\n"
GOOD_FIGURES = {"rows": 4.0, "valid_pct:phone_mobile": 100.0}


@pytest.mark.parametrize(
    ("baseline", "why"),
    [
        ({"schema": "frictionless.report", "schema_version": 1, "gates": GOOD_FIGURES}, "not a cleanse report"),
        ({"gates": GOOD_FIGURES}, "not a cleanse report (schema None"),
        ({"schema": "cleanse.report", "schema_version": 2, "gates": GOOD_FIGURES}, "of schema_version 2"),
        ({"schema": "cleanse.check", "schema_version": "1", "gates": GOOD_FIGURES}, "of schema_version '1'"),
        ({"schema": "cleanse.report", "schema_version": 1}, "no 'gates' figures"),
        ({"schema": "cleanse.check", "schema_version": 1, "gates": {}}, "no 'gates' figures"),
        (
            {"schema": "cleanse.check", "schema_version": 1, "gates": {"rows": 4, "valid_pct:phone_mobile": "100%"}},
            "baseline figures are not numbers: valid_pct:phone_mobile='100%'",
        ),
        (
            {"schema": "cleanse.report", "schema_version": 1, "gates": {"valid_pct:phone_mobile": None}},
            "not numbers: valid_pct:phone_mobile=None",
        ),
        (
            {"schema": "cleanse.report", "schema_version": 1, "gates": {"valid_pct:phone_mobile": True}},
            "not numbers: valid_pct:phone_mobile=True",
        ),
        (
            {"schema": "cleanse.check", "schema_version": 1, "gates": {"rows": 4.0}},
            "no figure for valid_pct:phone_mobile",
        ),
        ([1, 2, 3], "not a JSON object"),
        (  # too big for a float: isfinite overflowed (exit 3)
            {"schema": "cleanse.report", "schema_version": 1, "gates": {"valid_pct:phone_mobile": 10**400}},
            "not numbers: valid_pct:phone_mobile=1000",
        ),
    ],
)
def test_a_baseline_it_cannot_use_is_exit_2_naming_why(tmp_path: Path, baseline: object, why: str) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps(baseline), encoding="utf-8")
    worse = member_file(tmp_path, [*GOOD_ROWS, "5,יוסי,0521234567,,", "6,דנה,0521234568,,"])  # 66.7%: above fail
    result = runner.invoke(
        app, ["check", str(worse), "--rules", str(gates(tmp_path, DROP_GATE)), "--baseline", str(path)]
    )
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and why in lines[0] and "baseline" in lines[0], lines
    assert "Quality gates" not in result.output  # refused, not checked


def test_a_bad_baseline_is_refused_before_the_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    path.write_text('{"schema": "cleanse.report", "schema_version": 7, "gates": {"rows": 1}}', encoding="utf-8")
    result = runner.invoke(app, ["check", str(tmp_path / "nowhere.csv"), "--baseline", str(path)])
    assert result.exit_code == 2 and "schema_version 7" in result.stderr


def test_a_check_absent_from_the_baseline_counts_as_none_there(tmp_path: Path) -> None:
    text = (
        "gates:\n  - name: bad mobiles\n    metric: check_count:phone-invalid\n    max: {fail: 100}\n    max_drop: 1\n"
    )
    rules = gates(tmp_path, text)
    baseline = tmp_path / "baseline.json"
    good = member_file(tmp_path, GOOD_ROWS, "good.csv")
    assert runner.invoke(app, ["check", str(good), "--rules", str(rules), "--report", str(baseline)]).exit_code == 0
    assert "check_count:phone-invalid" not in json.loads(baseline.read_text(encoding="utf-8"))["gates"]
    worse = member_file(tmp_path, [*GOOD_ROWS, "5,יוסי,12345,,", "6,דנה,999,,"], "worse.csv")
    args = ["check", str(worse), "--rules", str(rules), "--baseline", str(baseline), "--format", "github"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and "was 0 in the baseline: moved the wrong way by 2" in result.output


def test_exact_duplicates_counts_rows_repeating_an_earlier_rows_valid_identifier() -> None:
    """A row counts once however many identifiers it repeats, only against an earlier row, and only on valid
    values: an invalid ID number shared by two rows, or a missing e-mail, makes no duplicate."""
    from pipeline.gates import exact_duplicates

    members = pl.DataFrame(
        {
            "national_id": ["000000018", "000000018", "123", "123", None],
            "national_id_status": ["valid", "valid", "invalid", "invalid", None],
            "phone_mobile": ["+972521234567", "+972521234567", "+972521234568", None, "+972521234568"],
            "phone_mobile_status": ["valid", "valid", "valid", None, "valid"],
            "email": ["a@x.com", None, None, None, "b@x.com"],
            "email_status": ["valid", None, None, None, "valid"],
        }
    )
    # row 1 repeats row 0's ID and mobile (one row), row 4 repeats row 2's mobile; rows 2-3 share only an invalid ID
    assert exact_duplicates(members) == 2
    assert exact_duplicates(members.select("email", "email_status")) == 0
