"""The raw table every reader makes of a member file, and what the readers share in making it.

Whatever the format, a member file becomes the same thing: every cell a string, every row keyed by ``source_row``,
under header names made unique. The rules that decide what is the header, where the data ends, which lines are
not members (a repeated header, its title line) and how big a member file may be are the same for a sheet and a
text file, so they are written once here and the readers (``csvtable``, ``exceltable``, parquet in ``ingest``)
only turn their format into rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline.checks import check
from pipeline.errors import InputError
from pipeline.workbook import column_letters

HEADER_SEARCH_ROWS = 30
EXTRA_FIELDS = "__extra_fields"  # values beyond the header's width in a ragged CSV row
RAW_LINE = "__raw_line"  # the raw text of a CSV line set apart for a quote never closed (quarantined)
# Defaults of the rules' limits (checks.yaml ``max_cells``, ``max_columns``): a member file is tens of columns and
# at most Excel's 1,048,576 rows; a sheet beyond either is a bomb or not a member file.
MAX_CELLS = 50_000_000
MAX_COLUMNS = 1_000

HeaderScorer = Callable[[Sequence[str | None]], int]
SKIPPED_SCHEMA = {"source_row": pl.Int64, "check": pl.String, "before": pl.String}

# The codes for what a raw table sets apart, declared beside the columns that carry it: EXTRA_FIELDS, RAW_LINE
# and short_rows (filled by the text reader; the quarantine stage and the runner write their ledger entries), and
# skipped (filled by every reader).
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


def unique_headers(cells: Sequence[str | None]) -> list[str]:
    """Header cells as column names: blanks become ``column_C`` (the Excel letter), repeats get ``(2)``."""
    names: list[str] = []
    seen: set[str] = set()
    for i, cell in enumerate(cells):
        base = (
            " ".join(str(cell).split()) if cell is not None and str(cell).strip() else f"column_{column_letters(i + 1)}"
        )
        name, n = base, 2
        while name in seen or name in ("source_row", EXTRA_FIELDS):
            name, n = f"{base} ({n})", n + 1
        seen.add(name)
        names.append(name)
    return names


def find_header(rows: list[list[str | None]], score_header: HeaderScorer) -> int:
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


def drop_trailing_blank(frame: pl.DataFrame, columns: Sequence[str], *, unit: str) -> tuple[pl.DataFrame, list[str]]:
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


def drop_repeated_headers(
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


def too_wide(width: int, max_columns: int, path: Path, what: str = "header") -> None:
    if width > max_columns:
        raise InputError(
            f"{what} has {width:,} columns, more than the {max_columns:,} a member file may have (rules: "
            "checks.yaml max_columns)",
            path=path,
        )


def too_many_cells(cells: int, max_cells: int, path: Path, sheet: str) -> None:
    if cells > max_cells:
        raise InputError(
            f"sheet {sheet!r} spans {cells:,} cells, more than the {max_cells:,} a member file may have (rules: "
            "checks.yaml max_cells)",
            path=path,
        )


def short_reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."
