"""Spilling: where a file of more than one chunk parks what is read only at the end of a run."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl

from pipeline import export, leftovers


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
        self._outputs: list[tuple[pl.LazyFrame, Path]] = []  # frames parked as outputs, and their files

    def park(self, frame: pl.DataFrame | pl.LazyFrame, name: str, *, output: bool = False) -> pl.LazyFrame:
        """``frame`` written to the folder, and read back lazily.

        lz4: a third faster to write and read than the default zstd, for files that live one run. ``output``: the
        file will be copied out whole as an output (``file_of``), so it is written as outputs are."""
        path = self.path / f"{name}.parquet"
        if output:
            export.write_parquet(frame, path)
        else:
            frame.lazy().sink_parquet(path, maintain_order=True, compression="lz4")
        parked = pl.scan_parquet(path)
        if output:
            self._outputs.append((parked, path))
        return parked

    def file_of(self, frame: pl.LazyFrame) -> Path | None:
        """The file ``frame`` reads, when ``park`` gave it back as an output: the output is a copy of the file, not a
        second encoding of millions of rows."""
        return next((path for parked, path in self._outputs if parked is frame), None)

    def cleanup(self) -> None:
        self._folder.cleanup()
