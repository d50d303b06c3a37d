"""The figures of a run, as one JSON-ready dict (the schema of ``report.json``; see README).

Everything here is derived from the ledger, the merge map, the quarantine and the clean table. Personal data
in examples is masked unless ``show_pii``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from pipeline import __version__
from pipeline import ledger as ledger_
from pipeline.catalogue import CATALOGUE
from pipeline.fields import FIELDS, STATUS_COLUMNS, Status
from pipeline.privacy import mask_by_field, mask_text
from pipeline.report.manager import overview, reach_funnels
from pipeline.results import RunResult

if TYPE_CHECKING:
    from pipeline.mapping import ColumnMatch

SCHEMA_VERSION = 1
_ACTION_ORDER = {"quarantined": 0, "flagged": 1, "fixed": 2, "moved": 2, "merged": 3, "normalised": 4}
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
EXAMPLES_PER_CHECK = 3


@dataclass(frozen=True)
class _Tally:
    """What the report reads of the ledger."""

    rows: dict[tuple[str, str], int]  # (field, action) -> distinct source rows
    entries: pl.DataFrame  # check, severity, action, field -> entries (len), one row per part and combination
    examples: pl.DataFrame  # each check's first entries, in ledger order


def _tally(ledger: pl.LazyFrame) -> _Tally:
    """One pass over the ledger, a range of rows at a time (a big file's is tens of millions of entries on disk).
    Every entry of a row is in one range, so counts of distinct rows add up over the ranges.

    The counts read only the short columns (row, field, check, severity, action): the texts before and after are
    most of the ledger, and reading them for counts took 9 of the 14 s the tally took at a million members. The
    examples are each check's first entries: the rows they are on are found among the short columns, and only
    those rows are read whole (their entries keep the ledger's order, so each check's first ones are the same)."""
    rows: dict[tuple[str, str], int] = {}
    entries, firsts = [], []
    short = ["source_row", "field", "check", "severity", "action"]
    for part in ledger_.ranges(ledger):
        counted = part.select(short).collect()
        per_action = (
            counted.filter(pl.col("field") != "*")
            .group_by("field", "action")
            .agg(pl.col("source_row").n_unique().alias("rows"))
        )
        for f, a, n in per_action.iter_rows():
            rows[(f, a)] = rows.get((f, a), 0) + int(n)
        entries.append(counted.group_by("check", "severity", "action", "field").len())
        firsts.append(counted.group_by("check", maintain_order=True).head(EXAMPLES_PER_CHECK).get_column("source_row"))
    on_rows = pl.concat(firsts).unique()
    examples = (
        ledger.filter(pl.col("source_row").is_in(on_rows.implode()))
        .collect()
        .group_by("check", maintain_order=True)
        .head(EXAMPLES_PER_CHECK)
    )
    return _Tally(rows=rows, entries=pl.concat(entries), examples=examples)


def _mapping_entry(m: ColumnMatch, *, show_pii: bool = False) -> dict[str, Any]:
    """One column's mapping: how it was made (exact / words / fuzzy / values / override) and how sure it is. A header
    that is a phone, e-mail or ID (a file whose header row is a member) is masked unless ``show_pii``."""
    entry: dict[str, Any] = {
        "header": m.header if show_pii else mask_text(m.header),
        "field": m.field,
        "method": m.method,
        "confidence": round(m.confidence, 3),
        "values": m.values,
    }
    if m.reason:
        entry["reason"] = m.reason
    return entry


def build_report(result: RunResult, *, show_pii: bool = False, xlsx_max_rows: int | None = None) -> dict[str, Any]:
    golden = result.members.height
    tally = _tally(result.ledger)
    kept_rows = result.merge_map.height
    report: dict[str, Any] = {
        "schema": "cleanse.report",
        "schema_version": SCHEMA_VERSION,
        "tool_version": __version__,
        "pii_masked": not show_pii,
        "input": {
            "path": result.source.path,
            "format": result.source.format,
            "encoding": result.source.encoding,
            "delimiter": result.source.delimiter,
            "sheet": result.source.sheet,
            "header_row": result.source.header_row,
        },
        "mapping": [_mapping_entry(m, show_pii=show_pii) for m in result.mapping.matches],
        "mapping_held": [_mapping_entry(m, show_pii=show_pii) for m in result.mapping.held],
        "mapping_opt_outs": [_mapping_entry(m, show_pii=show_pii) for m in result.mapping.opt_outs],
        "unmapped_columns": [h if show_pii else mask_text(h) for h in result.mapping.unmapped],
        "mapping_notes": [n if show_pii else mask_text(n) for n in (*result.mapping.notes, *result.mapping.warnings)],
        "summary": {
            "rows_in": result.rows_in,
            "rows_kept": kept_rows,
            "golden_records": golden,
            "rows_merged": kept_rows - golden,
            "rows_quarantined": result.quarantine.height,
            "accounted": result.accounted,
            "quality_score": result.stats.get("score", {}).get("quality_mean"),
            "quality_grade": _grade(result),
        },
        "quarantine": _quarantine(result),
        "fields": _fields(result, tally),
        "checks": _checks(tally, show_pii=show_pii),
        "stages": [
            {
                "stage": t.stage,
                "rows_in": t.rows_in,
                "rows_out": t.rows_out,
                "seconds": round(t.seconds, 3),
                "peak_rss_mb": t.peak_rss_mb,
            }
            for t in result.timings
        ],
        "gates": dict(result.stats.get("gates", {})),
        "duplicates": _duplicates(result),
        "identity": dict(result.stats.get("dedupe", {}).get("identity", {}) or {}),
        "reach": reach_funnels(result.members),
        "club": _club(result),
        "customer_value": customer_value(result),
        "quality": {
            "mean_score": result.stats.get("score", {}).get("quality_mean"),
            "grades": result.stats.get("score", {}).get("quality_grades", {}),
            "histogram": result.stats.get("score", {}).get("quality_histogram", {}),
        },
        "notes": _notes(result, xlsx_max_rows),
        "decisions": _decisions(result),
    }
    report["overview"] = overview(result.members, reach=report["reach"], mapped=result.mapping.by_field)
    report["warnings"] = _warnings(report)
    return report


def _grade(result: RunResult) -> str | None:
    mean = result.stats.get("score", {}).get("quality_mean")
    grades = result.stats.get("score", {}).get("grade_floors", {})
    if mean is None:
        return None
    for letter, floor in sorted(grades.items(), key=lambda kv: -kv[1]):
        if mean >= floor:
            return str(letter)
    return None


def _duplicates(result: RunResult) -> dict[str, Any]:
    """Golden records made of more than one input row, with the reason each row merged."""
    if "golden_id" not in result.merge_map.columns or result.merge_map.get_column("golden_id").null_count():
        return {"clusters": 0, "rows_in_clusters": 0, "examples": []}
    sizes = result.merge_map.group_by("golden_id").agg(
        pl.len().alias("rows"), pl.col("source_row").sort(), pl.col("reason").first()
    )
    merged = sizes.filter(pl.col("rows") > 1).sort("rows", "golden_id", descending=[True, False])
    return {
        "clusters": merged.height,
        "rows_in_clusters": int(merged.get_column("rows").sum()) if merged.height else 0,
        "examples": [
            {"golden_id": r["golden_id"], "source_rows": r["source_row"], "reason": r["reason"]}
            for r in merged.head(20).iter_rows(named=True)
        ],
        "matching": _matching(result.stats.get("dedupe", {})),
    }


def _matching(stats: Mapping[str, Any]) -> dict[str, Any]:
    """How the duplicates were found: pairs each blocking key proposed (and the blocks it skipped as too large),
    pairs per band, and pairs each "never merge" rule kept apart."""
    keys = []
    for key, k in (stats.get("pairs_by_key") or {}).items():
        skipped = k.get("skipped_chance_neighbours_per_number")
        keys.append(
            {
                "key": key,
                "pairs": int(k.get("pairs", 0)),
                "new_pairs": int(k.get("new_pairs", 0)),
                "capped_blocks": int(k.get("capped_blocks", 0)),
                "capped_records": int(k.get("capped_records", 0)),
                **({"skipped_chance_neighbours_per_number": skipped} if skipped is not None else {}),
            }
        )
    return {
        "candidate_pairs": int(stats.get("candidate_pairs", 0)),
        "keys": keys,
        "bands": {str(b): int(n) for b, n in (stats.get("bands") or {}).items()},
        "hard_rules": {str(r): int(n) for r, n in (stats.get("hard_rules") or {}).items()},
        "cluster_links_refused": int(stats.get("refused_by_constraints", 0)),
    }


def _decisions(result: RunResult) -> dict[str, Any]:
    """What became of a person's review decisions (``--decisions``): applied, ignored with the reason, undecided,
    words not understood, rows that could not be read. Empty without ``--decisions``."""
    return dict(result.stats.get("dedupe", {}).get("decisions", {}) or {})


def _warnings(report: Mapping[str, Any]) -> list[str]:
    """What the user must not miss: decisions that were not applied."""
    d = report.get("decisions") or {}
    ignored, unknown, unreadable = d.get("ignored") or {}, d.get("unknown_words") or {}, d.get("unreadable", 0)
    if not (ignored or unknown or unreadable):
        return []
    parts = []
    if ignored:
        parts.append(
            f"{sum(ignored.values()):,} ignored, not applied ("
            + ", ".join(f"{w}: {n:,}" for w, n in ignored.items())
            + ")"
        )
    if unknown:
        words = ", ".join(f"{word!r} ×{n}" for word, n in unknown.items())
        parts.append(f"{sum(unknown.values()):,} with a decision word not understood ({words}; use same or different)")
    if unreadable:
        first = d.get("unreadable_rows") or []
        shown = "; ".join(f"row {r['row']}: {r['why']}" for r in first[:3])
        parts.append(f"{unreadable:,} unreadable ({shown}{'; ...' if unreadable > len(first[:3]) else ''})")
    decided = sum((d.get("applied") or {}).values())
    return [f"decisions: {decided:,} applied; " + "; ".join(parts)]


def _club(result: RunResult) -> dict[str, Any]:
    """The club's figures before cleansing (the file as it came) and after (clean golden records)."""
    after = dict(result.stats.get("score", {}).get("club", {}))
    before = dict(result.stats.get("club_before", {}))
    return {"as_of": result.stats.get("score", {}).get("as_of"), "before": before, "after": after}


def customer_value(result: RunResult) -> dict[str, Any]:
    """What a marketing manager reads: who is likely to buy in the next months, what they will spend, what the
    club's members are worth by segment, and how cleansing changed those figures; with the fitted models."""
    after = dict(result.stats.get("score", {}).get("club", {}))
    before = dict(result.stats.get("club_before", {}))
    if "value_model" not in after:
        return {}
    forecast = after.get("forecast", {})
    first = min(forecast, key=lambda k: int(k.removesuffix("d")), default=None)

    def pick(figures: dict[str, Any], horizon: str | None, key: str) -> Any:
        return (figures.get("forecast", {}).get(horizon) or {}).get(key) if horizon else None

    last = max(forecast, key=lambda k: int(k.removesuffix("d")), default=None)
    compare = [
        ("members", before.get("members"), after.get("members")),
        ("buyers", before.get("buyers"), after.get("buyers")),
        ("repeat_customer_rate", before.get("repeat_customer_rate"), after.get("repeat_customer_rate")),
        (
            f"likely_active_{first}",
            pick(before, first, "expected_active_members"),
            pick(after, first, "expected_active_members"),
        ),
        (f"expected_revenue_{last}", pick(before, last, "expected_revenue"), pick(after, last, "expected_revenue")),
        ("total_clv", before.get("total_clv"), after.get("total_clv")),
        ("average_clv", before.get("average_clv"), after.get("average_clv")),
    ]
    segments = [
        {
            "segment": name,
            "members": seg["members"],
            "clv": seg.get("clv", 0.0),
            "clv_per_member": round(seg.get("clv", 0.0) / max(seg["members"], 1), 2),
        }
        for name, seg in after.get("segments", {}).items()
    ]
    return {
        "as_of": result.stats.get("score", {}).get("as_of"),
        "model": after["value_model"],
        "model_before": before.get("value_model"),
        "forecast": forecast,
        "average_clv": after.get("average_clv"),
        "total_clv": after.get("total_clv"),
        "forecast_members": after.get("forecast_members"),
        "members_without_forecast": after.get("members_without_forecast", {}),
        "churn_risk": after.get("churn_risk", {}),
        "segments": sorted(segments, key=lambda seg: -seg["clv"]),
        "before_after": [{"figure": k, "before": b, "after": a} for k, b, a in compare],
        "transactions": list(result.stats.get("transactions", {}).get("notes", [])),
    }


def _notes(result: RunResult, xlsx_max_rows: int | None) -> list[str]:
    notes = list(result.source.notes)
    notes += list(result.stats.get("transactions", {}).get("notes", []))
    notes += list(result.stats.get("score", {}).get("club", {}).get("value_model", {}).get("warnings", []))
    notes += [
        f"(before cleansing) {w}"
        for w in result.stats.get("club_before", {}).get("value_model", {}).get("warnings", [])
    ]
    if xlsx_max_rows is not None and result.members.height > xlsx_max_rows:
        notes.append(
            f"members_clean.xlsx was not written: {result.members.height:,} rows is more than "
            f"{xlsx_max_rows:,}; use members_clean.parquet or .csv"
        )
    return notes


def _quarantine(result: RunResult) -> dict[str, int]:
    if result.quarantine.height == 0:
        return {}
    counts = result.quarantine.group_by("reason").len().sort("len", descending=True)
    return dict(zip(counts.get_column("reason").to_list(), counts.get_column("len").to_list(), strict=True))


def _fields(result: RunResult, tally: _Tally) -> dict[str, dict[str, Any]]:
    """Per canonical field in the file (or derived by cleaning): completeness before and after, and how many
    rows had a value fixed, normalised (written in canonical form) or flagged. From the ledger."""
    by_field = result.mapping.by_field
    before: dict[str, int] = dict(result.stats.get("map", {}).get("complete_before", {}))
    counts = tally.rows
    members = result.members
    kept = max(members.height, 1)
    out: dict[str, dict[str, Any]] = {}
    for name in FIELDS:
        if name not in members.columns:
            continue
        column = members.get_column(name)
        after = members.height - column.null_count()
        if column.dtype == pl.Boolean:  # consent: never missing after cleaning; count the yeses
            after = int(column.sum())
        if name not in by_field and after == 0:
            continue
        entry: dict[str, Any] = {
            "column": by_field.get(name),
            "complete_before": before.get(name, 0),
            "complete_before_pct": round(100 * before.get(name, 0) / max(result.rows_in, 1), 1),
            "complete_after": after,
            "complete_after_pct": round(100 * after / kept, 1),
            "missing_after": members.height - after if column.dtype != pl.Boolean else None,
            "fixed": counts.get((name, "fixed"), 0) + counts.get((name, "moved"), 0),
            "normalised": counts.get((name, "normalised"), 0),
            "flagged": counts.get((name, "flagged"), 0),
        }
        status = STATUS_COLUMNS.get(name)
        if status and status in members.columns:
            valid = int((members.get_column(status) == Status.VALID).sum())
            entry["valid_after"] = valid
            entry["valid_after_pct"] = round(100 * valid / kept, 1)
        out[name] = entry
    return out


def _checks(tally: _Tally, *, show_pii: bool) -> list[dict[str, Any]]:
    counts = (
        tally.entries.group_by("check", "severity", "action")
        .agg(pl.col("len").sum().alias("count"), pl.col("field").unique().sort().alias("fields"))
        .with_columns(
            pl.col("action").replace_strict(_ACTION_ORDER, default=9, return_dtype=pl.Int8).alias("__a"),
            pl.col("severity").replace_strict(_SEVERITY_ORDER, default=9, return_dtype=pl.Int8).alias("__s"),
        )
        # problems first (by severity), then repairs, then mere reformatting; most frequent first within each
        .sort(["__a", "__s", "count", "check"], descending=[False, False, True, False])
    )
    # the examples first, then the masking: a few hundred values, not every value of a ledger of millions
    shown = tally.examples.with_columns(
        (pl.col("before") if show_pii else mask_by_field(pl.col("before"), pl.col("field"))).alias("before"),
        (pl.col("after") if show_pii else mask_by_field(pl.col("after"), pl.col("field"))).alias("after"),
    )
    examples = shown.group_by("check", maintain_order=True).agg(
        pl.struct("source_row", "field", "before", "after").alias("examples")
    )
    merged = counts.join(examples, on="check", how="left")
    return [
        {
            "code": row["check"],
            "title": CATALOGUE[row["check"]].title,
            "severity": row["severity"],
            "action": row["action"],
            "count": row["count"],
            "fields": row["fields"],
            "examples": row["examples"] or [],
        }
        for row in merged.iter_rows(named=True)
    ]
