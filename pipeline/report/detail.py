"""The report's detail for the data team, each part collapsible: reach funnels, segments, scores, fields, checks,
duplicates, quarantine, mapping, stages."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from pipeline.report import svg
from pipeline.report.i18n import Words
from pipeline.report.layout import bdi, details, table


def render(report: dict[str, Any], w: Words) -> str:
    """Every detail section, in order, each a ``<details>`` inside ``<section id=...>``."""
    sections: list[Callable[[dict[str, Any], Words], str]] = [
        _reach,
        _segments,
        _scores,
        _fields,
        _issues,
        _duplicates,
        _quarantine,
        _mapping,
        _stages,
    ]
    return (
        f'<h2 class="detail-head">{w("detail.heading")}</h2><p class="sub">{w("detail.hint")}</p>'
        + _notes(report, w)
        + "".join(section(report, w) for section in sections)
    )


def _code(value: Any) -> str:
    return f"<code>{escape(str(value))}</code>"


def _notes(report: dict[str, Any], w: Words) -> str:
    notes = list(report.get("notes") or []) + list(report.get("mapping_notes") or [])
    return "".join(f'<p class="note">{bdi(n)}</p>' for n in notes)


def _reach(report: dict[str, Any], w: Words) -> str:
    reach = report.get("reach") or {}
    if not reach:
        return details("reach", w("reach.heading"), "")
    charts = "".join(
        f"<div><h3>{w(f'reach.{channel}')}</h3>"
        + svg.funnel(
            [(w.get(f"funnel.{label}", label), int(n)) for label, n in steps], rtl=w.rtl, label=w(f"reach.{channel}")
        )
        + "</div>"
        for channel, steps in reach.items()
    )
    return details("reach", w("reach.heading"), f'<div class="charts">{charts}</div>', open_=True)


def _segments(report: dict[str, Any], w: Words) -> str:
    segments = ((report.get("club") or {}).get("after") or {}).get("segments") or {}
    if not segments:
        return details("segments", w("segments.heading"), "")
    names = [(w.get(f"segment.{name}", str(name)) if name else "", seg) for name, seg in segments.items()]
    body = (
        f'<div class="charts"><div><h3>{w("segments.members")}</h3>'
        + svg.bars([(n, seg["members"]) for n, seg in names], rtl=w.rtl, label=w("segments.members"))
        + f"</div><div><h3>{w('segments.spend')}</h3>"
        + svg.bars([(n, seg["total_spend"]) for n, seg in names], rtl=w.rtl, label=w("segments.spend"))
        + "</div></div>"
    )
    return details("segments", w("segments.heading"), body)


def _scores(report: dict[str, Any], w: Words) -> str:
    hist = (report.get("quality") or {}).get("histogram") or {}
    body = f'<p class="sub">{w("scores.note")}</p>' + svg.histogram(
        list(hist.items()), rtl=w.rtl, label=w("scores.heading")
    )
    return details("scores", w("scores.heading"), body)


def _fields(report: dict[str, Any], w: Words) -> str:
    head = [
        (w("fields.field"), False),
        (w("fields.column"), False),
        (w("fields.filled_before"), True),
        (w("fields.filled_after"), True),
        (w("fields.missing_after"), True),
        (w("fields.valid_after"), True),
        (w("fields.fixed"), True),
        (w("fields.normalised"), True),
        (w("fields.flagged"), True),
    ]
    rows = [
        (
            (_code(name), False),
            (bdi(f["column"]) if f["column"] else w("fields.derived"), False),
            (f"{f['complete_before_pct']}%", True),
            (f"{f['complete_after_pct']}%", True),
            (w.num(f.get("missing_after")) if f.get("missing_after") is not None else "", True),
            (f"{f['valid_after_pct']}%" if "valid_after_pct" in f else "", True),
            (w.num(f["fixed"]), True),
            (w.num(f["normalised"]), True),
            (w.num(f["flagged"]), True),
        )
        for name, f in report["fields"].items()
    ]
    return details("fields", w("fields.heading"), table(head, rows) + f'<p class="ex">{w("fields.note")}</p>')


def _example(e: dict[str, Any], w: Words) -> str:
    def value(v: Any) -> str:
        return bdi(v) if v is not None else f"<i>{w('issues.empty')}</i>"

    # each value isolated, the arrow between them in the page's direction: old value first as the reader reads
    return (
        f"{w('issues.row', row=w.num(e['source_row']))} {_code(e['field'])}: {value(e['before'])} "
        f"{'←' if w.rtl else '→'} {value(e['after'])}"
    )


def _issues(report: dict[str, Any], w: Words) -> str:
    head = [
        (w("issues.check"), False),
        (w("issues.severity"), False),
        (w("issues.action"), False),
        (w("issues.count"), True),
        (w("issues.examples"), False),
    ]
    rows = [
        (
            (f'<b><bdi lang="en">{escape(c["title"])}</bdi></b><br>{_code(c["code"])}', False),
            (
                f'<span class="sev-{escape(c["severity"])}">{w.get("severity." + c["severity"], c["severity"])}</span>',
                False,
            ),
            (w.get(f"ledger_action.{c['action']}", c["action"]), False),
            (w.num(c["count"]), True),
            ('<span class="ex">' + "<br>".join(_example(e, w) for e in c["examples"]) + "</span>", False),
        )
        for c in report["checks"]
    ]
    return details("issues", w("issues.heading"), table(head, rows))


def _duplicates(report: dict[str, Any], w: Words) -> str:
    dup = report.get("duplicates") or {}
    if dup.get("clusters"):
        body = f"<p>{w('duplicates.found', clusters=w.num(dup['clusters']), rows=w.num(dup['rows_in_clusters']))}</p>"
        body += table(
            [(w("duplicates.member"), False), (w("duplicates.rows"), False), (w("duplicates.why"), False)],
            [
                (
                    (_code(ex["golden_id"]), False),
                    (bdi(", ".join(str(r) for r in ex["source_rows"])), False),
                    (bdi(ex["reason"]), False),
                )
                for ex in dup["examples"]
            ],
        )
    else:
        body = f"<p>{w('duplicates.none')}</p>"
    body += _matching(dup.get("matching") or {}, w)
    return details("duplicates", w("duplicates.heading"), body)


def _matching(matching: dict[str, Any], w: Words) -> str:
    """How the duplicates were found: pairs per blocking key, per band, and those the hard rules kept apart."""
    if not matching.get("keys"):
        return ""
    rows = []
    for k in matching["keys"]:
        skipped = k.get("skipped_chance_neighbours_per_number")
        why = f'<br><span class="ex">{w("matching.chance", n=w.num(skipped, digits=1))}</span>' if skipped else ""
        rows.append(
            (
                (_code(k["key"]) + why, False),
                (w.num(k["pairs"]), True),
                (w.num(k["new_pairs"]), True),
                (w.num(k["capped_blocks"]), True),
                (w.num(k["capped_records"]), True),
            )
        )
    head = [
        (w("matching.key"), False),
        (w("matching.pairs"), True),
        (w("matching.new"), True),
        (w("matching.capped"), True),
        (w("matching.capped_records"), True),
    ]
    bands = ", ".join(f"{_code(b)} {w.num(n)}" for b, n in matching.get("bands", {}).items())
    rules = ", ".join(f"{_code(r)} {w.num(n)}" for r, n in matching.get("hard_rules", {}).items())
    refused = w.num(matching.get("cluster_links_refused"))
    return (
        f"<h3>{w('matching.heading')}</h3>"
        f'<p class="sub">{w("matching.note", pairs=w.num(matching["candidate_pairs"]))}</p>'
        + table(head, rows)
        + f'<p class="sub">{w("matching.bands", bands=bands or w("matching.none"))}</p>'
        + f'<p class="sub">{w("matching.rules", rules=rules or w("matching.none"), refused=refused)}</p>'
    )


def _quarantine(report: dict[str, Any], w: Words) -> str:
    rows = [((_code(reason), False), (w.num(n), True)) for reason, n in (report.get("quarantine") or {}).items()]
    body = table([(w("quarantine.reason"), False), (w("quarantine.rows"), True)], rows)
    return details("quarantine", w("quarantine.heading"), body + f'<p class="ex">{w("quarantine.note")}</p>')


def _how(m: dict[str, Any], w: Words) -> str:
    """A mapping's method in words (exact name, words of the name, similar name, its values, --map)."""
    how = w.get(f"mapping.method.{m['method']}", str(m["method"]))
    if m["method"] == "fuzzy" and "score" in m:
        how = w("mapping.fuzzy", score=w.num(m["score"], digits=1))
    if m.get("values") == "agree" and m["method"] != "values":
        how = w("mapping.values_agree", how=how)
    return how


def _reason(m: dict[str, Any], w: Words) -> str:
    reason = str(m.get("reason", ""))
    return bdi(reason) if w.rtl else escape(reason)


def _mapping(report: dict[str, Any], w: Words) -> str:
    sure = any("confidence" in m for m in report["mapping"])

    def confidence(m: dict[str, Any]) -> tuple[tuple[str, bool], ...]:
        return ((w.num(m["confidence"], digits=2) if "confidence" in m else "", True),) if sure else ()

    rows = [
        ((bdi(m["header"]), False), (_code(m["field"]), False), (_how(m, w), False), *confidence(m))
        for m in report["mapping"]
    ]
    held = report.get("mapping_held") or []
    rows += [
        (
            (bdi(m["header"]), False),
            (w("mapping.held_field", field=_code(m["field"])), False),
            # the reason is cleanse's own English words: isolated on a Hebrew page
            (w("mapping.held", reason=_reason(m, w), map="<code>--map</code>"), False),
            *confidence(m),
        )
        for m in held
    ]
    held_headers = {m["header"] for m in held}
    rows += [
        ((bdi(h), False), ("—", False), (w("mapping.unmapped"), False), *((("", True),) if sure else ()))
        for h in report["unmapped_columns"]
        if h not in held_headers
    ]
    head = [(w("mapping.header"), False), (w("mapping.field"), False), (w("mapping.how"), False)]
    if sure:
        head.append((w("mapping.confidence"), False))
    return details("mapping", w("mapping.heading"), table(head, rows))


def _stages(report: dict[str, Any], w: Words) -> str:
    rows = [
        (
            (_code(t["stage"]), False),
            (w.num(t["rows_in"]), True),
            (w.num(t["rows_out"]), True),
            (w.num(t["seconds"], digits=3), True),
        )
        for t in report["stages"]
    ]
    head = [
        (w("stages.stage"), False),
        (w("stages.rows_in"), True),
        (w("stages.rows_out"), True),
        (w("stages.seconds"), True),
    ]
    return details("stages", w("stages.heading"), table(head, rows))
