"""``cleanse inspect``: sheet and header row as a run finds them, mappings with method and confidence, masked
samples, the columns carried through; from the first rows only."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.ingest import read_member_file
from pipeline.inspect import inspect_file
from pipeline.mapping import HeaderMatcher
from pipeline.peek import read_head
from pipeline.rules import Rules
from tests.conftest import write_xlsx_strings

runner = CliRunner()

MEMBERS = pl.DataFrame(
    {
        "מס' חבר": ["101", "102", "103"],
        "שם פרטי": ["דנה", "אבי", "מיכל"],
        "טל. נייד": ["052-5551234", "0546667788", "050-1112233"],
        "Customer E-mail": ["dana@example.com", "avi@walla.co.il", None],
        "מאשר/ת קבלת הודעות SMS": ["כן", "לא", "כן"],
        "מייל הורים": ["p1@example.com", None, "p3@example.com"],
        "צבע מועדף": ["כחול", "אדום", None],
    }
)


def _by_header(found: object) -> dict[str, object]:
    return {c.header: c for c in found.columns}  # type: ignore[attr-defined]


def test_csv_preview_maps_holds_and_carries(rules: Rules, tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    MEMBERS.write_csv(path)
    found = inspect_file(path, rules=rules)
    cols = _by_header(found)
    assert found.source.format == "csv" and found.source.header_row == 1 and found.rows == 3
    sms = cols["מאשר/ת קבלת הודעות SMS"]
    assert (sms.status, sms.field, sms.method, sms.values) == ("mapped", "sms_consent", "words", "agree")
    assert cols["טל. נייד"].samples == ("052-***-1234", "054-***-7788", "050-***-2233")
    assert cols["Customer E-mail"].samples == ("d***@example.com", "a***@walla.co.il")
    assert cols["שם פרטי"].samples == ("ד***", "א***", "מ***")
    held = cols["מייל הורים"]
    assert (held.status, held.field) == ("held", "email") and held.samples[0] == "p***@example.com"
    assert cols["צבע מועדף"].status == "carried" and cols["צבע מועדף"].samples == ("כחול", "אדום")
    assert found.to_dict()["carried"] == ["מייל הורים", "צבע מועדף"]
    assert any("מייל הורים=email" in w for w in found.warnings)


def test_show_pii_shows_values_as_they_are(rules: Rules, tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    MEMBERS.write_csv(path)
    cols = _by_header(inspect_file(path, rules=rules, show_pii=True))
    assert cols["טל. נייד"].samples[0] == "052-5551234"


def test_a_long_text_file_is_read_only_at_its_head(rules: Rules, tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    n = 5_000
    pl.DataFrame({"מספר חבר": [str(i) for i in range(n)], "נייד": ["0525551234"] * n}).write_csv(path)
    head = read_head(path, score_header=HeaderMatcher(rules.columns).recognised, rows=100)
    assert not head.whole and head.raw.height < 200 and head.rows == n
    assert head.raw.frame.get_column("source_row").head(2).to_list() == [2, 3]


def test_xlsx_head_finds_the_sheet_and_header_row_a_run_finds(rules: Rules, tmp_path: Path) -> None:
    path = tmp_path / "members.xlsx"
    frame = pl.DataFrame({"מספר חבר": [str(i) for i in range(300)], "טלפון נייד": ["0521234567"] * 300})
    write_xlsx_strings(
        frame, path, titles=["דוח חברי מועדון", "הופק 01/01/2025"], blank_rows=1, sheet="חברים", sheets_before=["סיכום"]
    )
    scorer = HeaderMatcher(rules.columns).recognised
    whole = read_member_file(path, score_header=scorer)
    head = read_head(path, score_header=scorer, rows=50)
    assert (head.raw.source.sheet, head.raw.source.header_row) == (whole.source.sheet, whole.source.header_row)
    assert head.raw.source.sheet == "חברים" and head.raw.source.header_row == 4 and head.raw.source.format == "xlsx"
    assert head.raw.headers == whole.headers and head.rows == 300 and not head.whole
    assert head.raw.frame.head(5).equals(whole.frame.head(5))


def test_xlsx_date_and_number_cells_read_as_a_run_reads_them(rules: Rules, tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "typed.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("members")
    date = wb.add_format({"num_format": "dd/mm/yyyy"})
    for c, name in enumerate(("מספר חבר", "תאריך לידה", "נייד")):
        ws.write_string(0, c, name)
    ws.write_number(1, 0, 101)
    ws.write_datetime(1, 1, dt.datetime(1980, 12, 31), date)
    ws.write_number(1, 2, 521234567)
    wb.close()
    head = read_head(path, score_header=HeaderMatcher(rules.columns).recognised)
    assert head.raw.frame.row(0) == (2, "101", "1980-12-31", "521234567")


def test_a_workbook_in_the_1904_date_system_is_previewed_as_a_run_reads_it(rules: Rules, tmp_path: Path) -> None:
    """Old Mac Excel counts days from 1904: the preview showed 1976-01-31 for a birth date of 1980-02-01."""
    import xlsxwriter

    path = tmp_path / "mac.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"date_1904": True})
    ws = wb.add_worksheet("members")
    date = wb.add_format({"num_format": "dd/mm/yyyy"})
    for c, name in enumerate(("מספר חבר", "תאריך לידה")):
        ws.write_string(0, c, name)
    ws.write_number(1, 0, 101)
    ws.write_datetime(1, 1, dt.datetime(1980, 2, 1), date)
    wb.close()
    head = read_head(path, score_header=HeaderMatcher(rules.columns).recognised)
    assert head.raw.frame.row(0) == (2, "101", "1980-02-01")
    run = read_member_file(path, score_header=HeaderMatcher(rules.columns).recognised)
    assert run.frame.row(0)[2].startswith("1980-02-01")  # the run reads the same day (with its time of day)


def test_parquet_head(rules: Rules, tmp_path: Path) -> None:
    path = tmp_path / "m.parquet"
    n = 3_000
    pl.DataFrame({"מספר חבר": list(range(n)), "נייד": ["0525551234"] * n}).write_parquet(path)
    head = read_head(path, score_header=HeaderMatcher(rules.columns).recognised, rows=100)
    assert head.rows == n and head.raw.height == 100 and head.raw.source.path == str(path)


def test_cli_inspect_json_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    MEMBERS.write_csv(path)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = runner.invoke(app, ["inspect", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["schema"] == "cleanse.inspect" and data["header_row"] == 1
    mapped = {c["header"]: (c["field"], c["method"]) for c in data["columns"] if c["status"] == "mapped"}
    assert mapped["מאשר/ת קבלת הודעות SMS"] == ("sms_consent", "words")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_cli_inspect_table_and_map(tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    MEMBERS.write_csv(path)
    result = runner.invoke(app, ["inspect", str(path), "--map", "מייל הורים=-"])
    assert result.exit_code == 0, result.output
    assert "sms_consent" in result.output and "carried through unchanged: מייל הורים, צבע מועדף" in result.output
    assert "dana@example.com" not in result.output


def test_a_file_with_no_header_row_shows_no_member_s_name(tmp_path: Path) -> None:
    """An audit: a file with no header row put a member's names on screen as column names (דנה, לוי) and the next
    members' names as samples; only phones, e-mails and IDs were masked. A header row holding a phone, an e-mail
    or an ID number is a member: its cells and the columns below them are shown as names are, and it is said."""
    path = tmp_path / "no_header.csv"
    path.write_text(
        "דנה,לוי,052-8123456,dana.levi@gmail.com,300000007\n"
        "יוסי,כהן,054-7654329,yossi@gmail.com,000000018\n"
        "רינה,כץ,050-1234567,rina@walla.co.il,000000026\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["inspect", str(path), "--json"])
    assert result.exit_code == 0, result.output
    for name in ("דנה", "לוי", "יוסי", "כהן", "רינה", "כץ", "dana.levi", "8123456"):
        assert name not in result.output, name
    data = json.loads(result.output)
    assert [c["header"] for c in data["columns"]][:2] == ["ד.", "ל."]
    assert any("looks like a member, not headers" in w for w in data["warnings"])
    shown = runner.invoke(app, ["inspect", str(path), "--show-pii"])
    assert "דנה" in shown.output and "יוסי" in shown.output


@pytest.mark.parametrize("name", ["missing.csv", "empty.csv"])
def test_cli_inspect_bad_input_is_one_line_and_exit_2(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name == "empty.csv":
        path.write_bytes(b"")
    result = runner.invoke(app, ["inspect", str(path)])
    assert result.exit_code == 2 and "cleanse: error:" in result.output and "Traceback" not in result.output


def test_headers_with_years_and_numbers_are_headers_not_a_member(tmp_path: Path) -> None:
    """A review of the change above: "קניות 2023-2024" holds eight digits, and any run of seven or more once made
    the header row "a member". Only a cell that is an e-mail address or a phone-or-ID-like number (9 to 13 digits,
    no letters) says so now."""
    path = tmp_path / "members.csv"
    path.write_text(
        "שם פרטי,שם משפחה,טלפון נייד,קניות 2023-2024,טלפון 2\nדנה,לוי,052-8123456,100,03-1234567\n", encoding="utf-8"
    )
    data = json.loads(runner.invoke(app, ["inspect", str(path), "--json"]).output)
    assert [c["header"] for c in data["columns"]][:3] == ["שם פרטי", "שם משפחה", "טלפון נייד"]
    assert not any("looks like a member" in w for w in data["warnings"])


def test_an_error_in_the_head_names_the_file_not_its_temporary_copy(tmp_path: Path) -> None:
    """An audit: a binary file long enough to be cut at its head was called
    ``/tmp/cleanse-inspect-XXXX/garb.csv: is a binary file``: the head's temporary copy, not the user's file."""
    path = tmp_path / "garb.csv"
    path.write_bytes(b"\x00\x01\x02 binary\n" * 5_000)
    result = runner.invoke(app, ["inspect", str(path)])
    assert result.exit_code == 2 and "binary" in result.output, result.output
    assert str(path) in result.output.replace("\n", "") and "cleanse-inspect-" not in result.output


def test_xlsx_head_skips_a_hidden_sheet_as_a_run_does(rules: Rules, tmp_path: Path) -> None:
    """A hidden first sheet with member headers: a run reads the visible one, and so must the preview (it read
    the hidden one); --sheet by number still reaches the hidden sheet in both."""
    import xlsxwriter

    path = tmp_path / "hidden.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    for name, member in (("ישן", "1"), ("חברים", "2")):
        ws = wb.add_worksheet(name)
        for c, header in enumerate(("מספר חבר", "טלפון נייד")):
            ws.write_string(0, c, header)
        ws.write_string(1, 0, member)
        ws.write_string(1, 1, "0521234567")
        if name == "ישן":
            ws.hide()
    wb.worksheets()[1].activate()
    wb.close()
    scorer = HeaderMatcher(rules.columns).recognised
    for sheet in (None, "1"):
        whole = read_member_file(path, score_header=scorer, sheet=sheet)
        head = read_head(path, score_header=scorer, sheet=sheet, rows=50)
        assert head.raw.source.sheet == whole.source.sheet == ("חברים" if sheet is None else "ישן")
