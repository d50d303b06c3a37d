"""An Excel workbook (.xlsx, .xlsm, .xls, .xlsb, .ods) as a raw table: which sheet, and which row is its header.

A workbook holds sheets a person never sees (hidden ones) and sheets too big to load (a few hundred KB of zip can
declare millions of cells): hidden sheets are read only when ``--sheet`` names one, and a sheet beyond the rules'
limits is refused from what ``workbook`` reads of its zip before fastexcel loads it. The first visible sheet
whose header is recognised is the member list; the sheet's rows keep their numbers as Excel shows them.
"""

from __future__ import annotations

import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl

from pipeline import workbook
from pipeline.errors import InputError
from pipeline.rawtable import (
    HEADER_SEARCH_ROWS,
    HeaderScorer,
    RawTable,
    SourceInfo,
    drop_repeated_headers,
    drop_trailing_blank,
    find_header,
    short_reason,
    too_many_cells,
    too_wide,
    unique_headers,
)


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
    names = unique_headers([header_cells[i] for i in keep])
    frame = body.select([pl.col(grid.columns[i]).alias(n) for i, n in zip(keep, names, strict=True)])
    frame = frame.with_columns(row_numbers.slice(header_index + 1).alias("source_row").cast(pl.Int64))
    frame = frame.select("source_row", *names)
    frame, notes = drop_trailing_blank(frame, names, unit="row")
    frame, skipped = drop_repeated_headers(frame, names=names, header_cells=[header_cells[i] for i in keep])
    source = replace(source, notes=(*source.notes, *notes))
    return RawTable(frame=frame, headers=tuple(names), source=source, skipped=skipped)


def read_excel(
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
        raise InputError(f"cannot be read as an Excel workbook ({short_reason(exc)})", path=path) from exc
    if not names:
        raise InputError("workbook has no sheets", path=path)
    parts = {p.name: p for p in workbook.sheets(path) or []} if path.suffix.lower() in (".xlsx", ".xlsm") else {}

    def refuse_bomb(name: str) -> None:
        """Before loading: a sheet beyond the limits is refused from what its zip part says (in a second)."""
        part = parts.get(name)
        spans = workbook.size(path, part.part, max_cells=max_cells) if part and part.part else None
        if spans is None:
            return
        too_wide(spans.columns, max_columns, path, what=f"sheet {name!r}")
        too_many_cells(spans.cells, max_cells, path, name)

    def load(name: str) -> Any:
        refuse_bomb(name)
        try:
            # header_row=None + skip_rows=0 keeps leading blank rows, so row i is sheet row i + 1
            return reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")
        except Exception as exc:
            raise InputError(f"sheet {name!r} cannot be read ({short_reason(exc)})", path=path) from exc

    def grid_of(name: str, loaded: Any) -> pl.DataFrame:
        too_wide(loaded.width, max_columns, path, what=f"sheet {name!r}")
        too_many_cells(loaded.width * loaded.total_height, max_cells, path, name)
        try:
            return loaded.to_polars()
        except Exception as exc:
            raise InputError(f"sheet {name!r} cannot be read ({short_reason(exc)})", path=path) from exc

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
        idx = find_header(rows, score_header)
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
