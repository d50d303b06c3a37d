"""``cleanse run``: clean a member file and write everything a run makes (the clean table, merge map,
quarantine, ledger, review sheet and report). The output policy is checked before any work, so a run that
would write onto an input or over a file cleanse did not write stops before reading the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pipeline.cli.conventions import (
    ForceOpt,
    MapOpt,
    QuietOpt,
    ReferenceDateOpt,
    RulesOpt,
    SheetOpt,
    ShowPiiOpt,
    VerboseOpt,
    failures_as_exits,
    reading_options,
    sweep_leftovers,
)
from pipeline.options import DEFAULTS


def run(
    file: Annotated[Path, typer.Argument(help="The member file: .xlsx, .csv/.tsv/.txt or .parquet.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output folder (default: <file>_cleansed beside the input).")
    ] = None,
    sheet: SheetOpt = None,
    map_: MapOpt = None,
    xlsx_max_rows: Annotated[
        int,
        typer.Option(
            "--xlsx-max-rows", min=0, help="Write members_clean.xlsx only up to this many rows (xlsx is slow)."
        ),
    ] = DEFAULTS.xlsx_max_rows,
    check_dns: Annotated[
        bool, typer.Option("--check-dns", help="Check that each e-mail domain receives mail (DNS; needs network).")
    ] = False,
    decisions: Annotated[
        Path | None,
        typer.Option("--decisions", help="review.xlsx from an earlier run with the decision column filled in."),
    ] = None,
    previous: Annotated[
        Path | None,
        typer.Option("--previous", help="Last run's output folder: the same members keep their golden_id."),
    ] = None,
    chunk_rows: Annotated[
        int,
        typer.Option(
            "--chunk-rows",
            min=1,
            help="Clean and validate this many rows at a time (less memory; the result is the same).",
        ),
    ] = DEFAULTS.chunk_rows,
    profile: Annotated[
        Path | None,
        typer.Option("--profile", help="Write a cProfile profile of the run (open with snakeviz or pstats)."),
    ] = None,
    transactions: Annotated[
        Path | None,
        typer.Option(
            "--transactions",
            help="Purchases (member number, date, amount): customer value from them instead of the file's totals.",
        ),
    ] = None,
    reference_date: ReferenceDateOpt = None,
    rules: RulesOpt = None,
    show_pii: ShowPiiOpt = False,
    lang: Annotated[
        str | None,
        typer.Option("--lang", help="The report's language: he or en (default: the language of the file's headers)."),
    ] = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Clean a member file and write the clean table, merge map, quarantine, ledger and report."""
    from pipeline import outputs
    from pipeline.console import StageProgress, print_mapping, print_summary
    from pipeline.errors import InputError
    from pipeline.rulefile import load_rules
    from pipeline.runner import process
    from pipeline.writing import OUTPUT_FILES, default_out, write_outputs

    console = Console(stderr=False, quiet=quiet, highlight=False)
    with failures_as_exits(verbose):
        if lang is not None and lang not in ("he", "en"):
            raise InputError(f"--lang {lang!r}: the report is written in he (Hebrew) or en (English)")
        target = out if out is not None else default_out(file)
        # the output policy, before any work: never onto an input, never over what cleanse did not write
        inputs = (file, decisions, previous, rules, transactions)
        outputs.check_folder(target, names=OUTPUT_FILES, inputs=inputs, force=force)
        if profile is not None:
            outputs.check_file(profile, inputs=inputs, force=force)
        beside = outputs.nearest_folder(target)  # where the output's folder is (or will be made)
        sweep_leftovers(beside, quiet=quiet)
        loaded = load_rules(rules)
        options = reading_options(
            sheet=sheet,
            map_=map_,
            reference_date=reference_date,
            show_pii=show_pii,
            lang=lang,
            xlsx_max_rows=xlsx_max_rows,
            check_dns=check_dns,
            decisions=decisions,
            previous=previous,
            transactions=transactions,
            chunk_rows=chunk_rows,
            # a big file's ledger waits on the disk the output goes to, not in a temporary folder that may be memory
            spill_dir=beside if beside.is_dir() else None,
        )
        progress = StageProgress(Console(stderr=True, quiet=quiet, highlight=False))
        if profile is not None:
            import cProfile

            profiler = cProfile.Profile()
            result = profiler.runcall(process, file, rules=loaded, options=options, progress=progress)
        else:
            result = process(file, rules=loaded, options=options, progress=progress)
        print_mapping(console, result.mapping, show_pii=show_pii)
        files, report = write_outputs(result, target, options=options, force=force)
        if profile is not None:  # after the output folder: a profile inside it is then a file kept in it
            outputs.atomic_write(profile, lambda p: profiler.dump_stats(str(p)), force=force)
        if result.spill is not None:  # the ledger is in the output now: its spill goes (on an error, with the result)
            result.spill.cleanup()
        print_summary(console, report, out=str(target), files=files)
        if not result.accounted:  # a bug, never a data problem: refuse to call this run good
            raise RuntimeError("rows in != rows in the merge map + rows in quarantine")
