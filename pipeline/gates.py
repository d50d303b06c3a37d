"""Quality gates for CI: figures of a run compared with warn and fail levels from the rules (``gates.yaml``).

A figure is a number named by a stable metric (``valid_pct:phone_mobile``, ``quarantined_pct`` ...). A gate
passes, warns, fails, or is skipped when its figure does not exist for this file (a column it needs is absent).
With a baseline (an earlier ``report.json``) a gate also fails when its figure moved the wrong way by more than
``max_drop``. Renderers for JUnit XML and GitHub Actions annotations live here too: they are views of results.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape, quoteattr

import polars as pl

from pipeline import ledger as ledger_
from pipeline.errors import InputError
from pipeline.fields import FIELDS, STATUS_COLUMNS, Status
from pipeline.report.figures import SCHEMA_VERSION as REPORT_SCHEMA_VERSION
from pipeline.rules import Gate

Outcome = Literal["pass", "warn", "fail", "skip"]
CHECK_SCHEMA_VERSION = 1  # of the figures `cleanse check --report` writes (schema "cleanse.check")
# the reports a baseline may be, and the schema_version of each this cleanse reads
BASELINE_SCHEMAS = {"cleanse.report": REPORT_SCHEMA_VERSION, "cleanse.check": CHECK_SCHEMA_VERSION}
# metrics counted from the ledger: absent means none of the rows has the problem (0), in a run and in a baseline
COUNTED_METRICS = ("check_pct", "check_count")


@dataclass(frozen=True)
class GateResult:
    gate: Gate
    value: float | None
    outcome: Outcome
    message: str
    baseline: float | None = None


def figures(
    *, members: pl.DataFrame, ledger: pl.LazyFrame, rows_in: int, quarantined: int, complete_before: Mapping[str, int]
) -> dict[str, float]:
    """Every metric a gate can name, for one run (members: the kept, cleaned rows)."""
    kept = max(members.height, 1)
    out: dict[str, float] = {
        "rows": float(rows_in),
        "quarantined": float(quarantined),
        "quarantined_pct": round(100 * quarantined / max(rows_in, 1), 3),
    }
    for field, n in complete_before.items():
        out[f"complete_pct:{field}"] = round(100 * n / max(rows_in, 1), 3)
    for field, status in STATUS_COLUMNS.items():
        if status in members.columns and members.get_column(field).null_count() < members.height:
            present = members.height - members.get_column(field).null_count()
            valid = int((members.get_column(status) == Status.VALID).sum())
            out[f"valid_pct:{field}"] = round(100 * valid / max(present, 1), 3)
    # a range of rows at a time (a big file's ledger is read from disk): the counts add up over the ranges
    parts = [
        part.group_by("check").agg(
            pl.col("source_row").n_unique().alias("rows"),
            (pl.col("severity") == "error").sum().alias("errors"),
            (pl.col("field") == "sms_consent").sum().alias("on_consent"),
        )
        for part in ledger_.by_rows(ledger, columns=["source_row", "check", "severity", "field"])
    ]
    per_check = pl.concat(parts).group_by("check").agg(pl.col("rows", "errors", "on_consent").sum()).sort("check")
    if "sms_consent" in complete_before and per_check.height:
        missing = int(per_check.filter(pl.col("check") == "consent-missing").get_column("on_consent").sum() or 0)
        out["complete_pct:sms_consent"] = round(100 * (rows_in - missing) / max(rows_in, 1), 3)
    for code, n in per_check.select("check", "rows").iter_rows():
        out[f"check_count:{code}"] = float(n)
        out[f"check_pct:{code}"] = round(100 * n / max(rows_in, 1), 3)
    out["errors"] = float(per_check.get_column("errors").sum() or 0)
    out["duplicate_pct"] = round(100 * exact_duplicates(members) / kept, 3)
    return dict(sorted(out.items()))


def exact_duplicates(members: pl.DataFrame) -> int:
    """Rows that share a valid ID number, mobile or e-mail with an earlier row (deduplication finds more)."""
    repeated = []
    for field, status in (
        ("national_id", "national_id_status"),
        ("phone_mobile", "phone_mobile_status"),
        ("email", "email_status"),
    ):
        if status in members.columns:
            # a valid value is in its one written form (nine digits, E.164, an e-mail lower-cased whole), and in
            # row order a value's first row is its earliest (a window of each value's first row, over values
            # lower-cased again, took 1.1 s of a million members)
            keys = members.select(
                pl.when(pl.col(status) == Status.VALID).then(pl.col(field)).alias("k"),
                pl.int_range(pl.len()).alias("row"),
            ).drop_nulls("k")
            repeated.append(keys.filter(~pl.col("k").is_first_distinct()).get_column("row"))
    return pl.concat(repeated).n_unique() if repeated else 0


def metric_known(metric: str, catalogue: Sequence[str]) -> bool:
    head, _, tail = metric.partition(":")
    if head in ("rows", "quarantined", "quarantined_pct", "duplicate_pct", "errors"):
        return not tail
    if head in ("complete_pct", "valid_pct"):
        return tail in FIELDS
    if head in ("check_pct", "check_count"):
        return tail in catalogue
    return False


def evaluate(
    gates: Sequence[Gate], values: Mapping[str, float], *, baseline: Mapping[str, float] | None = None
) -> list[GateResult]:
    """Each gate's outcome on ``values``; with a ``baseline`` (``load_baseline``), a gate with ``max_drop`` also
    fails when its figure moved the wrong way by more than that. A baseline without the figure a gate compares
    (while this file has it) is refused: the comparison would be skipped in silence."""
    results = []
    for gate in gates:
        value = values.get(gate.metric)
        head = gate.metric.partition(":")[0]
        if value is None and head in COUNTED_METRICS:
            value = 0.0  # no ledger entry with that code: none of the rows has the problem
        if value is None:
            results.append(GateResult(gate, None, "skip", f"{gate.metric} does not apply to this file"))
            continue
        worse = (lambda v, level: v < level) if gate.direction == "min" else (lambda v, level: v > level)
        word = "at least" if gate.direction == "min" else "at most"
        outcome: Outcome = "pass"
        message = f"{gate.metric} = {value:g}"
        if gate.fail is not None and worse(value, gate.fail):
            outcome, message = "fail", f"{gate.metric} = {value:g}, must be {word} {gate.fail:g}"
        elif gate.warn is not None and worse(value, gate.warn):
            outcome, message = "warn", f"{gate.metric} = {value:g}, should be {word} {gate.warn:g}"
        before = baseline.get(gate.metric) if baseline is not None else None
        if before is None and baseline is not None and head in COUNTED_METRICS:
            before = 0.0  # the baseline had no row with that check
        if before is None and baseline is not None and gate.max_drop is not None:
            raise InputError(
                f"the baseline has no figure for {gate.metric}, which gate {gate.name!r} compares (max_drop): "
                "was it made from another kind of file? Make a new baseline with check --report"
            )
        if before is not None and gate.max_drop is not None and outcome != "fail":
            moved = (before - value) if gate.direction == "min" else (value - before)
            if moved > gate.max_drop:
                outcome = "fail"
                message = (
                    f"{gate.metric} = {value:g}, was {before:g} in the baseline: moved the wrong way by "
                    f"{moved:g} (allowed {gate.max_drop:g})"
                )
        results.append(GateResult(gate, value, outcome, message, before))
    return results


def _figure(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def load_baseline(path: Path) -> dict[str, float]:
    """Figures from an earlier ``report.json`` of ``cleanse run`` or ``cleanse check --report`` (its ``gates``).

    Refused (``InputError``, exit 2) when no comparison could be made with it: another kind of file or another
    schema version, no ``gates`` section, a figure that is not a number. Skipping the comparisons would let a
    check pass that compared nothing (``evaluate`` refuses a baseline without a figure a gate compares).
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("baseline file does not exist", path=path) from None
    except (OSError, ValueError) as exc:
        raise InputError(f"baseline is not a readable report.json ({exc})", path=path) from exc
    if not isinstance(data, dict):
        raise InputError("baseline is not a report.json (not a JSON object)", path=path)
    schema, version = data.get("schema"), data.get("schema_version")
    if schema not in BASELINE_SCHEMAS:
        raise InputError(
            f"baseline is not a cleanse report (schema {schema!r}; expected one of "
            f"{', '.join(sorted(BASELINE_SCHEMAS))}): use a report.json written by cleanse run or check --report",
            path=path,
        )
    if type(version) is not int or version != BASELINE_SCHEMAS[schema]:
        raise InputError(
            f"baseline is a {schema} of schema_version {version!r}; this cleanse reads version "
            f"{BASELINE_SCHEMAS[schema]}: make a new baseline with this version",
            path=path,
        )
    values = data.get("gates")
    if not isinstance(values, dict) or not values:
        raise InputError(
            "baseline has no 'gates' figures: use a report.json written by cleanse run or check --report", path=path
        )
    # a bool is an int to Python, and NaN compares false with everything: neither is a figure; nor is an integer
    # too big for a float (10**400 overflowed in isfinite)
    bad = sorted(k for k, v in values.items() if not _figure(v))
    if bad:
        shown = ", ".join(f"{k}={values[k]!r}" for k in bad[:3]) + (f" and {len(bad) - 3} more" if len(bad) > 3 else "")
        raise InputError(f"baseline figures are not numbers: {shown}", path=path)
    return {str(k): float(v) for k, v in values.items()}


def junit_xml(results: Sequence[GateResult], *, file: str, fail_on_warn: bool) -> str:
    failures = sum(1 for r in results if r.outcome == "fail" or (fail_on_warn and r.outcome == "warn"))
    skipped = sum(1 for r in results if r.outcome == "skip")
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuites><testsuite name="cleanse check" tests="{len(results)}" failures="{failures}" '
        f'skipped="{skipped}" errors="0">',
    ]
    for r in results:
        lines.append(f"  <testcase classname={quoteattr('cleanse.' + Path(file).name)} name={quoteattr(r.gate.name)}>")
        if r.outcome == "fail" or (fail_on_warn and r.outcome == "warn"):
            lines.append(
                f"    <failure type={quoteattr(r.outcome)} message={quoteattr(r.message)}>{escape(r.message)}</failure>"
            )
        elif r.outcome == "skip":
            lines.append(f"    <skipped message={quoteattr(r.message)}/>")
        lines.append(f"    <system-out>{escape(r.outcome)}: {escape(r.message)}</system-out>")
        lines.append("  </testcase>")
    lines.append("</testsuite></testsuites>")
    return "\n".join(lines) + "\n"


def github_annotations(results: Sequence[GateResult], *, file: str) -> list[str]:
    """GitHub Actions workflow commands: ``::error``, ``::warning`` and ``::notice`` lines."""
    level = {"fail": "error", "warn": "warning", "pass": "notice", "skip": "notice"}

    def clean(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    return [
        f"::{level[r.outcome]} file={clean(file)},title={clean('cleanse: ' + r.gate.name)}::"
        f"{clean(r.outcome.upper() + ': ' + r.message)}"
        for r in results
    ]


def gates_from_rules(data: Sequence[Mapping[str, Any]]) -> tuple[Gate, ...]:
    gates = []
    for item in data:
        direction: Literal["min", "max"] = "min" if "min" in item else "max"
        levels = item.get(direction) or {}
        gates.append(
            Gate(
                name=str(item["name"]),
                metric=str(item["metric"]),
                direction=direction,
                warn=float(levels["warn"]) if "warn" in levels else None,
                fail=float(levels["fail"]) if "fail" in levels else None,
                max_drop=float(item["max_drop"]) if "max_drop" in item else None,
            )
        )
    return tuple(gates)
