"""Reading a person's decisions (``cleanse run --decisions``): review.xlsx of an earlier run, decision column filled
in. What the decisions say and how each finds its pair again is ``pipeline.stages.dedupe.decisions``."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipeline.errors import InputError
from pipeline.stages.dedupe.decisions import Decisions, read_decisions


def read_decisions_file(path: Path) -> Decisions:
    """A person's decisions: the review.xlsx of an earlier run with its decision column filled in."""
    if not Path(path).exists():
        raise InputError("decisions file does not exist", path=path)
    try:
        frame = (
            pl.read_excel(path, infer_schema_length=0)
            if Path(path).suffix.lower() in (".xlsx", ".xlsm")
            else pl.read_csv(path, infer_schema=False)
        )
    except Exception as exc:
        raise InputError(f"decisions file cannot be read ({exc})", path=path) from exc
    try:
        return read_decisions(frame)
    except InputError as exc:
        raise InputError(exc.message, path=path) from exc
