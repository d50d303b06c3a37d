"""Spilling: where a file of more than one chunk parks what is read only at the end of a run."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl

from pipeline import leftovers

COPIED_OUT = frozenset({"pairs"})  # parked frames the writer copies out whole (pairs.parquet)


class Spill:
    """A temporary folder where a file of more than one chunk parks what is read only at the end (the ledger,
    the before-cleansing figures, the scored pairs): at ten million rows that is 5 GB the stages between would
    otherwise have to find room beside. Removed with the result that holds it, or by ``cleanup``."""

    def __init__(self, parent: Path | None) -> None:
        # the name carries this process: what a killed run leaves is removed by the next (``leftovers.sweep``)
        self._folder = tempfile.TemporaryDirectory(
            prefix=leftovers.spill_prefix(), dir=parent, ignore_cleanup_errors=True
        )
        self.path = Path(self._folder.name)
        self._parked: list[tuple[pl.LazyFrame, Path]] = []

    def park(self, frame: pl.DataFrame | pl.LazyFrame, name: str) -> pl.LazyFrame:
        """``frame`` written to the folder, and read back lazily."""
        path = self.path / f"{name}.parquet"
        # lz4: a third faster to write and read than the default zstd, for files that live one run; a frame that is
        # copied out as an output (``file_of``) is written as the outputs are, so the copy is the file we would write
        if name in COPIED_OUT:
            frame.lazy().sink_parquet(path, maintain_order=True)
        else:
            frame.lazy().sink_parquet(path, maintain_order=True, compression="lz4")
        parked = pl.scan_parquet(path)
        self._parked.append((parked, path))
        return parked

    def file_of(self, frame: pl.LazyFrame) -> Path | None:
        """The file ``frame`` reads, when it is a frame ``park`` gave back: an output that is exactly that frame is a
        copy of the file, not a second encoding of millions of rows."""
        return next((path for parked, path in self._parked if parked is frame), None)

    def cleanup(self) -> None:
        self._folder.cleanup()
