"""The first rows of a member file, without reading the whole of it (for ``cleanse inspect``).

Text and parquet files: the first lines (or rows) are copied to a temporary file of the same kind and read by
``pipeline.ingest``, so the encoding, delimiter, sheet and header row found are those a run would find. Excel
workbooks (.xlsx/.xlsm): the sheet's XML is streamed and only its first rows are parsed (a library that loads a
sheet parses all of it: 10+ s for 100,000 rows); they are handed to ``ingest`` as a CSV in the sheet's own row
numbers. Other workbooks (.xls, .xlsb, .ods) are read whole.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import takewhile
from pathlib import Path
from xml.etree.ElementTree import iterparse

import polars as pl

from pipeline.errors import CleanseError, InputError
from pipeline.exceltable import named_sheet
from pipeline.ingest import read_member_file
from pipeline.rawtable import HEADER_SEARCH_ROWS, HeaderScorer, RawTable
from pipeline.workbook import EXCEL_EPOCH_TIME, column_number

HEAD_ROWS = 2_000
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_DATE_FORMATS = frozenset({14, 15, 16, 17, 22, 27, 30, 36, 45, 46, 47, 50, 57})
_EPOCH_1904 = dt.datetime(1904, 1, 1)


@dataclass(frozen=True)
class Head:
    """The first rows of a file as ``ingest`` reads them, and how many rows the whole file has."""

    raw: RawTable
    rows: int  # data rows in the whole file (below the header)
    exact: bool  # False: counted from line breaks (a quoted line break would make it an estimate)
    whole: bool  # the whole file was read (a small file, or a format without a fast path)


def read_head(path: Path | str, *, score_header: HeaderScorer, sheet: str | None = None, rows: int = HEAD_ROWS) -> Head:
    path = Path(path)
    ext = path.suffix.lower()
    if ext in (".csv", ".tsv", ".txt") and path.is_file():
        return _text_head(path, score_header=score_header, rows=rows)
    if ext in (".parquet", ".pq") and path.is_file():
        return _parquet_head(path, score_header=score_header, rows=rows)
    if ext in (".xlsx", ".xlsm") and path.is_file() and zipfile.is_zipfile(path):
        return _xlsx_head(path, score_header=score_header, sheet=sheet, rows=rows)
    raw = read_member_file(path, score_header=score_header, sheet=sheet)
    return Head(raw=raw, rows=raw.height, exact=True, whole=True)


def _read_part(part: Path, path: Path, *, score_header: HeaderScorer) -> RawTable:
    """``read_member_file`` of the head of ``path`` copied to ``part``: an error names the user's file, never the
    temporary copy."""
    try:
        return read_member_file(part, score_header=score_header)
    except CleanseError as exc:
        if exc.path is not None and Path(exc.path) == part:
            exc.path = str(path)
            exc.args = (exc.one_line(),)
        raise


def _as_source(raw: RawTable, path: Path, **changes: object) -> RawTable:
    return dataclasses.replace(raw, source=dataclasses.replace(raw.source, path=str(path), **changes))  # type: ignore[arg-type]


def _text_head(path: Path, *, score_header: HeaderScorer, rows: int) -> Head:
    data = path.read_bytes()
    cut, n = 0, 0
    if not data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: no byte-wise line cut; read whole
        while n < rows + HEADER_SEARCH_ROWS:
            nxt = data.find(b"\n", cut)
            if nxt < 0:
                break
            cut, n = nxt + 1, n + 1
    if cut == 0 or cut >= len(data.rstrip(b"\r\n")):
        raw = read_member_file(path, score_header=score_header)
        return Head(raw=raw, rows=raw.height, exact=True, whole=True)
    with tempfile.TemporaryDirectory(prefix="cleanse-inspect-") as tmp:
        part = Path(tmp) / path.name
        part.write_bytes(data[:cut])
        raw = _read_part(part, path, score_header=score_header)
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    blank_tail = len(data) - len(data.rstrip(b"\r\n \t"))
    tail_lines = data[len(data) - blank_tail :].count(b"\n") - (1 if data.endswith(b"\n") else 0)
    total = lines - tail_lines - raw.source.header_row
    return Head(raw=_as_source(raw, path), rows=max(total, raw.height), exact=False, whole=False)


def _parquet_head(path: Path, *, score_header: HeaderScorer, rows: int) -> Head:
    try:
        total = int(pl.scan_parquet(path).select(pl.len()).collect().item())
    except Exception as exc:
        raise InputError(f"cannot be read as parquet ({' '.join(str(exc).split())[:160]})", path=path) from exc
    if total <= rows:
        raw = read_member_file(path, score_header=score_header)
        return Head(raw=raw, rows=raw.height, exact=True, whole=True)
    with tempfile.TemporaryDirectory(prefix="cleanse-inspect-") as tmp:
        part = Path(tmp) / path.name
        pl.scan_parquet(path).head(rows).collect().write_parquet(part)
        raw = _read_part(part, path, score_header=score_header)
    return Head(raw=_as_source(raw, path), rows=total, exact=True, whole=False)


# ------------------------------------------------------------------------------------------------ xlsx


def _xlsx_head(path: Path, *, score_header: HeaderScorer, sheet: str | None, rows: int) -> Head:
    try:
        with zipfile.ZipFile(path) as book:
            sheets, epoch = _sheets(book)
            if not sheets:
                raise InputError("workbook has no sheets", path=path)
            names = [name for name, _, _ in sheets]
            if sheet is not None:
                wanted = named_sheet(sheet, names, path=path)
                candidates = [(n, p) for n, p, _ in sheets if n == wanted]
            else:  # as a run does: a hidden sheet is read only when --sheet names it
                candidates = [(n, p) for n, p, visible in sheets if visible]
            strings = _SharedStrings(book)
            dates = _date_styles(book)
            chosen: tuple[str, list[list[str | None]], int] | None = None
            for name, part in candidates:
                grid, total = _sheet_rows(
                    book, part, rows=rows + HEADER_SEARCH_ROWS, strings=strings, dates=dates, epoch=epoch
                )
                if not any(any(c for c in r) for r in grid):
                    continue
                recognised = max(score_header(r) for r in grid[:HEADER_SEARCH_ROWS])
                if recognised > 0 or sheet is not None:
                    chosen = (name, grid, total)
                    break
                if chosen is None:
                    chosen = (name, grid, total)
    except (zipfile.BadZipFile, KeyError, SyntaxError) as exc:  # SyntaxError: ElementTree's ParseError
        raise InputError(f"cannot be read as an Excel workbook ({exc})", path=path) from exc
    if chosen is None:
        raise InputError("workbook has no data on any sheet", path=path)
    name, grid, total = chosen
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([[c or "" for c in r] for r in grid])
    with tempfile.TemporaryDirectory(prefix="cleanse-inspect-") as tmp:
        part_path = Path(tmp) / (path.stem + ".csv")
        part_path.write_text(text.getvalue(), encoding="utf-8")
        raw = _read_part(part_path, path, score_header=score_header)
    raw = _as_source(raw, path, format="xlsx", encoding=None, delimiter=None, sheet=name, sheets=tuple(names))
    whole = total <= len(grid)
    return Head(raw=raw, rows=max(total - raw.source.header_row, raw.height), exact=True, whole=whole)


def _sheets(book: zipfile.ZipFile) -> tuple[list[tuple[str, str, bool]], dt.datetime]:
    """(name, part path, visible) of each sheet, in the workbook's order; and the day a date cell counts from:
    1904-01-01 in a workbook saved with the 1904 date system (old Mac Excel; `run` reads it so through fastexcel),
    else Excel's 1899-12-30."""
    rels: dict[str, str] = {}
    with book.open("xl/_rels/workbook.xml.rels") as fh:
        for _, el in iterparse(fh):
            if el.tag.endswith("Relationship"):
                target = el.get("Target", "")
                rels[el.get("Id", "")] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    out: list[tuple[str, str, bool]] = []
    epoch = EXCEL_EPOCH_TIME
    with book.open("xl/workbook.xml") as fh:
        for _, el in iterparse(fh):
            if el.tag == f"{_NS}workbookPr" and el.get("date1904", "0").lower() in ("1", "true"):
                epoch = _EPOCH_1904
            elif el.tag == f"{_NS}sheet":
                visible = el.get("state", "visible") == "visible"
                out.append((el.get("name", ""), rels.get(el.get(f"{_REL_NS}id", ""), ""), visible))
    return out, epoch


class _SharedStrings:
    """The workbook's shared strings, parsed only as far as the rows read need them."""

    def __init__(self, book: zipfile.ZipFile) -> None:
        self._items: list[str] = []
        self._iter: Iterator[tuple[str, object]] | None = None
        if "xl/sharedStrings.xml" in book.namelist():
            self._fh = book.open("xl/sharedStrings.xml")
            self._iter = iterparse(self._fh, events=("end",))

    def __getitem__(self, index: int) -> str:
        while index >= len(self._items) and self._iter is not None:
            try:
                _, el = next(self._iter)
            except StopIteration:
                self._iter = None
                break
            if el.tag == f"{_NS}si":  # type: ignore[attr-defined]
                self._items.append("".join(t.text or "" for t in el.iter(f"{_NS}t")))  # type: ignore[attr-defined]
                el.clear()  # type: ignore[attr-defined]
        return self._items[index] if index < len(self._items) else ""


def _date_styles(book: zipfile.ZipFile) -> set[int]:
    """Indexes of the cell styles that show a number as a date."""
    if "xl/styles.xml" not in book.namelist():
        return set()
    custom: set[int] = set()
    out: set[int] = set()
    with book.open("xl/styles.xml") as fh:
        in_xfs, index = False, 0
        for event, el in iterparse(fh, events=("start", "end")):
            if event == "start" and el.tag == f"{_NS}cellXfs":
                in_xfs = True
            elif event == "end" and el.tag == f"{_NS}cellXfs":
                in_xfs = False
            elif event == "end" and el.tag == f"{_NS}numFmt":
                code = re.sub(r'"[^"]*"|\[[^\]]*\]', "", el.get("formatCode", "").lower())
                if re.search(r"[dy]", code):
                    custom.add(int(el.get("numFmtId", "0")))
            elif event == "end" and in_xfs and el.tag == f"{_NS}xf":
                fmt = int(el.get("numFmtId", "0"))
                if fmt in _DATE_FORMATS or fmt in custom:
                    out.add(index)
                index += 1
    return out


def _column_index(ref: str) -> int:
    """A cell reference's column from 0 (``B12`` -> 1)."""
    return column_number("".join(takewhile(str.isalpha, ref)).upper()) - 1


def _sheet_rows(
    book: zipfile.ZipFile,
    part: str,
    *,
    rows: int,
    strings: _SharedStrings,
    dates: set[int],
    epoch: dt.datetime = EXCEL_EPOCH_TIME,
) -> tuple[list[list[str | None]], int]:
    """The first ``rows`` sheet rows (row i of the list is sheet row i + 1) and the sheet's row count."""
    grid: list[list[str | None]] = []
    total = 0
    with book.open(part) as fh:
        for _, el in iterparse(fh):
            tag = el.tag
            if tag == f"{_NS}dimension":
                last = el.get("ref", "").split(":")[-1]
                digits = "".join(ch for ch in last if ch.isdigit())
                total = int(digits) if digits else 0
            elif tag == f"{_NS}row":
                number = int(el.get("r", len(grid) + 1))
                if number > rows:
                    break
                while len(grid) < number - 1:
                    grid.append([])
                cells: list[str | None] = []
                for c in el.iter(f"{_NS}c"):
                    i = _column_index(c.get("r", "")) if c.get("r") else len(cells)
                    cells.extend([None] * (i - len(cells) + 1))
                    cells[i] = _cell_text(c, strings=strings, dates=dates, epoch=epoch)
                grid.append(cells)
                el.clear()
    return grid, max(total, len(grid))


def _cell_text(
    c: object, *, strings: _SharedStrings, dates: set[int], epoch: dt.datetime = EXCEL_EPOCH_TIME
) -> str | None:
    kind = c.get("t", "n")  # type: ignore[attr-defined]
    if kind == "inlineStr":
        return "".join(t.text or "" for t in c.iter(f"{_NS}t")) or None  # type: ignore[attr-defined]
    v = c.find(f"{_NS}v")  # type: ignore[attr-defined]
    if v is None or v.text is None:
        return None
    if kind == "s":
        return strings[int(v.text)]
    if kind == "b":
        return "true" if v.text == "1" else "false"
    if kind == "n" and int(c.get("s", "0")) in dates:  # type: ignore[attr-defined]
        try:
            return (epoch + dt.timedelta(days=float(v.text))).date().isoformat()
        except (ValueError, OverflowError):
            return v.text
    if kind == "n" and v.text.endswith(".0"):
        return v.text[:-2]
    return v.text
