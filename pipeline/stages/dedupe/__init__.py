"""Deduplication: one member, one golden record, and every merge explained.

Four steps with clear seams: blocking (candidate pairs from cheap keys), comparison (levels per field with
rapidfuzz batch functions), scoring (Fellegi-Sunter weights, EM-estimated, term-frequency adjusted, with hard
"never merge" rules), clustering and survivorship (golden records and a merge map that says why).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import polars as pl

from pipeline import ledger as ledger_
from pipeline.catalogue import check
from pipeline.rules import HARD_RULES, DedupeRules, Rules
from pipeline.stages import StageResult
from pipeline.stages.dedupe.blocking import DECISION_BIT, candidate_pairs, key_names
from pipeline.stages.dedupe.cluster import cannot_links, cluster
from pipeline.stages.dedupe.compare import COMPARISONS, Encoded, compare, encode, in_slices
from pipeline.stages.dedupe.decisions import Decisions, fingerprints, has_member_numbers, locate
from pipeline.stages.dedupe.identity import stable_ids, with_previous
from pipeline.stages.dedupe.model import SCORE_CHUNK_PAIRS, Model, estimate_m, estimate_u, score_pairs
from pipeline.stages.dedupe.survive import golden_records

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

BANDS = ("decided_same", "decided_different", "never", "merge", "review", "apart")
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


@dataclass(frozen=True)
class DedupeOutcome:
    result: StageResult
    merge_map: pl.DataFrame
    pairs: pl.LazyFrame  # every scored pair; read from disk when the stage was given a folder to spill to
    review: pl.DataFrame
    stats: dict[str, object] = field(default_factory=dict)


REASON_INPUTS = (
    "lvl_national_id",
    "lvl_phone",
    "lvl_email",
    "__swap",
    "lvl_first_name",
    "lvl_last_name",
    "lvl_birth_date",
    "lvl_street",
    "lvl_zip",
    "__jw_first",
    "__jw_last",
)


def with_reasons(scored: pl.DataFrame) -> pl.DataFrame:
    """``reason`` for every pair, built once per distinct combination of the facts it names (millions of pairs
    share a few thousand); Categorical, so each pair holds a number, not its sentence.

    The facts of a pair are packed into one integer, and the sentences are mapped onto it: a join on the eleven
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
    for name in REASON_INPUTS:  # levels run -1..4 (null: 6), flags 0/1, similarities 0..100 (null: 101)
        if name.startswith("__jw_"):
            code = code * 102 + (pl.col(name) * 100).round().cast(pl.Int64).fill_null(101)
        else:
            code = code * 7 + (pl.col(name).cast(pl.Int64) + 1).fill_null(6)
    return facts.with_columns(code.alias("__code"))


def _reason() -> pl.Expr:
    """The evidence of a pair in words: "same phone, first name ~0.94 (nickname), birth date equal"."""

    def part(expr: pl.Expr, text: pl.Expr | str) -> pl.Expr:
        return pl.when(expr).then(text if isinstance(text, pl.Expr) else pl.lit(text))

    jw = lambda c: pl.col(c).round(2).cast(pl.String)  # noqa: E731
    parts = [
        part(pl.col("lvl_national_id") == 2, "same ID number"),
        part(pl.col("lvl_national_id") == 1, "ID number one digit off"),
        part(pl.col("lvl_phone") == 2, "same phone"),
        part(pl.col("lvl_phone") == 1, "phone one digit off"),
        part(pl.col("lvl_email") == 2, "same e-mail"),
        part(pl.col("__swap"), "first and last name swapped"),
        part(pl.col("lvl_first_name") == 4, "first name equal"),
        part(pl.col("lvl_first_name") == 3, "first name ~ (nickname or transliteration)"),
        part(pl.col("lvl_first_name").is_in([1, 2]), pl.lit("first name ~") + jw("__jw_first")),
        part(pl.col("lvl_last_name") == 4, "last name equal"),
        part(pl.col("lvl_last_name") == 3, "last name ~ (transliteration)"),
        part(pl.col("lvl_last_name").is_in([1, 2]), pl.lit("last name ~") + jw("__jw_last")),
        part(pl.col("lvl_birth_date") == 2, "birth date equal"),
        part(pl.col("lvl_birth_date") == 1, "birth date typo"),
        part(pl.col("lvl_street") == 2, "same address"),
        part(pl.col("lvl_zip") == 2, "same zip"),
    ]
    return pl.concat_list(parts).list.drop_nulls().list.join(", ")


def _identifier_agrees() -> pl.Expr:
    """At least one identifier agrees: ID number, phone, e-mail or birth date."""
    return (
        (pl.col("lvl_national_id") >= 1)
        | (pl.col("lvl_phone") == 2)
        | (pl.col("lvl_email") >= 1)
        | (pl.col("lvl_birth_date") >= 1)
    )


def deduplicate(
    members: pl.DataFrame,
    /,
    *,
    rules: Rules,
    decisions: Decisions | None = None,
    previous: pl.DataFrame | None = None,
    park: Callable[[pl.DataFrame, str], pl.LazyFrame] | None = None,
) -> DedupeOutcome:
    """Golden records from the kept members (``source_row`` plus cleaned fields).

    With ``previous`` (last run's ``members_clean``), its golden records take part in matching as identity-only
    records, so unchanged members keep their ``golden_id``; they never contribute values to survivorship.

    With ``decisions`` (a person's, from an earlier review.xlsx), each pair found again with the same records
    (``decisions.locate``) is decided as the person said; the others are counted as ignored, never applied.

    With ``park`` (the runner's: it writes a frame to disk and gives it back lazily), the scored pairs are parked
    as soon as they are scored, and only the pairs that merge stay in memory: at ten million members the pairs
    are 40 million rows, and survivorship copies every record beside them.
    """
    d: DedupeRules = rules.dedupe
    if previous is not None:
        members = with_previous(members, previous)
    if not members.get_column("source_row").is_sorted():  # sorting copies every column: only when needed
        members = members.sort("source_row")
    records = members.with_row_index("__i")
    n = records.height
    pairs, key_stats = candidate_pairs(
        records, keys=d.keys, max_block_size=d.max_block_size, max_pairs_per_record=d.max_pairs_per_record
    )
    person = pl.DataFrame(schema={"i": pl.UInt32, "j": pl.UInt32, "same": pl.Boolean})
    decided: dict[str, object] = {}
    if decisions is not None:
        person, located = locate(decisions, records)
        decided = {**decisions.stats(), **located}
    if person.height:
        extra = person.select("i", "j").join(pairs.select("i", "j"), on=["i", "j"], how="anti")
        pairs = pl.concat([pairs, extra.with_columns(pl.lit(DECISION_BIT, pl.UInt32).alias("keys"))])
    encoded = encode(records) if pairs.height else None  # once, for the candidate pairs and the random pairs
    compared = compare(records, pairs, encoded=encoded) if pairs.height else None
    candidates = pairs.height
    del pairs  # compared holds them
    if compared is None or compared.height == 0:
        scored = pl.DataFrame(schema={"i": pl.UInt32, "j": pl.UInt32, "match_probability": pl.Float64})
        model_stats: dict[str, object] = {"pairs": 0}
        model = None
    else:
        u = estimate_u(records, sample=d.u_sample_pairs, seed=d.seed, encoded=encoded)
        model = estimate_m(compared, u, iterations=d.em_iterations, records=max(n, d.prior_records))
        scored = score_pairs(compared, records, model)
        model_stats = {
            "pairs": scored.height,
            "prior": float(f"{model.prior:.4g}"),
            "candidate_prior": round(model.candidate_prior, 4),
            "em_iterations": model.iterations,
            "m": {c: [round(float(x), 4) for x in model.m[c]] for c in COMPARISONS},
            "u": {c: [round(float(x), 5) for x in model.u[c]] for c in COMPARISONS},
        }
        hard = pl.any_horizontal(pl.lit(False), *[pl.col(f"rule_{rule}") for rule in d.hard_rules])
        # a join would copy every column of millions of pairs for one column: only the decisions' column is joined
        same = (
            scored.select("i", "j").join(person, on=["i", "j"], how="left", maintain_order="left").get_column("same")
            if person.height
            else pl.repeat(None, scored.height, dtype=pl.Boolean, eager=True)
        )
        del compared  # the comparisons the scored pairs do not share (the coded records serve clustering)
        scored = scored.with_columns(same.alias("same"))
        # each pair's band by its number in BANDS, then the band's name gathered by that number: a column of
        # names made by `when` is a text per pair (1.8 GB for 40 million pairs) before it becomes Categorical
        band = scored.select(
            pl.when(pl.col("same"))
            .then(BANDS.index("decided_same"))
            .when(~pl.col("same"))
            .then(BANDS.index("decided_different"))
            .when(hard)
            .then(BANDS.index("never"))
            # names and places alone are not identity (a household, a namesake): a person decides
            .when(
                (pl.col("match_probability") >= d.merge) & _identifier_agrees()
                | (pl.col("match_probability") >= d.merge_without_identifier)
            )
            .then(BANDS.index("merge"))
            .when(pl.col("match_probability") >= d.review)
            .then(BANDS.index("review"))
            .otherwise(BANDS.index("apart"))
            .cast(pl.UInt32)
        ).to_series()
        scored = with_reasons(scored.with_columns(pl.Series(BANDS, dtype=pl.Categorical).gather(band).alias("band")))
    review = _review(scored, records) if scored.height else pl.DataFrame()
    bands = dict(scored.group_by("band").len().iter_rows()) if scored.height else {}
    # pairs each "never merge" rule held (one pair may break several), of the rules the run applied
    held = {rule: int(scored.get_column(f"rule_{rule}").sum()) if scored.height else 0 for rule in d.hard_rules}
    # the four columns first, then the filter: a filter copies every column it carries (a third of 40M pairs merge)
    edges = (
        scored.select("i", "j", "match_probability", "reason", "band")
        .filter(pl.col("band").is_in(["merge", "decided_same"]))
        .drop("band")
        if scored.height
        else scored
    )
    pairs_out = _pairs_output(scored, records, d.keys) if scored.height else pl.DataFrame()
    del scored
    pairs_lazy = park(pairs_out, "pairs") if park is not None and pairs_out.height else pairs_out.lazy()
    del pairs_out
    links = (
        edges.select("i", "j", "match_probability")
        if edges.height
        else pl.DataFrame(schema={"i": pl.UInt32, "j": pl.UInt32, "match_probability": pl.Float64})
    )
    # records that edges could chain are compared directly, as the candidate pairs were
    cannot, unchecked = (None, 0)
    if model is not None:  # no model: no pair was scored, so there are no edges
        cannot, unchecked = cannot_links(
            n,
            links,
            score=_scorer(records, encoded, model),
            hard_rules=d.hard_rules,
            review=d.review,
        )
    del encoded
    labels, refused = cluster(n, links, cannot)
    records = records.with_columns(pl.Series("__cluster", labels, dtype=pl.UInt32))
    current = records.filter(pl.col("source_row") > 0).drop("__prev_id", strict=False)
    golden = golden_records(current, rules=d.survivorship, default=d.survivorship_default)
    identity: dict[str, object] = {}
    if previous is not None:
        golden, identity = stable_ids(records, golden, edges)
        golden = golden.with_row_index("__n", offset=1)
    else:
        golden = golden.with_row_index("__n", offset=1).with_columns(
            pl.format("G{}", pl.col("__n").cast(pl.String).str.zfill(7)).alias("golden_id")
        )
    ids = golden.select("__cluster", "golden_id")
    # joined on the one column, not the whole table: a join copies every column it carries
    records = records.with_columns(
        records.select("__cluster").join(ids, on="__cluster", how="left", maintain_order="left").get_column("golden_id")
    )

    # each merged row's strongest link inside its cluster, and why
    merge_map = records.filter(pl.col("source_row") > 0).select("__i", "source_row", "golden_id", "__cluster")
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
        merge_map = merge_map.join(best, on="__i", how="left")
    else:
        merge_map = merge_map.with_columns(
            pl.lit(None, pl.Float64).alias("match_probability"), pl.lit(None, pl.String).alias("reason")
        )
    merge_map = (
        merge_map.with_columns(
            pl.col("reason").cast(pl.String).fill_null("single record"),
        )
        .sort("source_row")
        .select("source_row", "golden_id", "match_probability", "reason")
    )

    table = golden.drop("__cluster", "__first_row", "__n").select(
        "golden_id", "source_rows", pl.exclude("golden_id", "source_rows")
    )
    merged_rows = merge_map.join(merge_map.group_by("golden_id").len(), on="golden_id").filter(pl.col("len") > 1)
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
    stats = {
        "rows_in": n,
        "rows_out": table.height,
        "candidate_pairs": candidates,
        "pairs_by_key": key_stats,
        "bands": bands,
        "hard_rules": held,
        "refused_by_constraints": refused,
        "components_too_large_to_check": unchecked,
        "model": model_stats,
        "clusters_merged": int((merge_map.group_by("golden_id").len().get_column("len") > 1).sum()),
        "identity": identity,
        "decisions": decided,
    }
    result = StageResult(table=table, ledger=ledger_.finish(entries, severities=rules.checks.severity), stats=stats)
    return DedupeOutcome(result=result, merge_map=merge_map, pairs=pairs_lazy, review=review, stats=stats)


def _scorer(records: pl.DataFrame, encoded: Encoded | None, model: Model) -> Callable[[pl.DataFrame], pl.DataFrame]:
    """Pairs of ``records`` compared and scored as the candidate pairs were."""
    return lambda pairs: score_pairs(compare(records, pairs, encoded=encoded), records, model)


def _pairs_output(scored: pl.DataFrame, records: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
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


def _review(scored: pl.DataFrame, records: pl.DataFrame) -> pl.DataFrame:
    """The pairs a person must decide, side by side, with what agreed and what did not, and a decision column."""
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
    agreed = [pl.when(pl.col(f"lvl_{c}") >= (COMPARISONS[c] - 1)).then(pl.lit(c)) for c in COMPARISONS]
    disagreed = [pl.when(pl.col(f"lvl_{c}") == 0).then(pl.lit(c)) for c in COMPARISONS]
    out = (
        todo.with_columns(
            pl.concat_list(agreed).list.drop_nulls().list.join(", ").alias("agreed"),
            pl.concat_list(disagreed).list.drop_nulls().list.join(", ").alias("disagreed"),
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
        *interleaved,
        pl.lit("", pl.String).alias("decision"),
        "fingerprint_a",
        "fingerprint_b",
    ).sort("match_probability", descending=True)


def _named(side: pl.DataFrame, which: str, *, ids: list[str], fields: list[str]) -> pl.DataFrame:
    """The records of one side of the review pairs under that side's names: ``i``, ``source_row_a``, ``a_email``."""
    own = {c: f"{c}_{which}" for c in ["source_row", *ids, "fingerprint"]}
    return side.rename({"__i": "i" if which == "a" else "j", **own, **{c: f"{which}_{c}" for c in fields}})
