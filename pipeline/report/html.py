"""``report.html``: one self-contained page (inline CSS, no scripts, no external requests).

Rendered only from the report dict, so the page and ``report.json`` can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from pipeline.report import svg

_CSS = """
:root{--ink:#1d2433;--mute:#5b6475;--line:#e3e6ec;--ok:#1b7f4b;--warn:#b26a00;--bad:#b3261e;--bg:#f7f8fa}
*{box-sizing:border-box}body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Arial,sans-serif;color:var(--ink);
margin:0;background:var(--bg)}main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
.sub{color:var(--mute);margin:0 0 16px}.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:12px}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px}
.card .n{font-size:26px;font-weight:600}.card .l{color:var(--mute);font-size:13px}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line);border-radius:8px;overflow:hidden}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:start;vertical-align:top}
th{background:#eef0f4;font-weight:600;font-size:13px}td.num{text-align:end;font-variant-numeric:tabular-nums}
.sev-error{color:var(--bad);font-weight:600}.sev-warning{color:var(--warn);font-weight:600}.sev-info{color:var(--mute)}
.ok{color:var(--ok);font-weight:600}.bad{color:var(--bad);font-weight:600}code{font-size:13px}
.ex{font-size:13px;color:var(--mute)}.note{background:#fff8e6;border:1px solid #f0d9a8;border-radius:6px;padding:8px 12px}
"""


def _num(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return escape("" if value is None else str(value))


def _pct(value: Any) -> str:
    return f"{100 * value:.1f}%" if isinstance(value, int | float) else "—"


def _cell(value: Any) -> str:
    return f'<td dir="auto">{escape("" if value is None else str(value))}</td>'


def _card(label: str, value: Any, cls: str = "") -> str:
    return f'<div class="card"><div class="n {cls}">{_num(value)}</div><div class="l">{escape(label)}</div></div>'


def render_html(report: dict[str, Any]) -> str:
    s = report["summary"]
    parts: list[str] = []
    add = parts.append
    add('<!doctype html><html lang="en"><head><meta charset="utf-8">')
    add('<meta name="viewport" content="width=device-width,initial-scale=1">')
    add(f"<title>cleanse report: {escape(report['input']['path'])}</title><style>{_CSS}</style></head><body><main>")
    add("<h1>Member data quality report</h1>")
    src = report["input"]
    detail = ", ".join(
        f"{k} {escape(str(v))}"
        for k, v in (
            ("format", src["format"]),
            ("sheet", src.get("sheet")),
            ("encoding", src.get("encoding")),
            ("delimiter", src.get("delimiter")),
            ("header row", src.get("header_row")),
        )
        if v
    )
    add(
        f'<p class="sub" dir="auto">{escape(src["path"])} ({detail}). '
        f"{'Personal data is masked.' if report['pii_masked'] else 'Personal data is shown unmasked.'}</p>"
    )

    add('<section id="summary"><h2>Summary</h2><div class="cards">')
    add(_card("rows in the file", s["rows_in"]))
    add(_card("clean member records", s["golden_records"]))
    add(_card("rows merged into another record", s["rows_merged"]))
    add(_card("rows quarantined", s["rows_quarantined"], "bad" if s["rows_quarantined"] else ""))
    if s.get("quality_score") is not None:
        add(_card(f"data quality (grade {s.get('quality_grade') or '?'})", f"{s['quality_score']}/100"))
    acc = "every row accounted for" if s["accounted"] else "ROWS MISSING"
    add(
        f'</div><p class="{"ok" if s["accounted"] else "bad"}">{_num(s["rows_in"])} rows in = '
        f"{_num(s['rows_kept'])} kept + {_num(s['rows_quarantined'])} quarantined: {acc}.</p>"
    )
    for note in report.get("notes", []):
        add(f'<p class="note" dir="auto">{escape(note)}</p>')
    add("</section>")

    add(
        '<section id="fields"><h2>Fields</h2><table><tr><th>Field</th><th>Column in the file</th>'
        "<th>Filled in the file</th><th>Filled after</th><th>Missing after</th><th>Valid after</th><th>Rows fixed</th>"
        "<th>Rows reformatted</th><th>Rows flagged</th></tr>"
    )
    for name, f in report["fields"].items():
        valid = f"{f['valid_after_pct']}%" if "valid_after_pct" in f else ""
        add(
            f"<tr><td><code>{escape(name)}</code></td>{_cell(f['column'] or '(derived)')}"
            f"<td class=num>{f['complete_before_pct']}%</td><td class=num>{f['complete_after_pct']}%</td>"
            f"<td class=num>{_num(f['missing_after']) if f.get('missing_after') is not None else ''}</td>"
            f"<td class=num>{valid}</td><td class=num>{_num(f['fixed'])}</td><td class=num>{_num(f['normalised'])}</td>"
            f"<td class=num>{_num(f['flagged'])}</td></tr>"
        )
    add(
        "</table><p class=ex>Fixed: a value was repaired (a lost leading zero, a typo in a domain). Reformatted: the "
        "same value written in its canonical form (E.164, ISO dates). Flagged: a problem that needs a person. "
        "Every row of each is in <code>ledger.csv</code>.</p></section>"
    )

    add(
        '<section id="issues"><h2>Top issues</h2><table><tr><th>Check</th><th>Severity</th><th>Action</th>'
        "<th>Count</th><th>Examples (row: before → after)</th></tr>"
    )
    for c in report["checks"][:40]:
        ex = "<br>".join(
            f'<span dir="auto">row {e["source_row"]} {escape(e["field"])}: '
            f"{escape(str(e['before']) if e['before'] is not None else '∅')} → "
            f"{escape(str(e['after']) if e['after'] is not None else '∅')}</span>"
            for e in c["examples"]
        )
        add(
            f"<tr><td><b>{escape(c['title'])}</b><br><code>{escape(c['code'])}</code></td>"
            f'<td class="sev-{escape(c["severity"])}">{escape(c["severity"])}</td><td>{escape(c["action"])}</td>'
            f'<td class=num>{_num(c["count"])}</td><td class="ex">{ex}</td></tr>'
        )
    add("</table></section>")

    dup = report.get("duplicates") or {}
    add('<section id="duplicates"><h2>Duplicate clusters</h2>')
    if dup.get("clusters"):
        add(
            f"<p>{_num(dup['clusters'])} members were found more than once ({_num(dup['rows_in_clusters'])} rows).</p>"
            "<table><tr><th>Member</th><th>Rows in the file</th><th>Why they merged</th></tr>"
        )
        for ex in dup["examples"]:
            rows_ = ", ".join(str(r) for r in ex["source_rows"])
            add(
                f"<tr><td><code>{escape(ex['golden_id'])}</code></td><td>{escape(rows_)}</td>{_cell(ex['reason'])}</tr>"
            )
        add("</table>")
    else:
        add("<p>No rows were merged: every kept row is its own member record.</p>")
    _matching(add, dup.get("matching") or {})
    add("</section>")

    q = report.get("quality") or {}
    if q.get("histogram"):
        add(
            '<section id="scores"><h2>Data-quality scores</h2><p class=sub>Members by data-quality score (0-100): '
            "what each member's record is worth for reaching and recognising them.</p>"
        )
        add(svg.histogram(list(q["histogram"].items())))
        add("</section>")

    if report["quarantine"]:
        add('<section id="quarantine"><h2>Quarantine</h2><table><tr><th>Reason</th><th>Rows</th></tr>')
        for reason, n in report["quarantine"].items():
            add(f"<tr><td><code>{escape(reason)}</code></td><td class=num>{_num(n)}</td></tr>")
        add(
            "</table><p class=ex>Each quarantined row is in <code>quarantine.csv</code> with its raw values.</p></section>"
        )

    club = report.get("club") or {}
    if club.get("after"):
        b, a = club["before"], club["after"]
        add(
            f'<section id="club"><h2>Club figures</h2><p class=sub>As of {escape(str(club.get("as_of")))}. '
            "Before: the file as it came, every row a member. After: clean member records.</p>"
            "<table><tr><th>Figure</th><th>Before</th><th>After</th></tr>"
        )
        rows = [
            ("Members", "members", _num),
            ("Members who bought", "buyers", _num),
            ("Repeat-customer rate", "repeat_customer_rate", _pct),
            ("Purchases per buyer", "purchase_frequency", _num),
            ("Average order value (₪)", "average_order_value", _num),
            ("Total spend (₪)", "total_spend", _num),
            ("Average CLV (₪)", "average_clv", _num),
            ("Total CLV (₪)", "total_clv", _num),
            ("Churn rate", "churn_rate", _pct),
            ("Active members", "active_members", _num),
        ]
        for label, key, fmt in rows:
            add(
                f"<tr><td>{escape(label)}</td><td class=num>{fmt(b[key]) if key in b else '—'}</td>"
                f"<td class=num>{fmt(a[key]) if key in a else '—'}</td></tr>"
            )
        for channel in ("sms", "email", "call", "post"):
            before_reach = b.get("reach", {}).get(channel)
            add(
                f"<tr><td>Reachable by {channel}</td><td class=num>{_num(before_reach) if before_reach is not None else '—'}</td>"
                f"<td class=num>{_num(a['reach'].get(channel))}</td></tr>"
            )
        add(
            "</table><p class=ex>Reach before: rows with any phone or e-mail cell. After: valid, consented, "
            "alive members.</p></section>"
        )
        segments = a.get("segments", {})
        add('<section id="segments"><h2>RFM segments</h2><h3>Members</h3>')
        add(svg.bars([(name, seg["members"]) for name, seg in segments.items()]))
        add("<h3>Total spend (₪)</h3>")
        add(svg.bars([(name, seg["total_spend"]) for name, seg in segments.items()]))
        add("</section>")
        _customer_value(add, report.get("customer_value") or {})
        reach = report.get("reach") or {}
        if reach:
            add('<section id="reach"><h2>Reach per channel</h2>')
            for channel, steps in reach.items():
                add(f"<h3>{escape('SMS' if channel == 'sms' else 'E-mail')}</h3>")
                add(svg.funnel([(label, n) for label, n in steps]))
            add("</section>")

    add(
        '<section id="mapping"><h2>Column mapping</h2><table><tr><th>Column in the file</th><th>Field</th>'
        "<th>How</th><th>Confidence</th></tr>"
    )
    for m in report["mapping"]:
        add(
            f"<tr>{_cell(m['header'])}<td><code>{escape(m['field'])}</code></td><td>{escape(_how(m))}</td>"
            f"<td class=num>{m['confidence']:.2f}</td></tr>"
        )
    for m in report.get("mapping_held", []):
        add(
            f"<tr>{_cell(m['header'])}<td>— (<code>{escape(m['field'])}</code>?)</td>"
            f"<td>not used: {escape(m.get('reason', ''))}; settle with <code>--map</code></td>"
            f"<td class=num>{m['confidence']:.2f}</td></tr>"
        )
    held = {m["header"] for m in report.get("mapping_held", [])}
    for h in report["unmapped_columns"]:
        if h not in held:
            add(f"<tr>{_cell(h)}<td>—</td><td>carried through unchanged</td><td></td></tr>")
    add("</table>")
    for note in report.get("mapping_notes", []):
        add(f'<p class="note" dir="auto">{escape(note)}</p>')
    add("</section>")

    add(
        '<section id="stages"><h2>Stages</h2><table><tr><th>Stage</th><th>Rows in</th><th>Rows out</th>'
        "<th>Seconds</th></tr>"
    )
    for t in report["stages"]:
        add(
            f"<tr><td>{escape(t['stage'])}</td><td class=num>{_num(t['rows_in'])}</td>"
            f"<td class=num>{_num(t['rows_out'])}</td><td class=num>{t['seconds']:.3f}</td></tr>"
        )
    add("</table></section>")
    add(f'<p class="sub">cleanse {escape(report["tool_version"])}, report schema {report["schema_version"]}</p>')
    add("</main></body></html>\n")
    return "".join(parts)


def _how(m: dict[str, Any]) -> str:
    """A mapping's method in words: ``exact name``, ``words``, ``similar name``, ``values``, ``--map``."""
    how = {
        "exact": "exact name",
        "words": "words of the name",
        "fuzzy": "similar name",
        "values": "its values",
        "override": "--map",
    }.get(m["method"], m["method"])
    if m.get("values") == "agree" and m["method"] != "values":
        how += ", values agree"
    return how


_BEFORE_AFTER = {
    "members": ("Members", "num"),
    "buyers": ("Members who bought", "num"),
    "repeat_customer_rate": ("Bought more than once", "pct"),
    "total_clv": ("Customer value, all members (₪)", "num"),
    "average_clv": ("Customer value per buyer (₪)", "num"),
}


def _shown(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    return _pct(value) if kind == "pct" else _num(round(value) if isinstance(value, float) else value)


def _customer_value(add: Callable[[str], None], cv: dict[str, Any]) -> None:
    """Who is likely to buy, what they will spend, what members are worth by segment, before and after cleansing."""
    if not cv:
        return
    model = cv["model"]
    forecast = cv.get("forecast", {})
    add('<section id="customer-value"><h2>Customer value</h2>')
    add(
        f"<p class=sub>Forecasts as of {escape(str(cv.get('as_of')))} from each member's purchases so far"
        + (
            f" ({escape(model['model'].upper().replace('MBGNBD', 'MBG/NBD').replace('BGNBD', 'BG/NBD'))} for "
            "how often they buy and whether they are still customers, Gamma-Gamma for how much).</p>"
            if model.get("model") != "simple"
            else ": too little history for the models, so simple rates (repeat purchases per year) are used.</p>"
        )
    )
    for note in model.get("warnings", []):
        add(f'<p class="note">{escape(note)}</p>')
    add('<div class="cards">')
    for horizon, f in forecast.items():
        if f.get("expected_active_members") is not None:
            add(_card(f"members likely to buy in the next {horizon[:-1]} days", round(f["expected_active_members"])))
        add(_card(f"expected revenue, next {horizon[:-1]} days (₪)", round(f["expected_revenue"])))
    add(_card("customer value per buyer (₪)", cv.get("average_clv")))
    add("</div>")
    missing = cv.get("members_without_forecast") or {}
    if missing:
        words = {
            "no_purchases": "no purchases yet",
            "incomplete": "no first or last purchase date",
            "inconsistent": "purchase dates out of order",
            "flagged": "purchase figures flagged by cleaning",
        }
        add(
            "<p class=ex>Not forecast: "
            + ", ".join(f"{_num(n)} ({escape(words.get(k, k))})" for k, n in missing.items())
            + ".</p>"
        )
    risk = cv.get("churn_risk") or {}
    if risk:
        add(
            "<p class=sub>Churn risk (chance of buying in the coming months): "
            + ", ".join(f"{escape(k)} {_num(risk[k])}" for k in ("high", "medium", "low") if k in risk)
            + ".</p>"
        )
    add(
        "<h3>Value by segment</h3><table><tr><th>Segment</th><th>Members</th><th>Customer value (₪)</th>"
        "<th>Per member (₪)</th></tr>"
    )
    for seg in cv.get("segments", []):
        add(
            f"<tr><td>{escape(seg['segment'])}</td><td class=num>{_num(seg['members'])}</td>"
            f"<td class=num>{_num(round(seg['clv']))}</td><td class=num>{_num(seg['clv_per_member'])}</td></tr>"
        )
    add("</table>")
    add(
        "<h3>Before and after cleansing</h3><p class=sub>Duplicates make a club look bigger and its members less "
        "loyal than they are: one person's purchases split over two records look like two one-time buyers.</p>"
        "<table><tr><th>Figure</th><th>Before</th><th>After</th></tr>"
    )
    for row in cv.get("before_after", []):
        key = row["figure"]
        if key in _BEFORE_AFTER:
            label, kind = _BEFORE_AFTER[key]
        elif key.startswith("likely_active_"):
            label, kind = f"Members likely to buy in the next {key.removeprefix('likely_active_')[:-1]} days", "num"
        else:
            label, kind = f"Expected revenue, next {key.removeprefix('expected_revenue_')[:-1]} days (₪)", "num"
        cells = "".join(f"<td class=num>{_shown(row[side], kind)}</td>" for side in ("before", "after"))
        add(f"<tr><td>{escape(label)}</td>{cells}</tr>")
    add("</table>")
    fitted = model.get("purchase_model")
    if fitted:
        params = ", ".join(f"{escape(k)} = {v}" for k, v in fitted["params"].items())
        add(
            f"<h3>The models</h3><p class=sub>Purchases: {params} (time in weeks), log-likelihood "
            f"{fitted['log_likelihood']}, {_num(fitted['members'])} members."
        )
        spend = model.get("spend_model")
        if spend:
            sp = ", ".join(f"{escape(k)} = {v}" for k, v in spend["params"].items())
            add(f" Spend: {sp}, mean spend per purchase ₪{_num(spend['mean_spend_per_purchase'])}.")
        add(
            "</p><table><tr><th>Repeat purchases so far</th><th>Members</th><th>The model expects</th></tr>"
            + "".join(
                f"<tr><td>{escape(r['repeat_purchases'])}</td><td class=num>{_num(r['members'])}</td>"
                f"<td class=num>{r['expected']}</td></tr>"
                for r in fitted["calibration"]
            )
            + "</table>"
        )
    add("</section>")


def _matching(add: Callable[[str], None], matching: dict[str, Any]) -> None:
    """How the duplicates were found: pairs per blocking key, per band, and those the hard rules kept apart."""
    if not matching.get("keys"):
        return
    add(
        f"<h3>How they were found</h3><p class=sub>{_num(matching['candidate_pairs'])} candidate pairs were "
        "compared. Each blocking key proposes the pairs that share its value; a block too large for the comparison "
        "budget is skipped and counted here.</p>"
        "<table><tr><th>Blocking key</th><th>Pairs proposed</th><th>Of them new</th><th>Blocks skipped</th>"
        "<th>Records in skipped blocks</th></tr>"
    )
    for k in matching["keys"]:
        skipped = k.get("skipped_chance_neighbours_per_number")
        why = (
            f"<br><span class=ex>skipped: each number is a typo of {skipped} others by chance</span>" if skipped else ""
        )
        add(
            f"<tr><td><code>{escape(k['key'])}</code>{why}</td><td class=num>{_num(k['pairs'])}</td>"
            f"<td class=num>{_num(k['new_pairs'])}</td><td class=num>{_num(k['capped_blocks'])}</td>"
            f"<td class=num>{_num(k['capped_records'])}</td></tr>"
        )
    add("</table>")
    bands = ", ".join(f"{escape(b)} {_num(n)}" for b, n in matching.get("bands", {}).items())
    rules = ", ".join(f"{escape(r)} {_num(n)}" for r, n in matching.get("hard_rules", {}).items())
    add(f"<p class=sub>Pairs by decision: {bands or 'none'}.</p>")
    add(
        f"<p class=sub>Pairs a &ldquo;never merge&rdquo; rule held apart (one pair may break several): "
        f"{rules or 'no rule applied'}; links refused inside clusters: {_num(matching.get('cluster_links_refused'))}."
        "</p>"
    )
