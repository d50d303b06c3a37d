"""Scoring: RFM bins and segments, AOV, CLV, churn, quality score, club figures. Expectations by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from pipeline.rulefile import load_rules
from pipeline.stages.score import _frequency_score, _segment, club_figures, quality_score, rfm_and_value

RULES = load_rules()
S = RULES.scoring
AS_OF = dt.date(2026, 1, 1)


@pytest.mark.parametrize(("count", "score"), [(1, 1), (2, 2), (3, 3), (4, 3), (5, 4), (9, 4), (10, 5), (250, 5)])
def test_frequency_fixed_bins(count: int, score: int) -> None:
    assert pl.select(_frequency_score(pl.lit(count), S.frequency_bins)).item() == score


def members(rows: list[tuple[int, float, int | None, int]]) -> pl.DataFrame:
    """(purchase_count, total_spend, days since last purchase or None, days since joining)."""
    return pl.DataFrame(
        {
            "golden_id": [f"G{i}" for i in range(len(rows))],
            "purchase_count": [r[0] for r in rows],
            "total_spend": [r[1] for r in rows],
            "last_purchase_date": [AS_OF - dt.timedelta(days=r[2]) if r[2] is not None else None for r in rows],
            "join_date": [AS_OF - dt.timedelta(days=r[3]) for r in rows],
            "member_id": [str(i) for i in range(len(rows))],
        },
        schema_overrides={"purchase_count": pl.Int64, "total_spend": pl.Float64},
    )


def test_rfm_quintiles_and_segments() -> None:
    # ten buyers: recency 10..100 days, spend 100..1000; counts chosen for each frequency bin; one non-buyer
    rows = [(c, 100.0 * (i + 1), 10 * (i + 1), 3650) for i, c in enumerate([12, 10, 6, 5, 3, 3, 2, 2, 1, 1])]
    table, _ = rfm_and_value(members([*rows, (0, 0.0, None, 365)]), s=S, as_of=AS_OF)
    assert table["rfm_r"].to_list() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1, None]  # most recent scores 5
    assert table["rfm_m"].to_list() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, None]
    assert table["rfm_f"].to_list() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1, None]
    # R5 F5 M1 fell to "Other" under the old table; the grid by recency and frequency covers it
    assert table["rfm_segment"].to_list() == [
        *["Champions"] * 2,
        *["Loyal"] * 2,
        *["Need Attention"] * 2,
        *["Hibernating"] * 2,  # R2 F2: the old table could never assign Hibernating
        *["Lost"] * 2,
        "No purchases",
    ]


def test_every_rfm_cell_has_a_segment_and_every_segment_a_cell() -> None:
    cells = pl.DataFrame(
        [(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)],
        schema=["rfm_r", "rfm_f", "rfm_m"],
        orient="row",
    )
    segments = cells.select(_segment(S)).to_series()
    assert segments.null_count() == 0 and "Other" not in segments.to_list()
    assert set(segments) == {seg.name for seg in S.segments}  # Hibernating included


def test_champions_need_top_scores_everywhere() -> None:
    rows = [(12, 5000.0, 1, 3650)] + [(1, 10.0, 200 + i, 3650) for i in range(9)]
    table, _ = rfm_and_value(members(rows), s=S, as_of=AS_OF)
    assert table.row(0, named=True)["rfm_score"] == "555"
    assert table.row(0, named=True)["rfm_segment"] == "Champions"


def discounted_months(months: int = 36, rate: float = 0.10) -> float:
    return sum((1 + rate) ** (-k / 12) for k in range(1, months + 1))


def test_value_formulas_when_too_few_members_bought_again() -> None:
    # 6 purchases, ₪1,200, joined 2 years ago (730 days), last purchase 30 days ago: one member cannot fit a model
    table, model = rfm_and_value(members([(6, 1200.0, 30, 730)]), s=S, as_of=AS_OF)
    row = table.row(0, named=True)
    assert model.purchases is None and "only 1 members bought again" in model.warnings[0]
    assert row["aov"] == 200.0
    assert row["purchases_per_year"] == pytest.approx(5 / (730 / 365.25), abs=1e-3)  # the joining one is not a rate
    assert row["expected_purchases_365d"] == pytest.approx(5 / 730 * 365, abs=1e-3)
    assert row["expected_spend_365d"] == pytest.approx(5 / 730 * 365 * 200, abs=0.01)
    assert row["p_alive"] is None and row["p_active_90d"] is None  # the simple formulas give no probabilities
    # 36 months, each discounted at 10% a year, times margin 1.0
    assert row["clv"] == pytest.approx(200 * 5 / 730 * 365.25 / 12 * discounted_months(), abs=0.05)
    assert row["repeat_customer"] is True


def test_a_single_purchase_a_week_ago_is_not_four_a_year() -> None:
    row = rfm_and_value(members([(1, 100.0, 7, 7)]), s=S, as_of=AS_OF)[0].row(0, named=True)
    assert row["purchases_per_year"] == 0.0
    assert row["clv"] == 0.0


def test_min_tenure_keeps_new_members_from_absurd_rates() -> None:
    row = rfm_and_value(members([(3, 100.0, 1, 7)]), s=S, as_of=AS_OF)[0].row(0, named=True)
    assert row["purchases_per_year"] == 2 / 0.25  # two repeats in a week's tenure count over a quarter of a year


def test_a_purchase_count_without_a_last_purchase_date() -> None:
    # three purchases but no date of the last: a buyer with unknown recency, not "No purchases" and a repeat
    # customer at once. One purchase and no date: that purchase was the joining one.
    table, _ = rfm_and_value(
        members([(3, 300.0, None, 400), (1, 80.0, None, 100), (0, 0.0, None, 50)]), s=S, as_of=AS_OF
    )
    first, single, none = table.rows(named=True)
    assert first["rfm_segment"] == "No purchase date" and first["repeat_customer"] is True
    assert first["rfm_f"] == 3 and first["recency_days"] is None
    assert first["value_history"] == "incomplete" and first["clv"] is None
    assert single["recency_days"] == 100 and single["value_history"] == "ok"
    assert none["rfm_segment"] == "No purchases" and none["repeat_customer"] is False


def test_churn_against_own_rhythm_and_club_lapse_point_when_no_model() -> None:
    # gaps: member A buys every 30 days (10 purchases over 270 days), B every 100 days; lapse point from them
    rows = [(10, 100.0, 20, 290), (10, 100.0, 100, 370), (4, 100.0, 400, 700), (1, 50.0, 500, 600)]
    table, _ = rfm_and_value(members(rows), s=S, as_of=AS_OF)
    gaps = [(290 - 20) / 9, (370 - 100) / 9, (700 - 400) / 3]  # 30, 30, 100 days
    lapse = table["__lapse_days"][0]
    assert lapse == pytest.approx(pl.Series(gaps).quantile(0.8), abs=0.01)
    # lapse point: the 80th percentile of [30, 30, 100] is 100 days. A: 20 days < its own 2 x 30: low.
    # B: 100 days is past its own 2 x 30 but not past the club's 100: medium. C: 400 > 2 x 100: high.
    # D bought once, so only the club's lapse point applies: 500 > 100: high.
    assert table["churn_risk"].to_list() == ["low", "medium", "high", "high"]
    assert table["lapsed_90d"].to_list() == [False, True, True, True]
    assert table["lapsed_365d"].to_list() == [False, False, True, True]


def club(n: int, seed: int = 3) -> pl.DataFrame:
    """``n`` members with a BG/NBD-like history over two years, as a member file has them."""
    rng = np.random.default_rng(seed)
    age = rng.integers(30, 730, n)
    repeats = np.minimum(rng.poisson(rng.gamma(0.5, 1 / 30, n) * age), rng.geometric(rng.beta(1, 3, n)))
    last = np.where(repeats > 0, (age * rng.random(n) ** (1 / np.maximum(repeats, 1))).astype(int), age)
    return members(
        [(int(x) + 1, float(50 * (x + 1)), int(age[i] - last[i]), int(age[i])) for i, x in enumerate(repeats)]
    )


def test_churn_risk_and_clv_come_from_the_model() -> None:
    table, model = rfm_and_value(club(3000), s=S, as_of=AS_OF)
    assert model.purchases is not None and model.purchases.converged and not model.warnings
    p = table["p_active_90d"]
    expected = (
        pl.when(p < S.churn_high_below).then(pl.lit("high")).when(p < S.churn_medium_below).then(pl.lit("medium"))
    )
    assert table["churn_risk"].to_list() == table.select(expected.otherwise(pl.lit("low"))).to_series().to_list()
    assert set(table["churn_risk"]) >= {"low", "high"}
    # the longer the horizon the more purchases; a probability of buying is at most the expected purchases
    assert (table["expected_purchases_365d"] >= table["expected_purchases_90d"]).all()
    assert (table["p_active_90d"] <= table["expected_purchases_90d"] + 1e-3).all()
    # 20 purchases, none for a year and a half, is worth less than the same 20 bought until last week
    gone, active = rfm_and_value(
        pl.concat([club(3000), members([(20, 2000.0, 540, 700), (20, 2000.0, 7, 700)])]), s=S, as_of=AS_OF
    )[0].tail(2)["clv"]
    assert gone < active / 5


def test_club_aov_ignores_spend_without_purchases_and_clv_counts_who_has_none() -> None:
    frame = members([(2, 200.0, 10, 100), (0, 500.0, None, 100), (1, 50.0, 5, 5)])
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 2).then(None).otherwise(pl.col("join_date")).alias("join_date"),
        pl.lit("x").alias("phone_mobile"),
        pl.lit(None, pl.String).alias("email"),
    )
    table, model = rfm_and_value(frame, s=S, as_of=AS_OF)
    figures = club_figures(table, naive=True, model=model)
    assert figures["average_order_value"] == round(250 / 3, 2)  # not (250 + the ₪500 of a non-buyer) / 3
    # the member without a join date has no forecast and is counted, not averaged away
    assert figures["forecast_members"] == 1
    assert figures["members_without_forecast"] == {"incomplete": 1, "no_purchases": 1}
    assert figures["average_clv"] == table["clv"][0]


def test_quality_score_and_grade() -> None:
    frame = pl.DataFrame(
        {
            "golden_id": ["G1", "G2", "G3"],
            "phone_mobile": ["+972547654329", "+972547654329", None],
            "email": ["a@b.co", None, None],
            "national_id": ["039337423", None, None],
            "first_name": ["משה", "משה", None],
            "last_name": ["כהן", "כהן", None],
            "birth_date": [dt.date(1980, 1, 1)] * 2 + [None],
            "city": ["חיפה", "חיפה", None],
            "sms_consent": [True] * 3,
        }
    )
    flagged = pl.DataFrame({"golden_id": ["G2", "G3"], "field": ["phone_mobile", "sms_consent"]})
    out = quality_score(frame, s=S, flagged=flagged)
    # G1 everything: 100. G2: phone flagged (25/2), no email (15), no ID (15): 100 - 12.5 - 30 = 57.5 -> 58
    # G3: nothing but a consent that was missing in the file (flagged): no points at all
    assert out["quality_score"].to_list() == [100, 58, 0]
    assert out["quality_grade"].to_list() == ["A", "D", "F"]
    assert out["quality_issues"][1] == "phone_mobile: flagged; email: missing; national_id: missing"


def test_quality_flag_outranks_missing_for_a_value_cleaning_emptied() -> None:
    # a birth date of 31/02/1980 is cleared by cleaning and flagged: it was in the file, only wrong, so it earns
    # half its weight and reads "flagged", not "missing"
    frame = pl.DataFrame(
        {
            "golden_id": ["G1", "G2"],
            "phone_mobile": ["+972547654329"] * 2,
            "email": ["a@b.co"] * 2,
            "national_id": ["039337423"] * 2,
            "first_name": ["משה"] * 2,
            "last_name": ["כהן"] * 2,
            "birth_date": pl.Series([None, None], dtype=pl.Date),
            "city": ["חיפה"] * 2,
            "sms_consent": [True] * 2,
        }
    )
    flagged = pl.DataFrame({"golden_id": ["G1", "G1"], "field": ["birth_date", "not_weighted"]})
    out = quality_score(frame, s=S, flagged=flagged)
    assert out["quality_score"].to_list() == [95, 90]
    assert out["quality_issues"].to_list() == ["birth_date: flagged", "birth_date: missing"]


def test_club_figures_before_are_naive() -> None:
    frame = pl.DataFrame(
        {
            "purchase_count": [1, 3, None],
            "total_spend": [100.0, 300.0, None],
            "phone_mobile": ["x", None, "y"],
            "email": [None, "e", None],
        }
    )
    figures = club_figures(frame, naive=True)
    assert figures == {
        "members": 3,
        "buyers": 2,
        "repeat_customer_rate": 0.5,
        "purchase_frequency": 2.0,
        "average_order_value": 100.0,
        "total_spend": 400.0,
        "reach": {"sms": 2, "email": 1},
    }


def test_score_never_feeds_a_flagged_purchase_date_to_the_value_model() -> None:
    from pipeline import ledger as ledger_
    from pipeline.stages.score import score

    frame = club(600).with_columns(
        pl.format("G{}", pl.int_range(pl.len())).alias("golden_id"), pl.lit("+972521234567").alias("phone_mobile")
    )
    merge_map = frame.select(pl.int_range(2, pl.len() + 2).alias("source_row"), "golden_id")
    # cleaning flagged the last purchase date of the member on row 2 (a date in the future, say)
    flagged = ledger_.finish(
        [
            ledger_.from_mask(
                merge_map.head(1),
                pl.lit(True),
                field="last_purchase_date",
                code="date-in-future",
                before=pl.lit("2099-01-01"),
                after=pl.lit("2099-01-01"),
            )
        ],
        severities={},
    )
    out = score(frame, rules=RULES, ledger=flagged.lazy(), merge_map=merge_map, as_of=AS_OF).table
    assert out["value_history"][0] == "flagged" and out["clv"][0] is None
    assert (out["value_history"][1:] == "ok").all()
