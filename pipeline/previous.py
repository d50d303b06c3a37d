"""Reading the output of an earlier run (``cleanse run --previous``): its golden records keep their ids."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipeline.errors import InputError


def read_previous(folder: Path) -> pl.DataFrame:
    """Last run's golden records (``members_clean.parquet`` in its output folder)."""
    path = Path(folder) / "members_clean.parquet"
    if not path.exists():
        raise InputError("is not a cleanse output folder (no members_clean.parquet in it)", path=folder)
    try:
        return pl.read_parquet(path)
    except Exception as exc:
        raise InputError(f"members_clean.parquet cannot be read ({exc})", path=folder) from exc
