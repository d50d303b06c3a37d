"""Raw table -> member table: mapped columns take their canonical names, the rest are carried through."""

from __future__ import annotations

import re
from itertools import chain

import polars as pl

from pipeline.fields import FIELDS
from pipeline.fields.flags import opt_out_column
from pipeline.mapping import ColumnMapping
from pipeline.rawtable import EXTRA_FIELDS, RawTable
from pipeline.stages import StageResult
from pipeline.stages.clean import DERIVED

# every column cleanse writes beside the canonical fields (``tests/test_end_to_end.py`` holds the list to a run):
# a carried column of one of these names was taken for it, overwritten (age, rfm_segment) or broke the run (exit 3
# on a duplicate deceased, title, city_code or email_status; a members_clean.csv fed back in). Cleaning's are its
# DERIVED columns; enrichment's and scoring's are named here.
ENRICHED = (
    "age",
    "birthday_month",
    "birthday_day",
    "tenure_years",
    "email_domain_class",
    "age_band",
    "gender_inferred",
    "gender_probability",
    "contact_sms",
    "contact_sms_reason",
    "contact_email",
    "contact_email_reason",
    "contact_call",
    "contact_call_reason",
    "contact_post",
    "contact_post_reason",
    "recency_days",
    "rfm_r",
    "rfm_f",
    "rfm_m",
    "aov",
    "purchases_per_year",
    "repeat_customer",
    "rfm_score",
    "rfm_segment",
    "value_history",
    "p_alive",
    "clv",
    "churn_risk",
    "quality_score",
    "quality_grade",
    "quality_issues",
)
PRODUCED = frozenset({"source_row", "golden_id", "source_rows", *chain.from_iterable(DERIVED.values()), *ENRICHED})
# the columns named by the rules' forecast horizons (expected_spend_90d, p_active_180d, lapsed_365d, ...)
_PER_HORIZON = re.compile(r"^(?:expected_(?:purchases|spend)|p_active|lapsed)_\d+d$")


def extra_name(header: str) -> str:
    """An unmapped column keeps its header, unless cleanse makes a column of that name (a canonical field, a column
    beside one, a score) or the header starts with ``__`` (the pipeline's own working columns): then it is carried
    as ``HEADER (original)`` (``original__HEADER``)."""
    if header.startswith("__"):
        return f"original{header}"
    produced = header in FIELDS or header in PRODUCED or _PER_HORIZON.match(header)
    return f"{header} (original)" if produced else header


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
