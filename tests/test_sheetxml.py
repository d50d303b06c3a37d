"""The members' xlsx, written as XML over whole columns (``pipeline.sheetxml``): read back, it is the table."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.export import write_xlsx
from pipeline.workbook import column_letters, column_number


def test_column_letters_run_as_excel_names_them() -> None:
    assert [column_letters(n) for n in (1, 26, 27, 52, 702, 703, 16384)] == ["A", "Z", "AA", "AZ", "ZZ", "AAA", "XFD"]
    assert all(column_number(column_letters(n)) == n for n in range(1, 16385))


def test_every_kind_of_cell_reads_back_as_written(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "שם": ["a & b <c>", "x\x01y", "_x0041_", "  pad  ", "שלום\r\nשני", None, "=1+1"],
            "n": [1, None, 3, 4, 5, 6, -7],
            "f": [1.5, float("nan"), float("inf"), None, 0.1, 1e20, 2015.6999999999998],
            "b": [True, False, None, True, True, False, True],
            "d": [dt.date(2020, 1, 31), None, dt.date(1900, 3, 1), dt.date(2026, 12, 7), None, None, None],
            "tags": [["vip", "new"], None, [], ["x"], None, None, None],
        }
    )
    path = tmp_path / "m.xlsx"
    write_xlsx(frame, path, sheet="members")
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():  # every part is well-formed XML
            ET.fromstring(zf.read(name))
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    assert 'rightToLeft="1"' in sheet and 'state="frozen"' in sheet and "<f>" not in sheet
    back = pl.read_excel(path, sheet_name="members")
    assert back.columns == frame.columns
    assert back["שם"].to_list() == ["a & b <c>", "x\x01y", "_x0041_", "  pad  ", "שלום\r\nשני", None, "'=1+1"]
    assert back["n"].to_list() == [1, None, 3, 4, 5, 6, -7]
    # NaN and infinity are no number a sheet holds: empty; every other number exactly as it was
    assert back["f"].to_list() == [1.5, None, None, None, 0.1, 1e20, 2015.6999999999998]
    assert back["b"].to_list() == [True, False, None, True, True, False, True]
    assert back["d"].to_list() == frame["d"].to_list()
    assert back["tags"].to_list() == ["vip; new", None, None, "x", None, None, None]


def test_a_table_with_no_hebrew_reads_left_to_right(tmp_path: Path) -> None:
    path = tmp_path / "m.xlsx"
    write_xlsx(pl.DataFrame({"name": ["Dana"]}), path, sheet="s")
    with zipfile.ZipFile(path) as zf:
        assert "rightToLeft" not in zf.read("xl/worksheets/sheet1.xml").decode()


@settings(max_examples=60)
@given(st.lists(st.one_of(st.none(), st.text(max_size=20)), min_size=1, max_size=12))
def test_any_text_reads_back_as_the_formula_safe_text(tmp_path_factory: object, texts: list[str | None]) -> None:
    from pipeline.export import safe_frame

    path = tmp_path_factory.mktemp("x") / "t.xlsx"  # type: ignore[attr-defined]
    frame = pl.DataFrame({"t": texts, "k": list(range(len(texts)))}, schema={"t": pl.String, "k": pl.Int64})
    write_xlsx(frame, path, sheet="s")
    back = pl.read_excel(path, infer_schema_length=0)
    # a sheet's empty text is no cell; U+FFFE and U+FFFF, no characters, are the replacement character
    nonchar = str.maketrans({"\ufffe": "\ufffd", "\uffff": "\ufffd"})
    expected = [t.translate(nonchar) if t else None for t in safe_frame(frame)["t"].to_list()]
    assert back["t"].to_list() == expected
