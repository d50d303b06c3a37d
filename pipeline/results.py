"""What a run returns: the result types the runner builds and the report, the CLI and the gates read.

A leaf beside the stages: it imports no stage and nothing that runs one, so the report can read a run's result
without importing the runner that made it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from pipeline.mapping import ColumnMapping
from pipeline.rawtable import SourceInfo
from pipeline.spill import Spill


@dataclass(frozen=True)
class StageTiming:
    stage: str
    rows_in: int
    rows_out: int
    seconds: float
    peak_rss_mb: float = 0.0  # the process's peak memory so far, after this stage


@dataclass(frozen=True)
class RunResult:
    source: SourceInfo
    mapping: ColumnMapping
    rows_in: int
    members: pl.DataFrame  # golden records
    merge_map: pl.DataFrame
    quarantine: pl.DataFrame
    ledger: pl.LazyFrame  # lazy: a big file's ledger is read from disk (``spill``) by whatever needs it
    timings: tuple[StageTiming, ...]
    stats: Mapping[str, Mapping[str, Any]]
    raw_headers: tuple[str, ...] = ()
    pairs: pl.LazyFrame = field(default_factory=pl.LazyFrame)  # lazy: a big file's are read from disk (``spill``)
    review: pl.DataFrame = field(default_factory=pl.DataFrame)
    spill: Spill | None = None  # holds what ``ledger`` and ``pairs`` read while the result lives
    # with ``RunOptions.keep_identities``: golden_id, phone_mobile, phone_other, email, national_id of every kept row
    identities: pl.DataFrame | None = None

    @property
    def accounted(self) -> bool:
        """Nothing lost: every input row is in the merge map or in quarantine, exactly once."""
        rows = pl.concat([self.merge_map.select("source_row"), self.quarantine.select("source_row")])
        return rows.height == self.rows_in and rows.get_column("source_row").n_unique() == self.rows_in
