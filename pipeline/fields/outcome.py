"""What a field kind returns, and the per-unique-value cache for the long tail.

A field kind turns raw String columns into clean columns (the value, plus derived columns such as a status or a
type) and ledger entries. The common case is a polars expression over the whole column; what it cannot settle goes
to the authoritative library once per *unique* value through :func:`per_unique`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import polars as pl

# the hidden column beside a cleaned field that says whether its value can identify a member (``usable``)
USABLE_PREFIX = "__usable_"


def usable(members: pl.DataFrame, field: str) -> pl.Expr:
    """Whether a cleaned field holds a usable value: the field kind's verdict where it gives one."""
    flag = f"{USABLE_PREFIX}{field}"
    return pl.col(flag) if flag in members.columns else pl.col(field).is_not_null()


@dataclass(frozen=True)
class FieldOutcome:
    columns: Mapping[str, pl.Series]  # clean and derived columns, aligned with the input rows
    entries: pl.DataFrame = field(default_factory=lambda: pl.DataFrame())  # ledger entries without severity/action
    usable: pl.Series | None = None  # for identity fields: does the row hold a usable value?
    stats: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


def per_unique(
    values: pl.Series, compute: Callable[[list[str]], list[dict[str, Any]]], schema: Mapping[str, pl.DataType]
) -> pl.DataFrame:
    """Call ``compute`` once on the distinct non-null values and spread its answers back over every row.

    ``compute`` gets a list of distinct strings and returns one dict per value (keys of ``schema``).
    Returns a frame aligned with ``values`` (nulls where the value was null).
    """
    distinct = values.drop_nulls().unique(maintain_order=True)
    answers = compute(distinct.to_list()) if distinct.len() else []
    table = pl.DataFrame(answers, schema=dict(schema), orient="row") if answers else pl.DataFrame(schema=dict(schema))
    table = table.with_columns(distinct.alias("__key"))
    return (
        pl.DataFrame({"__key": values})
        .join(table, on="__key", how="left", maintain_order="left", nulls_equal=False)
        .drop("__key")
    )


def on_distinct(values: pl.Series, compute: Callable[[pl.Series], pl.DataFrame]) -> pl.DataFrame:
    """Run a whole-column parse once per distinct value (null included) and spread its answers back over every row.

    ``compute`` gets the distinct values and returns a frame aligned with them. The polars sibling of
    :func:`per_unique`, for parses whose many regexes cost more than the join that puts the answers back (a
    million members hold a few tens of thousands of distinct dates or amounts).
    """
    distinct = values.unique()
    table = compute(distinct).with_columns(distinct.alias("__key"))
    return (
        pl.DataFrame({"__key": values})
        .join(table, on="__key", how="left", maintain_order="left", nulls_equal=True)
        .drop("__key")
    )


def on_matching(values: pl.Series, pattern: str, compute: Callable[[pl.Series], pl.DataFrame]) -> pl.DataFrame:
    """``compute`` on the few distinct values that hold ``pattern`` (a cheap test: literal words, one character
    class), its answers put back on their rows, null on the others. For a rare shape (a PO box in a street, a name
    before an e-mail, a birth date given in part) whose parse, run on a million values, would cost seconds.

    ``compute`` gets the distinct matching values and returns a frame aligned with them. The answers are scattered
    onto the matching rows, not joined onto every row (a join of a million rows cost more than the parse it spared).
    """
    rows = values.str.contains(pattern).fill_null(False).arg_true()
    matching = values.gather(rows)
    few = matching.unique()
    table = compute(few)
    out = {c: pl.repeat(None, values.len(), dtype=t, eager=True).alias(c) for c, t in table.schema.items()}
    if few.len():
        answers = matching.to_frame("__key").join(
            table.with_columns(few.alias("__key")), on="__key", how="left", maintain_order="left"
        )
        for c in out:
            out[c] = out[c].scatter(rows, answers.get_column(c))
    return pl.DataFrame(out)
