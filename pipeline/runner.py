"""Composes the stages: read, map, clean (a chunk at a time, ``pipeline.chunked``), deduplicate, enrich, score.
Writes nothing: ``pipeline.outputs`` writes the result; ``pipeline.timing`` times the stages."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import Any

import polars as pl

from pipeline import gates
from pipeline import ledger as ledger_
from pipeline.chunked import chunked_front
from pipeline.decisions import read_decisions_file
from pipeline.ingest import read_member_file
from pipeline.mapping import HeaderMatcher, map_columns, require_identifying
from pipeline.options import RunOptions
from pipeline.previous import read_previous
from pipeline.rawtable import RawTable
from pipeline.results import RunResult
from pipeline.rules import Rules
from pipeline.spill import Spill
from pipeline.stages import StageResult
from pipeline.stages.conform import conform
from pipeline.stages.dedupe import DedupeOutcome, deduplicate
from pipeline.stages.enrich import enrich
from pipeline.stages.score import as_of_date, club_figures, rfm_and_value, score
from pipeline.stages.value import summarise_transactions
from pipeline.timing import Clock, Progress, Silent
from pipeline.transactions import read_transactions, summary_by, with_summary

IDENTITIES = ("phone_mobile", "phone_other", "email", "national_id")  # what a suppression list may name


def process(
    path: Path | str, *, rules: Rules, options: RunOptions | None = None, progress: Progress | None = None
) -> RunResult:
    """Read, map, clean and quarantine a member file, and build its golden records. Writes nothing."""
    options = options or RunOptions()
    clock = Clock(progress or Silent())
    # a decisions file that cannot be used is refused before the work, not after cleaning the whole file
    decisions = read_decisions_file(options.decisions) if options.decisions and options.stop_after == "all" else None
    purchases = read_transactions(options.transactions, as_of=options.reference_date) if options.transactions else None
    matcher = HeaderMatcher(rules.columns)
    raw: RawTable = clock.run(
        "ingest",
        0,
        lambda: read_member_file(
            path,
            score_header=matcher.recognised,
            sheet=options.sheet,
            max_cells=rules.checks.max_cells,
            max_columns=rules.checks.max_columns,
        ),
        lambda r: r.height,
    )
    mapping = map_columns(raw.headers, rules=rules.columns, overrides=options.overrides, values=raw.frame)
    require_identifying(mapping, path=path)
    # the mapped table is a selection of the raw columns (no copy): the whole file is mapped at once, and cleaned
    # a chunk at a time
    conformed: StageResult = clock.run(
        "map", raw.height, partial(conform, raw, mapping=mapping), lambda r: r.table.height
    )
    spill = Spill(options.spill_dir) if raw.height > options.chunk_rows else None
    front = chunked_front(raw, conformed.table, rules=rules, options=options, clock=clock, spill=spill)
    short = ledger_.from_mask(
        raw.short_rows, pl.lit(True), field="*", code="csv-short-row", before=pl.lit(None), after=pl.lit(None)
    )
    skipped = [
        ledger_.from_mask(
            raw.skipped, pl.col("check") == code, field="*", code=code, before=pl.col("before"), after=pl.lit(None)
        )
        for code in raw.skipped.get_column("check").unique(maintain_order=True)
    ]
    ingest_ledger = ledger_.finish([short, *skipped], severities=rules.checks.severity)
    source, rows_in, raw_headers = raw.source, raw.height, raw.headers
    # the raw and mapped tables are done with: letting them go here lowers the peak of deduplication by their size
    map_stats = conformed.stats
    del raw, conformed
    kept, quarantined, naive = front.kept, front.quarantined, front.naive
    kept_ledger = ledger_.merged([ingest_ledger, front.ledger])
    stats: dict[str, Any] = {"map": map_stats, **front.stats}
    del front
    gate_figures = gates.figures(
        members=kept,
        ledger=kept_ledger,
        rows_in=rows_in,
        quarantined=quarantined.height,
        complete_before=map_stats.get("complete_before", {}),
    )
    result = partial(
        RunResult,
        source=source,
        mapping=mapping,
        rows_in=rows_in,
        quarantine=quarantined,
        raw_headers=raw_headers,
        spill=spill,
    )
    if options.stop_after == "quarantine":
        return result(
            members=kept,
            merge_map=kept.select("source_row", pl.lit(None, pl.String).alias("golden_id")),
            ledger=kept_ledger,
            timings=tuple(clock.timings),
            stats=MappingProxyType({**stats, "gates": gate_figures}),
        )
    previous = read_previous(options.previous) if options.previous else None
    member_ids = kept.select("source_row", "member_id") if purchases else None
    identities = kept.select("source_row", *IDENTITIES) if options.keep_identities else None
    deduped: DedupeOutcome = clock.run(
        "dedupe",
        kept.height,
        partial(
            deduplicate,
            kept,
            rules=rules,
            decisions=decisions,
            previous=previous,
            # the parked pairs are pairs.parquet as it will be written: the writer copies the file
            park=partial(spill.park, output=True) if spill else None,
        ),
        lambda r: r.result.table.height,
    )
    del kept  # the golden records are a copy: the kept rows are done with
    golden, merge_map = deduped.result, deduped.merge_map
    today = options.reference_date or dt.date.today()
    golden_table, naive_table, tx_notes = golden.table, naive.collect(), []
    if purchases is not None and member_ids is not None:
        keys = member_ids.join(merge_map.select("source_row", "golden_id"), on="source_row").select(
            "member_id", "golden_id"
        )
        summary, unmatched = summary_by(keys, purchases.rows, key="golden_id")
        golden_table = with_summary(golden_table, summary, key="golden_id")
        # before cleansing: each row's member number with its own purchases, as the file shows them
        naive_table = with_summary(naive_table, summarise_transactions(purchases.rows), key="member_id")
        left_out = {**purchases.left_out, **unmatched}
        used = purchases.rows.height - sum(unmatched.values())
        tx_notes = [
            f"transactions file: {used:,} purchases used"
            + ("; left out: " + ", ".join(f"{n:,} {why}" for why, n in left_out.items()) if left_out else "")
        ]
    # the scoring date: --reference-date when given, else the rules' date or the latest purchase in the file
    as_of = options.reference_date or as_of_date(golden_table, rules.scoring, today)
    # before cleansing: every row of the file is a member, scored as the club would have scored it. Worked out
    # beside enrichment and scoring: both fit the value models, numpy on one core each
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cleanse-before") as pool:
        before_figures = pool.submit(_before, naive_table, rules=rules, as_of=as_of)
        del naive_table
        enriched: StageResult = clock.run(
            "enrich",
            golden_table.height,
            lambda: enrich(golden_table, rules=rules, reference_date=today, as_of=as_of),
            lambda r: r.table.height,
        )
        ledger = ledger_.merged([kept_ledger, ledger_.concat([golden.ledger, enriched.ledger])])
        scored: StageResult = clock.run(
            "score",
            enriched.table.height,
            lambda: score(enriched.table, rules=rules, ledger=ledger, merge_map=merge_map, as_of=as_of),
            lambda r: r.table.height,
        )
        before = before_figures.result()
    if identities is not None:
        identities = identities.join(merge_map.select("source_row", "golden_id"), on="source_row").drop("source_row")
    return result(
        members=scored.table,
        identities=identities,
        merge_map=merge_map,
        ledger=ledger,
        timings=tuple(clock.timings),
        stats=MappingProxyType(
            {
                **stats,
                "dedupe": deduped.stats,
                "enrich": enriched.stats,
                "score": scored.stats,
                "transactions": {"notes": tx_notes},
                "club_before": before,
                "gates": gate_figures,
            }
        ),
        pairs=deduped.pairs,
        review=deduped.review,
    )


def _before(naive: pl.DataFrame, *, rules: Rules, as_of: dt.date) -> dict[str, Any]:
    """The club's figures before cleansing (``club_figures`` of the rows as the file gives them)."""
    table, model = rfm_and_value(naive, s=rules.scoring, as_of=as_of)
    return club_figures(table, naive=True, model=model)
