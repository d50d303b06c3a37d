"""Writing a run's outputs: the clean table, merge map, pairs, review sheet, quarantine, ledger and report, all into
one folder at once, through the output policy (``pipeline.outputs``: never onto an input, never over a file cleanse
did not write), every cell made safe for Excel/CSV by ``pipeline.export``."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
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
from pipeline.timing import longest_first


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


# output files written at once: each writer is a polars or file call that releases the GIL for most of its time,
# and one is often single-threaded (a parquet file's encoding, the CSV of a part), so the two cores stay busy. At a
# million members the outputs took 23.3 s one after another and 17.0 s three at a time (2 cores); more writers
# than three gained nothing, and each holds a part of the ledger in memory.
WRITERS = 3

# the writers that take longest start first, beside the report's build (a million members: the ledger's CSV 5.6 s
# alone, the clean table's CSV 3.4 s, the report 2.4 s, the ledger's parquet 2.3 s, each of the rest 2 s or less).
# Started in file order, the ledger's CSV was seventh and ended 4 s after everything else.
LONGEST_FIRST = ("ledger.csv", "members_clean.csv", "ledger.parquet")


def write_outputs(
    result: RunResult, out: Path, *, options: RunOptions | None = None, force: bool = False
) -> tuple[list[str], dict[str, Any]]:
    """Write every output into ``out`` atomically, through the output policy (``pipeline.outputs``: files in
    ``out`` that cleanse did not write are kept; ``force`` lets it replace one that has an output's name). Returns
    the file names written, in order, and the report.

    The files are written ``WRITERS`` at a time; the folder is moved into place only when all of them are done,
    and a writer's failure fails the whole (the first failure in file order is the one raised)."""
    options = options or RunOptions()
    lang = options.lang or language(result.raw_headers)
    with ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="cleanse-write") as pool:
        built = pool.submit(build_report, result, show_pii=options.show_pii, xlsx_max_rows=options.xlsx_max_rows)
        with outputs.atomic_folder(out, names=OUTPUT_FILES, force=force) as tmp:
            jobs = _writers(result, options=options, report=built, lang=lang)
            writers = dict(jobs)
            started = {name: pool.submit(writers[name], tmp / name) for name in longest_first(writers, LONGEST_FIRST)}
            # every writer is finished before anything is raised: the folder is removed on failure, and must not
            # be while a writer is still putting a file into it
            wait(started.values())
            for name, _ in jobs:  # the first failure in file order is the one raised
                started[name].result()
        return [name for name, _ in jobs], built.result()


def _writers(
    result: RunResult, *, options: RunOptions, report: Future[dict[str, Any]], lang: str
) -> list[tuple[str, Callable[[Path], object]]]:
    """Each output file of ``result`` with what writes it, in the order they are listed to the user."""
    jobs: list[tuple[str, Callable[[Path], object]]] = [
        ("members_clean.csv", lambda p: export.write_csv(result.members, p)),
        ("members_clean.parquet", lambda p: export.write_parquet(result.members, p)),
    ]
    if result.members.height <= options.xlsx_max_rows:
        jobs.append(("members_clean.xlsx", lambda p: export.write_xlsx(result.members, p, sheet="members")))
    jobs.append(("merge_map.csv", lambda p: export.write_csv(result.merge_map, p)))
    if result.pairs.collect_schema().len():
        parked = result.spill.file_of(result.pairs) if result.spill else None
        if parked is not None:  # the scored pairs parked on disk as they were scored: the file is the output
            jobs.append(("pairs.parquet", lambda p: shutil.copyfile(parked, p)))
        else:
            jobs.append(("pairs.parquet", lambda p: export.write_parquet(result.pairs, p)))
    if result.review.width:
        headers = result.mapping.by_field
        sheet_lang = language(result.raw_headers)
        jobs.append(("review.xlsx", lambda p: write_review(result.review, p, field_headers=headers, lang=sheet_lang)))
    jobs.append(("quarantine.csv", lambda p: export.write_csv(result.quarantine, p)))
    # a range of source rows at a time: a big file's ledger is tens of millions of entries on disk
    parts = ledger_.ranges(result.ledger)
    jobs += [
        ("ledger.csv", lambda p: export.write_csv_parts([_with_titles(part) for part in parts], p)),
        ("ledger.parquet", lambda p: export.write_parquet(pl.concat(parts), p)),
        ("report.json", lambda p: p.write_text(_json(report.result()), encoding="utf-8")),
        ("report.html", lambda p: p.write_text(render_html(report.result(), lang=lang), encoding="utf-8")),
    ]
    return jobs


def _json(report: Mapping[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n"
