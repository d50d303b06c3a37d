"""Writing a run's outputs: the clean table, merge map, pairs, review sheet, quarantine, ledger and report, all into
one folder at once, through the output policy (``pipeline.outputs``: never onto an input, never over a file cleanse
did not write), every cell made safe for Excel/CSV by ``pipeline.export``."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import polars as pl

from pipeline import export, outputs
from pipeline import ledger as ledger_
from pipeline.catalogue import CATALOGUE
from pipeline.options import RunOptions
from pipeline.report import build_report, render_html
from pipeline.results import RunResult
from pipeline.review_sheet import language, write_review


def _with_titles(ledger: pl.LazyFrame) -> pl.LazyFrame:
    """The ledger as a person reads it: each code with its title in words (why), next to before and after.

    Lazy, and a map of the codes rather than a join: the CSV writer streams it, so the millions of before/after
    strings are never copied whole."""
    titles = {code: c.title for code, c in CATALOGUE.items()}
    return ledger.select(
        "source_row",
        "field",
        "check",
        pl.col("check").replace_strict(titles, default=None, return_dtype=pl.String).alias("why"),
        "severity",
        "action",
        "before",
        "after",
    )


def default_out(path: Path | str) -> Path:
    """``members.xlsx`` -> ``members_cleansed/`` beside it."""
    path = Path(path)
    return path.with_name(f"{path.stem}_cleansed")


# every file a run may write into its output folder: the output policy refuses, before the work, to replace a file
# of one of these names that cleanse did not write (a test holds ``write_outputs`` to this list)
OUTPUT_FILES = (
    "members_clean.csv",
    "members_clean.parquet",
    "members_clean.xlsx",
    "merge_map.csv",
    "pairs.parquet",
    "review.xlsx",
    "quarantine.csv",
    "ledger.csv",
    "ledger.parquet",
    "report.json",
    "report.html",
)


def write_outputs(
    result: RunResult, out: Path, *, options: RunOptions | None = None, force: bool = False
) -> tuple[list[str], dict[str, Any]]:
    """Write every output into ``out`` atomically, through the output policy (``pipeline.outputs``: files in
    ``out`` that cleanse did not write are kept; ``force`` lets it replace one that has an output's name). Returns
    the file names written, in order, and the report."""
    options = options or RunOptions()
    report = build_report(result, show_pii=options.show_pii, xlsx_max_rows=options.xlsx_max_rows)
    written: list[str] = []
    with outputs.atomic_folder(out, names=OUTPUT_FILES, force=force) as tmp:

        def put(name: str, writer: Callable[[Path], object]) -> None:
            writer(tmp / name)
            written.append(name)

        put("members_clean.csv", lambda p: export.write_csv(result.members, p))
        put("members_clean.parquet", lambda p: export.write_parquet(result.members, p))
        if result.members.height <= options.xlsx_max_rows:
            put("members_clean.xlsx", lambda p: export.write_xlsx(result.members, p, sheet="members"))
        put("merge_map.csv", lambda p: export.write_csv(result.merge_map, p))
        if result.pairs.collect_schema().len():
            parked = result.spill.file_of(result.pairs) if result.spill else None
            if parked is not None:  # the scored pairs parked on disk as they were scored: the file is the output
                put("pairs.parquet", lambda p: shutil.copyfile(parked, p))
            else:
                put("pairs.parquet", lambda p: export.write_parquet(result.pairs, p))
        if result.review.width:
            put(
                "review.xlsx",
                lambda p: write_review(
                    result.review, p, field_headers=result.mapping.by_field, lang=language(result.raw_headers)
                ),
            )
        put("quarantine.csv", lambda p: export.write_csv(result.quarantine, p))
        # a range of source rows at a time: a big file's ledger is tens of millions of entries on disk
        parts = ledger_.ranges(result.ledger)
        put("ledger.csv", lambda p: export.write_csv_parts([_with_titles(part) for part in parts], p))
        put("ledger.parquet", lambda p: export.write_parquet(pl.concat(parts), p))
        put("report.json", lambda p: p.write_text(_json(report), encoding="utf-8"))
        lang = options.lang or language(result.raw_headers)
        put("report.html", lambda p: p.write_text(render_html(report, lang=lang), encoding="utf-8"))
    return written, report


def _json(report: Mapping[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n"
