"""Outputs: formula-safe text cells in CSV and xlsx."""

from __future__ import annotations

import zipfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.export import formula_safe, safe_frame, write_csv, write_xlsx


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x","לחץ")', '\'=HYPERLINK("http://x","לחץ")'),
        ("+1 הנחה", "'+1 הנחה"),
        ("-לקוח VIP", "'-לקוח VIP"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1", "'\r=1"),
        ("  =cmd|' /C calc'!A0", "'  =cmd|' /C calc'!A0"),
        ("\x1f@SUM(A1)", "'\x1f@SUM(A1)"),  # a separator some readers trim as white space (found by hypothesis)
        ("+972-52-1234567", "'+972-52-1234567"),
        ("+972521234567", "+972521234567"),  # a plain number: spreadsheets read it as a number, not a formula
        ("-12.50", "-12.50"),
        ("משה", "משה"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_formula_safe(value: str, expected: str) -> None:
    assert pl.select(formula_safe(pl.lit(value))).item() == expected


@given(st.text(max_size=30))
def test_no_cell_can_start_a_formula(value: str) -> None:
    out = pl.select(formula_safe(pl.lit(value))).item()
    stripped = out.lstrip()
    if out and out[0] in "=+-@\t\r":
        assert out[0] in "+-" and out[1:].replace(".", "").replace(",", "").isdigit()
    elif stripped and stripped[0] in "=+-@" and out[0] != "'":
        pytest.fail(f"{out!r} starts a formula after leading spaces")


cells = st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["+972521234567", "+972-52-1234567", "-12.5", "=1"]))


@given(st.lists(cells, min_size=1, max_size=8))
def test_a_table_in_memory_is_made_as_safe_as_every_cell_rewritten(column: list[str | None]) -> None:
    # the table in memory skips columns it finds nothing to change in: the skip must never leave a risky cell
    frame = pl.DataFrame({"c": column}, schema={"c": pl.String})
    every_cell = frame.select(formula_safe(pl.col("c")).alias("c"))
    assert safe_frame(frame).equals(every_cell)


def test_a_column_of_phones_in_e164_is_left_as_it_is() -> None:
    phones = pl.DataFrame({"phone": ["+972521234567", "+97236123456", None]})
    assert safe_frame(phones).equals(phones)
    assert safe_frame(phones.vstack(pl.DataFrame({"phone": ["+972-52-1234567"]}))).get_column("phone").to_list() == [
        "+972521234567",
        "+97236123456",
        None,
        "'+972-52-1234567",
    ]


def test_csv_and_xlsx_outputs_are_neutralised(tmp_path: Path) -> None:
    frame = pl.DataFrame({"notes": ["=1+1", "@x", "שלום"], "n": [1, 2, 3]})
    write_csv(frame, tmp_path / "f.csv")
    text = (tmp_path / "f.csv").read_text(encoding="utf-8-sig")
    assert "'=1+1" in text and "'@x" in text
    write_xlsx(frame, tmp_path / "f.xlsx", sheet="s")
    with zipfile.ZipFile(tmp_path / "f.xlsx") as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/"))
    assert "'=1+1" in xml and "<f>" not in xml  # text cells, no formula element
    back = pl.read_excel(tmp_path / "f.xlsx")
    assert back["notes"].to_list() == ["'=1+1", "'@x", "שלום"] and back["n"].to_list() == [1, 2, 3]


def test_csv_written_in_parts_is_the_csv_written_whole(tmp_path: Path) -> None:
    from pipeline import ledger as ledger_
    from pipeline.export import write_csv_parts

    frame = pl.DataFrame({"source_row": [2, 2, 3, 5, 9, 9], "before": ["=1+1", "a,b", "שלום", None, "x", "y"]})
    write_csv(frame, tmp_path / "whole.csv")
    parts = ledger_.ranges(frame.lazy(), rows=3)  # rows 2-4, 5-7, 8-10
    assert [p.collect().height for p in parts] == [3, 1, 2]
    write_csv_parts(parts, tmp_path / "parts.csv")
    assert (tmp_path / "parts.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()  # one BOM, one header
    # nothing in the ledger: one empty part, and the file is the header alone
    write_csv_parts(ledger_.ranges(frame.lazy().head(0)), tmp_path / "empty.csv")
    assert (tmp_path / "empty.csv").read_bytes() == "\ufeffsource_row,before\n".encode()


def test_headers_are_formula_safe_as_cells_are(tmp_path: Path) -> None:
    # a header comes from the input file as much as a cell does
    frame = pl.DataFrame({'=HYPERLINK("http://x")': ["a"], "+cmd|' /C calc'!A0": ["b"], "'=x": ["c"], "=x": ["d"]})
    assert safe_frame(frame).columns == ['\'=HYPERLINK("http://x")', "'+cmd|' /C calc'!A0", "'=x", "''=x"]
    path = tmp_path / "h.xlsx"
    write_xlsx(frame, path, sheet="s")
    with zipfile.ZipFile(path) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet
