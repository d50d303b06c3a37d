"""Score: RFM, value and churn risk per member, a data-quality score and grade, and the club's figures.

Every formula's parameters are in ``rules/scoring.yaml``; the README gives each formula. Most members buy once,
so frequency uses fixed bins (1 / 2 / 3-4 / 5-9 / 10+ by default); recency and monetary use rank-based
quintiles of the members who bought (ties share a score), recency reversed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from pipeline import ledger as ledger_
from pipeline.rules import Rules, ScoringRules
from pipeline.stages import StageResult
from pipeline.stages.value import ValueModel, customer_value

NO_PURCHASE = "No purchases"
NO_DATE = "No purchase date"  # bought (a purchase count) but no last purchase date: recency unknown
# what rfm_and_value and club_figures(naive=True) read: the club as the file shows it, before cleansing
VALUE_FIELDS = ("purchase_count", "total_spend", "last_purchase_date", "join_date")  # what the value model reads
NAIVE_COLUMNS = (
    "member_id",
    "purchase_count",
    "total_spend",
    "last_purchase_date",
    "join_date",
    "phone_mobile",
    "email",
)


def as_of_date(members: pl.DataFrame, s: ScoringRules, fallback: dt.date) -> dt.date:
    """The scoring reference: a fixed date from the rules, or the latest purchase in the file."""
    if s.reference_date != "latest_purchase":
        return dt.date.fromisoformat(s.reference_date)
    latest = members.get_column("last_purchase_date").max() if "last_purchase_date" in members.columns else None
    return latest if isinstance(latest, dt.date) else fallback


def _quintile(value: pl.Expr, *, buyers: pl.Expr, reverse: bool = False) -> pl.Expr:
    """1-5 by rank among buyers (average rank for ties); with ``reverse`` the smallest value scores 5."""
    ranked = pl.when(buyers).then(value)
    pct = (ranked.rank("average") - 0.5) / buyers.sum()
    score = (pct * 5).floor().cast(pl.Int8).clip(0, 4) + 1
    return pl.when(buyers).then(6 - score if reverse else score)


def _frequency_score(count: pl.Expr, bins: tuple[int, ...]) -> pl.Expr:
    score: pl.Expr = pl.lit(1, pl.Int8)
    for upper in bins:
        score = score + (count > upper).cast(pl.Int8)
    return score


def _segment(s: ScoringRules) -> pl.Expr:
    expr: pl.Expr = pl.lit(None, pl.String)
    r, f, m = pl.col("rfm_r"), pl.col("rfm_f"), pl.col("rfm_m")
    for seg in reversed(s.segments):
        hit = r.is_between(*seg.r) & f.is_between(*seg.f) & m.is_between(*seg.m)
        expr = pl.when(hit).then(pl.lit(seg.name)).otherwise(expr)
    # the rules refuse a segment table with a gap, so "Other" is only for a table built in code
    return (
        pl.when(pl.col("rfm_f").is_null())
        .then(pl.lit(NO_PURCHASE))
        .when(pl.col("rfm_r").is_null())
        .then(pl.lit(NO_DATE))
        .otherwise(expr.fill_null("Other"))
    )


def _churn_by_lapse(
    table: pl.DataFrame, s: ScoringRules, count: pl.Expr, first: pl.Expr, last: pl.Expr
) -> tuple[pl.Expr, float]:
    """The simple formulas' churn risk (when no model was fitted): recency against the club's lapse point and the
    member's own rhythm."""
    gap = pl.when(count >= 2).then((last - first).dt.total_days() / (count - 1))
    lapse = table.select(gap.filter(gap > 0).quantile(s.lapse_percentile)).item()
    lapse = float(lapse) if isinstance(lapse, int | float) else 365.0
    threshold = pl.coalesce(gap * s.personal_gap_multiple, pl.lit(lapse))
    recency = pl.col("recency_days")
    risk = (
        pl.when(recency.is_null())
        .then(pl.lit(None, pl.String))
        .when(recency > pl.max_horizontal(threshold, pl.lit(lapse)))
        .then(pl.lit("high"))
        .when(recency > pl.min_horizontal(threshold, pl.lit(lapse)))
        .then(pl.lit("medium"))
        .otherwise(pl.lit("low"))
    )
    return risk, lapse


def rfm_and_value(
    members: pl.DataFrame, /, *, s: ScoringRules, as_of: dt.date, unusable: pl.Series | None = None
) -> tuple[pl.DataFrame, ValueModel]:
    """Recency, RFM scores and segment, AOV, purchases per year, repeat flag; the customer-value model's forecasts
    (``pipeline.stages.value``), CLV and churn risk. ``unusable``: members whose purchase figures or dates cleaning
    flagged (never used by the model)."""
    count, spend = pl.col("purchase_count"), pl.col("total_spend")
    # the first purchase: a transactions file's, else the joining purchase; a single purchase with no date was it
    first = pl.col("first_purchase_date") if "first_purchase_date" in members.columns else pl.col("join_date")
    last = (
        pl.when(pl.col("last_purchase_date").is_null() & (count == 1))
        .then(first)
        .otherwise(pl.col("last_purchase_date"))
    )
    buyers = count.fill_null(0) >= 1
    dated = buyers & last.is_not_null()
    since_first = (pl.lit(as_of) - first).dt.total_days() / 365.25
    table = members.with_columns(
        pl.when(dated).then((pl.lit(as_of) - last).dt.total_days()).alias("recency_days"),
        dated.alias("__dated"),
        buyers.alias("__buyer"),
    )
    table = table.with_columns(
        _quintile(pl.col("recency_days"), buyers=pl.col("__dated"), reverse=True).alias("rfm_r"),
        pl.when(pl.col("__buyer")).then(_frequency_score(count, s.frequency_bins)).alias("rfm_f"),
        _quintile(spend.fill_null(0), buyers=pl.col("__buyer")).alias("rfm_m"),
        pl.when(count > 0).then(spend / count).round(2).alias("aov"),
        # repeat purchases over the time since the first (the joining purchase is not a rate: one purchase a week
        # ago is no purchases a year, not four)
        pl.when(count > 0)
        .then((count - 1) / since_first.clip(lower_bound=s.min_tenure_years))
        .round(3)
        .alias("purchases_per_year"),
        (count.fill_null(0) >= 2).alias("repeat_customer"),
    )
    table = table.with_columns(
        pl.when(pl.col("rfm_r").is_not_null())
        .then(pl.concat_str([pl.col("rfm_r"), pl.col("rfm_f"), pl.col("rfm_m")]))
        .alias("rfm_score"),
        _segment(s).alias("rfm_segment"),
    )
    values, model = customer_value(members, s=s, as_of=as_of, unusable=unusable)
    table = pl.concat([table, values], how="horizontal")
    lapse_risk, lapse = _churn_by_lapse(table, s, count, first, last)
    if model.purchases is not None:
        active = pl.col(f"p_active_{s.churn_horizon_days}d")
        risk = (
            pl.when(active.is_null())
            .then(pl.lit(None, pl.String))
            .when(active < s.churn_high_below)
            .then(pl.lit("high"))
            .when(active < s.churn_medium_below)
            .then(pl.lit("medium"))
            .otherwise(pl.lit("low"))
        )
    else:
        risk = lapse_risk
    recency = pl.col("recency_days")
    table = table.with_columns(
        risk.alias("churn_risk"), *[(recency > days).alias(f"lapsed_{days}d") for days in s.lapsed_days]
    )
    table = table.drop("__dated", "__buyer").with_columns(pl.lit(lapse).alias("__lapse_days"))
    return table, model


def quality_score(members: pl.DataFrame, /, *, s: ScoringRules, flagged: pl.DataFrame) -> pl.DataFrame:
    """0-100 and A-F per member: each weighted field full when valid, half when present but flagged, none when
    missing. ``flagged`` holds (golden_id, field) pairs with a flagged ledger entry. Adds ``quality_issues``.

    Each field's state (valid 0, flagged 1, missing 2) is a digit of one base-3 number per member; the score,
    grade and words are worked out once per distinct number (a million members share a few hundred) and
    gathered back, instead of building a list of strings for every member."""
    weights = {f: w for f, w in s.quality_weights.items() if f in members.columns}
    total = sum(weights.values()) or 1.0
    bit = {name: 1 << i for i, name in enumerate(weights)}
    marks = (
        flagged.lazy()
        .select("golden_id", pl.col("field").cast(pl.String))
        .filter(pl.col("field").is_in(list(weights)))
        .unique()
        .group_by("golden_id")
        .agg(pl.col("field").replace_strict(bit, return_dtype=pl.Int64).sum().alias("__flagged"))
        .collect()
    )
    # an eager join: a lazy one with maintain_order="left" came back in another order about one time in three
    frame = members.select("golden_id", *weights).join(marks, on="golden_id", how="left", maintain_order="left")
    state = pl.lit(0, pl.Int64)
    for i, name in enumerate(weights):
        is_flagged = (pl.col("__flagged").fill_null(0) // bit[name] % 2) == 1
        if members.schema[name] == pl.Boolean:  # consent: recorded (yes or no) vs missing, which is the flag
            digit = pl.when(is_flagged).then(2).otherwise(0)
        else:
            # flagged before missing: a date cleaning had to empty was in the file, only wrong
            digit = pl.when(is_flagged).then(1).when(pl.col(name).is_null()).then(2).otherwise(0)
        state = state + digit * 3**i
    code = frame.select(state.alias("__state")).to_series()
    digit_of = {name: pl.col("__state") // 3**i % 3 for i, name in enumerate(weights)}
    points = [
        pl.when(d == 0).then(weights[n]).when(d == 1).then(weights[n] / 2).otherwise(0.0) for n, d in digit_of.items()
    ]
    issues = [
        pl.when(d == 1).then(pl.lit(f"{n}: flagged")).when(d == 2).then(pl.lit(f"{n}: missing"))
        for n, d in digit_of.items()
    ]
    score = (pl.sum_horizontal(points) * 100 / total).round(0).cast(pl.Int32)
    grade: pl.Expr = pl.lit("F")
    for letter, floor in sorted(s.grades.items(), key=lambda kv: kv[1]):
        grade = pl.when(score >= floor).then(pl.lit(letter)).otherwise(grade)
    distinct = (
        code.unique()
        .to_frame()
        .with_columns(
            score.alias("quality_score"),
            grade.alias("quality_grade"),
            pl.concat_list(issues).list.drop_nulls().list.join("; ").alias("quality_issues"),
        )
    )
    looked_up = code.to_frame().join(distinct, on="__state", how="left", maintain_order="left")
    return members.with_columns(looked_up.select("quality_score", "quality_grade", "quality_issues"))


def club_figures(table: pl.DataFrame, *, naive: bool, model: ValueModel | None = None) -> dict[str, Any]:
    """The club's figures over a table of scored members.

    ``naive``: the file as it came, before cleansing: every row is a member and any phone or e-mail cell counts
    as reach. Otherwise reach is the members contactable with consent. ``model``: what the value model fitted.
    """
    n = table.height
    count = table.get_column("purchase_count").fill_null(0)
    spend = table.get_column("total_spend").fill_null(0)
    buyers = int((count >= 1).sum())
    buyer_spend = float(spend.filter(count >= 1).sum())  # spend on a row with no purchases is not an order's
    figures: dict[str, Any] = {
        "members": n,
        "buyers": buyers,
        "repeat_customer_rate": round(float((count >= 2).sum()) / max(buyers, 1), 4),
        "purchase_frequency": round(float(count.sum()) / max(buyers, 1), 3),
        "average_order_value": round(buyer_spend / max(float(count.sum()), 1), 2),
        "total_spend": round(float(spend.sum()), 2),
    }
    if "clv" in table.columns:
        recency = table.get_column("recency_days")
        first = table.get_column("__lapse_days")[0] if n and "__lapse_days" in table.columns else None
        lapse = float(first) if isinstance(first, int | float) else 365.0
        history = table.get_column("value_history").value_counts().sort("value_history")
        forecast = table.filter(pl.col("clv").is_not_null())
        figures |= {
            # over the members with a forecast; the others are counted by reason, never dropped silently
            "average_clv": round(float(forecast.select(pl.col("clv").mean().fill_null(0)).item()), 2),
            "total_clv": round(float(forecast.select(pl.col("clv").sum()).item()), 2),
            "forecast_members": forecast.height,
            "members_without_forecast": {
                str(k): int(v) for k, v in zip(history["value_history"], history["count"], strict=True) if k != "ok"
            },
            "lapse_point_days": round(lapse, 1),
            "churn_rate": round(float((recency > lapse).sum()) / max(buyers, 1), 4),
            "active_members": int((recency <= lapse).sum()),
            "churn_risk": {
                str(k): int(v)
                for k, v in table.get_column("churn_risk").drop_nulls().value_counts().sort("churn_risk").iter_rows()
            },
            "forecast": {
                f"{days}d": {
                    "expected_purchases": round(float(table.get_column(f"expected_purchases_{days}d").sum()), 1),
                    "expected_revenue": round(float(table.get_column(f"expected_spend_{days}d").sum()), 2),
                    "expected_active_members": (
                        round(float(table.get_column(f"p_active_{days}d").sum()), 1)
                        if table.get_column(f"p_active_{days}d").null_count() < n
                        else None
                    ),
                }
                for days in sorted(int(c.removeprefix("p_active_").removesuffix("d")) for c in _p_active(table))
            },
            "segments": {
                row["rfm_segment"]: {
                    "members": row["members"],
                    "total_spend": round(row["spend"] or 0, 2),
                    "clv": round(row["clv"] or 0, 2),
                }
                for row in table.group_by("rfm_segment")
                .agg(pl.len().alias("members"), pl.col("total_spend").sum().alias("spend"), pl.col("clv").sum())
                .sort("members", descending=True)
                .iter_rows(named=True)
            },
        }
    if model is not None:
        figures["value_model"] = {**model.stats, "warnings": list(model.warnings)}
    if naive:
        figures["reach"] = {
            "sms": int(table.get_column("phone_mobile").is_not_null().sum()),
            "email": int(table.get_column("email").is_not_null().sum()),
        }
    elif "contact_sms" in table.columns:
        figures["reach"] = {c: int(table.get_column(f"contact_{c}").sum()) for c in ("sms", "email", "call", "post")}
    return figures


def _p_active(table: pl.DataFrame) -> list[str]:
    return [c for c in table.columns if c.startswith("p_active_") and c.endswith("d")]


def score(
    members: pl.DataFrame, /, *, rules: Rules, ledger: pl.LazyFrame, merge_map: pl.DataFrame, as_of: dt.date
) -> StageResult:
    """RFM, value, churn and quality per golden record; the club's figures after cleansing in ``stats``."""
    s = rules.scoring
    golden_ids = merge_map.select("source_row", "golden_id")
    flagged = pl.concat(
        [  # a range of rows at a time: a big file's ledger is read from disk
            part.filter(pl.col("action") == "flagged")
            .select("source_row", "field")
            .join(golden_ids, on="source_row", how="inner")
            .select("golden_id", "field")
            .unique()
            for part in ledger_.by_rows(ledger, columns=["source_row", "field", "action"])
        ]
    ).unique()
    # purchases and dates that cleaning flagged are never used by the value model
    doubtful = flagged.filter(pl.col("field").cast(pl.String).is_in(VALUE_FIELDS)).select("golden_id").unique()
    marked = members.select(pl.col("golden_id").is_in(doubtful.get_column("golden_id").implode()).alias("__doubtful"))
    table, model = rfm_and_value(members, s=s, as_of=as_of, unusable=marked.to_series())
    table = quality_score(table, s=s, flagged=flagged)
    figures = club_figures(table, naive=False, model=model)
    grades = table.group_by("quality_grade").len().sort("quality_grade")
    return StageResult(
        table=table.drop("__lapse_days"),
        stats={
            "rows_in": members.height,
            "rows_out": table.height,
            "as_of": as_of.isoformat(),
            "club": figures,
            "quality_grades": dict(zip(grades["quality_grade"], grades["len"], strict=True)),
            "grade_floors": dict(s.grades),
            "quality_mean": round(float(table.select(pl.col("quality_score").mean().fill_null(0)).item()), 1),
            "quality_histogram": {
                f"{lo}-{lo + 9 if lo < 90 else 100}": int(
                    table.get_column("quality_score").is_between(lo, lo + 9 if lo < 90 else 100).sum()
                )
                for lo in range(0, 100, 10)
            },
        },
    )
