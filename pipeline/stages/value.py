"""Customer value, the stage: each member's purchase history summarised, the models fitted, every forecast column.

What the models are (the likelihoods, fits and forecasts) lives in ``pipeline.stages.value_models``; this module
decides what goes into them and what comes out: which members' histories can be used (``value_history``), the
summary from a member file or a transactions file, when to fall back to the simple formulas (too few repeat
buyers, a fit that did not converge), a fit on a seeded sample of a big club, and the per-member columns (p_alive,
expected purchases, spend and activity per horizon, discounted CLV) with the statistics the report shows.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import polars as pl

from pipeline.rules import ScoringRules
from pipeline.stages.value_models import (
    WEEK,
    PurchaseFit,
    SpendFit,
    calibration_table,
    distinct_rows,
    expected_spend_per_purchase,
    fit_purchases,
    fit_spend,
    p_alive,
    p_none_if_alive,
    purchases_if_alive,
    whole_days,
)

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------- summary


def summary_frame(members: pl.DataFrame, /, *, as_of: dt.date, unusable: pl.Series | None = None) -> pl.DataFrame:
    """x, t_x, T (weeks), spend_n, spend_mean and a ``value_history`` verdict per member.

    The first purchase is ``first_purchase_date`` where the file has it, else ``join_date``; a single purchase with
    no last purchase date was on that first day. ``repeat_spend``/``repeat_count`` (from a transactions file) give
    the mean spend over repeat purchases; otherwise the mean over all purchases. Verdicts: ``ok``,
    ``no_purchases``, ``flagged`` (a purchase figure or date that cleaning flagged: never used), ``incomplete``
    (no first purchase, or repeat purchases with no last date), ``inconsistent`` (dates out of order or after the
    scoring date).
    """
    count = pl.col("purchase_count")
    first = pl.col("first_purchase_date") if "first_purchase_date" in members.columns else pl.col("join_date")
    last = (
        pl.when(pl.col("last_purchase_date").is_null() & (count == 1))
        .then(first)
        .otherwise(pl.col("last_purchase_date"))
    )
    as_of_lit = pl.lit(as_of)
    bad = pl.lit(unusable.fill_null(False)) if unusable is not None else pl.lit(False)
    verdict = (
        pl.when(count.is_null() | (count <= 0))
        .then(pl.lit("no_purchases"))
        .when(bad)
        .then(pl.lit("flagged"))
        .when(first.is_null() | last.is_null())
        .then(pl.lit("incomplete"))
        .when((last < first) | (last > as_of_lit) | (first > as_of_lit))
        .then(pl.lit("inconsistent"))
        .otherwise(pl.lit("ok"))
    )
    if "repeat_spend" in members.columns:
        n = pl.col("repeat_count").cast(pl.Float64)
        m: pl.Expr = pl.when(n > 0).then(pl.col("repeat_spend") / n)
    else:
        n = count.cast(pl.Float64)
        m = pl.col("total_spend") / n
    return members.select(
        verdict.alias("value_history"),
        (count - 1).cast(pl.Float64).alias("x"),
        ((last - first).dt.total_days() / WEEK).alias("t_x"),
        ((as_of_lit - first).dt.total_days() / WEEK).alias("T"),
        n.alias("spend_n"),
        m.alias("spend_mean"),
    )


def summarise_transactions(transactions: pl.DataFrame, /) -> pl.DataFrame:
    """Per member from (member_id, date, amount): purchase occasions by day, first and last date, total spend and
    the spend and count of repeat occasions (every day after the first). Rows with no member, date or amount are
    left out by the caller."""
    days = transactions.group_by("member_id", "date").agg(pl.col("amount").sum())
    return (
        days.group_by("member_id")
        .agg(
            pl.len().alias("purchase_count"),
            pl.col("date").min().alias("first_purchase_date"),
            pl.col("date").max().alias("last_purchase_date"),
            pl.col("amount").sum().alias("total_spend"),
            pl.col("amount").filter(pl.col("date") > pl.col("date").min()).sum().alias("repeat_spend"),
        )
        .with_columns((pl.col("purchase_count") - 1).alias("repeat_count"))
        .sort("member_id")
    )


@dataclass(frozen=True)
class ValueModel:
    """What a run fitted, for the report: ``purchases``/``spend`` are None when the simple formulas were used."""

    purchases: PurchaseFit | None
    spend: SpendFit | None
    warnings: tuple[str, ...] = ()
    stats: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))


def _sample(size: int, most: int) -> np.ndarray:
    """Every index, or a seeded random ``most`` of them: past a few hundred thousand members the parameters' standard
    errors are well under 1%, and the fit's time stops growing with the club (the forecasts use every member)."""
    if size <= most:
        return np.arange(size)
    return np.sort(np.random.default_rng(20).choice(size, most, replace=False))


def _month_weeks(months: int) -> np.ndarray:
    return np.arange(0, months + 1) * (365.25 / 12 / WEEK)


def customer_value(
    members: pl.DataFrame, /, *, s: ScoringRules, as_of: dt.date, unusable: pl.Series | None = None
) -> tuple[pl.DataFrame, ValueModel]:
    """Per-member forecasts and the fitted models. Returns the value columns (one row per member, in order):
    ``value_history``, ``p_alive``, ``expected_purchases_{N}d``, ``expected_spend_{N}d``, ``p_active_{N}d``,
    ``clv``; and what was fitted. Members whose history is not ``ok`` get nulls."""
    summary = summary_frame(members, as_of=as_of, unusable=unusable)
    ok = (summary.get_column("value_history") == "ok").to_numpy()
    x = summary.get_column("x").to_numpy()[ok].astype(np.float64)
    t_x = summary.get_column("t_x").to_numpy()[ok].astype(np.float64)
    T = summary.get_column("T").to_numpy()[ok].astype(np.float64)
    n = summary.get_column("spend_n").fill_null(0).to_numpy()[ok].astype(np.float64)
    m = summary.get_column("spend_mean").fill_null(float("nan")).to_numpy()[ok].astype(np.float64)
    verdicts = summary.get_column("value_history").value_counts().sort("value_history")
    warnings: list[str] = []
    repeaters = int((x > 0).sum())
    purchases: PurchaseFit | None = None
    if s.value_model == "simple":
        pass
    elif repeaters < s.min_repeat_buyers:
        warnings.append(
            f"customer value: only {repeaters:,} members bought again (the models need {s.min_repeat_buyers:,}); "
            "forecasts use the simple formulas"
        )
    else:
        pick = _sample(len(x), s.fit_members_max)
        purchases = fit_purchases(x[pick], t_x[pick], T[pick], model=s.value_model)
        if not purchases.converged:
            warnings.append(
                f"customer value: the {s.value_model} fit did not converge ({purchases.message}); "
                "forecasts use the simple formulas"
            )
            purchases = None
    spend_ok = np.isfinite(m) & (m > 0) & (n > 0)
    spend: SpendFit | None = None
    if purchases is not None and int(spend_ok.sum()) >= s.min_repeat_buyers:
        pick = _sample(int(spend_ok.sum()), s.fit_members_max)
        spend = fit_spend(n[spend_ok][pick], m[spend_ok][pick])
        if not spend.converged:
            warnings.append(
                f"customer value: the spend model did not converge ({spend.message}); "
                "each member's own average order value is used"
            )
            spend = None
    if spend is not None:  # a member with no usable spend gets the club's mean
        per_purchase = expected_spend_per_purchase(spend, np.where(spend_ok, n, 0), np.where(spend_ok, m, 0.0))
    else:
        per_purchase = np.where(spend_ok, m, 0.0)

    months = _month_weeks(s.clv_horizon_months)
    discount = (1 + s.discount_rate_annual) ** (-np.arange(1, s.clv_horizon_months + 1) / 12)
    columns: dict[str, np.ndarray] = {}
    if purchases is not None:
        alive = p_alive(purchases, x, t_x, T)
        (px, pT), _, pair = distinct_rows(x, whole_days(T))  # the forecasts' hard part depends on (x, T) alone
        px, pT = px.astype(np.float64), pT / WEEK
        columns["p_alive"] = alive
        for days in horizons(s):
            t = days / WEEK
            columns[f"expected_purchases_{days}d"] = purchases_if_alive(purchases, t, px, pT)[pair] * alive
            columns[f"p_active_{days}d"] = (1 - p_none_if_alive(purchases, t, px, pT))[pair] * alive
        path = np.stack([purchases_if_alive(purchases, float(t), px, pT) for t in months[1:]], axis=1)
        by_month = np.diff(path, axis=1, prepend=0.0)
        discounted = (by_month * discount).sum(axis=1)[pair] * alive
    else:
        rate = x / np.maximum(T, s.min_tenure_years * 365.25 / WEEK)  # repeat purchases per week since the first
        for days in horizons(s):
            columns[f"expected_purchases_{days}d"] = rate * days / WEEK
        discounted = rate * (months[1] - months[0]) * discount.sum()
    for days in horizons(s):
        columns[f"expected_spend_{days}d"] = columns[f"expected_purchases_{days}d"] * per_purchase
    columns["clv"] = discounted * per_purchase * s.margin

    index = np.flatnonzero(ok)
    out = summary.select("value_history")
    for name in ("p_alive", *_forecast_names(s), "clv"):
        if name not in columns:
            out = out.with_columns(pl.lit(None, pl.Float64).alias(name))
            continue
        full = np.full(members.height, np.nan)
        full[index] = columns[name]
        digits = 4 if name.startswith("p_") else 3 if name.startswith("expected_purchases") else 2
        out = out.with_columns(pl.Series(name, full).fill_nan(None).round(digits))
    stats: dict[str, object] = {
        "model": purchases.model if purchases else "simple",
        "histories": dict(zip(verdicts["value_history"], verdicts["count"], strict=True)),
        "repeat_buyers": repeaters,
        "time_unit": "weeks",
    }
    if purchases is not None:
        stats["purchase_model"] = {
            "params": {k: round(v, 4) for k, v in purchases.params().items()},
            "log_likelihood": round(purchases.log_likelihood, 2),
            "members": purchases.members,  # fitted on (a seeded sample past value.fit_members_max)
            "members_forecast": len(x),
            "calibration": calibration_table(purchases, x, T),
        }
    if spend is not None:
        stats["spend_model"] = {
            "params": {"p": round(spend.p, 4), "q": round(spend.q, 4), "gamma": round(spend.gamma, 4)},
            "log_likelihood": round(spend.log_likelihood, 2),
            "members": spend.members,
            "mean_spend_per_purchase": round(spend.mean, 2),
        }
    for w in warnings:
        log.info(w)
    return out, ValueModel(purchases, spend, tuple(warnings), MappingProxyType(stats))


def horizons(s: ScoringRules) -> tuple[int, ...]:
    """The forecast horizons in days: the rules' list, and churn's horizon (its risk is read from p_active)."""
    return tuple(sorted({*s.forecast_horizons_days, s.churn_horizon_days}))


def _forecast_names(s: ScoringRules) -> list[str]:
    names = []
    for days in horizons(s):
        names += [f"expected_purchases_{days}d", f"expected_spend_{days}d", f"p_active_{days}d"]
    return names
