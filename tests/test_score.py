"""Scoring: RFM bins and segments, AOV, CLV, churn, quality score, club figures. Expectations by hand."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from pipeline.rulefile import load_rules
from pipeline.stages.score import _frequency_score, club_figures, quality_score, rfm_and_value

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
        },
        schema_overrides={"purchase_count": pl.Int64, "total_spend": pl.Float64},
    )


def test_rfm_quintiles_and_segments() -> None:
    # ten buyers: recency 10..100 days, spend 100..1000; counts chosen for each frequency bin; one non-buyer
    rows = [(c, 100.0 * (i + 1), 10 * (i + 1), 3650) for i, c in enumerate([12, 10, 6, 5, 3, 3, 2, 2, 1, 1])]
    table = rfm_and_value(members([*rows, (0, 0.0, None, 365)]), s=S, as_of=AS_OF)
    assert table["rfm_r"].to_list() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1, None]  # most recent scores 5
    assert table["rfm_m"].to_list() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, None]
    assert table["rfm_f"].to_list() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1, None]
    # R5 F5 M1 is in no row of the table (Potential Loyalist needs M2+): reported as "Other", never guessed
    assert table["rfm_segment"].to_list()[:4] == ["Other", "Other", "Potential Loyalist", "Potential Loyalist"]
    assert table["rfm_segment"].to_list()[-1] == "No purchases"
    assert table["rfm_segment"].to_list()[-3] == "Lost"  # R1


def test_champions_need_top_scores_everywhere() -> None:
    rows = [(12, 5000.0, 1, 3650)] + [(1, 10.0, 200 + i, 3650) for i in range(9)]
    table = rfm_and_value(members(rows), s=S, as_of=AS_OF)
    assert table.row(0, named=True)["rfm_score"] == "555"
    assert table.row(0, named=True)["rfm_segment"] == "Champions"


def test_value_formulas() -> None:
    # 6 purchases, ₪1,200, joined 2 years ago (730.5 days), last purchase 30 days ago
    table = rfm_and_value(members([(6, 1200.0, 30, 730)]), s=S, as_of=AS_OF)
    row = table.row(0, named=True)
    assert row["aov"] == 200.0
    assert row["purchases_per_year"] == pytest.approx(6 / (730 / 365.25), abs=1e-3)
    assert row["clv"] == pytest.approx(200.0 * (6 / (730 / 365.25)) * 3 * 1.0, abs=0.05)  # AOV x freq x 3 years
    assert row["repeat_customer"] is True


def test_min_tenure_keeps_new_members_from_absurd_rates() -> None:
    row = rfm_and_value(members([(2, 100.0, 1, 7)]), s=S, as_of=AS_OF).row(0, named=True)
    assert row["purchases_per_year"] == 2 / 0.25  # a week's tenure counts as a quarter of a year


def test_churn_against_own_rhythm_and_club_lapse_point() -> None:
    # gaps: member A buys every 30 days (10 purchases over 270 days), B every 100 days; lapse point from them
    rows = [(10, 100.0, 20, 290), (10, 100.0, 100, 370), (4, 100.0, 400, 700), (1, 50.0, 500, 600)]
    table = rfm_and_value(members(rows), s=S, as_of=AS_OF)
    gaps = [(290 - 20) / 9, (370 - 100) / 9, (700 - 400) / 3]  # 30, 30, 100 days
    lapse = table["__lapse_days"][0]
    assert lapse == pytest.approx(pl.Series(gaps).quantile(0.8), abs=0.01)
    # lapse point: the 80th percentile of [30, 30, 100] is 100 days. A: 20 days < its own 2 x 30: low.
    # B: 100 days is past its own 2 x 30 but not past the club's 100: medium. C: 400 > 2 x 100: high.
    # D bought once, so only the club's lapse point applies: 500 > 100: high.
    assert table["churn_risk"].to_list() == ["low", "medium", "high", "high"]
    assert table["lapsed_90d"].to_list() == [False, True, True, True]
    assert table["lapsed_365d"].to_list() == [False, False, True, True]


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
