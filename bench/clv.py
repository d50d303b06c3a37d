"""Customer-value benchmark: CDNOW (Fader, Hardie and Lee 2005) and fitting time at a million members.

    python -m bench.clv [--members 1000000]

1. Fits BG/NBD on the CDNOW sample's first 39 weeks (from 1997-01-01; 2,357 customers) and compares the parameters
   with the paper's (r = 0.243, alpha = 4.414, a = 0.793, b = 2.426).
2. The 39-week holdout (1997-10-01 to 1998-06-30) table: total purchases and spend, per-member absolute error, a
   one-time buyer's next-39-week purchases, and the AUC of each method's score for "bought again", for the
   formulas cleanse used before, the simple fallback, BG/NBD (the product's default) and MBG/NBD, each from the member
   file's columns (join = first purchase, count, last purchase date, total spend) and, for the models, from the
   transactions (``--transactions``: repeat-only spend). With ``lifetimes`` installed (the bench environment),
   its BetaGeoFitter's parameters are printed beside ours.
3. Fitting time on a generated summary table of ``--members`` members.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

import numpy as np
import polars as pl
from scipy.stats import rankdata

from pipeline.rulefile import load_rules
from pipeline.stages import value as v
from pipeline.stages import value_models as vm

# the CDNOW sample in the checkout's shared/ folder or one above it (read only; never copied into the repository)
_SAMPLE = Path("shared/reference/cdnow/CDNOW_sample.txt")
CDNOW = next((p / _SAMPLE for p in Path(__file__).resolve().parents if (p / _SAMPLE).exists()), _SAMPLE)
PAPER = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
START, CAL_END, HOLD_END = dt.date(1997, 1, 1), dt.date(1997, 9, 30), dt.date(1998, 6, 30)
WEEKS = 39.0


def read_cdnow(path: Path) -> pl.DataFrame:
    """(member_id, date, amount) from the whitespace-separated CDNOW sample (id, sample id, date, CDs, dollars)."""
    lines = pl.read_csv(path, has_header=False, separator="\x1f", new_columns=["line"])
    fields = pl.col("line").str.strip_chars().str.extract_all(r"\S+")
    return lines.select(
        fields.list.get(0).alias("member_id"),
        fields.list.get(2).str.strptime(pl.Date, "%Y%m%d").alias("date"),
        fields.list.get(4).cast(pl.Float64).alias("amount"),
    )


def auc(score: np.ndarray, positive: np.ndarray) -> float:
    """Mann-Whitney AUC: P(a random positive scores above a random negative), ties half."""
    ranks = rankdata(score)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def holdout_row(name: str, purchases: np.ndarray, spend: np.ndarray, score: np.ndarray, truth: dict) -> dict:
    one_time = truth["x"] == 0
    return {
        "method": name,
        "purchases": float(purchases.sum()),
        "purchases_ratio": float(purchases.sum() / truth["purchases"].sum()),
        "spend": float(spend.sum()),
        "spend_ratio": float(spend.sum() / truth["spend"].sum()),
        "mae_purchases": float(np.abs(purchases - truth["purchases"]).mean()),
        "mae_spend": float(np.abs(spend - truth["spend"]).mean()),
        "one_time_next": float(purchases[one_time].mean()),
        "auc_bought_again": auc(score, truth["purchases"] > 0),
    }


def cdnow(path: Path) -> tuple[dict[str, float], list[dict]]:
    tx = read_cdnow(path)
    calibration = tx.filter(pl.col("date") <= CAL_END)
    holdout = tx.filter((pl.col("date") > CAL_END) & (pl.col("date") <= HOLD_END))
    summary = v.summarise_transactions(calibration)  # the --transactions path: occasions by day, repeat spend
    actual = (
        holdout.group_by("member_id", "date")
        .agg(pl.col("amount").sum())
        .group_by("member_id")
        .agg(pl.len().alias("h_purchases"), pl.col("amount").sum().alias("h_spend"))
    )
    summary = summary.join(actual, on="member_id", how="left").with_columns(
        pl.col("h_purchases").fill_null(0), pl.col("h_spend").fill_null(0.0)
    )
    assert summary.height == 2357, summary.height
    # the member file as a club would have it: join = first purchase, count, last purchase, total spend
    member_file = summary.select(
        pl.col("first_purchase_date").alias("join_date"), "purchase_count", "last_purchase_date", "total_spend"
    )
    exact = v.summary_frame(summary, as_of=CAL_END)
    from_file = v.summary_frame(member_file, as_of=CAL_END)
    x, t_x, T = (exact.get_column(c).to_numpy() for c in ("x", "t_x", "T"))
    truth = {"x": x, "purchases": summary["h_purchases"].to_numpy(), "spend": summary["h_spend"].to_numpy()}

    bg = vm.fit_purchases(x, t_x, T, model="bgnbd")
    params = bg.params()
    print(f"CDNOW: {summary.height:,} customers, calibration {START} to {CAL_END}, holdout to {HOLD_END}")
    print(f"BG/NBD log-likelihood {bg.log_likelihood:.2f} (paper: -9582.4)")
    print("| parameter | paper | cleanse | difference |")
    print("|---|---|---|---|")
    for k, want in PAPER.items():
        print(f"| {k} | {want} | {params[k]:.4f} | {100 * (params[k] - want) / want:+.2f}% |")
    try:
        from lifetimes import BetaGeoFitter  # the bench environment only

        lt = BetaGeoFitter().fit(x, t_x, T)
        print("lifetimes BetaGeoFitter: " + ", ".join(f"{k} = {lt.params_[k]:.4f}" for k in PAPER))
    except ImportError:
        print("(lifetimes not installed: `make bench-clv` installs it in .venv-bench for the comparison)")

    rows = []
    # cleanse before this change: count / max(tenure, 0.25 y) x horizon, x AOV
    count = summary["purchase_count"].to_numpy().astype(float)
    aov = summary["total_spend"].to_numpy() / count
    tenure_years = T * 7 / 365.25
    old_rate = count / np.maximum(tenure_years, 0.25)
    old = old_rate * WEEKS * 7 / 365.25
    rows.append(holdout_row("cleanse before (count / tenure)", old, old * aov, old, truth))
    simple = (count - 1) / np.maximum(tenure_years, 0.25) * WEEKS * 7 / 365.25
    rows.append(holdout_row("simple fallback (repeats / tenure)", simple, simple * aov, simple, truth))
    for label, frame, model in (
        ("BG/NBD, member file (product default)", from_file, "bgnbd"),
        ("MBG/NBD, member file (value.model: mbgnbd)", from_file, "mbgnbd"),
        ("BG/NBD, --transactions (product default)", exact, "bgnbd"),
        ("MBG/NBD, --transactions (value.model: mbgnbd)", exact, "mbgnbd"),
    ):
        fx, ftx, fT = (frame.get_column(c).to_numpy() for c in ("x", "t_x", "T"))
        n, m = frame["spend_n"].to_numpy(), frame["spend_mean"].to_numpy()
        fit = vm.fit_purchases(fx, ftx, fT, model=model)
        ok = np.isfinite(m) & (m > 0) & (n > 0)
        gg = vm.fit_spend(n[ok], m[ok])
        per = vm.expected_spend_per_purchase(gg, np.where(ok, n, 0), np.where(ok, m, 0))
        expect = vm.expected_purchases(fit, WEEKS, fx, ftx, fT)
        active = vm.p_active(fit, WEEKS, fx, ftx, fT)
        rows.append(holdout_row(label, expect, expect * per, active, truth))
    actual = truth["purchases"]
    print()
    print(
        f"39-week holdout: actual purchases {actual.sum():,}, spend {truth['spend'].sum():,.0f}, "
        f"a one-time buyer's next-39-week purchases {actual[truth['x'] == 0].mean():.3f}"
    )
    print(
        "| method | purchases | x actual | spend | x actual | error / member, purchases | spend | "
        "one-time buyer's next 39 w | AUC bought again |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['method']} | {r['purchases']:,.0f} | {r['purchases_ratio']:.2f} | {r['spend']:,.0f} | "
            f"{r['spend_ratio']:.2f} | {r['mae_purchases']:.3f} | {r['mae_spend']:.1f} | {r['one_time_next']:.3f} | "
            f"{r['auc_bought_again']:.3f} |"
        )
    return params, rows


def generated_summary(members: int, seed: int = 7) -> pl.DataFrame:
    """A member file's purchase columns for ``members`` members drawn from a BG/NBD over up to 5 years (rate per day
    Gamma(0.25, 1/30), dropout Beta(0.8, 2.5)). Repeat purchases are min(N(T), K), N(T) the Poisson count and K the
    purchase after which the member drops out; the last purchase is the x-th of N(T) uniform times."""
    rng = np.random.default_rng(seed)
    as_of = dt.date(2026, 6, 30)
    age_days = rng.integers(1, 5 * 365, members)
    n = rng.poisson(rng.gamma(0.25, 1 / 30.0, members) * age_days)
    repeats = np.minimum(n, rng.geometric(rng.beta(0.8, 2.5, members)))
    last_offset = np.where(repeats > 0, age_days * rng.beta(np.maximum(repeats, 1), n - repeats + 1), 0)
    first = np.datetime64(as_of) - age_days.astype("timedelta64[D]")
    last = first + last_offset.astype(np.int64).astype("timedelta64[D]")
    spend = (repeats + 1) * rng.gamma(4.0, 30.0, members)
    return pl.DataFrame(
        {
            "join_date": first,
            "purchase_count": repeats + 1,
            "last_purchase_date": last,
            "total_spend": spend.round(2),
        }
    ).with_columns(pl.col("join_date").cast(pl.Date), pl.col("last_purchase_date").cast(pl.Date))


def fitting_time(members: int, *, lifetimes_members: int) -> float:
    s = load_rules().scoring
    table = generated_summary(members)
    as_of = dt.date(2026, 6, 30)
    start, cpu = time.perf_counter(), time.process_time()
    out, model = v.customer_value(table, s=s, as_of=as_of)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    fit = model.purchases
    assert fit is not None
    print()
    print(
        f"customer_value on {members:,} generated members (fit {fit.model} + Gamma-Gamma, every forecast column, "
        f"CLV over {s.clv_horizon_months} months): {seconds:.2f} s wall, {cpu_seconds:.2f} s CPU"
    )
    print(f"  fitted: {fit.params()}, log-likelihood {fit.log_likelihood:,.0f}; {out.height:,} rows out")
    start, cpu = time.perf_counter(), time.process_time()
    bg = vm.fit_purchases(
        *(v.summary_frame(table, as_of=as_of)[c].to_numpy() for c in ("x", "t_x", "T")), model="bgnbd"
    )
    print(f"  bgnbd fit alone: {time.perf_counter() - start:.2f} s wall, {time.process_time() - cpu:.2f} s CPU")
    try:
        from lifetimes import BetaGeoFitter
    except ImportError:
        return seconds
    if not lifetimes_members:
        return seconds
    small = v.summary_frame(table.head(lifetimes_members), as_of=as_of)
    start, cpu = time.perf_counter(), time.process_time()
    lt = BetaGeoFitter().fit(*(small[c].to_numpy() for c in ("x", "t_x", "T")))
    print(
        f"  lifetimes BetaGeoFitter on the first {lifetimes_members:,}: {time.perf_counter() - start:.2f} s wall, "
        f"{time.process_time() - cpu:.2f} s CPU (ours on all {members:,}: r = {bg.r:.4f}; lifetimes: "
        f"r = {lt.params_['r']:.4f})"
    )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cdnow", type=Path, default=CDNOW)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--lifetimes-members", type=int, default=100_000, help="lifetimes' fit is timed on these")
    args = parser.parse_args()
    cdnow(args.cdnow)
    if args.members:
        fitting_time(args.members, lifetimes_members=args.lifetimes_members)


if __name__ == "__main__":
    main()
