"""Reading member files into a raw table: every cell a string, every row keyed by ``source_row``.

No type inference happens here: inference is what turns ``0521234567`` into ``521234567``. ``source_row`` is
the row number a person sees: the sheet row in Excel (header counted), the record's first line in a CSV, and
for parquet the row as a spreadsheet would show it (header = row 1).
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import polars as pl

from pipeline import workbook
from pipeline.checks import check
from pipeline.errors import InputError
from pipeline.textfile import decode, split_with_csv

EXCEL_EXTS = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"})
TEXT_EXTS = frozenset({".csv", ".tsv", ".txt"})
PARQUET_EXTS = frozenset({".parquet", ".pq"})
DELIMITERS = (",", ";", "\t", "|")
HEADER_SEARCH_ROWS = 30
EXTRA_FIELDS = "__extra_fields"  # values beyond the header's width in a ragged CSV row
FIELD_COUNT = "__field_count"
RAW_LINE = "__raw_line"  # the raw text of a CSV line set apart for a quote never closed (quarantined)
# Defaults of the rules' limits (checks.yaml ``max_cells``, ``max_columns``): a member file is tens of columns and
# at most Excel's 1,048,576 rows; a sheet beyond either is a bomb or not a member file.
MAX_CELLS = 50_000_000
MAX_COLUMNS = 1_000
_UNIT = "\x1f"  # ASCII unit separator: never in member data; checked before use

HeaderScorer = Callable[[Sequence[str | None]], int]
SKIPPED_SCHEMA = {"source_row": pl.Int64, "check": pl.String, "before": pl.String}

check(
    "csv-ragged-row",
    "error",
    "quarantined",
    "Row has more fields than the header",
    "The record has more fields than the header; its values cannot be aligned to columns",
)
check(
    "csv-short-row",
    "warning",
    "fixed",
    "Row has fewer fields than the header",
    "The record has fewer fields than the header; the missing trailing fields were left empty",
)
check(
    "csv-unclosed-quote",
    "error",
    "quarantined",
    "Quote never closed",
    "A quote opened on this line is never closed: read on, it would swallow the lines after it; the line is "
    "quarantined with its raw text and reading goes on from the next line",
)
check(
    "repeated-header-skipped",
    "warning",
    "fixed",
    "Header line repeated",
    "The line repeats the header (two exports pasted together?); it is not a member and was left out",
)
check(
    "title-row-skipped",
    "warning",
    "fixed",
    "Title line before a repeated header",
    "A one-value title line right before a repeated header; it is not a member and was left out",
)


@dataclass(frozen=True)
class SourceInfo:
    path: str
    format: str  # xlsx | csv | parquet
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    sheets: tuple[str, ...] = ()
    header_row: int = 1  # 1-based row/line number of the header as a person sees it
    notes: tuple[str, ...] = ()  # what a person should know about how the file was read (shown in the report)


@dataclass(frozen=True)
class RawTable:
    """All strings. ``source_row`` first, then the file's columns under their (made unique) header names."""

    frame: pl.DataFrame
    headers: tuple[str, ...]
    source: SourceInfo
    short_rows: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema={"source_row": pl.Int64}))
    # lines that are not members and were left out, each with its ledger code and text: repeated header lines
    # (two exports pasted together) and the title line right before one
    skipped: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SKIPPED_SCHEMA))

    @property
    def height(self) -> int:
        return self.frame.height


# ------------------------------------------------------------------------------------------- entry point


def named_sheet(sheet: str, names: list[str], *, path: Path | str) -> str:
    """The sheet ``--sheet`` names: by name, or by its number counted from 1 (hidden sheets too).

    Raises:
        InputError: no such sheet (the message lists the workbook's sheets).
    """
    if sheet not in names and sheet.isdigit() and 1 <= int(sheet) <= len(names):
        return names[int(sheet) - 1]
    if sheet not in names:
        raise InputError(f"has no sheet {sheet!r}; its sheets are: {', '.join(names)}", path=path)
    return sheet


def read_member_file(
    path: Path | str,
    *,
    score_header: HeaderScorer,
    sheet: str | None = None,
    max_cells: int = MAX_CELLS,
    max_columns: int = MAX_COLUMNS,
) -> RawTable:
    """Read a member file of any supported format.

    Args:
        path: .xlsx/.xls/.xlsm/.xlsb/.ods, .csv/.tsv/.txt or .parquet.
        score_header: counts the recognised headers in a candidate row; the best row is the header.
        sheet: a sheet name or 1-based number; default the first visible sheet whose header is recognised.
        max_cells: a sheet spanning more cells is refused before it is loaded.
        max_columns: a header (or sheet) wider than this is refused.

    Raises:
        InputError: one line saying what is wrong with the file.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("no such file", path=path)
    if path.is_dir():
        raise InputError("is a folder, not a member file", path=path)
    ext = path.suffix.lower()
    if ext not in EXCEL_EXTS | TEXT_EXTS | PARQUET_EXTS:
        known = ", ".join(sorted(EXCEL_EXTS | TEXT_EXTS | PARQUET_EXTS))
        raise InputError(f"unknown file type {ext or '(no extension)'!r}; expected one of {known}", path=path)
    if path.stat().st_size == 0:
        raise InputError("is empty (0 bytes)", path=path)
    if sheet is not None and ext not in EXCEL_EXTS:
        raise InputError(f"--sheet applies to Excel workbooks only, not {ext} files", path=path)
    if ext in EXCEL_EXTS:
        table = _read_excel(path, score_header=score_header, sheet=sheet, max_cells=max_cells, max_columns=max_columns)
    elif ext in TEXT_EXTS:
        table = _read_text(path, score_header=score_header, max_columns=max_columns)
    else:
        table = _read_parquet(path, max_columns=max_columns)
    if table.height == 0:
        raise InputError("has a header row but no member rows", path=path)
    return table


# ----------------------------------------------------------------------------------------------- shared


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _unique_headers(cells: Sequence[str | None]) -> list[str]:
    """Header cells as column names: blanks become ``column_C`` (the Excel letter), repeats get ``(2)``."""
    names: list[str] = []
    seen: set[str] = set()
    for i, cell in enumerate(cells):
        base = " ".join(str(cell).split()) if cell is not None and str(cell).strip() else f"column_{_column_letter(i)}"
        name, n = base, 2
        while name in seen or name in ("source_row", EXTRA_FIELDS):
            name, n = f"{base} ({n})", n + 1
        seen.add(name)
        names.append(name)
    return names


def _find_header(rows: list[list[str | None]], score_header: HeaderScorer) -> int:
    """Index of the header among the first rows: the most recognised headers, then the earliest.

    Falls back to the first row with two or more values (so a file with unknown headers still gets a clear
    "no recognisable columns" error from mapping, naming what it saw).
    """
    best, best_score = -1, 0
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        score = score_header(row)
        if score > best_score:
            best, best_score = i, score
    if best >= 0:
        return best
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if sum(1 for c in row if c is not None and str(c).strip()) >= 2:
            return i
    return 0


def _trailing_blank(frame: pl.DataFrame, columns: Sequence[str]) -> int:
    """How many rows at the end of ``frame`` hold nothing but empty or whitespace cells.

    Looks at the last rows first, then further back: a file whose data runs to its end costs one small check.
    """
    n, k = frame.height, 1024
    while True:
        tail = frame.select(columns).slice(max(n - k, 0))
        filled = tail.select(
            pl.any_horizontal([pl.col(c).str.strip_chars().ne("").fill_null(False) for c in columns]).alias("f")
        ).to_series()
        found = filled.arg_true()
        if found.len():
            return tail.height - 1 - int(found.max())  # type: ignore[arg-type]
        if k >= n:
            return n
        k *= 8


def _drop_trailing_blank(frame: pl.DataFrame, columns: Sequence[str], *, unit: str) -> tuple[pl.DataFrame, list[str]]:
    """The data ends at the last row with a non-blank cell (whitespace is blank): one space in A1048576, or
    thousands of empty-string cells below the members, do not make rows. Says how many rows it left out."""
    blank = _trailing_blank(frame, columns) if frame.height else 0
    if blank == 0 or blank == frame.height:
        return frame, []
    kept = frame.slice(0, frame.height - blank)
    rows = frame.get_column("source_row")
    first, last = int(rows[frame.height - blank]), int(rows[frame.height - 1])
    note = (
        f"{blank:,} {unit}s after the last member ({unit}s {first:,}-{last:,}) hold only empty cells or spaces: "
        "not read as members"
    )
    return kept, [note]


def _drop_repeated_headers(
    frame: pl.DataFrame, *, names: Sequence[str], header_cells: Sequence[str | None]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows that repeat the header (two exports pasted together), and a one-cell title row right before one
    (blank rows between allowed), taken out of ``frame``: (the rest, the rows taken out with their code)."""
    named = [(n, " ".join(str(h).split())) for n, h in zip(names, header_cells, strict=True) if h and str(h).strip()]
    none = pl.DataFrame(schema=SKIPPED_SCHEMA)
    if len(named) < 2:
        return frame, none
    indexed = frame.with_row_index("__i")
    first, first_header = named[0]
    candidates = indexed.filter(pl.col(first).str.strip_chars() == first_header)  # usually none: one column
    if candidates.height == 0:
        return frame, none
    same = pl.all_horizontal(
        [pl.col(n).str.replace_all(r"\s+", " ").str.strip_chars().eq(h).fill_null(False) for n, h in named]
    )
    repeats = candidates.filter(same).get_column("__i").to_list()
    if not repeats:
        return frame, none
    filled = pl.sum_horizontal([pl.col(n).str.strip_chars().ne("").fill_null(False).cast(pl.Int32) for n in names])
    codes = dict.fromkeys(repeats, "repeated-header-skipped")
    for i in repeats:
        j = i - 1
        while j >= 0 and j not in codes and frame.slice(j, 1).select(filled).item() == 0:
            j -= 1
        if j >= 0 and j not in codes and frame.slice(j, 1).select(filled).item() == 1:
            codes[j] = "title-row-skipped"
    taken = pl.DataFrame(
        {"__i": list(codes), "check": list(codes.values())}, schema={"__i": pl.UInt32, "check": pl.String}
    )
    skipped = (
        indexed.join(taken, on="__i", how="inner")
        .sort("__i")
        .select(
            pl.col("source_row").cast(pl.Int64),
            "check",
            pl.concat_str([pl.col(n) for n in names], separator=" | ", ignore_nulls=True).alias("before"),
        )
    )
    return indexed.join(taken, on="__i", how="anti").drop("__i"), skipped


def _too_wide(width: int, max_columns: int, path: Path, what: str = "header") -> None:
    if width > max_columns:
        raise InputError(
            f"{what} has {width:,} columns, more than the {max_columns:,} a member file may have (rules: "
            "checks.yaml max_columns)",
            path=path,
        )


def _too_many_cells(cells: int, max_cells: int, path: Path, sheet: str) -> None:
    if cells > max_cells:
        raise InputError(
            f"sheet {sheet!r} spans {cells:,} cells, more than the {max_cells:,} a member file may have (rules: "
            "checks.yaml max_cells)",
            path=path,
        )


def _grid_to_table(grid: pl.DataFrame, *, header_index: int, row_numbers: pl.Series, source: SourceInfo) -> RawTable:
    """A header-less grid of strings -> RawTable, taking row ``header_index`` as the header."""
    header_cells = [grid[header_index, i] for i in range(grid.width)]
    # drop wholly empty columns past the header's last named column (calamine pads ragged sheets)
    last_named = max((i for i, c in enumerate(header_cells) if c is not None and str(c).strip()), default=-1)
    body = grid.slice(header_index + 1)
    keep = [
        i
        for i in range(grid.width)
        if i <= last_named or body.get_column(grid.columns[i]).drop_nulls().str.strip_chars().ne("").any()
    ]
    names = _unique_headers([header_cells[i] for i in keep])
    frame = body.select([pl.col(grid.columns[i]).alias(n) for i, n in zip(keep, names, strict=True)])
    frame = frame.with_columns(row_numbers.slice(header_index + 1).alias("source_row").cast(pl.Int64))
    frame = frame.select("source_row", *names)
    frame, notes = _drop_trailing_blank(frame, names, unit="row")
    frame, skipped = _drop_repeated_headers(frame, names=names, header_cells=[header_cells[i] for i in keep])
    source = replace(source, notes=(*source.notes, *notes))
    return RawTable(frame=frame, headers=tuple(names), source=source, skipped=skipped)


# ------------------------------------------------------------------------------------------------ Excel


def _read_excel(
    path: Path, *, score_header: HeaderScorer, sheet: str | None, max_cells: int, max_columns: int
) -> RawTable:
    import fastexcel

    with path.open("rb") as fh:
        magic = fh.read(8)
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xlsb", ".ods"):
        if magic[:4] != b"PK\x03\x04":
            looks = "text" if _looks_like_text(magic) else "some other binary format"
            raise InputError(f"is not an Excel workbook (the file holds {looks}; is it a CSV named .xlsx?)", path=path)
        if not zipfile.is_zipfile(path):
            raise InputError("is a damaged Excel workbook (the zip container is incomplete)", path=path)
    try:
        reader = fastexcel.read_excel(str(path))
        names = list(reader.sheet_names)
    except Exception as exc:  # fastexcel raises its own exception family for corrupt content
        raise InputError(f"cannot be read as an Excel workbook ({_short(exc)})", path=path) from exc
    if not names:
        raise InputError("workbook has no sheets", path=path)
    parts = {p.name: p for p in workbook.sheets(path) or []} if path.suffix.lower() in (".xlsx", ".xlsm") else {}

    def refuse_bomb(name: str) -> None:
        """Before loading: a sheet beyond the limits is refused from what its zip part says (in a second)."""
        part = parts.get(name)
        spans = workbook.size(path, part.part, max_cells=max_cells) if part and part.part else None
        if spans is None:
            return
        _too_wide(spans.columns, max_columns, path, what=f"sheet {name!r}")
        _too_many_cells(spans.cells, max_cells, path, name)

    def load(name: str) -> Any:
        refuse_bomb(name)
        try:
            # header_row=None + skip_rows=0 keeps leading blank rows, so row i is sheet row i + 1
            return reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")
        except Exception as exc:
            raise InputError(f"sheet {name!r} cannot be read ({_short(exc)})", path=path) from exc

    def grid_of(name: str, loaded: Any) -> pl.DataFrame:
        _too_wide(loaded.width, max_columns, path, what=f"sheet {name!r}")
        _too_many_cells(loaded.width * loaded.total_height, max_cells, path, name)
        try:
            return loaded.to_polars()
        except Exception as exc:
            raise InputError(f"sheet {name!r} cannot be read ({_short(exc)})", path=path) from exc

    notes: list[str] = []
    hidden: list[str] = []
    if sheet is not None:
        candidates = [named_sheet(sheet, names, path=path)]
    else:
        # a hidden sheet is not what a person sees when they open the file: read only when --sheet names it
        hidden = [n for n in names if parts.get(n) is not None and parts[n].state != "visible"]
        candidates = [n for n in names if n not in hidden]

    chosen: tuple[str, pl.DataFrame, int] | None = None
    for name in candidates:
        loaded = load(name)
        if sheet is None and getattr(loaded, "visible", "visible") != "visible":  # .xls/.ods: known once loaded
            hidden.append(name)
            continue
        grid = grid_of(name, loaded)
        del loaded
        if grid.height == 0 or grid.width == 0:
            continue
        rows = [list(r) for r in grid.head(HEADER_SEARCH_ROWS).iter_rows()]
        idx = _find_header(rows, score_header)
        if score_header(rows[idx]) > 0 or sheet is not None:
            chosen = (name, grid, idx)
            break
        if chosen is None:
            chosen = (name, grid, idx)  # no sheet is recognised: fall back to the first non-empty one
    if sheet is None and hidden:
        notes.append(f"hidden sheet(s) skipped: {', '.join(repr(n) for n in hidden)} (read one with --sheet NAME)")
    if chosen is None:
        what = "any visible sheet" if sheet is None and hidden else "any sheet"
        raise InputError(f"workbook has no data on {what}" + (f" ({notes[0]})" if notes else ""), path=path)
    name, grid, idx = chosen
    grid = grid.select(pl.all().cast(pl.String))
    source = SourceInfo(
        path=str(path),
        format="xlsx",
        sheet=name,
        sheets=tuple(names),
        header_row=idx + 1,
        notes=tuple(notes),
    )
    numbers = pl.Series("source_row", range(1, grid.height + 1), dtype=pl.Int64)
    return _grid_to_table(grid, header_index=idx, row_numbers=numbers, source=source)


def _looks_like_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return all(b >= 0x20 or b in (9, 10, 13) for b in head)


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


# ------------------------------------------------------------------------------------------------- text


def sniff_delimiter(lines: Sequence[str], *, score_header: HeaderScorer | None = None, default: str = ",") -> str:
    """The delimiter among ``, ; TAB |`` for the first lines of a text file.

    The delimiter that splits some line into the most recognised headers wins (we know what member headers
    look like); failing that, the one that splits the lines into the most, most consistent fields.
    """
    sample = [ln for ln in lines[:50] if ln.strip()]
    if not sample:
        return default
    best, best_key = default, (0, 0, 0.0)
    for delim in DELIMITERS:
        split = [next(csv.reader([ln], delimiter=delim)) for ln in sample]
        counts = [len(cells) - 1 for cells in split]
        if max(counts) == 0:
            continue
        recognised = max(score_header(cells) for cells in split[:HEADER_SEARCH_ROWS]) if score_header else 0
        mode = max(set(counts), key=counts.count)
        consistent = sum(1 for c in counts if c == mode) / len(counts) if mode > 0 else 0.0
        key = (recognised, 1 if consistent >= 0.8 else 0, consistent * max(counts))
        if key > best_key:
            best, best_key = delim, key
    return best


def _split_records(text: str, delim: str) -> tuple[pl.Series, pl.Series, pl.Series | None]:
    """(fields as List[String], first line number, raw line of a broken record or null) for every record.

    Lines without a quote character are split by polars over the whole column; only quoted lines go through
    Python's csv module. A quote left open at the end of a line (a record spanning lines, or a broken quote) makes
    the whole file go through ``textfile.split_with_csv``, which sets a broken quote's line apart.
    """
    lines = pl.Series("line", text.split("\n"), dtype=pl.String).str.strip_suffix("\r")
    if lines.len() and lines[-1] == "":
        lines = lines.slice(0, lines.len() - 1)
    quotes = lines.str.count_matches('"', literal=True)
    if (quotes % 2 == 1).any() or _UNIT in text:
        return _split_with_csv(lines, delim)
    # Unquoted lines are split by polars; quoted ones are parsed by csv and re-joined with a separator that
    # cannot occur in the text, so that one vectorised split handles every line.
    joined = lines.str.replace_all(delim, _UNIT, literal=True)
    quoted = quotes > 0
    if quoted.any():
        parsed = [_UNIT.join(row) for row in csv.reader(lines.filter(quoted).to_list(), delimiter=delim)]
        if len(parsed) != int(quoted.sum()):  # a quote opened mid-field ran on into the next quoted line
            return _split_with_csv(lines, delim)
        patch = pl.DataFrame({"i": quoted.arg_true(), "parsed": pl.Series(parsed, dtype=pl.String)})
        joined = (
            pl.DataFrame({"line": joined})
            .with_row_index("i")
            .join(patch, on="i", how="left", maintain_order="left")
            .select(pl.coalesce("parsed", "line"))
            .to_series()
        )
    fields = joined.str.split(_UNIT)
    fields = pl.select(pl.when(lines == "").then(pl.lit([], pl.List(pl.String))).otherwise(fields)).to_series()
    numbers = pl.Series("source_row", range(1, lines.len() + 1), dtype=pl.Int64)
    return fields, numbers, None


def _split_with_csv(lines: pl.Series, delim: str) -> tuple[pl.Series, pl.Series, pl.Series | None]:
    records = split_with_csv(lines.to_list(), delimiter=delim)
    broken = (
        pl.Series(RAW_LINE, records.broken, dtype=pl.String) if any(b is not None for b in records.broken) else None
    )
    return (
        pl.Series("fields", records.rows, dtype=pl.List(pl.String)),
        pl.Series("source_row", records.starts, dtype=pl.Int64),
        broken,
    )


def _read_text(path: Path, *, score_header: HeaderScorer, max_columns: int) -> RawTable:
    decoded = decode(path.read_bytes(), path=path)
    text, notes = decoded.text, list(decoded.notes)
    if not text.strip():
        raise InputError("has no text (only blank lines)", path=path)
    if "\r" in text and "\n" not in text:
        text = text.replace("\r", "\n")
        notes.append("lines end in a carriage return only (old Mac line endings): read as lines")
    head = text[:200_000].splitlines()
    delim = "\t" if path.suffix.lower() == ".tsv" else sniff_delimiter(head, score_header=score_header)
    try:
        fields, numbers, broken = _split_records(text, delim)
    except InputError as exc:
        raise InputError(exc.message, path=path) from exc

    # header: the best-recognised of the first records
    first = [list(f) if f is not None else [] for f in fields.head(HEADER_SEARCH_ROWS).to_list()]
    idx = _find_header([[c or None for c in r] for r in first], score_header)
    header_cells = first[idx]
    width = len(header_cells)
    _too_wide(width, max_columns, path)
    names = _unique_headers([c or None for c in header_cells])

    body = pl.DataFrame({"fields": fields.slice(idx + 1), "source_row": numbers.slice(idx + 1)})
    if broken is not None:
        body = body.with_columns(broken.slice(idx + 1))
    # blank lines at the end of a file are not records
    counts = body.get_column("fields").list.len()
    non_empty = (counts > 0).arg_true()
    body = body.slice(0, int(non_empty.max()) + 1 if non_empty.len() else 0)  # type: ignore[arg-type]
    body = body.with_columns(pl.col("fields").list.len().alias(FIELD_COUNT))
    columns = [pl.col("fields").list.get(i, null_on_oob=True).alias(n) for i, n in enumerate(names)]
    extra = (
        pl.when(pl.col(FIELD_COUNT) > width)
        .then(pl.col("fields").list.slice(width).list.join(delim))
        .otherwise(pl.lit(None, pl.String))
        .alias(EXTRA_FIELDS)
    )
    frame = body.select("source_row", *columns, extra, FIELD_COUNT, *([RAW_LINE] if broken is not None else []))
    # a blank line inside the data is an empty record: its cells are null, so it is quarantined as empty
    # an empty field is an empty cell, as in a sheet
    frame = frame.with_columns(
        [
            pl.when((pl.col(FIELD_COUNT) == 0) | (pl.col(n) == "")).then(None).otherwise(pl.col(n)).alias(n)
            for n in names
        ]
    )
    # trailing fields that are all empty are not ragged: Excel writes them for blank trailing cells
    frame = frame.with_columns(
        pl.when(pl.col(EXTRA_FIELDS).str.replace_all(f"[{_re_escape(delim)} ]", "") == "")
        .then(None)
        .otherwise(pl.col(EXTRA_FIELDS))
        .alias(EXTRA_FIELDS)
    )
    frame, skipped = _drop_repeated_headers(frame, names=names, header_cells=header_cells)
    short = frame.filter((pl.col(FIELD_COUNT) > 1) & (pl.col(FIELD_COUNT) < width))
    if broken is not None:
        short = short.filter(pl.col(RAW_LINE).is_null())
        notes.append(
            f"{broken.is_not_null().sum():,} line(s) open a quote that is never closed: each is quarantined "
            "(csv-unclosed-quote) and reading went on from the next line"
        )
    short = short.select("source_row")
    frame = frame.drop(FIELD_COUNT)
    if frame.get_column(EXTRA_FIELDS).null_count() == frame.height:
        frame = frame.drop(EXTRA_FIELDS)
    kind = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}[delim]
    source = SourceInfo(
        path=str(path),
        format="csv",
        encoding=decoded.encoding,
        delimiter=kind,
        header_row=int(numbers[idx]),
        notes=tuple(notes),
    )
    return RawTable(frame=frame, headers=tuple(names), source=source, short_rows=short, skipped=skipped)


def _re_escape(char: str) -> str:
    return "\\t" if char == "\t" else "\\" + char


# ---------------------------------------------------------------------------------------------- parquet


def _read_parquet(path: Path, *, max_columns: int) -> RawTable:
    try:
        schema = pl.read_parquet_schema(path)
    except Exception as exc:
        raise InputError(f"cannot be read as parquet ({_short(exc)})", path=path) from exc
    _too_wide(len(schema), max_columns, path)
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:
        raise InputError(f"cannot be read as parquet ({_short(exc)})", path=path) from exc
    names = _unique_headers(list(frame.columns))
    frame = frame.rename(dict(zip(frame.columns, names, strict=True)))
    casts = []
    for name, dtype in frame.schema.items():
        if dtype == pl.String:
            casts.append(pl.col(name))
        elif dtype == pl.Date:
            casts.append(pl.col(name).dt.to_string("%Y-%m-%d").alias(name))
        elif isinstance(dtype, pl.Datetime):
            casts.append(pl.col(name).dt.to_string("%Y-%m-%d %H:%M:%S").alias(name))
        elif isinstance(dtype, pl.Duration):  # ISO 8601: P1DT2H
            casts.append(pl.col(name).dt.to_string("iso").alias(name))
        elif dtype.is_nested() or dtype == pl.Binary:
            raise InputError(f"column {name!r} holds nested or binary data ({dtype}); expected plain values", path=path)
        else:  # numbers, booleans, Time (12:30:00), categories
            casts.append(pl.col(name).cast(pl.String))
    frame = frame.select(casts).with_row_index("source_row", offset=2).with_columns(pl.col("source_row").cast(pl.Int64))
    frame, notes = _drop_trailing_blank(frame, names, unit="row")
    source = SourceInfo(path=str(path), format="parquet", notes=tuple(notes))
    return RawTable(frame=frame, headers=tuple(names), source=source)
