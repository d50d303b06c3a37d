"""Reading member files into a raw table: every cell a string, every row keyed by ``source_row``.

No type inference happens here: inference is what turns ``0521234567`` into ``521234567``. ``source_row`` is
the row number a person sees: the sheet row in Excel (header counted), the record's first line in a CSV, and
for parquet the row as a spreadsheet would show it (header = row 1). ``read_member_file`` is the one entry: it
refuses what is no member file, then hands the file to its format's reader (``exceltable``, ``csvtable``, or
parquet below, typed columns written as text); what every reader shares is in ``rawtable``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipeline.csvtable import read_text
from pipeline.errors import InputError
from pipeline.exceltable import read_excel
from pipeline.rawtable import (
    MAX_CELLS,
    MAX_COLUMNS,
    HeaderScorer,
    RawTable,
    SourceInfo,
    drop_trailing_blank,
    short_reason,
    too_wide,
    unique_headers,
)

EXCEL_EXTS = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"})
TEXT_EXTS = frozenset({".csv", ".tsv", ".txt"})
PARQUET_EXTS = frozenset({".parquet", ".pq"})


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
        table = read_excel(path, score_header=score_header, sheet=sheet, max_cells=max_cells, max_columns=max_columns)
    elif ext in TEXT_EXTS:
        table = read_text(path, score_header=score_header, max_columns=max_columns)
    else:
        table = _read_parquet(path, max_columns=max_columns)
    if table.height == 0:
        raise InputError("has a header row but no member rows", path=path)
    return table


# ---------------------------------------------------------------------------------------------- parquet


def _read_parquet(path: Path, *, max_columns: int) -> RawTable:
    try:
        schema = pl.read_parquet_schema(path)
    except Exception as exc:
        raise InputError(f"cannot be read as parquet ({short_reason(exc)})", path=path) from exc
    too_wide(len(schema), max_columns, path)
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:
        raise InputError(f"cannot be read as parquet ({short_reason(exc)})", path=path) from exc
    names = unique_headers(list(frame.columns))
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
    frame, notes = drop_trailing_blank(frame, names, unit="row")
    source = SourceInfo(path=str(path), format="parquet", notes=tuple(notes))
    return RawTable(frame=frame, headers=tuple(names), source=source)
