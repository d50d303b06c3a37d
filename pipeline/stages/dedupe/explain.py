"""Explaining: every merge and every pair in words and tables. The reason of each pair ("same phone, first name
~0.94"), the review sheet a person fills in, the pairs output, the merge map (each row's strongest link and why)
and the ledger entries of merged and reviewed rows."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from pipeline import ledger as ledger_
from pipeline.checks import check
from pipeline.rules import DedupeRules
from pipeline.stages.dedupe.address import ADDRESS_LEVELS
from pipeline.stages.dedupe.blocking import key_names
from pipeline.stages.dedupe.compare import COMPARISONS, in_slices
from pipeline.stages.dedupe.decide import HARD_RULES, review_because
from pipeline.stages.dedupe.decisions import fingerprints, has_member_numbers
from pipeline.stages.dedupe.model import SCORE_CHUNK_PAIRS
from pipeline.stages.dedupe.phrases import PHRASES

check(
    "duplicate-merged",
    "info",
    "merged",
    "Merged into another record",
    "Row {before} is the same member as other rows; merged into {after}",
)
check(
    "duplicate-needs-review",
    "warning",
    "flagged",
    "Possible duplicate for a person to decide",
    "Row {before} may be the same member as row {after}: see review.xlsx",
)

REVIEW_FIELDS = (
    "first_name",
    "last_name",
    "national_id",
    "phone_mobile",
    "phone_other",
    "email",
    "birth_date",
    "city",
    "street",
    "house_number",
)


# the level from which a field counts as agreeing on the review sheet (others: their top level): a shared phone is
# one, a landline too, though only a shared mobile is the top level
AGREES_FROM = {"phone": 3}

REASON_INPUTS = (
    "lvl_national_id",
    "lvl_phone",
    "lvl_email",
    "__swap",
    "__two_mobiles",
    "__landline_only",
    "lvl_first_name",
    "lvl_last_name",
    "lvl_birth_date",
    "lvl_address",
    "__jw_first",
    "__jw_last",
)


def with_reasons(scored: pl.DataFrame) -> pl.DataFrame:
    """``reason`` for every pair, built once per distinct combination of the facts it names (millions of pairs
    share a few thousand); Categorical, so each pair holds a number, not its sentence.

    The facts of a pair are packed into one integer, and the sentences are mapped onto it: a join on the ten
    facts themselves copied them for every pair. The codes are made, and mapped to their sentence's number, a
    slice of pairs at a time, so the working columns are a slice's (each step of the packing is a column of 64-bit
    integers; mapping all 40 million codes of ten million members at once held 0.9 GB)."""
    code = in_slices(scored, SCORE_CHUNK_PAIRS, lambda part: _facts(part).select("__code")).get_column("__code")
    sentences = _facts(scored[code.arg_unique()]).with_columns(_reason().alias("reason"))
    number = pl.col("__code").replace_strict(
        sentences.get_column("__code"), pl.int_range(sentences.height, dtype=pl.UInt32, eager=True)
    )
    index = in_slices(code.to_frame(), SCORE_CHUNK_PAIRS, lambda part: part.select(number)).to_series()
    return scored.with_columns(sentences.get_column("reason").cast(pl.Categorical).gather(index).alias("reason"))


def _facts(scored: pl.DataFrame) -> pl.DataFrame:
    """The facts ``_reason`` reads, and ``__code``: them packed into one integer (one per distinct combination)."""
    facts = scored.select(  # a similarity is named only for a near match (levels 1 and 2)
        *REASON_INPUTS[:-2],
        *[
            pl.when(pl.col(f"lvl_{name}_name").is_in([1, 2]))
            .then(pl.col(f"__jw_{name}").round(2))
            .alias(f"__jw_{name}")
            for name in ("first", "last")
        ],
    )
    code = pl.lit(0, pl.Int64)
    for name in REASON_INPUTS:  # levels run -1..5 (null: 7), flags 0/1, similarities 0..100 (null: 101)
        if name.startswith("__jw_"):
            code = code * 102 + (pl.col(name) * 100).round().cast(pl.Int64).fill_null(101)
        else:
            code = code * 8 + (pl.col(name).cast(pl.Int64) + 1).fill_null(7)
    return facts.with_columns(code.alias("__code"))


def _reason() -> pl.Expr:
    """The evidence of a pair in words: "same phone, first name ~0.94 (nickname), birth date equal"."""

    def part(expr: pl.Expr, text: pl.Expr | str) -> pl.Expr:
        return pl.when(expr).then(text if isinstance(text, pl.Expr) else pl.lit(PHRASES[text]))

    jw = lambda c: pl.col(c).round(2).cast(pl.String)  # noqa: E731
    parts = [
        part(pl.col("lvl_national_id") == 2, "id_same"),
        part(pl.col("lvl_national_id") == 1, "id_typo"),
        part(pl.col("lvl_phone") == 4, "mobile_same"),
        part((pl.col("lvl_phone") == 3) & pl.col("__landline_only"), "landline_same"),
        part((pl.col("lvl_phone") == 3) & ~pl.col("__landline_only"), "phone_same"),
        part(pl.col("lvl_phone") == 2, "landline_two_mobiles"),
        part(pl.col("lvl_phone") == 1, "phone_typo"),
        part((pl.col("lvl_phone") < 2) & pl.col("__two_mobiles"), "two_mobiles"),
        part(pl.col("lvl_email") == 2, "email_same"),
        part(pl.col("__swap"), "swapped"),
        part(pl.col("lvl_first_name") == 4, "first_equal"),
        part(pl.col("lvl_first_name") == 3, "first_alias"),
        part(pl.col("lvl_first_name").is_in([1, 2]), pl.lit(PHRASES["first_close"]) + jw("__jw_first")),
        part(pl.col("lvl_last_name") == 4, "last_equal"),
        part(pl.col("lvl_last_name") == 3, "last_alias"),
        part(pl.col("lvl_last_name").is_in([1, 2]), pl.lit(PHRASES["last_close"]) + jw("__jw_last")),
        part(pl.col("lvl_birth_date") == 2, "born_equal"),
        part(pl.col("lvl_birth_date") == 1, "born_typo"),
        *[part(pl.col("lvl_address") == level, pl.lit(words)) for level, words in enumerate(ADDRESS_LEVELS) if level],
    ]
    return pl.concat_list(parts).list.drop_nulls().list.join(", ")


def pairs_output(scored: pl.DataFrame, records: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    # __i is the row number of `records`, so a pair's source rows are a gather, not two joins of millions of rows;
    # pairs with last run's golden records (source_row <= 0) are not this file's pairs. A filter or a sort copies
    # every column of millions of pairs: each is done only when it changes something.
    source_row = records.get_column("source_row")
    out = scored.with_columns(
        source_row.gather(scored.get_column("i")).alias("source_row_a"),
        source_row.gather(scored.get_column("j")).alias("source_row_b"),
        key_names(scored.get_column("keys"), keys).alias("blocking_keys"),
    )
    if (source_row <= 0).any():
        out = out.filter((pl.col("source_row_a") > 0) & (pl.col("source_row_b") > 0))
    out = out.select(
        "source_row_a",
        "source_row_b",
        "blocking_keys",
        *[f"lvl_{c}" for c in COMPARISONS],
        *[f"w_{c}" for c in COMPARISONS],
        "match_weight",
        "match_probability",
        "band",
        "reason",
        *[f"rule_{rule}" for rule in HARD_RULES],  # every rule's verdict, whether or not the run applied it
    )
    a, b = pl.col("source_row_a").diff(), pl.col("source_row_b").diff()
    if not out.select(((a > 0) | (a == 0) & (b > 0)).fill_null(True).all()).item():
        out = out.sort("source_row_a", "source_row_b")
    return out


def review_sheet(scored: pl.DataFrame, records: pl.DataFrame, *, rules: DedupeRules) -> pl.DataFrame:
    """The pairs a person must decide, side by side, with what agreed and what did not, why the pair needs a person
    (``decide.REVIEW_BECAUSE``: a pair scored 1.0 may be a parent and child of one name), and a decision column."""
    todo = scored.filter(pl.col("band") == "review")
    if todo.height == 0:
        return pl.DataFrame(
            schema={"source_row_a": pl.Int64, "source_row_b": pl.Int64, "decision": pl.String}
            | {f"fingerprint_{s}": pl.String for s in ("a", "b")}
        )
    cols = [c for c in REVIEW_FIELDS if c in records.columns]
    # only the records under review (a few thousand of ten million) are cast to text and joined
    under_review = pl.concat([todo.get_column("i"), todo.get_column("j")]).unique().implode()
    # what identifies each record beyond its row, for replaying the decision on another file: its member number
    # and its fingerprint (see decisions.py)
    side = records.filter((pl.col("source_row") > 0) & pl.col("__i").is_in(under_review))
    ids = ["member_id"] if has_member_numbers(records) else []
    side = side.select(
        "__i", "source_row", *ids, fingerprints(side).alias("fingerprint"), *[pl.col(c).cast(pl.String) for c in cols]
    )
    agreed = [
        pl.when(pl.col(f"lvl_{c}") >= AGREES_FROM.get(c, COMPARISONS[c] - 1)).then(pl.lit(c)) for c in COMPARISONS
    ]
    disagreed = [pl.when(pl.col(f"lvl_{c}") == 0).then(pl.lit(c)) for c in COMPARISONS]
    out = (
        todo.with_columns(
            pl.concat_list(agreed).list.drop_nulls().list.join(", ").alias("agreed"),
            pl.concat_list(disagreed).list.drop_nulls().list.join(", ").alias("disagreed"),
            review_because(rules).alias("because"),
        )
        .join(_named(side, "a", ids=ids, fields=cols), on="i")
        .join(_named(side, "b", ids=ids, fields=cols), on="j")
    )
    interleaved = [x for c in cols for x in (f"a_{c}", f"b_{c}")]
    return out.select(
        "source_row_a",
        "source_row_b",
        *[f"member_id_{s}" for s in ("a", "b") if ids],
        pl.col("match_probability").round(3),
        "agreed",
        "disagreed",
        "reason",
        "because",
        *interleaved,
        pl.lit("", pl.String).alias("decision"),
        "fingerprint_a",
        "fingerprint_b",
    ).sort("match_probability", descending=True)


def _named(side: pl.DataFrame, which: str, *, ids: list[str], fields: list[str]) -> pl.DataFrame:
    """The records of one side of the review pairs under that side's names: ``i``, ``source_row_a``, ``a_email``."""
    own = {c: f"{c}_{which}" for c in ["source_row", *ids, "fingerprint"]}
    return side.rename({"__i": "i" if which == "a" else "j", **own, **{c: f"{which}_{c}" for c in fields}})


def merge_map(records: pl.DataFrame, edges: pl.DataFrame) -> pl.DataFrame:
    """Each of this file's rows, its golden record, and its strongest link inside its cluster and why (``records``
    with ``__cluster`` and ``golden_id``; ``edges``: the merging pairs with their probability and reason)."""
    out = records.filter(pl.col("source_row") > 0).select("__i", "source_row", "golden_id", "__cluster")
    if edges.height:
        linked = (
            edges.join(records.select(pl.col("__i").alias("i"), pl.col("__cluster").alias("ci")), on="i")
            .join(records.select(pl.col("__i").alias("j"), pl.col("__cluster").alias("cj")), on="j")
            .filter(pl.col("ci") == pl.col("cj"))
        )
        ends = pl.concat(
            [
                linked.select(pl.col("i").alias("__i"), "match_probability", "reason"),
                linked.select(pl.col("j").alias("__i"), "match_probability", "reason"),
            ]
        )
        best = ends.sort("match_probability", descending=True).unique("__i", keep="first")
        out = out.join(best, on="__i", how="left")
    else:
        out = out.with_columns(
            pl.lit(None, pl.Float64).alias("match_probability"), pl.lit(None, pl.String).alias("reason")
        )
    return (
        out.with_columns(
            pl.col("reason").cast(pl.String).fill_null("single record"),
        )
        .sort("source_row")
        .select("source_row", "golden_id", "match_probability", "reason")
    )


def ledger_entries(merged: pl.DataFrame, review: pl.DataFrame) -> list[pl.DataFrame]:
    """Ledger entries (without severity/action): each row merged with others, and each pair left to a person."""
    merged_rows = merged.join(merged.group_by("golden_id").len(), on="golden_id").filter(pl.col("len") > 1)
    entries = [
        ledger_.from_flags(
            merged_rows,
            field="*",
            flags={"duplicate-merged": pl.lit(True)},
            before=pl.col("source_row"),
            after=pl.col("golden_id"),
        )
    ]
    if review.height:
        entries.append(
            ledger_.from_flags(
                review.rename({"source_row_a": "source_row"}),
                field="*",
                flags={"duplicate-needs-review": pl.lit(True)},
                before=pl.col("source_row"),
                after=pl.col("source_row_b"),
            )
        )
    return entries
