"""Pipeline stages: plain functions from (table, rules) to a frozen :class:`StageResult`. No I/O inside."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import polars as pl

from pipeline import ledger as ledger_


@dataclass(frozen=True)
class StageResult:
    table: pl.DataFrame
    ledger: pl.DataFrame = field(default_factory=ledger_.empty)
    stats: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
