"""The buy-till-you-die models behind customer value: BG/NBD and MBG/NBD for purchases, Gamma-Gamma for spend.

Kept apart from the stage (``pipeline.stages.value``) because this is mathematics over numpy columns, with no frame,
rule or verdict in it: it is checked against the papers (and the CDNOW sample) on its own. Each member is summarised
by ``x`` (repeat purchases: purchase occasions after the first), ``t_x`` (weeks from the first to the last purchase),
``T`` (weeks from the first purchase to the scoring date) and the mean spend per purchase. The likelihoods are the
closed forms of Fader, Hardie and Lee (2005, BG/NBD), Batislam, Denizel and Filiztekin (2007, MBG/NBD) and Fader,
Hardie and Lee (2005, "RFM and CLV", Gamma-Gamma), maximised with scipy's L-BFGS-B over the log-parameters with
analytic gradients. Members with the same (x, t_x, T) share one row of the likelihood, so a million members cost a
few hundred thousand rows; every forecast is numpy over whole columns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import gammaln, hyp2f1, psi


def minimize(*args: Any, **kwargs: Any) -> Any:
    """``scipy.optimize.minimize``, imported when a model is first fitted: importing scipy.optimize took 0.4 s of
    every command's start, and most commands fit nothing."""
    from scipy.optimize import minimize as scipy_minimize

    return scipy_minimize(*args, **kwargs)


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


def distinct_rows(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
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


def whole_days(weeks: np.ndarray) -> np.ndarray:
    """Weeks as whole days: the key ``distinct_rows`` packs, so members a day apart stay apart."""
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
    (dx, dtx, dT), w, _ = distinct_rows(x, whole_days(t_x), whole_days(T))
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


def purchases_if_alive(fit: PurchaseFit, t: float, x: np.ndarray, T: np.ndarray) -> np.ndarray:
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


def p_none_if_alive(fit: PurchaseFit, t: float, x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """P(no purchase in (T, T + t] | alive at T): the rate is Gamma(r + x, alpha + T) a posteriori, and a member
    drops out only just after a purchase, so until the next one they buy at their rate."""
    return np.exp((fit.r + x) * (np.log(fit.alpha + T) - np.log(fit.alpha + T + t)))


def expected_purchases(fit: PurchaseFit, t: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """E[purchases in (T, T + t] | x, t_x, T] (FHL 2005 eq. 10; Batislam et al. 2007 for MBG/NBD)."""
    return purchases_if_alive(fit, t, x, T) * p_alive(fit, x, t_x, T)


def p_active(fit: PurchaseFit, t: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """P(at least one purchase in (T, T + t])."""
    return p_alive(fit, x, t_x, T) * (1 - p_none_if_alive(fit, t, x, T))


def expected_spend_per_purchase(fit: SpendFit, n: np.ndarray, m: np.ndarray) -> np.ndarray:
    """E[spend per purchase | n purchases averaging m]: the population mean shrunk toward the member's own."""
    own = (fit.gamma + m * n) * fit.p / (fit.p * n + fit.q - 1)
    return np.where(n > 0, own, fit.mean)


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
