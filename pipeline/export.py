"""Safe writers for every output: formula-safe text cells, streamed CSV, parquet and xlsx.

Formula injection: a text cell that starts with ``= + - @``, a tab or a carriage return is prefixed with ``'``
(OWASP's advice), so a spreadsheet shows it as text instead of running it. Plain numbers such as
``+972521234567`` or ``-12.5`` are left alone: a spreadsheet reads them as numbers, never as formulas, and
rewriting them would break every E.164 phone for the tools that read our CSVs.

Where a file may be written, and writing it whole or not at all, is the output policy's (``pipeline.outputs``):
these writers write to the path they are given.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Final, Literal, TypeVar

import polars as pl

from pipeline.sheetxml import write_sheet

# leading blanks: Unicode white space and the four ASCII separators (0x1C-0x1F) that Python counts as white space
# and some readers trim, so no reader can find a formula once they are gone (hypothesis found "\x1f@")
_DANGEROUS = r"^(?:[=+\-@\t\r]|[\s\x1c-\x1f]+[=+\-@])"
_PLAIN_NUMBER = r"^[+-]?[0-9]+(?:[.,][0-9]+)*$"


def formula_safe(value: pl.Expr) -> pl.Expr:
    """Neutralise spreadsheet formulas in a text column (see module docstring)."""
    risky = value.str.contains(_DANGEROUS) & ~value.str.contains(_PLAIN_NUMBER)
    return pl.when(risky).then(pl.lit("'") + value).otherwise(value)


F = TypeVar("F", pl.DataFrame, pl.LazyFrame)


def _made_safe(column: pl.Series, dangerous: pl.Series) -> pl.Series | None:
    """``formula_safe`` of a column in memory, given where its cells start like a formula; None when no cell
    changes. The plain-number test runs only on the cells that start dangerously (a few percent of a column, or
    all of a phone column), and only the cells that change are written."""
    if not dangerous.any():
        return None
    at = dangerous.arg_true()
    risky = at.filter(~column.gather(at).str.contains(_PLAIN_NUMBER))
    if not risky.len():
        return None
    return column.clone().scatter(risky, "'" + column.gather(risky))


def safe_header(name: str) -> str:
    """A column name made formula-safe as a cell would be: headers come from the input file too."""
    return str(pl.select(formula_safe(pl.lit(name, pl.String))).item())


def safe_frame(frame: F) -> F:
    """Every String column made formula-safe, and every header; other types are written natively.

    A table in memory is rewritten only in the cells that change (``_made_safe``): one look at every column first,
    at once on every core. Most columns hold no risky cell, and a column of E.164 phones starts every cell with
    ``+`` and holds none (a million members' ledger, 8.7M before/after cells of which 1.1M start with ``+``: 2.6 s
    rewritten whole, 0.6 s this way)."""
    schema = frame.collect_schema()
    text = [n for n, t in schema.items() if t == pl.String]
    if isinstance(frame, pl.DataFrame):
        starts = frame.select(pl.col(n).str.contains(_DANGEROUS) for n in text) if text else pl.DataFrame()
        made = {n: _made_safe(frame.get_column(n), starts.get_column(n)) for n in text}
        safe = frame.with_columns([c.alias(n) for n, c in made.items() if c is not None])
    else:
        safe = frame.with_columns([formula_safe(pl.col(n)).alias(n) for n in text])
    renames = {n: h for n in schema.names() if (h := safe_header(n)) != n}
    taken = set(schema.names())
    for old, new in renames.items():  # "'=x" is rare, but a header of that name must not be overwritten
        while new in taken:
            new = "'" + new
        renames[old] = new
        taken.add(new)
    return safe.rename(renames) if renames else safe


def _flatten(frame: F) -> F:
    """CSV and Excel cannot hold lists: join them with '; '."""
    return frame.with_columns(
        [
            pl.col(n).cast(pl.List(pl.String)).list.join("; ").alias(n)
            for n, t in frame.collect_schema().items()
            if isinstance(t, pl.List)
        ]
    )


def write_csv(frame: pl.DataFrame | pl.LazyFrame, path: Path) -> None:
    """Streamed in batches, in order: the formula-safe copies of the text columns exist a batch at a time, not as
    a second copy of the table (a million members' ledger holds 7.5M before/after strings).

    UTF-8 with BOM: Excel opens Hebrew correctly only with it; polars, pandas and csv readers accept it.
    A table already in memory is written as it is, but for the columns that need a formula-safe copy.
    """
    if isinstance(frame, pl.DataFrame):
        safe_frame(_flatten(frame)).write_csv(path, include_bom=True)
    else:
        safe_frame(_flatten(frame)).sink_csv(path, include_bom=True, maintain_order=True)


def write_csv_parts(parts: Iterable[pl.LazyFrame], path: Path) -> None:
    """``write_csv`` of the parts one after another (at least one), each collected alone: a part's memory,
    whatever the whole. (A sink of ten million members' ledger, 7.6 GB of CSV, held 7.7 GB: the engine ran ahead
    of the writer.)"""
    with open(path, "wb") as out:
        for k, part in enumerate(parts):
            safe_frame(_flatten(part).collect()).write_csv(out, include_header=k == 0, include_bom=k == 0)


def write_xlsx(frame: pl.DataFrame, path: Path, *, sheet: str) -> None:
    """Text as text cells (never formulas), numbers as numbers, dates as dates; right-to-left when the table holds
    Hebrew (``pipeline.sheetxml``: the cells' XML made over whole columns, a slice of rows at a time)."""
    table = safe_frame(_flatten(frame))
    hebrew = any(
        table.get_column(n).head(500).str.contains("[\u0590-\u05ff]").any()
        for n, t in table.schema.items()
        if t == pl.String
    )
    write_sheet(table, path, sheet=sheet, right_to_left=hebrew)


# snappy: the codec every parquet reader has (pyarrow's and Spark's default). zstd made the files a third smaller and
# took 1.6 s more of a million-member run's writing (members 2.4 against 1.6 s, ledger 2.5 against 1.7 s, one core)
PARQUET_COMPRESSION: Final[Literal["snappy"]] = "snappy"


def write_parquet(frame: pl.DataFrame | pl.LazyFrame, path: Path) -> None:
    """Streamed, in order, a batch of rows at a time (a lazy frame may be a ledger read from disk)."""
    frame.lazy().sink_parquet(path, maintain_order=True, compression=PARQUET_COMPRESSION)
