"""Cleaning a file a chunk of rows at a time: the stages between mapping and deduplication (clean, validate,
quarantine) run on ``RunOptions.chunk_rows`` rows at a time, and a file of more than one chunk parks each chunk's
ledger and before-cleansing figures on disk (``pipeline.spill``). The result equals one pass over the whole file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import polars as pl

from pipeline import ledger as ledger_
from pipeline.options import RunOptions
from pipeline.rawtable import RawTable
from pipeline.rules import Rules
from pipeline.spill import Spill
from pipeline.stages import StageResult
from pipeline.stages.clean import clean, phone_counts
from pipeline.stages.quarantine import quarantine
from pipeline.stages.score import NAIVE_COLUMNS
from pipeline.stages.validate import validate
from pipeline.timing import Clock


@dataclass(frozen=True)
class Front:
    """What the stages between mapping and deduplication leave of some rows of the file."""

    kept: pl.DataFrame
    quarantined: pl.DataFrame
    naive: pl.LazyFrame  # the NAIVE_COLUMNS of every validated row: the club as the file shows it
    ledger: pl.LazyFrame  # clean, validate and quarantine, in row order
    stats: dict[str, Mapping[str, Any]]  # clean, validate, quarantine


def front(
    raw: RawTable,
    members: pl.DataFrame,
    *,
    rules: Rules,
    options: RunOptions,
    clock: Clock,
    part: str = "",
    phones: dict[str, pl.DataFrame] | None = None,
) -> Front:
    """Clean, validate and quarantine ``members`` (the mapped rows of ``raw``): the whole file, or a chunk of it
    with ``phones``, the phone numbers of the whole file (see ``clean``)."""
    cleaned: StageResult = clock.run(
        "clean",
        members.height,
        partial(
            clean,
            members,
            rules=rules,
            reference_date=options.reference_date,
            check_dns=options.check_dns,
            phones_in_file=phones,
        ),
        lambda r: r.table.height,
        part=part,
    )
    validated: StageResult = clock.run(
        "validate",
        members.height,
        partial(validate, cleaned.table, rules=rules, reference_date=options.reference_date),
        lambda r: r.table.height,
        part=part,
    )
    # quarantine looks entries up by row, in any order: the two are put side by side, and merged once with the
    # quarantine's own (a merge copies every entry's texts: 1.2-1.5 s each at a million members)
    field_ledger = pl.concat([cleaned.ledger, validated.ledger])
    kept, quarantined = clock.run(
        "quarantine",
        members.height,
        partial(quarantine, validated.table, raw=raw, rules=rules, ledger=field_ledger),
        lambda r: r[0].table.height,
        part=part,
    )
    return Front(
        kept=kept.table,
        quarantined=quarantined,
        # a projection: shares the columns, drops the rest
        naive=validated.table.select(NAIVE_COLUMNS).lazy(),
        ledger=ledger_.concat([cleaned.ledger, validated.ledger, kept.ledger]).lazy(),
        stats={"clean": cleaned.stats, "validate": validated.stats, "quarantine": kept.stats},
    )


def chunked_front(
    raw: RawTable, members: pl.DataFrame, *, rules: Rules, options: RunOptions, clock: Clock, spill: Spill | None
) -> Front:
    """``front`` a chunk of rows at a time when there is a ``spill`` (the file is more than one chunk), so the
    stages' working memory is a chunk's, not the file's; each chunk's ledger and before-cleansing figures are
    parked as soon as the chunk is done.

    The one thing a row's cleaning reads from other rows, how many rows share each phone number, is counted over
    the whole file first. The result equals one ``front`` of the file."""
    if spill is None:
        return front(raw, members, rules=rules, options=options, clock=clock)
    size = options.chunk_rows
    starts = range(0, members.height, size)
    phones = clock.run(
        "clean",
        0,
        partial(phone_counts, members, rules=rules, chunk_rows=size),
        lambda _: 0,
        part="(phone numbers of the whole file)",
    )
    kept, quarantined, stats, ledgers, naive = [], [], [], [], []
    for k, start in enumerate(starts, start=1):
        part = front(
            replace(raw, frame=raw.frame.slice(start, size)),
            members.slice(start, size),
            rules=rules,
            options=options,
            clock=clock,
            part=f"{k}/{len(starts)}",
            phones=phones,
        )
        kept.append(part.kept)
        quarantined.append(part.quarantined)
        stats.append(part.stats)
        ledgers.append(spill.park(part.ledger, f"ledger-{k:05d}"))
        naive.append(spill.park(part.naive, f"naive-{k:05d}"))
        del part
    return Front(
        # one chunk of memory per column: deduplication gathers both sides of millions of pairs from ``kept``, and a
        # gather across the chunks' pieces cost it 4 s at a million members (two chunks)
        kept=pl.concat(kept, rechunk=True),
        quarantined=pl.concat(quarantined),
        naive=pl.concat(naive),
        ledger=pl.concat(ledgers),  # each in row order, and the chunks are too
        stats={stage: _summed([s[stage] for s in stats]) for stage in stats[0]},
    )


def _summed(stats: list[Mapping[str, Any]]) -> dict[str, Any]:
    """One stage's counts for the whole file from its counts per chunk (nested ones by key)."""
    out: dict[str, Any] = {}
    for figures in stats:
        for key, value in figures.items():
            if isinstance(value, Mapping):
                out[key] = _summed([out.get(key, {}), value])
            else:
                out[key] = out.get(key, 0) + value
    return out
