"""Raw table -> member table: mapped columns take their canonical names, the rest are carried through."""

from __future__ import annotations

import polars as pl

from pipeline.fields import FIELDS
from pipeline.fields.flags import opt_out_column
from pipeline.mapping import ColumnMapping
from pipeline.rawtable import EXTRA_FIELDS, RawTable
from pipeline.stages import StageResult


def extra_name(header: str) -> str:
    """An unmapped column keeps its header, unless that header is also a canonical field name."""
    return f"{header} (original)" if header in FIELDS or header in ("golden_id", "source_rows") else header


def conform(raw: RawTable, /, *, mapping: ColumnMapping) -> StageResult:
    """Every canonical field becomes a String column (null where the file has no such column)."""
    by_field = mapping.by_field
    canonical = [
        (pl.col(by_field[name]) if name in by_field else pl.lit(None, pl.String)).alias(name) for name in FIELDS
    ]
    extras = [pl.col(h).alias(extra_name(h)) for h in mapping.unmapped]
    hidden = [pl.col(EXTRA_FIELDS)] if EXTRA_FIELDS in raw.frame.columns else []
    # an opt-out column is carried through as it is, and read once more by each consent it withdraws
    hidden += [
        pl.col(m.header).alias(opt_out_column(consent, k))
        for k, m in enumerate(mapping.opt_outs)
        for consent in mapping.withdrawn_by(m)
    ]
    table = raw.frame.select(pl.col("source_row"), *canonical, *extras, *hidden)
    complete = raw.frame.select(
        [(pl.col(h).str.strip_chars().fill_null("") != "").sum().alias(f) for f, h in by_field.items()]
    )
    return StageResult(
        table=table,
        stats={
            "rows_in": raw.height,
            "rows_out": table.height,
            "mapped": len(by_field),
            "carried": len(mapping.unmapped),
            "complete_before": complete.row(0, named=True) if by_field else {},
        },
    )
