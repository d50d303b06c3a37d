"""Ingest: every format a member file comes in, every cell a string, source_row as a person sees it."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.csvtable import sniff_delimiter
from pipeline.errors import InputError
from pipeline.ingest import read_member_file
from pipeline.mapping import HeaderMatcher
from pipeline.rawtable import EXTRA_FIELDS
from pipeline.rules import Rules
from pipeline.textfile import decode
from tests.conftest import write_xlsx_strings

HEADER = "מספר חבר,שם פרטי,שם משפחה,טלפון נייד,ת.ז.\n"


def read(path: Path, rules: Rules, **kw: object) -> pl.DataFrame:
    return read_member_file(path, score_header=HeaderMatcher(rules.columns).recognised, **kw).frame  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1255", "cp1255"), ("utf-16", "utf-16")],
)
def test_csv_encodings_decode_hebrew(tmp_path: Path, rules: Rules, encoding: str, expected: str) -> None:
    text = HEADER + "1001,משה,כהן,0521234567,012345674\n1002,שרה,לוי,054-7654321,\n"
    path = tmp_path / "m.csv"
    path.write_bytes(text.encode(encoding))
    table = read_member_file(path, score_header=HeaderMatcher(rules.columns).recognised)
    assert table.source.encoding == expected
    assert table.frame.get_column("שם פרטי").to_list() == ["משה", "שרה"]
    assert table.frame.get_column("ת.ז.").to_list() == ["012345674", None]


def test_iso_8859_8_is_read_when_bytes_are_not_windows_1255(rules: Rules, tmp_path: Path) -> None:
    # 0xDF is undefined in Windows-1255 but is the double low line in ISO-8859-8
    data = HEADER.encode("iso-8859-8") + "1,משה,כהן,0521234567,1\n".encode("iso-8859-8") + b"2,\xdf,x,1,1\n"
    path = tmp_path / "legacy.csv"
    path.write_bytes(data)
    table = read_member_file(path, score_header=HeaderMatcher(rules.columns).recognised)
    assert table.source.encoding == "iso-8859-8"
    assert table.frame.get_column("שם פרטי").to_list() == ["משה", "‗"]


def test_decode_refuses_binary() -> None:
    with pytest.raises(InputError, match="binary"):
        decode(b"\x00\x01\x02PK", path=Path("x.csv"))


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(delimiter: str) -> None:
    lines = [
        delimiter.join(["שם פרטי", "שם משפחה", "טלפון", "עיר"]),
        delimiter.join(["משה", "כהן", "03-1234567", 'ת"א']),
    ]
    assert sniff_delimiter(lines) == delimiter


def test_semicolon_file_with_commas_inside_values(rules: Rules, tmp_path: Path) -> None:
    path = tmp_path / "semi.csv"
    path.write_text('שם פרטי;שם משפחה;סה"כ קניות;טלפון נייד\nמשה;כהן;1,234.50;0521234567\n', encoding="utf-8")
    frame = read(path, rules)
    assert frame.get_column('סה"כ קניות').to_list() == ["1,234.50"]


def test_no_type_inference_keeps_leading_zeros(rules: Rules, tmp_path: Path) -> None:
    path = tmp_path / "zeros.csv"
    path.write_text(HEADER + "007,משה,כהן,0521234567,012345678\n", encoding="utf-8")
    frame = read(path, rules)
    assert frame.row(0) == (2, "007", "משה", "כהן", "0521234567", "012345678")


def test_csv_source_row_is_the_record_first_line(rules: Rules, tmp_path: Path) -> None:
    # a quoted newline makes record 2 span two lines; the blank line is an (empty) record of its own
    text = HEADER + '1,"משה\nהשני",כהן,0521234567,\n\n3,שרה,לוי,0541234567,\n2,רון,"כהן, לוי",0501234567,\n'
    path = tmp_path / "lines.csv"
    path.write_text(text, encoding="utf-8")
    frame = read(path, rules)
    assert frame.get_column("source_row").to_list() == [2, 4, 5, 6]
    assert frame.get_column("שם פרטי").to_list() == ["משה\nהשני", None, "שרה", "רון"]
    assert frame.get_column("שם משפחה").to_list()[3] == "כהן, לוי"


def test_csv_title_rows_above_header_are_skipped(rules: Rules, tmp_path: Path) -> None:
    path = tmp_path / "titled.csv"
    path.write_text("דוח חברי מועדון,,,,\nהופק 01/10/2026,,,,\n" + HEADER + "1,משה,כהן,0521234567,\n", encoding="utf-8")
    table = read_member_file(path, score_header=HeaderMatcher(rules.columns).recognised)
    assert table.source.header_row == 3
    assert table.frame.get_column("source_row").to_list() == [4]


def test_ragged_rows_are_kept_with_their_extra_fields(rules: Rules, tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text(HEADER + "1,משה,כהן,0521234567,1,EXTRA,MORE\n2,שרה\n3,רון,לוי,0501234567,,,\n", encoding="utf-8")
    table = read_member_file(path, score_header=HeaderMatcher(rules.columns).recognised)
    assert table.frame.get_column(EXTRA_FIELDS).to_list() == ["EXTRA,MORE", None, None]
    assert table.short_rows.get_column("source_row").to_list() == [3]
    assert table.frame.get_column("שם משפחה").to_list() == ["כהן", None, "לוי"]


def test_xlsx_header_below_title_and_blank_rows(rules: Rules, tmp_path: Path) -> None:
    frame = pl.DataFrame({"שם פרטי": ["משה", "שרה"], "טלפון נייד": ["0521234567", "0541234567"]})
    path = tmp_path / "t.xlsx"
    header = write_xlsx_strings(frame, path, titles=["דוח חברים", "סניף ראשי"], blank_rows=1)
    table = read_member_file(path, score_header=HeaderMatcher(rules.columns).recognised)
    assert header == 4 and table.source.header_row == 4
    assert table.frame.get_column("source_row").to_list() == [5, 6]


def test_xlsx_leading_blank_rows_keep_sheet_row_numbers(rules: Rules, tmp_path: Path) -> None:
    path = tmp_path / "blank.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(3, 1, ["שם פרטי", "טלפון נייד"])  # header on sheet row 4, column B
    ws.write_row(4, 1, ["משה", "0521234567"])
    ws.write_row(6, 1, ["שרה", "0541234567"])  # sheet row 5 is blank
    wb.close()
    frame = read(path, rules)
    assert frame.get_column("source_row").to_list() == [5, 6, 7]
    assert frame.get_column("שם פרטי").to_list() == ["משה", None, "שרה"]


def test_xlsx_numbers_become_digit_strings(rules: Rules, tmp_path: Path) -> None:
    path = tmp_path / "num.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["טלפון נייד", "ת.ז."])
    ws.write_row(1, 0, [521234567, 39337423.0])
    wb.close()
    assert read(path, rules).row(0) == (2, "521234567", "39337423")


def test_members_on_second_sheet_are_found(rules: Rules, tmp_path: Path) -> None:
    frame = pl.DataFrame({"שם פרטי": ["משה"], "נייד": ["0521234567"]})
    path = tmp_path / "two.xlsx"
    write_xlsx_strings(frame, path, sheet="חברים", sheets_before=["סיכום"])
    table = read_member_file(path, score_header=HeaderMatcher(rules.columns).recognised)
    assert table.source.sheet == "חברים"
    assert table.frame.get_column("נייד").to_list() == ["0521234567"]


def test_sheet_option_by_name_and_number(rules: Rules, tmp_path: Path) -> None:
    frame = pl.DataFrame({"שם פרטי": ["משה"], "נייד": ["0521234567"]})
    path = tmp_path / "two.xlsx"
    write_xlsx_strings(frame, path, sheet="חברים", sheets_before=["סיכום"])
    scorer = HeaderMatcher(rules.columns).recognised
    assert read_member_file(path, score_header=scorer, sheet="2").source.sheet == "חברים"
    assert read_member_file(path, score_header=scorer, sheet="חברים").source.sheet == "חברים"
    with pytest.raises(InputError, match="has no sheet 'אחר'; its sheets are: סיכום, חברים"):
        read_member_file(path, score_header=scorer, sheet="אחר")


def test_parquet_typed_columns_become_strings(rules: Rules, tmp_path: Path) -> None:
    import datetime as dt

    path = tmp_path / "m.parquet"
    pl.DataFrame({"טלפון נייד": [521234567], "תאריך לידה": [dt.date(1980, 12, 31)], "שם פרטי": ["משה"]}).write_parquet(
        path
    )
    table = read_member_file(path, score_header=HeaderMatcher(rules.columns).recognised)
    assert table.frame.row(0) == (2, "521234567", "1980-12-31", "משה")


_QUOTED_LINE = st.text(alphabet=st.sampled_from(list('a,"; é\t\r|')), min_size=1, max_size=14).filter(
    lambda s: '"' in s and s.count('"') % 2 == 0
)


@settings(max_examples=400, suppress_health_check=list(HealthCheck))
@given(st.lists(_QUOTED_LINE, min_size=1, max_size=6), st.sampled_from([",", ";", "\t", "|"]))
def test_plainly_quoted_lines_are_read_as_the_csv_module_reads_them(lines: list[str], delim: str) -> None:
    """The fast reading of quoted lines (polars' CSV reader) gives the csv module's fields, line by line; a line it
    cannot vouch for (a quote in the middle of a field, a carriage return) sends them all to the csv module."""
    from pipeline.csvtable import _UNIT, _plainly_quoted

    read = _plainly_quoted(pl.Series(lines, dtype=pl.String), delim)
    if read is None:
        return
    assert read.to_list() == [_UNIT.join(next(csv.reader([line], delimiter=delim))) for line in lines]


def test_plainly_quoted_lines_of_an_export_are_read_fast_and_a_stray_quote_is_not() -> None:
    from pipeline.csvtable import _UNIT, _plainly_quoted

    lines = ['1,"Levi, Dana","41 ש""ח",', '2,"",x', '"3"']
    assert _plainly_quoted(pl.Series(lines), ",").to_list() == [  # type: ignore[union-attr]
        _UNIT.join(["1", "Levi, Dana", '41 ש"ח', ""]),
        _UNIT.join(["2", "", "x"]),
        "3",
    ]
    assert _plainly_quoted(pl.Series(['1,ab"c",d']), ",") is None
