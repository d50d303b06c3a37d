"""The report's first screen, for the club's marketing manager: real members, who can be reached today, what the
unreachable are worth, what duplicates and dirt did to the club's figures, three actions, and alarms."""

from __future__ import annotations

from html import escape
from typing import Any

from pipeline.report.i18n import Words
from pipeline.report.layout import bdi, table

# the club figures the manager compares before and after, with how each is written
_EFFECT = (
    ("members", "num"),
    ("repeat_customer_rate", "pct"),
    ("purchase_frequency", "num1"),
    ("average_order_value", "money"),
    ("churn_rate", "pct"),
    ("total_clv", "money"),
)


def render(report: dict[str, Any], w: Words) -> str:
    """The first screen, in ``w``'s language."""
    s = report["summary"]
    ov = report.get("overview") or {}
    parts = [_alarms(report, w), '<section id="summary">', f"<h2>{w('overview.heading')}</h2>", _cards(s, ov, w)]
    counts = {"rows": w.num(s["rows_in"]), "kept": w.num(s["rows_kept"]), "q": w.num(s["rows_quarantined"])}
    accounted = w("overview.accounted" if s["accounted"] else "overview.missing", **counts)
    parts.append(
        f'<p class="sub">{w("overview.merged", n=w.num(s["rows_merged"]), q=counts["q"])} '
        f'<span class="{"ok" if s["accounted"] else "bad"}">{accounted}</span></p>'
    )
    parts.append('<div class="grid2">')
    parts.append(_effect(report, w))
    parts.append(_actions(ov, w))
    parts.append("</div></section>")
    return "".join(parts)


def _card(value: str, label: str, sub: str, figure: str) -> str:
    return (
        f'<div class="card" data-figure="{figure}"><div class="n">{value}</div><div class="l">{label}</div>'
        f'<div class="s">{sub}</div></div>'
    )


def _cards(s: dict[str, Any], ov: dict[str, Any], w: Words) -> str:
    members = s["golden_records"]
    reach = ov.get("reachable") or {}
    value = ov.get("value") or {}
    cards = [
        _card(
            w.num(members),
            w("overview.real_members"),
            w("overview.real_members_of", rows=w.num(s["rows_in"])),
            "members",
        )
    ]
    for channel in ("sms", "email"):
        if channel in reach:
            share = w.pct(reach[channel] / members if members else None, digits=0)
            cards.append(
                _card(
                    w.num(reach[channel]),
                    w(f"overview.reach_{channel}"),
                    w("overview.reach_of", share=share),
                    f"reach-{channel}",
                )
            )
    if value.get("total_clv"):
        share = w.pct(value["unreachable_clv"] / value["total_clv"], digits=0)
        cards.append(
            _card(
                w.money(value["unreachable_clv"]),
                w("overview.value"),
                w("overview.value_of", share=share, total=w.money(value["total_clv"])),
                "value",
            )
        )
    if s.get("quality_score") is not None:
        cards.append(
            _card(
                f"{w.num(s['quality_score'])}/100",
                w("overview.quality"),
                w("overview.quality_of", grade=s.get("quality_grade") or "?"),
                "quality",
            )
        )
    return '<div class="cards">' + "".join(cards) + "</div>"


def _fmt(w: Words, kind: str, value: Any) -> str:
    if kind == "pct":
        return w.pct(value)
    if kind == "money":
        return w.money(value)
    return w.num(value, digits=1 if kind == "num1" else 0)


def _change(kind: str, before: Any, after: Any, w: Words) -> str:
    if not isinstance(before, int | float) or not isinstance(after, int | float):
        return "—"
    if kind == "pct":
        delta = 100 * (after - before)
        if not round(delta, 1):
            return "0"
        text = w("effect.points", n=f"{delta:+.1f}")
    elif before:
        delta = 100 * (after - before) / before
        text = f"{delta:+.0f}%" if round(delta) else "0%"
    else:
        return "—"
    return f'<bdi dir="ltr">{text}</bdi>'


def _effect(report: dict[str, Any], w: Words) -> str:
    club = report.get("club") or {}
    before, after = club.get("before") or {}, club.get("after") or {}
    if not after:
        return ""
    rows = [
        (
            (w(f"club.{key}"), False),
            (_fmt(w, kind, before.get(key)), True),
            (_fmt(w, kind, after.get(key)), True),
            (_change(kind, before.get(key), after.get(key), w), True),
        )
        for key, kind in _EFFECT
        if key in after
    ]
    head = [
        (w("effect.figure"), False),
        (w("effect.before"), True),
        (w("effect.after"), True),
        (w("effect.change"), True),
    ]
    as_of = w("page.as_of", date=w.date(club["as_of"])) if club.get("as_of") else ""
    return (
        f'<div class="panel" id="effect" data-figure="effect"><h3>{w("effect.heading")}</h3>{table(head, rows)}'
        f'<p class="sub">{w("effect.note")} {as_of}</p></div>'
    )


def _actions(ov: dict[str, Any], w: Words) -> str:
    actions = ov.get("actions") or []
    items = "".join(
        f"<li>{w('action.' + a['code'], n=w.num(a['members']))}"
        f'<span class="gain">{w("action.gain", n=w.num(a["members"]))}</span></li>'
        for a in actions
    )
    body = f'<ol class="actions">{items}</ol>' if items else f"<p>{w('actions.none')}</p>"
    return f'<div class="panel" id="actions" data-figure="actions"><h3>{w("actions.heading")}</h3>{body}</div>'


def _alarms(report: dict[str, Any], w: Words) -> str:
    alarms = (report.get("overview") or {}).get("alarms") or []
    lines = []
    for a in alarms:
        if a["code"] == "no-consent":
            lines.append(w("alarm.no-consent", channel=w(f"channel.{a['channel']}")))
        elif a["code"] == "same-age":
            lines.append(w("alarm.same-age", year=bdi(a["year"])))
        else:
            lines.append(w(f"alarm.{a['code']}"))
    # a column that looked like a field but was not used for it: the figures above lack it
    lines += [
        w("alarm.held", header=bdi(m["header"]), field=f"<code>{escape(str(m['field']))}</code>")
        for m in report.get("mapping_held") or []
    ]
    lines += [w("alarm.warning", text=bdi(text)) for text in report.get("warnings") or []]
    if not lines:
        return ""
    items = "".join(f"<li>{line}</li>" for line in lines)
    return (
        f'<section id="alarms" class="alarm" data-figure="alarms"><h2>{w("alarms.heading")}</h2>'
        f"<ul>{items}</ul></section>"
    )
