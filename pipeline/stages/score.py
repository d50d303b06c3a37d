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

NO_PURCHASE = "No purchases"
# what rfm_and_value and club_figures(naive=True) read: the club as the file shows it, before cleansing
NAIVE_COLUMNS = ("purchase_count", "total_spend", "last_purchase_date", "join_date", "phone_mobile", "email")


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
    return pl.when(pl.col("rfm_r").is_null()).then(pl.lit(NO_PURCHASE)).otherwise(expr.fill_null("Other"))


def rfm_and_value(members: pl.DataFrame, /, *, s: ScoringRules, as_of: dt.date) -> pl.DataFrame:
    """Recency, RFM scores and segment, AOV, purchases per year, CLV, repeat flag and churn risk."""
    count, spend, last = pl.col("purchase_count"), pl.col("total_spend"), pl.col("last_purchase_date")
    buyers = last.is_not_null() & (count.fill_null(0) >= 1)
    table = members.with_columns(
        pl.when(buyers).then((pl.lit(as_of) - last).dt.total_days()).alias("recency_days"),
        ((pl.lit(as_of) - pl.col("join_date")).dt.total_days() / 365.25).alias("__tenure"),
        buyers.alias("__buyer"),
    )
    table = table.with_columns(
        _quintile(pl.col("recency_days"), buyers=pl.col("__buyer"), reverse=True).alias("rfm_r"),
        pl.when(pl.col("__buyer")).then(_frequency_score(count, s.frequency_bins)).alias("rfm_f"),
        _quintile(spend.fill_null(0), buyers=pl.col("__buyer")).alias("rfm_m"),
        pl.when(count > 0).then(spend / count).round(2).alias("aov"),
        pl.when(count > 0)
        .then(count / pl.col("__tenure").clip(lower_bound=s.min_tenure_years))
        .round(3)
        .alias("purchases_per_year"),
        (count.fill_null(0) >= 2).alias("repeat_customer"),
        pl.when(count >= 2).then((last - pl.col("join_date")).dt.total_days() / (count - 1)).alias("__gap"),
    )
    table = table.with_columns(
        pl.concat_str([pl.col("rfm_r"), pl.col("rfm_f"), pl.col("rfm_m")]).alias("rfm_score"),
        _segment(s).alias("rfm_segment"),
        (pl.col("aov") * pl.col("purchases_per_year") * s.lifespan_years * s.margin).round(2).alias("clv"),
    )
    lapse = table.select(pl.col("__gap").filter(pl.col("__gap") > 0).quantile(s.lapse_percentile)).item()
    lapse = float(lapse) if isinstance(lapse, int | float) else 365.0
    personal = pl.col("__gap") * s.personal_gap_multiple
    threshold = pl.coalesce(personal, pl.lit(lapse))
    recency = pl.col("recency_days")
    table = table.with_columns(
        pl.when(recency.is_null())
        .then(pl.lit(None, pl.String))
        .when(recency > pl.max_horizontal(threshold, pl.lit(lapse)))
        .then(pl.lit("high"))
        .when(recency > pl.min_horizontal(threshold, pl.lit(lapse)))
        .then(pl.lit("medium"))
        .otherwise(pl.lit("low"))
        .alias("churn_risk"),
        *[(recency > days).alias(f"lapsed_{days}d") for days in s.lapsed_days],
    )
    return table.drop("__tenure", "__buyer", "__gap").with_columns(pl.lit(lapse).alias("__lapse_days"))


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


def club_figures(table: pl.DataFrame, *, naive: bool) -> dict[str, Any]:
    """The club's figures over a table of scored members.

    ``naive``: the file as it came, before cleansing: every row is a member and any phone or e-mail cell counts
    as reach. Otherwise reach is the members contactable with consent.
    """
    n = table.height
    count = table.get_column("purchase_count").fill_null(0)
    spend = table.get_column("total_spend").fill_null(0)
    buyers = int((count >= 1).sum())
    figures: dict[str, Any] = {
        "members": n,
        "buyers": buyers,
        "repeat_customer_rate": round(float((count >= 2).sum()) / max(buyers, 1), 4),
        "purchase_frequency": round(float(count.sum()) / max(buyers, 1), 3),
        "average_order_value": round(float(spend.sum()) / max(float(count.sum()), 1), 2),
        "total_spend": round(float(spend.sum()), 2),
    }
    if "clv" in table.columns:
        recency = table.get_column("recency_days")
        first = table.get_column("__lapse_days")[0] if n and "__lapse_days" in table.columns else None
        lapse = float(first) if isinstance(first, int | float) else 365.0
        figures |= {
            "average_clv": round(float(table.select(pl.col("clv").mean().fill_null(0)).item()), 2),
            "total_clv": round(float(table.select(pl.col("clv").sum()).item()), 2),
            "lapse_point_days": round(lapse, 1),
            "churn_rate": round(float((recency > lapse).sum()) / max(buyers, 1), 4),
            "active_members": int((recency <= lapse).sum()),
            "segments": {
                row["rfm_segment"]: {"members": row["members"], "total_spend": round(row["spend"] or 0, 2)}
                for row in table.group_by("rfm_segment")
                .agg(pl.len().alias("members"), pl.col("total_spend").sum().alias("spend"))
                .sort("members", descending=True)
                .iter_rows(named=True)
            },
        }
    if naive:
        figures["reach"] = {
            "sms": int(table.get_column("phone_mobile").is_not_null().sum()),
            "email": int(table.get_column("email").is_not_null().sum()),
        }
    elif "contact_sms" in table.columns:
        figures["reach"] = {c: int(table.get_column(f"contact_{c}").sum()) for c in ("sms", "email", "call", "post")}
    return figures


def score(
    members: pl.DataFrame, /, *, rules: Rules, ledger: pl.LazyFrame, merge_map: pl.DataFrame, as_of: dt.date
) -> StageResult:
    """RFM, value, churn and quality per golden record; the club's figures after cleansing in ``stats``."""
    s = rules.scoring
    table = rfm_and_value(members, s=s, as_of=as_of)
    golden_ids = merge_map.select("source_row", "golden_id")
    flagged = pl.concat(
        [  # a range of rows at a time: a big file's ledger is read from disk
            part.filter(pl.col("action") == "flagged")
            .select("source_row", "field")
            .join(golden_ids, on="source_row", how="inner")
            .select("golden_id", "field")
            .unique()
            for part in ledger_.by_rows(ledger)
        ]
    ).unique()
    table = quality_score(table, s=s, flagged=flagged)
    figures = club_figures(table, naive=False)
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
