"""The optional transactions file (``cleanse run --transactions FILE``): member number, date, amount per purchase.

Read like a member file (any encoding, xlsx, CSV or parquet; every cell a string), its three columns found by
header, dates and amounts parsed by the same field code as the member file's. Rows that cannot be used are left
out and counted by reason, never guessed. The value model's summary columns are then computed exactly per golden
record (``pipeline.stages.value.summarise_transactions``: purchase occasions by day, repeat-only spend).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipeline.errors import InputError
from pipeline.fields.dates import parse_dates
from pipeline.fields.money import parse_amount
from pipeline.ingest import read_member_file

# header words for each column (lower case, spaces and underscores alike)
HEADERS = {
    "member_id": ("member id", "member", "member number", "member no", "customer id", "customer", "card number",
                  "מספר חבר", "מס חבר", "מס' חבר", "קוד חבר", "מספר לקוח", "לקוח"),
    "date": ("date", "purchase date", "transaction date", "order date", "תאריך", "תאריך רכישה", "תאריך עסקה"),
    "amount": ("amount", "total", "sum", "value", "spend", "price", "סכום", "סכום עסקה", "סה\"כ", "סהכ"),
}  # fmt: skip


def _norm(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", str(text or "")).lower().replace("_", " ").split())


def _score(cells: Sequence[str | None]) -> int:
    words = {_norm(c) for c in cells}
    return sum(any(w in words for w in options) for options in HEADERS.values())


@dataclass(frozen=True)
class Transactions:
    """Usable purchases (member_id, date, amount) and the rows left out by reason."""

    rows: pl.DataFrame
    left_out: dict[str, int]
    path: str


def read_transactions(path: Path | str, *, as_of: dt.date | None = None) -> Transactions:
    """Read and parse a transactions file; a file without the three columns is an ``InputError``."""
    raw = read_member_file(path, score_header=_score)
    found: dict[str, str] = {}
    for name, options in HEADERS.items():
        for header in raw.headers:
            if _norm(header) in options:
                found[name] = header
                break
    missing = [n for n in HEADERS if n not in found]
    if missing:
        seen = ", ".join(repr(h) for h in raw.headers[:8]) or "none"
        raise InputError(
            f"{path}: a transactions file needs a member number, a date and an amount column; "
            f"no {' or '.join(missing)} column among {seen}"
        )
    frame = raw.frame
    member = frame.get_column(found["member_id"]).str.strip_chars()
    dates = parse_dates(frame.get_column(found["date"]), reference=as_of or dt.date.today())
    amount = parse_amount(frame.get_column(found["amount"]))
    table = pl.DataFrame(
        {
            "member_id": member,
            "date": dates.get_column("value"),
            "amount": amount,
            "__bad_date": dates.get_column("impossible")
            | dates.get_column("unparseable")
            | dates.get_column("year_only"),
        }
    )
    reason = (
        pl.when(pl.col("member_id").is_null() | (pl.col("member_id") == ""))
        .then(pl.lit("no member number"))
        .when(pl.col("date").is_null() | pl.col("__bad_date"))
        .then(pl.lit("no usable date"))
        .when(pl.col("amount").is_null())
        .then(pl.lit("no usable amount"))
        .when(pl.col("amount") < 0)
        .then(pl.lit("a refund (negative amount)"))
    )
    if as_of is not None:
        reason = reason.when(pl.col("date") > pl.lit(as_of)).then(pl.lit("dated after the scoring date"))
    table = table.with_columns(reason.alias("__reason"))
    counts = table.get_column("__reason").drop_nulls().value_counts().sort("__reason")
    left_out = {str(k): int(v) for k, v in counts.iter_rows()}
    rows = table.filter(pl.col("__reason").is_null()).select("member_id", "date", "amount")
    return Transactions(rows=rows, left_out=left_out, path=str(path))


SUMMARY_COLUMNS = (
    "purchase_count",
    "first_purchase_date",
    "last_purchase_date",
    "total_spend",
    "repeat_spend",
    "repeat_count",
)


def summary_by(keys: pl.DataFrame, transactions: pl.DataFrame, *, key: str) -> tuple[pl.DataFrame, dict[str, int]]:
    """The summary columns per ``key`` from transactions, through ``keys`` (member_id -> key, one row per pair).

    A member number that belongs to two keys (two golden records) is ambiguous: its purchases are left out and
    counted, like member numbers the member file does not have."""
    from pipeline.stages.value import summarise_transactions

    pairs = keys.filter(pl.col("member_id").is_not_null()).select("member_id", key).unique()
    ambiguous = pairs.group_by("member_id").len().filter(pl.col("len") > 1).select("member_id")
    pairs = pairs.join(ambiguous, on="member_id", how="anti")
    joined = transactions.join(pairs, on="member_id", how="left")
    left_out = {
        "member number not in the member file": int(
            joined.filter(pl.col(key).is_null()).join(ambiguous, on="member_id", how="anti").height
        ),
        "member number on two different members": int(transactions.join(ambiguous, on="member_id").height),
    }
    used = joined.filter(pl.col(key).is_not_null()).select(pl.col(key).alias("member_id"), "date", "amount")
    summary = summarise_transactions(used).rename({"member_id": key})
    return summary, {k: v for k, v in left_out.items() if v}


def with_summary(members: pl.DataFrame, summary: pl.DataFrame, *, key: str) -> pl.DataFrame:
    """``members`` with its purchase columns replaced by the transactions' (no transactions: no purchases)."""
    base = members.drop([c for c in SUMMARY_COLUMNS if c in members.columns])
    out = base.join(summary, on=key, how="left", maintain_order="left")
    return out.with_columns(
        pl.col("purchase_count").fill_null(0).cast(pl.Int64),
        pl.col("total_spend").fill_null(0.0),
        pl.col("repeat_spend").fill_null(0.0),
        pl.col("repeat_count").fill_null(0).cast(pl.Int64),
    )
