"""Customer value: buy-till-you-die models of purchases (BG/NBD, MBG/NBD) and spend (Gamma-Gamma).

Each member is summarised by ``x`` (repeat purchases: purchase occasions after the first), ``t_x`` (weeks from the
first to the last purchase), ``T`` (weeks from the first purchase to the scoring date) and the mean spend per
purchase. The likelihoods are the closed forms of Fader, Hardie and Lee (2005, BG/NBD), Batislam, Denizel and
Filiztekin (2007, MBG/NBD) and Fader, Hardie and Lee (2005, "RFM and CLV", Gamma-Gamma), maximised with scipy's
L-BFGS-B over the log-parameters with analytic gradients. Members with the same (x, t_x, T) share one row of the
likelihood, so a million members cost a few hundred thousand rows; every forecast is numpy over whole columns.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import polars as pl
from scipy.optimize import minimize
from scipy.special import gammaln, hyp2f1, psi

from pipeline.rules import ScoringRules

log = logging.getLogger(__name__)

MODELS = ("bgnbd", "mbgnbd")
WEEK = 7.0


@dataclass(frozen=True)
class PurchaseFit:
    """A fitted BG/NBD or MBG/NBD model (time in weeks)."""

    model: str
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    members: int
    converged: bool
    message: str = ""

    def params(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}


@dataclass(frozen=True)
class SpendFit:
    """A fitted Gamma-Gamma spend model."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    members: int
    converged: bool
    message: str = ""

    @property
    def mean(self) -> float:
        """The population's mean spend per purchase, p * gamma / (q - 1)."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else math.nan


@dataclass(frozen=True)
class Summary:
    """Per-member inputs of the models as numpy arrays; ``x`` is NaN where the history cannot be used."""

    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    spend_n: np.ndarray  # purchases the mean spend is over
    spend_mean: np.ndarray


# ---------------------------------------------------------------------------------------------- likelihoods


def _distinct(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """The distinct rows of whole-number columns (days, counts), their counts and each member's row: one sort of
    a packed 64-bit key (21 bits a column), cheaper than numpy's row-wise unique."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for col in columns:
        key = (key << 21) | np.asarray(col, dtype=np.int64)
    uniq, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    out = []
    for shift in range(len(columns) - 1, -1, -1):
        out.append((uniq >> (21 * shift)) & ((1 << 21) - 1))
    return out, counts.astype(np.float64), inverse.reshape(-1)


def _days(weeks: np.ndarray) -> np.ndarray:
    return np.rint(weeks * WEEK).astype(np.int64)


def purchase_log_likelihood(
    theta: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, w: np.ndarray, *, model: str
) -> tuple[float, np.ndarray]:
    """Summed log-likelihood and its gradient in (log r, log alpha, log a, log b)."""
    xs, inv = np.unique(x, return_inverse=True)  # the digamma terms depend on x alone: a few dozen values
    return _purchase_ll(theta, xs, inv, x, t_x, T, w, model=model)


def _purchase_ll(
    theta: np.ndarray,
    xs: np.ndarray,
    inv: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    w: np.ndarray,
    *,
    model: str,
) -> tuple[float, np.ndarray]:
    r, alpha, a, b = np.exp(theta)
    shift = 1.0 if model == "mbgnbd" else 0.0
    g1 = gammaln(r + xs) - gammaln(r) + r * math.log(alpha)
    g2 = gammaln(a + b) + gammaln(b + xs + shift) - gammaln(b) - gammaln(a + b + xs + shift)
    d1_r = psi(r + xs) - psi(r) + math.log(alpha)
    d2_a = psi(a + b) - psi(a + b + xs + shift)
    d2_b = psi(a + b) + psi(b + xs + shift) - psi(b) - psi(a + b + xs + shift)
    rx = r + x
    log_aT, log_atx = np.log(alpha + T), np.log(alpha + t_x)
    a3 = -rx * log_aT
    if model == "mbgnbd":
        # L = B-part * alpha^r ... / (alpha+T)^(r+x) * (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x))
        bx = b + x
        a4 = np.log(a) - np.log(bx) + rx * (log_aT - log_atx)
        tail = np.logaddexp(0.0, a4)
        wgt = np.exp(a4 - tail)  # d tail / d a4
        ll = g1[inv] + g2[inv] + a3 + tail
        dr = d1_r[inv] - log_aT + wgt * (log_aT - log_atx)
        dalpha = r / alpha - rx / (alpha + T) + wgt * (rx / (alpha + T) - rx / (alpha + t_x))
        da = d2_a[inv] + wgt / a
        db = d2_b[inv] - wgt / bx
    else:
        repeat = x > 0
        bx1 = np.where(repeat, b + x - 1, 1.0)
        a4 = np.where(repeat, np.log(a) - np.log(bx1) - rx * log_atx, -np.inf)
        tail = np.logaddexp(a3, a4)
        wgt = np.exp(a4 - tail)  # the share of the second term
        ll = g1[inv] + g2[inv] + tail
        dr = d1_r[inv] - (1 - wgt) * log_aT - wgt * log_atx
        dalpha = r / alpha - (1 - wgt) * rx / (alpha + T) - wgt * rx / (alpha + t_x)
        da = d2_a[inv] + wgt / a
        db = d2_b[inv] - wgt / bx1
    grad = np.array([(w * dr).sum() * r, (w * dalpha).sum() * alpha, (w * da).sum() * a, (w * db).sum() * b])
    return float((w * ll).sum()), grad


def fit_purchases(x: np.ndarray, t_x: np.ndarray, T: np.ndarray, *, model: str = "bgnbd") -> PurchaseFit:
    """Maximum-likelihood BG/NBD or MBG/NBD parameters for members' (x, t_x, T) in weeks."""
    if model not in MODELS:
        raise ValueError(f"unknown purchase model {model!r}")
    (dx, dtx, dT), w, _ = _distinct(x, _days(t_x), _days(T))
    ux, utx, uT = dx.astype(np.float64), dtx / WEEK, dT / WEEK
    xs, inv = np.unique(ux, return_inverse=True)
    scale = float(w.sum())

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        ll, grad = _purchase_ll(theta, xs, inv, ux, utx, uT, w, model=model)
        return -ll / scale, -grad / scale

    start = np.log([0.5, max(float(np.average(uT, weights=w)) / 4, 0.1), 1.0, 1.0])
    res = minimize(
        objective, start, jac=True, method="L-BFGS-B", bounds=[(-12, 12)] * 4, options={"maxiter": 500, "gtol": 1e-7}
    )
    r, alpha, a, b = (float(v) for v in np.exp(res.x))
    at_bound = bool(np.any(np.abs(res.x) > 11.5))
    converged = bool(res.success) and not at_bound and math.isfinite(res.fun)
    message = "" if converged else ("a parameter ran to its bound" if at_bound else str(res.message))
    return PurchaseFit(model, r, alpha, a, b, -float(res.fun) * scale, len(x), converged, message)


def fit_spend(n: np.ndarray, m: np.ndarray) -> SpendFit:
    """Maximum-likelihood Gamma-Gamma parameters for mean spend ``m`` over ``n`` purchases (m > 0, n >= 1)."""
    ns, inv = np.unique(n, return_inverse=True)
    log_m, log_n = np.log(m), np.log(n)
    scale = float(len(n))

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        p, q, g = np.exp(theta)
        pn = p * n
        log_gnm = np.log(g + n * m)
        pns = p * ns
        lg = gammaln(pns + q) - gammaln(pns)
        ll = lg[inv] - gammaln(q) + q * math.log(g) + (pn - 1) * log_m + pn * log_n - (pn + q) * log_gnm
        dq_s = psi(pns + q)
        dp = n * (dq_s[inv] - psi(pns)[inv] + log_m + log_n - log_gnm)
        dq = dq_s[inv] - psi(q) + math.log(g) - log_gnm
        dg = q / g - (pn + q) / (g + n * m)
        grad = np.array([dp.sum() * p, dq.sum() * q, dg.sum() * g])
        return -float(ll.sum()) / scale, -grad / scale

    start = np.log([1.0, 2.0, max(float(np.mean(m)), 1e-3)])
    res = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=[(-12, 15)] * 3, options={"maxiter": 500})
    p, q, g = (float(v) for v in np.exp(res.x))
    converged = bool(res.success) and q > 1 and math.isfinite(res.fun)
    message = "" if converged else ("q <= 1: the mean spend is unbounded" if q <= 1 else str(res.message))
    return SpendFit(p, q, g, -float(res.fun) * scale, len(n), converged, message)


# ---------------------------------------------------------------------------------------------- forecasts


def p_alive(fit: PurchaseFit, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """P(the member has not dropped out by T)."""
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    ratio = np.exp(np.minimum((r + x) * (np.log(alpha + T) - np.log(alpha + t_x)), 700.0))  # inf -> p_alive 0
    if fit.model == "mbgnbd":
        return 1.0 / (1.0 + a / (b + x) * ratio)
    odds = np.where(x > 0, a / np.maximum(b + x - 1, 1e-12) * ratio, 0.0)
    return 1.0 / (1.0 + odds)


def _if_alive(fit: PurchaseFit, t: float, x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """E[purchases in (T, T + t]] / P(alive): depends on (x, T) only, so it is worked out per distinct pair."""
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    z = t / (alpha + T + t)
    # FHL 2005 eq. 10 has ((alpha + T) / (alpha + T + t))^(r + x) * 2F1(r + x, b + x; a + b + x - 1; z), a product
    # of 0 and infinity for a member of hundreds of purchases (-inf expected purchases). Euler's transformation,
    # 2F1(A, B; C; z) = (1 - z)^(C - A - B) 2F1(C - A, C - B; C; z), turns it into (1 - z)^(a - 1) times a series
    # whose parameters do not grow with x: the same value, finite for every member.
    decay = np.power(1 - z, a - 1)
    if fit.model == "mbgnbd":
        return (a + b + x) / (a - 1) * (1 - decay * hyp2f1(a + b - r, a - 1, a + b + x, z))
    return (a + b + x - 1) / (a - 1) * (1 - decay * hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z))


def _none_if_alive(fit: PurchaseFit, t: float, x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """P(no purchase in (T, T + t] | alive at T): the rate is Gamma(r + x, alpha + T) a posteriori, and a member
    drops out only just after a purchase, so until the next one they buy at their rate."""
    return np.exp((fit.r + x) * (np.log(fit.alpha + T) - np.log(fit.alpha + T + t)))


def expected_purchases(fit: PurchaseFit, t: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """E[purchases in (T, T + t] | x, t_x, T] (FHL 2005 eq. 10; Batislam et al. 2007 for MBG/NBD)."""
    return _if_alive(fit, t, x, T) * p_alive(fit, x, t_x, T)


def p_active(fit: PurchaseFit, t: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """P(at least one purchase in (T, T + t])."""
    return p_alive(fit, x, t_x, T) * (1 - _none_if_alive(fit, t, x, T))


def expected_spend_per_purchase(fit: SpendFit, n: np.ndarray, m: np.ndarray) -> np.ndarray:
    """E[spend per purchase | n purchases averaging m]: the population mean shrunk toward the member's own."""
    own = (fit.gamma + m * n) * fit.p / (fit.p * n + fit.q - 1)
    return np.where(n > 0, own, fit.mean)


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


def calibration_table(fit: PurchaseFit, x: np.ndarray, T: np.ndarray, *, top: int = 7) -> list[dict[str, object]]:
    """Members by repeat purchases in the fit period, actual beside the model's expectation (FHL 2005 eq. 8;
    for MBG/NBD a member may also drop out at the first purchase): 0, 1, ..., ``top``+."""
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    Ts, counts = np.unique(T, return_counts=True)
    shift = 1.0 if fit.model == "mbgnbd" else 0.0
    log_beta_ab = gammaln(a) + gammaln(b) - gammaln(a + b)

    def log_beta(p: float, q: float) -> float:
        return float(gammaln(p) + gammaln(q) - gammaln(p + q))

    base = r * np.log(alpha / (alpha + Ts))
    step = np.log(Ts / (alpha + Ts))
    rows: list[dict[str, object]] = []
    below = np.zeros_like(Ts)  # P(N(T) < k) over the Poisson-gamma counts
    total_expected = 0.0
    for k in range(top):
        nb_k = np.exp(gammaln(r + k) - gammaln(r) - gammaln(k + 1.0) + base + k * step)
        stay = math.exp(log_beta(a, b + k + shift) - log_beta_ab) * nb_k
        drop: np.ndarray | float
        if fit.model == "mbgnbd":
            drop = math.exp(log_beta(a + 1, b + k) - log_beta_ab) * (1 - below)
        else:
            drop = math.exp(log_beta(a + 1, b + k - 1) - log_beta_ab) * (1 - below) if k > 0 else 0.0
        expected = float(((stay + drop) * counts).sum())
        total_expected += expected
        rows.append({"repeat_purchases": str(k), "members": int((x == k).sum()), "expected": round(expected, 1)})
        below = below + nb_k
    rows.append(
        {"repeat_purchases": f"{top}+", "members": int((x >= top).sum()), "expected": round(len(x) - total_expected, 1)}
    )
    return rows


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
        (px, pT), _, pair = _distinct(x, _days(T))  # the forecasts' hard part depends on (x, T) alone
        px, pT = px.astype(np.float64), pT / WEEK
        columns["p_alive"] = alive
        for days in horizons(s):
            t = days / WEEK
            columns[f"expected_purchases_{days}d"] = _if_alive(purchases, t, px, pT)[pair] * alive
            columns[f"p_active_{days}d"] = (1 - _none_if_alive(purchases, t, px, pT))[pair] * alive
        path = np.stack([_if_alive(purchases, float(t), px, pT) for t in months[1:]], axis=1)
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
