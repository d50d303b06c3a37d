"""Deduplication: one member, one golden record, and every merge explained.

Steps with clear seams, each its own module: blocking (candidate pairs from cheap keys), compare (levels per
field with rapidfuzz batch functions), model (Fellegi-Sunter weights, EM-estimated, term-frequency adjusted),
decide (a person's decisions, the "never merge" rules, the merge/review bands), cluster and survive (golden
records), identity (golden ids kept from the previous run) and explain (reasons, review sheet, pairs output,
merge map, ledger entries). ``deduplicate`` runs them in order.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import polars as pl

from pipeline import ledger as ledger_
from pipeline.rules import DedupeRules, Rules
from pipeline.stages import StageResult
from pipeline.stages.dedupe.blocking import DECISION_BIT, candidate_pairs
from pipeline.stages.dedupe.cluster import cannot_links, cluster
from pipeline.stages.dedupe.compare import COMPARISONS, compare
from pipeline.stages.dedupe.decide import BANDS, MERGING, bands
from pipeline.stages.dedupe.decisions import Decisions, locate
from pipeline.stages.dedupe.encode import Encoded, encode
from pipeline.stages.dedupe.explain import ledger_entries, merge_map, pairs_output, review_sheet, with_reasons
from pipeline.stages.dedupe.identity import stable_ids, with_previous
from pipeline.stages.dedupe.model import Model, estimate_m, estimate_u, score_pairs
from pipeline.stages.dedupe.survive import golden_records


@dataclass(frozen=True)
class DedupeOutcome:
    result: StageResult
    merge_map: pl.DataFrame
    pairs: pl.LazyFrame  # every scored pair; read from disk when the stage was given a folder to spill to
    review: pl.DataFrame
    stats: dict[str, object] = field(default_factory=dict)


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

    With ``decisions`` (a person's, from an earlier review.xlsx), each pair found again with the same records
    (``decisions.locate``) is decided as the person said; the others are counted as ignored, never applied.
    With ``previous`` (last run's ``members_clean``), its golden records take part in
    matching as identity-only records, so unchanged members keep their ``golden_id``; they never contribute values
    to survivorship.

    With ``park`` (the runner's: it writes a frame to disk and gives it back lazily), the scored pairs are parked
    as soon as they are scored, and only the pairs that merge stay in memory: at ten million members the pairs
    are 40 million rows, and survivorship copies every record beside them.
    """
    d: DedupeRules = rules.dedupe
    records = _records(members, previous)
    # the records are coded (once: candidate pairs, random pairs, clustering's pairs) while blocking runs: each
    # used 1.4 cores of two at a million members
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cleanse-encode") as pool:
        coding = pool.submit(encode, records)
        pairs, key_stats = candidate_pairs(
            records, keys=d.keys, max_block_size=d.max_block_size, max_pairs_per_record=d.max_pairs_per_record
        )
        encoded: Encoded | None = coding.result()
    person, decided = _decided(records, decisions)
    pairs = _with_decided(pairs, person)
    candidates = pairs.height
    if not pairs.height:
        encoded = None
    scored, model, model_stats = _scored(records, pairs, person, encoded=encoded, rules=d)
    del pairs  # the scored pairs hold what is needed of them
    review = review_sheet(scored, records, rules=d) if scored.height else pl.DataFrame()
    # in BANDS order: a group_by's order changes from run to run, and the report would with it
    counts = dict(scored.group_by("band").len().iter_rows()) if scored.height else {}
    by_band = {band: counts[band] for band in BANDS if band in counts}
    # pairs each "never merge" rule held (one pair may break several), of the rules the run applied
    held = {rule: int(scored.get_column(f"rule_{rule}").sum()) if scored.height else 0 for rule in d.hard_rules}
    # the four columns first, then the filter: a filter copies every column it carries (a third of 40M pairs merge)
    edges = (
        scored.select("i", "j", "match_probability", "match_weight", "reason", "band")
        .filter(pl.col("band").is_in(MERGING))
        .drop("band")
        if scored.height
        else scored
    )
    pairs_out = pairs_output(scored, records, d.keys) if scored.height else pl.DataFrame()
    del scored
    pairs_lazy = park(pairs_out, "pairs") if park is not None and pairs_out.height else pairs_out.lazy()
    del pairs_out
    records, refused, unchecked = _clustered(records, edges, scorer=_scorer(records, encoded, model, rules=d), rules=d)
    del encoded
    golden, identity = _golden(records, edges, rules=d, previous=previous is not None)
    records = _with_golden_ids(records, golden)
    merged = merge_map(records, edges)
    table = golden.drop("__cluster", "__first_row", "__n").select(
        "golden_id", "source_rows", pl.exclude("golden_id", "source_rows")
    )
    stats = {
        "rows_in": records.height,
        "rows_out": table.height,
        "candidate_pairs": candidates,
        "pairs_by_key": key_stats,
        "bands": by_band,
        "hard_rules": held,
        "refused_by_constraints": refused,
        "components_too_large_to_check": unchecked,
        "model": model_stats,
        "clusters_merged": int((merged.group_by("golden_id").len().get_column("len") > 1).sum()),
        "identity": identity,
        "decisions": decided,
    }
    ledger = ledger_.finish(ledger_entries(merged, review), severities=rules.checks.severity)
    result = StageResult(table=table, ledger=ledger, stats=stats)
    return DedupeOutcome(result=result, merge_map=merged, pairs=pairs_lazy, review=review, stats=stats)


def _records(members: pl.DataFrame, previous: pl.DataFrame | None) -> pl.DataFrame:
    """The records to match, in row order and numbered (``__i``): the members, and last run's golden records."""
    if previous is not None:
        members = with_previous(members, previous)
    if not members.get_column("source_row").is_sorted():  # sorting copies every column: only when needed
        members = members.sort("source_row")
    return members.with_row_index("__i")


def _decided(records: pl.DataFrame, decisions: Decisions | None) -> tuple[pl.DataFrame, dict[str, object]]:
    """A person's decisions as pairs of record numbers (``i``, ``j``, ``same``), and what was applied and ignored."""
    if decisions is None:
        return pl.DataFrame(schema={"i": pl.UInt32, "j": pl.UInt32, "same": pl.Boolean}), {}
    person, located = locate(decisions, records)
    return person, {**decisions.stats(), **located}


def _with_decided(pairs: pl.DataFrame, person: pl.DataFrame) -> pl.DataFrame:
    """The candidate pairs, and the pairs a person decided on that no blocking key proposed."""
    if not person.height:
        return pairs
    extra = person.select("i", "j").join(pairs.select("i", "j"), on=["i", "j"], how="anti")
    return pl.concat([pairs, extra.with_columns(pl.lit(DECISION_BIT, pl.UInt32).alias("keys"))])


def _scored(
    records: pl.DataFrame,
    pairs: pl.DataFrame,
    person: pl.DataFrame,
    *,
    encoded: Encoded | None,
    rules: DedupeRules,
) -> tuple[pl.DataFrame, Model | None, dict[str, object]]:
    """Compare the pairs, fit the model, score them, decide each one's band and say why: the scored pairs, the
    model (None when there was no pair to fit it on) and its figures."""
    if not pairs.height:
        empty = pl.DataFrame(schema={"i": pl.UInt32, "j": pl.UInt32, "match_probability": pl.Float64})
        return empty, None, {"pairs": 0}
    # the random pairs' levels (u) are worked out while the candidate pairs are compared
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cleanse-u") as pool:
        sampled = pool.submit(estimate_u, records, rules=rules, encoded=encoded)
        compared = compare(records, pairs, rules=rules, encoded=encoded)
        u = sampled.result()
    # a small file is a small part of a club: its prior is worked out as if it held prior_records records
    model = estimate_m(compared, u, iterations=rules.em_iterations, records=max(records.height, rules.prior_records))
    scored = score_pairs(compared, records, model)
    model_stats: dict[str, object] = {
        "pairs": scored.height,
        "prior": float(f"{model.prior:.4g}"),
        "candidate_prior": round(model.candidate_prior, 4),
        "em_iterations": model.iterations,
        "m": {c: [round(float(x), 4) for x in model.m[c]] for c in COMPARISONS},
        "u": {c: [round(float(x), 5) for x in model.u[c]] for c in COMPARISONS},
    }
    # a join would copy every column of millions of pairs for one column: only the decisions' column is joined
    same = (
        scored.select("i", "j").join(person, on=["i", "j"], how="left", maintain_order="left").get_column("same")
        if person.height
        else pl.repeat(None, scored.height, dtype=pl.Boolean, eager=True)
    )
    del compared  # the comparisons the scored pairs do not share (the coded records serve clustering)
    scored = scored.with_columns(same.alias("same"))
    return with_reasons(scored.with_columns(bands(scored, rules=rules))), model, model_stats


def _scorer(
    records: pl.DataFrame, encoded: Encoded | None, model: Model | None, *, rules: DedupeRules
) -> Callable[[pl.DataFrame], pl.DataFrame] | None:
    """Pairs of ``records`` compared and scored as the candidate pairs were (None without a model)."""
    if model is None:
        return None
    fitted = model

    def score(pairs: pl.DataFrame) -> pl.DataFrame:
        return score_pairs(compare(records, pairs, rules=rules, encoded=encoded), records, fitted)

    return score


def _clustered(
    records: pl.DataFrame,
    edges: pl.DataFrame,
    *,
    scorer: Callable[[pl.DataFrame], pl.DataFrame] | None,
    rules: DedupeRules,
) -> tuple[pl.DataFrame, int, int]:
    """``records`` with their cluster (``__cluster``); how many merging pairs were refused because they would put
    two records that must stay apart into one cluster; how many components were too large to check."""
    links = (
        edges.select("i", "j", "match_probability", "match_weight")
        if edges.height
        else pl.DataFrame(
            schema={"i": pl.UInt32, "j": pl.UInt32, "match_probability": pl.Float64, "match_weight": pl.Float32}
        )
    )
    # records that edges could chain are compared directly, as the candidate pairs were
    cannot, unchecked = (None, 0)
    if scorer is not None:  # no model: no pair was scored, so there are no edges
        cannot, unchecked = cannot_links(
            records.height,
            links,
            score=scorer,
            hard_rules=rules.hard_rules,
            review=rules.review,
            max_component=rules.max_checked_component,
        )
    labels, refused = cluster(records.height, links, cannot)
    return records.with_columns(pl.Series("__cluster", labels, dtype=pl.UInt32)), refused, unchecked


def _golden(
    records: pl.DataFrame, edges: pl.DataFrame, *, rules: DedupeRules, previous: bool
) -> tuple[pl.DataFrame, dict[str, object]]:
    """One golden record per cluster of this file's rows, with its ``golden_id`` (last run's where it matched)."""
    current = records.filter(pl.col("source_row") > 0).drop("__prev_id", strict=False)
    golden = golden_records(current, rules=rules.survivorship, default=rules.survivorship_default)
    if previous:
        golden, identity = stable_ids(records, golden, edges)
        return golden.with_row_index("__n", offset=1), identity
    golden = golden.with_row_index("__n", offset=1).with_columns(
        pl.format("G{}", pl.col("__n").cast(pl.String).str.zfill(7)).alias("golden_id")
    )
    return golden, {}


def _with_golden_ids(records: pl.DataFrame, golden: pl.DataFrame) -> pl.DataFrame:
    ids = golden.select("__cluster", "golden_id")
    # joined on the one column, not the whole table: a join copies every column it carries
    return records.with_columns(
        records.select("__cluster").join(ids, on="__cluster", how="left", maintain_order="left").get_column("golden_id")
    )
