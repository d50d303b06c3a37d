"""The report's first screen: reach today, value out of reach, the actions that gain the most reach, alarms for
figures that are a mapping problem; the report's language from --lang or from the file's headers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from pipeline.report.manager import overview
from pipeline.report.svg import bars, funnel

runner = CliRunner()


def _members(
    n: int = 30, *, sms: bool | None = True, spend: float | None = 100.0, born: str | None = None
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "phone_mobile_status": ["valid" if i < n - 5 else "invalid" for i in range(n)],
            "phone_mobile_type": ["mobile"] * n,
            "sms_consent": [sms] * n,
            "email_status": ["valid"] * n,
            "email_consent": [i < 10 for i in range(n)],
            "deceased": [False] * n,
            "total_spend": [spend] * n,
            "clv": [10.0] * n,
            "birth_date": [dt.date.fromisoformat(born) if born else dt.date(1960 + i, 1, 1) for i in range(n)],
        }
    ).with_columns(  # enrichment's verdicts for these adults: a valid address, consent, alive
        contact_sms=(
            (pl.col("phone_mobile_status") == "valid")
            & (pl.col("phone_mobile_type") == "mobile")
            & pl.col("sms_consent")
        ).fill_null(False),
        contact_email=((pl.col("email_status") == "valid") & pl.col("email_consent")).fill_null(False),
    )


def _reach(df: pl.DataFrame) -> dict[str, list[list[object]]]:
    from pipeline.report.manager import reach_funnels as _funnels

    return _funnels(df.with_columns(phone_mobile=pl.lit("x"), email=pl.lit("y")))


MAPPED = {"sms_consent": "אישור SMS", "email_consent": "אישור דיוור", "total_spend": 'סה"כ', "birth_date": "לידה"}


def test_actions_are_the_biggest_losses_of_reach() -> None:
    df = _members(sms=None)  # no SMS consent recorded for anyone
    ov = overview(df, reach=_reach(df), mapped=MAPPED)
    assert ov["reachable"] == {"sms": 0, "email": 10, "any": 10}
    assert ov["actions"] == [
        {"code": "sms-no-consent", "channel": "sms", "members": 25},
        {"code": "email-no-consent", "channel": "email", "members": 20},
        {"code": "sms-invalid", "channel": "sms", "members": 5},
    ]
    assert ov["value"] == {"total_clv": 300.0, "unreachable_clv": 200.0}


def test_alarms_for_figures_no_real_club_has() -> None:
    df = _members(sms=False, spend=None, born="1980-05-05")
    codes = [a["code"] for a in overview(df, reach=_reach(df), mapped=MAPPED)["alarms"]]
    assert codes == ["no-consent", "no-spend", "same-age"]
    healthy = _members()
    assert overview(healthy, reach=_reach(healthy), mapped=MAPPED)["alarms"] == []
    # a handful of members born the same year is a small club, not a mapping error
    few = _members(5, born="1980-05-05")
    assert overview(few, reach=_reach(few), mapped=MAPPED)["alarms"] == []


def test_charts_mirror_for_hebrew_and_keep_labels_inside() -> None:
    ltr, rtl = bars([("חברים", 10), ("b", 5)]), bars([("חברים", 10), ("b", 5)], rtl=True)
    assert 'text-anchor="end" direction="ltr"' in ltr and 'text-anchor="end" direction="rtl"' in rtl
    # the longest bar starts at the label column's edge: left in English, right in Hebrew
    assert '<rect x="170.0"' in ltr and '<rect x="170.0"' not in rtl
    steps = funnel([("members", 100), ("valid", 50)], rtl=True)
    assert "100 (100%)" in steps and "50 (50%)" in steps


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    return path


ROWS = [
    [str(1000 + i), f"Name{i}", "Cohen", f"05{i % 10}-{1234560 + i}", "1980-01-01", str(100 + i)] for i in range(25)
]


def test_language_follows_the_headers_and_lang_overrides(tmp_path: Path) -> None:
    from pipeline.cli import app

    english = _csv(tmp_path / "en.csv", ["member_id", "first_name", "last_name", "mobile", "birth_date", "spend"], ROWS)
    hebrew = _csv(tmp_path / "he.csv", ["מספר חבר", "שם פרטי", "שם משפחה", "טלפון נייד", "תאריך לידה", "סכום"], ROWS)
    for src, extra, lang in ((english, [], "en"), (hebrew, [], "he"), (english, ["--lang", "he"], "he")):
        out = tmp_path / f"out-{src.stem}-{lang}"
        result = runner.invoke(app, ["run", str(src), "--out", str(out), "--quiet", *extra])
        assert result.exit_code == 0, result.output
        html = (out / "report.html").read_text(encoding="utf-8")
        assert f'<html lang="{lang}" dir="{"rtl" if lang == "he" else "ltr"}">' in html, (src, extra)
    # no consent column, every member born in 1980: said on the first screen, before any figure
    html = (tmp_path / "out-en-en" / "report.html").read_text(encoding="utf-8")
    report = json.loads((tmp_path / "out-en-en" / "report.json").read_text(encoding="utf-8"))
    assert {a["code"] for a in report["overview"]["alarms"]} >= {"no-consent", "same-age"}
    assert html.index('id="alarms"') < html.index('id="summary"')
    assert "Not one member has SMS consent" in html and "(<bdi>1980</bdi>)" in html


def test_an_unknown_language_is_refused(tmp_path: Path) -> None:
    from pipeline.cli import app

    src = _csv(tmp_path / "en.csv", ["member_id", "first_name", "mobile"], [["1", "Dana", "0521234567"]])
    result = runner.invoke(app, ["run", str(src), "--out", str(tmp_path / "o"), "--lang", "fr"])
    assert result.exit_code == 2 and "--lang 'fr'" in result.output
    assert not (tmp_path / "o").exists()


def test_customer_value_section_in_both_languages() -> None:
    from pipeline.report.i18n import Words
    from pipeline.report.value import render

    report = {
        "customer_value": {
            "as_of": "2026-09-30",
            "model": {"model": "bgnbd", "warnings": []},
            "forecast": {"90d": {"expected_active_members": 58.2, "expected_revenue": 30308.4}},
            "average_clv": 138.0,
            "members_without_forecast": {"no_purchases": 143},
            "churn_risk": {"high": 1499, "low": 21},
            "segments": [{"segment": "Champions", "members": 47, "clv": 53158.0, "clv_per_member": 1131.0}],
            "before_after": [
                {"figure": "members", "before": 2000, "after": 1730},
                {"figure": "likely_active_90d", "before": 59, "after": 58},
                {"figure": "repeat_customer_rate", "before": 0.409, "after": 0.468},
            ],
        }
    }
    he, en = render(report, Words("he")), render(report, Words("en"))
    assert '<section id="customer-value">' in he and "BG/NBD" in he
    assert "30,308\u00a0₪" in he and "₪30,308" in en
    assert "members likely to buy in the next 90 days" in en and "ב-90 הימים הבאים" in he
    assert "אלופים" in he and "Champions" in en and "30.09.2026" in he
    assert "143 (no purchases yet)" in en and "40.9%" in en
    assert render({}, Words("en")) == ""
