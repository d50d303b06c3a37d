"""Validate: the clean member table against its contract, a pandera schema (polars backend).

The schema states what CI jobs and campaign tools may rely on in ``members_clean``: column types, that values
marked valid have their canonical form (E.164 phones, 9-digit IDs, ISO dates in range, M/F), that consent is
never missing. It runs lazily and never raises on data: every failing cell becomes a ledger row with a
``schema-*`` code. Cross-field rules that no single field can see run here too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandera.polars as pa
import polars as pl

from pipeline import ledger as ledger_
from pipeline.checks import check
from pipeline.fields import Status
from pipeline.rules import Rules
from pipeline.stages import StageResult

check("schema-type", "error", "flagged", "Column has the wrong type", "{field} does not have its contract type")
check(
    "schema-format",
    "error",
    "flagged",
    "Value breaks its format",
    "{field} {before} is marked valid but is not in its canonical form",
)
check("schema-range", "error", "flagged", "Value out of range", "{field} {before} is outside the contract's range")
check(
    "schema-vocabulary",
    "error",
    "flagged",
    "Value outside its vocabulary",
    "{field} {before} is not one of the allowed values",
)
check("schema-not-null", "error", "flagged", "Missing required value", "{field} must always have a value")
check("schema-unique", "error", "flagged", "Duplicate key", "{field} {before} appears more than once")
check(
    "member-unreachable",
    "info",
    "flagged",
    "No way to reach the member",
    "The member has no valid mobile, phone or e-mail",
)


def _valid_then(column: str, status: str, pattern: str) -> pa.Check:
    """Where ``status`` says valid, ``column`` must match ``pattern``."""

    def fn(data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col(status) != Status.VALID).fill_null(True) | pl.col(column).str.contains(pattern).fill_null(False)
        )

    return pa.Check(fn, name="schema-format", element_wise=False)


def contract(reference: dt.date) -> tuple[pa.DataFrameSchema, dict[str, list[str]]]:
    """The schema of ``members_clean`` and, per column, the ledger code of each of its checks in order."""
    dates = (dt.date(1900, 1, 1), reference)
    columns: dict[str, tuple[pa.Column, list[str]]] = {
        "source_row": (pa.Column(pl.Int64, pa.Check.gt(0), unique=True, nullable=False), ["schema-range"]),
        "national_id": (
            pa.Column(pl.String, _valid_then("national_id", "national_id_status", r"^\d{9}$"), nullable=True),
            ["schema-format"],
        ),
        "phone_mobile": (
            pa.Column(
                pl.String, _valid_then("phone_mobile", "phone_mobile_status", r"^\+[1-9]\d{6,14}$"), nullable=True
            ),
            ["schema-format"],
        ),
        "phone_other": (
            pa.Column(pl.String, _valid_then("phone_other", "phone_other_status", r"^\+[1-9]\d{6,14}$"), nullable=True),
            ["schema-format"],
        ),
        "email": (
            pa.Column(pl.String, _valid_then("email", "email_status", r"^[^@\s]+@[^@\sA-Z]+$"), nullable=True),
            ["schema-format"],
        ),
        "birth_date": (pa.Column(pl.Date, pa.Check.in_range(*dates), nullable=True), ["schema-range"]),
        "join_date": (pa.Column(pl.Date, pa.Check.in_range(*dates), nullable=True), ["schema-range"]),
        "last_purchase_date": (pa.Column(pl.Date, pa.Check.le(reference), nullable=True), ["schema-range"]),
        "consent_date": (pa.Column(pl.Date, nullable=True), []),
        "gender": (pa.Column(pl.String, pa.Check.isin(["M", "F"]), nullable=True), ["schema-vocabulary"]),
        "sms_consent": (pa.Column(pl.Boolean, nullable=False), []),
        "email_consent": (pa.Column(pl.Boolean, nullable=False), []),
        "deceased": (pa.Column(pl.Boolean, nullable=False), []),
        "purchase_count": (pa.Column(pl.Int64, nullable=True), []),
        "total_spend": (pa.Column(pl.Float64, nullable=True), []),
        "zip": (pa.Column(pl.String, nullable=True), []),
        "phone_mobile_status": (
            pa.Column(
                pl.String,
                pa.Check.isin([Status.VALID, Status.INVALID, Status.FAKE, Status.SHARED, Status.NOT_PERSONAL]),
                nullable=True,
            ),
            ["schema-vocabulary"],
        ),
        "email_status": (
            pa.Column(
                pl.String,
                pa.Check.isin([Status.VALID, Status.INVALID, Status.DISPOSABLE, Status.ROLE, Status.UNDELIVERABLE]),
                nullable=True,
            ),
            ["schema-vocabulary"],
        ),
    }
    schema = pa.DataFrameSchema({k: c for k, (c, _) in columns.items()}, strict=False, coerce=False)
    return schema, {k: codes for k, (_, codes) in columns.items()}


def _failures(members: pl.DataFrame, reference: dt.date) -> pl.DataFrame:
    schema, codes = contract(reference)
    try:
        schema.validate(members, lazy=True)
        return pl.DataFrame(
            schema={
                "source_row": pl.Int64,
                "field": pl.String,
                "check": pl.String,
                "before": pl.String,
                "after": pl.String,
            }
        )
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    rows = members.select("source_row").with_row_index("index")
    code_of: Callable[[str, int | None, str], str] = lambda col, n, ctx: (  # noqa: E731
        "schema-type"
        if ctx == "Column" and n is None
        else codes.get(col, [])[n]
        if n is not None and n < len(codes.get(col, []))
        else "schema-not-null"
    )
    records = []
    for case in cases.iter_rows(named=True):
        if case["index"] is None:  # a whole-column problem (type, missing column) is a bug in cleaning
            raise RuntimeError(
                f"clean table breaks its contract: {case['column']}: {case['check']} ({case['failure_case']})"
            )
        check_name = str(case["check"])
        code = (
            "schema-unique"
            if "unique" in check_name
            else "schema-not-null"
            if "not_nullable" in check_name
            else code_of(case["column"], case["check_number"], case["schema_context"])
        )
        records.append(
            {
                "index": case["index"],
                "field": case["column"],
                "check": code,
                "before": None if case["failure_case"] is None else str(case["failure_case"]),
                "after": None,
            }
        )
    table = pl.DataFrame(
        records,
        schema={"index": pl.UInt32, "field": pl.String, "check": pl.String, "before": pl.String, "after": pl.String},
    )
    return table.join(rows, on="index", how="left").select("source_row", "field", "check", "before", "after")


def validate(members: pl.DataFrame, /, *, rules: Rules, reference_date: dt.date | None = None) -> StageResult:
    reference = reference_date or dt.date.today()
    failures = _failures(members, reference)
    reachable = pl.any_horizontal(
        *[
            (pl.col(c) == Status.VALID).fill_null(False)
            for c in ("phone_mobile_status", "phone_other_status", "email_status")
            if c in members.columns
        ]
    )
    unreachable = ledger_.from_flags(
        members, field="*", flags={"member-unreachable": ~reachable}, before=pl.lit(None), after=pl.lit(None)
    )
    ledger = ledger_.finish([failures, unreachable], severities=rules.checks.severity)
    return StageResult(
        table=members,
        ledger=ledger,
        stats={
            "rows_in": members.height,
            "rows_out": members.height,
            "contract_failures": failures.height,
            "unreachable": unreachable.height,
        },
    )
