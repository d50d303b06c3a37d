"""A person's review decisions, and how each finds its pair again on the file it is replayed on.

``review.xlsx`` names each pair by its rows, its member numbers (when the file has them) and a fingerprint of each
record: a short hash of who the record says the member is (names, ID number, phones, e-mail, birth date, as
cleaned). Row numbers alone are not an identity: next month's file with three rows inserted at the top moves every
row, and a stale decision file names rows that now hold strangers. So a decision is applied only when both of its
records are found again, by member number (by row number when there is none) and with the same fingerprint;
otherwise it is ignored and counted with its reason, never applied to whatever the row now holds.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from pipeline.errors import InputError

DECISION_WORDS = {
    "same": True,
    "merge": True,
    "yes": True,
    "y": True,
    "1": True,
    "true": True,
    "כן": True,
    "זהה": True,
    "different": False,
    "keep": False,
    "no": False,
    "n": False,
    "0": False,
    "false": False,
    "לא": False,
    "שונה": False,
}
# words that leave a pair undecided, as a blank does (review.xlsx's drop-down offers "skip" / "דלג")
UNDECIDED_WORDS = ("skip", "later", "דלג", "לא בטוח")
# who the record says the member is; a field the file lacks counts as empty, so adding a column changes nothing
FINGERPRINT_FIELDS = ("first_name", "last_name", "national_id", "phone_mobile", "phone_other", "email", "birth_date")
# why a decision was not applied (report.json -> decisions.ignored)
NOT_FOUND = "record not found"
CHANGED = "record changed"
AMBIGUOUS = "several records match"
ONE_RECORD = "both sides are one record"
CONFLICTING = "conflicting decisions for one pair"
UNREADABLE_SHOWN = 20  # rows of the decisions file named in the stats; the count is of all of them


@dataclass(frozen=True)
class Decisions:
    """What a decisions file says: ``table`` (one row per readable decision: ``row`` of the file, ``source_row_a/b``,
    ``member_id_a/b``, ``fingerprint_a/b``, ``same``), and what could not be used, counted and named."""

    table: pl.DataFrame
    rows: int = 0  # rows in the file
    undecided: int = 0  # blank decision: left for later, not a problem
    unknown_words: dict[str, int] = field(default_factory=dict)  # "maybe" -> 2
    unreadable: tuple[tuple[int, str], ...] = ()  # (row of the file, why)

    def stats(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "undecided": self.undecided,
            "unknown_words": dict(self.unknown_words),
            "unreadable": len(self.unreadable),
            "unreadable_rows": [{"row": r, "why": why} for r, why in self.unreadable[:UNREADABLE_SHOWN]],
        }


def fingerprints(records: pl.DataFrame) -> pl.Series:
    """A short stable hash (12 hex digits) of each record's identity fields as cleaned.

    Stable across runs, machines and library versions (BLAKE2b of the values as text, not polars' hash), and
    computed once per distinct record: only the records under review or named by a decision are fingerprinted.
    """
    text = records.select(
        pl.concat_str(
            [
                (pl.col(c).cast(pl.String) if c in records.columns else pl.lit(None, pl.String)).fill_null("")
                for c in FINGERPRINT_FIELDS
            ],
            separator="\x1f",
        ).alias("fingerprint")
    ).to_series()
    distinct = text.unique()
    hashed = [hashlib.blake2b(v.encode("utf-8"), digest_size=6).hexdigest() for v in distinct.to_list()]
    return text.replace_strict(distinct, pl.Series(hashed, dtype=pl.String), return_dtype=pl.String)


def has_member_numbers(records: pl.DataFrame) -> bool:
    """Whether the file has member numbers (the column is there and not empty): they find a decision's records."""
    return "member_id" in records.columns and records.get_column("member_id").null_count() < records.height


def read_decisions(frame: pl.DataFrame) -> Decisions:
    """A person's decisions from a filled-in review.xlsx (every cell as text; row 1 the header).

    Raises:
        InputError: the columns are not review.xlsx's, or the file predates fingerprints (it cannot be applied
            safely: decide on the review.xlsx of a run of this version).
    """
    from pipeline.review_sheet import machine_names

    frame = frame.rename(machine_names(frame.columns))  # a sheet written with Hebrew headers
    needed = {"source_row_a", "source_row_b", "decision"}
    if not needed <= set(frame.columns):
        raise InputError(f"decisions file needs the columns {', '.join(sorted(needed))} (as review.xlsx has)")
    if not {"fingerprint_a", "fingerprint_b"} <= set(frame.columns):
        raise InputError(
            "decisions file predates fingerprints (no fingerprint_a, fingerprint_b columns), so its decisions "
            "cannot be matched to their records safely: decide on the review.xlsx of a run of this version"
        )

    def text(name: str) -> pl.Expr:
        if name not in frame.columns:
            return pl.lit(None, pl.String).alias(name)
        value = pl.col(name).cast(pl.String).str.strip_chars()
        return pl.when(value != "").then(value).alias(name)

    def row_number(name: str) -> pl.Expr:
        # a number a spreadsheet has touched may come back as "12.0"
        number = pl.col(name).cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)
        return pl.when(number == number.round(0)).then(number.cast(pl.Int64, strict=False)).alias(name)

    words = frame.select(
        pl.int_range(2, frame.height + 2, dtype=pl.Int64).alias("row"),
        text("decision").str.to_lowercase().replace(dict.fromkeys(UNDECIDED_WORDS)).alias("word"),
        row_number("source_row_a"),
        row_number("source_row_b"),
        text("member_id_a"),
        text("member_id_b"),
        text("fingerprint_a").str.to_lowercase(),
        text("fingerprint_b").str.to_lowercase(),
    ).with_columns(pl.col("word").replace_strict(DECISION_WORDS, default=None, return_dtype=pl.Boolean).alias("same"))
    decided = words.filter(pl.col("word").is_not_null())
    unknown = decided.filter(pl.col("same").is_null())
    known = decided.filter(pl.col("same").is_not_null())
    why = (
        pl.when(pl.col("source_row_a").is_null() | pl.col("source_row_b").is_null())
        .then(pl.lit("source_row_a/source_row_b are not row numbers"))
        .when(pl.col("source_row_a") == pl.col("source_row_b"))
        .then(pl.lit("source_row_a and source_row_b are one row"))
        .when(pl.col("fingerprint_a").is_null() | pl.col("fingerprint_b").is_null())
        .then(pl.lit("no fingerprint_a/fingerprint_b"))
    )
    known = known.with_columns(why.alias("why"))
    bad = known.filter(pl.col("why").is_not_null())
    return Decisions(
        table=known.filter(pl.col("why").is_null()).drop("word", "why"),
        rows=frame.height,
        undecided=words.height - decided.height,
        unknown_words=dict(Counter(_shown(w) for w in unknown.get_column("word").to_list()).most_common()),
        unreadable=tuple(bad.select("row", "why").iter_rows()),
    )


def _shown(word: str) -> str:
    """A word from the decision column as the report and the summary name it: not a phone, ID or e-mail someone
    typed there by mistake (reports never show those), and not a whole note."""
    if "@" in word or re.search(r"\d{5}", re.sub(r"[\s-]", "", word)):
        return "(a phone, ID or e-mail)"
    return word if len(word) <= 30 else word[:29] + "…"


def locate(decisions: Decisions, records: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The decided pairs as record numbers ``i < j`` of ``records`` (``__i``, ``source_row``, the cleaned fields)
    with ``same``, and the stats: decisions applied, and ignored per reason.

    Each side of a decision is looked for by member number when the decision and the file have one, else by row
    number, and must have the fingerprint the decision was made on. Several records with that member number and
    fingerprint (a member entered twice, word for word) are told apart by the row number.
    """
    table = decisions.table
    current = records.filter(pl.col("source_row") > 0)  # not last run's golden records (--previous)
    by_member = has_member_numbers(current)
    sides = pl.concat(
        [
            table.select(
                "row",
                pl.lit(side).alias("side"),
                pl.col(f"source_row_{side}").alias("source_row"),
                pl.col(f"member_id_{side}").alias("member_id"),
                pl.col(f"fingerprint_{side}").alias("fingerprint"),
            )
            for side in ("a", "b")
        ]
    )
    wanted = current.select("__i", pl.col("source_row").alias("at_row"), *(["member_id"] if by_member else []))
    by_row = sides.filter(pl.col("member_id").is_null()) if by_member else sides
    parts = [
        by_row.join(wanted.select("__i", "at_row"), left_on="source_row", right_on="at_row", how="left", coalesce=False)
    ]
    if by_member:
        parts.append(sides.filter(pl.col("member_id").is_not_null()).join(wanted, on="member_id", how="left"))
    columns = ("row", "side", "source_row", "fingerprint", "__i", "at_row")
    found = pl.concat([part.select(columns) for part in parts])
    looked_at = current.filter(pl.col("__i").is_in(found.get_column("__i").drop_nulls().unique().implode()))
    print_of = looked_at.select("__i", fingerprints(looked_at).alias("now"))
    found = found.join(print_of, on="__i", how="left").with_columns(
        (pl.col("now") == pl.col("fingerprint")).fill_null(False).alias("match")
    )
    # several records with the member number and the fingerprint (a member entered twice, word for word): the one
    # at the decision's row, if it is one of them
    chosen = found.filter(
        pl.col("match")
        & ((pl.col("match").sum().over("row", "side") == 1) | (pl.col("at_row") == pl.col("source_row")))
    )
    verdict = (
        found.group_by("row", "side")
        .agg(pl.col("__i").is_not_null().any().alias("any"), pl.col("match").any().alias("match"))
        .join(
            chosen.group_by("row", "side").agg(pl.len().alias("n"), pl.col("__i").first().alias("i")),
            on=["row", "side"],
            how="left",
        )
        .with_columns(
            pl.when(~pl.col("any"))
            .then(pl.lit(NOT_FOUND))
            .when(~pl.col("match"))
            .then(pl.lit(CHANGED))
            .when(pl.col("n").is_null() | (pl.col("n") > 1))
            .then(pl.lit(AMBIGUOUS))
            .alias("why")
        )
    )
    a = verdict.filter(pl.col("side") == "a").select("row", pl.col("i").alias("ia"), pl.col("why").alias("why_a"))
    b = verdict.filter(pl.col("side") == "b").select("row", pl.col("i").alias("ib"), pl.col("why").alias("why_b"))
    pairs = (
        table.select("row", "same")
        .join(a, on="row")
        .join(b, on="row")
        .with_columns(
            pl.coalesce("why_a", "why_b", pl.when(pl.col("ia") == pl.col("ib")).then(pl.lit(ONE_RECORD))).alias("why"),
            pl.min_horizontal("ia", "ib").cast(pl.UInt32).alias("i"),
            pl.max_horizontal("ia", "ib").cast(pl.UInt32).alias("j"),
        )
    )
    usable = pairs.filter(pl.col("why").is_null())
    # one pair decided twice: once if the decisions agree, not at all if they do not
    usable = usable.with_columns(
        pl.when(pl.col("same").n_unique().over("i", "j") > 1).then(pl.lit(CONFLICTING)).alias("why")
    )
    ignored = pl.concat([pairs.filter(pl.col("why").is_not_null()), usable.filter(pl.col("why").is_not_null())])
    person = usable.filter(pl.col("why").is_null()).unique(["i", "j"], keep="first").select("i", "j", "same")
    stats = {
        "applied": {"same": int(person.get_column("same").sum()), "different": int((~person.get_column("same")).sum())},
        "ignored": dict(sorted(Counter(ignored.get_column("why").to_list()).items(), key=lambda kv: (-kv[1], kv[0]))),
        "ignored_rows": [
            {"row": r, "why": why}
            for r, why in ignored.sort("row").select("row", "why").head(UNREADABLE_SHOWN).iter_rows()
        ],
    }
    return person.sort("i", "j"), stats
