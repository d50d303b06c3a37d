"""The ledger: one long table of every fix and every violation, appended to by every stage.

Columns: ``source_row, field, check, severity, action, before, after``. Row messages, per-field quality figures,
the report and ``cleanse check`` are all views of it. ``before`` keeps the raw value; masking happens only
when a value is shown.

A million-member file makes about eight million entries, and field, check, severity and action repeat a few
dozen words among them: they are Categorical (four bytes a row, not a string each), which compares with plain
strings as a string column does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

import polars as pl

from pipeline.checks import DECLARED

WORD = pl.Categorical()
LEDGER_SCHEMA: dict[str, pl.DataType] = {
    "source_row": pl.Int64(),
    "field": WORD,
    "check": WORD,
    "severity": WORD,
    "action": WORD,
    "before": pl.String(),
    "after": pl.String(),
}
_ENTRY_SCHEMA = {k: v for k, v in LEDGER_SCHEMA.items() if k not in ("severity", "action")}


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema=LEDGER_SCHEMA)


def from_flags(
    frame: pl.DataFrame,
    *,
    field: str,
    flags: Mapping[str, pl.Expr],
    before: pl.Expr,
    after: pl.Expr,
) -> pl.DataFrame:
    """Ledger entries (without severity/action): one per row and code whose boolean flag holds.

    Flags are whole-column expressions (no per-row lists), so a field with several possible fixes costs a few
    boolean columns and one filter each. ``before`` and ``after`` are worked out row by row (no window or
    aggregate), on the flagged rows only: written as text for every row, a million members' four dates took 0.6 s.
    """
    if not flags:
        return pl.DataFrame(schema=_ENTRY_SCHEMA)
    marks = [f"__flag{i}" for i in range(len(flags))]
    base = (
        frame.lazy()
        .with_columns(expr.fill_null(False).alias(mark) for mark, expr in zip(marks, flags.values(), strict=True))
        .filter(pl.any_horizontal(marks))
        .select(
            pl.col("source_row").cast(pl.Int64),
            before.cast(pl.String).alias("before"),
            after.cast(pl.String).alias("after"),
            *marks,
        )
    )
    parts = [
        base.filter(pl.col(f"__flag{i}")).select(
            "source_row",
            pl.lit(field, WORD).alias("field"),
            pl.lit(code, WORD).alias("check"),
            "before",
            "after",
        )
        for i, code in enumerate(flags)
    ]
    return pl.concat(parts).collect()


def from_mask(
    frame: pl.DataFrame, mask: pl.Expr, *, field: str, code: str, before: pl.Expr, after: pl.Expr
) -> pl.DataFrame:
    """Ledger entries (without severity/action) with one code for every row where ``mask`` holds."""
    return (
        frame.lazy()
        .filter(mask)
        .select(
            pl.col("source_row").cast(pl.Int64),
            pl.lit(field, WORD).alias("field"),
            pl.lit(code, WORD).alias("check"),
            before.cast(pl.String).alias("before"),
            after.cast(pl.String).alias("after"),
        )
        .collect()
    )


def finish(entries: Iterable[pl.DataFrame], *, severities: Mapping[str, str]) -> pl.DataFrame:
    """Concatenate entries and attach each code's severity (rules override the catalogue) and action."""
    parts = [e.select(list(_ENTRY_SCHEMA)).cast(_ENTRY_SCHEMA) for e in entries if e.height]  # type: ignore[arg-type]
    if not parts:
        return empty()
    # the codes in one chunk: replace_strict on a column of dozens of chunks took 0.46 s at 7.5M entries, 0.06 s
    # on one (only this small column is copied; before and after stay in their chunks)
    merged = pl.concat(parts, how="vertical")
    merged = merged.with_columns(merged.get_column("check").rechunk())
    unknown = set(merged.get_column("check").unique().to_list()) - DECLARED.keys()
    if unknown:  # a programming error, not a data problem
        raise KeyError(f"ledger codes missing from the catalogue: {sorted(unknown)}")
    # a replace on a Categorical maps its few categories, not its millions of rows (a join here doubled the peak)
    severity = {c.code: severities.get(c.code, c.severity) for c in DECLARED.values()}
    action = {c.code: c.action for c in DECLARED.values()}
    return merged.select(
        "source_row",
        "field",
        "check",
        pl.col("check").replace_strict(severity, return_dtype=WORD).alias("severity"),
        pl.col("check").replace_strict(action, return_dtype=WORD).alias("action"),
        "before",
        "after",
    )


def concat(ledgers: Iterable[pl.DataFrame]) -> pl.DataFrame:
    """Stage ledgers in stage order, then by source row (stable within a row)."""
    parts = [lg for lg in ledgers if lg.height]
    if not parts:
        return empty()
    # one stable sort of them side by side: at a million members (8.4M entries from cleaning, 40k from validating
    # and quarantining) it took 0.8-1.4 s, where sorting the first and merging the others into it took 2.1-2.8 s
    # (a merge copies every entry's texts; a sort of a column already in order costs nothing)
    return _by_row(pl.concat(parts, how="vertical"))


def merged(ledgers: Iterable[pl.DataFrame | pl.LazyFrame]) -> pl.LazyFrame:
    """``concat``, lazily, for a ledger too big to hold: a part may be a scan of the ledger spilled to disk a chunk
    at a time. Each part must already be in row order (a spilled part is: its chunks are). Within a row, the
    earlier part's entries come first, as in ``concat``."""
    parts = list(ledgers)
    out: pl.LazyFrame | None = None
    for part in parts:
        if isinstance(part, pl.DataFrame) and part.height == 0:
            continue
        lazy = _by_row(part).lazy() if isinstance(part, pl.DataFrame) else part
        out = lazy if out is None else out.merge_sorted(lazy, key="source_row", maintain_order=True)
    if out is None:
        return empty().lazy()
    # parts all in memory are merged once, here: a lazy merge is worked out again by each reader (scoring, the
    # report, the CSV and the parquet file), 0.9 s each for a million members' 8.7M entries
    return out.collect().lazy() if all(isinstance(part, pl.DataFrame) for part in parts) else out


PART_ROWS = 500_000


def by_rows(
    ledger: pl.LazyFrame, *, rows: int | None = None, columns: list[str] | None = None
) -> Iterator[pl.DataFrame]:
    """The ledger ``rows`` source rows at a time, in order, with only ``columns`` where given (the texts before and
    after are most of the ledger: a count that reads them took 1 s of a million members' 8.7M entries). Every entry
    of a row is in one part, so counts of distinct rows add up over the parts.

    A big file's ledger is on disk: tens of millions of entries. A query over all of them at once holds them all
    (a count of distinct rows per field held 3.3 GB of a 10M-row file's ledger, the first examples of each check
    6.7 GB); a query per part holds a part's worth (0.6 GB for all 20)."""
    for part in ranges(ledger, rows=rows):
        yield (part.select(columns) if columns is not None else part).collect()


def ranges(ledger: pl.LazyFrame, *, rows: int | None = None) -> list[pl.LazyFrame]:
    """The ledger as lazy parts of ``rows`` source rows each, in order (see ``by_rows``); an empty ledger is one
    empty part."""
    lo, hi = ledger.select(pl.col("source_row").min(), pl.col("source_row").max().alias("hi")).collect().row(0)
    if lo is None:
        return [ledger]
    step = rows or PART_ROWS
    return [
        ledger.filter(pl.col("source_row").is_between(start, start + step - 1)) for start in range(lo, hi + 1, step)
    ]


def _by_row(ledger: pl.DataFrame) -> pl.DataFrame:
    if ledger.get_column("source_row").is_sorted():
        return ledger
    return ledger.sort("source_row", maintain_order=True)
