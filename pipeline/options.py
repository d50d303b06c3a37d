"""How to run: the options of one run, with their defaults written once (the CLI's flags default to these)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal


@dataclass(frozen=True)
class RunOptions:
    sheet: str | None = None
    overrides: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    show_pii: bool = False
    lang: str | None = None  # report.html's language, "he" or "en"; by default the language of the file's headers
    reference_date: dt.date | None = None  # for ages, "in the future" and the scoring date; default today
    transactions: Path | None = None  # member number, date, amount: the value model's summary columns, exactly
    check_dns: bool = False
    xlsx_max_rows: int = 50_000  # xlsx is slow to write in every library; parquet and CSV always written
    stop_after: Literal["quarantine", "all"] = "all"  # `cleanse check` needs no golden records or scores
    decisions: Path | None = None  # review.xlsx with a person's decisions, replayed by deduplication
    previous: Path | None = None  # last run's output folder: its golden ids are kept for the same members
    # every kept row's phones, e-mail and ID with its golden id (``RunResult.identities``): what `scrub` checks a
    # suppression list against, since a golden record keeps one value of each
    keep_identities: bool = False
    # the stages before deduplication take this many rows at a time: their working memory is a chunk's, not the
    # file's (the result is the same; a file of up to this many rows is one chunk)
    chunk_rows: int = 1_000_000
    # where a file of more than one chunk spills its ledger while it runs (a temporary folder, removed with the
    # result); the system's temporary folder by default, which can be in memory: the CLI spills beside the output
    spill_dir: Path | None = None

    def __post_init__(self) -> None:
        if self.chunk_rows < 1:
            raise ValueError(f"chunk_rows must be at least 1, not {self.chunk_rows}")


DEFAULTS = RunOptions()
