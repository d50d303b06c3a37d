"""The report's customer-value section: members likely to buy in the coming days, expected revenue, what the
members are worth by segment, and how cleansing changed those figures; with the fitted models for the data team.
Rendered from ``report.json`` ``customer_value`` (empty without purchase history: no section)."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from pipeline.report.i18n import Words
from pipeline.report.layout import bdi, details, table

_MODELS = {"bgnbd": "BG/NBD", "mbgnbd": "MBG/NBD", "pareto": "Pareto/NBD"}
_REASONS = ("no_purchases", "incomplete", "inconsistent", "flagged")


def render(report: dict[str, Any], w: Words) -> str:
    cv = report.get("customer_value") or {}
    if not cv:
        return ""
    model = cv.get("model") or {}
    kind = str(model.get("model", ""))
    as_of = w.date(cv["as_of"]) if cv.get("as_of") else "—"
    if kind == "simple":
        intro = w("value.intro_simple", date=as_of)
    else:
        intro = w("value.intro_model", date=as_of, model=escape(_MODELS.get(kind, kind.upper())))
    parts = [f'<p class="sub">{intro}</p>']
    parts += [f'<p class="note">{bdi(note)}</p>' for note in model.get("warnings", [])]
    cards = []
    for horizon, f in (cv.get("forecast") or {}).items():
        days = w.num(int(str(horizon).removesuffix("d")))
        if f.get("expected_active_members") is not None:
            cards.append((w.num(f["expected_active_members"]), w("value.likely_active", days=days)))
        if f.get("expected_revenue") is not None:
            cards.append((w.money(f["expected_revenue"]), w("value.expected_revenue", days=days)))
    if cv.get("average_clv") is not None:
        cards.append((w.money(cv["average_clv"]), w("value.clv_per_buyer")))
    parts.append(
        '<div class="cards">'
        + "".join(f'<div class="card"><div class="n">{n}</div><div class="l">{label}</div></div>' for n, label in cards)
        + "</div>"
    )
    missing = cv.get("members_without_forecast") or {}
    if missing:
        why = ", ".join(
            f"{w.num(n)} ({w.get(f'value.reason.{k}', str(k))})" for k, n in missing.items() if k in _REASONS or n
        )
        parts.append(f'<p class="ex">{w("value.not_forecast", why=why)}</p>')
    risk = cv.get("churn_risk") or {}
    if risk:
        levels = ", ".join(
            f"{w.get(f'value.risk.{k}', k)} {w.num(risk[k])}" for k in ("high", "medium", "low") if k in risk
        )
        parts.append(f'<p class="sub">{w("value.churn_risk", levels=levels)}</p>')
    segments = cv.get("segments") or []
    if segments:
        head = [
            (w("value.segment"), False),
            (w("value.members"), True),
            (w("value.clv"), True),
            (w("value.per_member"), True),
        ]
        rows = [
            (
                (w.get(f"segment.{s['segment']}", str(s["segment"])), False),
                (w.num(s["members"]), True),
                (w.money(s.get("clv")), True),
                (w.money(s.get("clv_per_member")), True),
            )
            for s in segments
        ]
        parts.append(f"<h3>{w('value.by_segment')}</h3>" + table(head, rows))
    before_after = cv.get("before_after") or []
    if before_after:
        changes = []
        for row in before_after:
            label, fmt = _figure(str(row["figure"]), w)
            changes.append(((label, False), (fmt(row.get("before")), True), (fmt(row.get("after")), True)))
        head = [(w("effect.figure"), False), (w("effect.before"), True), (w("effect.after"), True)]
        parts.append(f'<h3>{w("value.before_after")}</h3><p class="sub">{w("value.why")}</p>' + table(head, changes))
    parts.append(_models(model, w))
    return details("customer-value", w("value.heading"), "".join(parts), open_=True)


def _figure(key: str, w: Words) -> tuple[str, Callable[[Any], str]]:
    """A before/after figure's label and how its value is written."""
    if key.startswith("likely_active_"):
        days = w.num(int(key.removeprefix("likely_active_").removesuffix("d")))
        return w("value.likely_active", days=days), w.num
    if key.startswith("expected_revenue_"):
        days = w.num(int(key.removeprefix("expected_revenue_").removesuffix("d")))
        return w("value.expected_revenue", days=days), w.money
    if key == "repeat_customer_rate":
        return w("club.repeat_customer_rate"), w.pct
    if key in ("total_clv", "average_clv"):
        return w(f"club.{key}"), w.money
    return w.get(f"club.{key}", key), w.num


def _models(model: dict[str, Any], w: Words) -> str:
    fitted = model.get("purchase_model")
    if not fitted:
        return ""
    params = ", ".join(f"{escape(str(k))} = {escape(str(v))}" for k, v in fitted.get("params", {}).items())
    text = w(
        "value.purchase_model",
        params=f'<bdi dir="ltr">{params}</bdi>',
        ll=escape(str(fitted.get("log_likelihood"))),
        members=w.num(fitted.get("members")),
    )
    spend = model.get("spend_model")
    if spend:
        sp = ", ".join(f"{escape(str(k))} = {escape(str(v))}" for k, v in spend.get("params", {}).items())
        text += " " + w(
            "value.spend_model",
            params=f'<bdi dir="ltr">{sp}</bdi>',
            mean=w.money(spend.get("mean_spend_per_purchase")),
        )
    rows = [
        (
            (bdi(r.get("repeat_purchases")), False),
            (w.num(r.get("members")), True),
            (w.num(r.get("expected"), digits=1), True),
        )
        for r in fitted.get("calibration", [])
    ]
    head = [(w("value.repeats"), False), (w("value.members"), True), (w("value.expected"), True)]
    return f'<h3>{w("value.models")}</h3><p class="sub">{text}</p>' + (table(head, rows) if rows else "")
