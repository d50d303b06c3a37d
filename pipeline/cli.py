"""The ``cleanse`` command line. Thin: turns flags into plain values and calls the library.

Exit codes mean one thing everywhere: 0 ok, 1 the data failed its checks, 2 the input or the rules could not
be used or an output may not be written where asked (one line on stderr, no traceback unless --verbose), 3 an
internal error (a bug: please report it), 143 stopped by SIGTERM (after removing what it had half-written).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pipeline import __version__
from pipeline.errors import CleanseError
from pipeline.leftovers import EXIT_TERMINATED, Terminated, terminate_as_exception
from pipeline.options import DEFAULTS

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Clean, validate, deduplicate and score loyalty-club member files.",
)


class FailOn(StrEnum):
    """Which gate outcome fails ``cleanse check``."""

    FAIL = "fail"
    WARN = "warn"


class OutputFormat(StrEnum):
    """How ``cleanse check`` prints its gates."""

    TEXT = "text"
    GITHUB = "github"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"cleanse {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Clean, validate, deduplicate and score loyalty-club member files."""


RulesOpt = Annotated[
    Path | None,
    typer.Option(
        "--rules", help="A rules file or folder that extends (or, with replace: true, replaces) the defaults."
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks for errors.")]
ShowPiiOpt = Annotated[
    bool, typer.Option("--show-pii", help="Show phones, e-mails and ID numbers unmasked in reports.")
]

SheetOpt = Annotated[
    str | None, typer.Option("--sheet", help="Sheet name or number (default: the first with known headers).")
]
MapOpt = Annotated[
    list[str] | None,
    typer.Option("--map", help='Override one column: "HEADER=field" (repeatable; field "-" unmaps it).'),
]
ReferenceDateOpt = Annotated[
    str | None,
    typer.Option("--reference-date", help="Date for ages, 'in the future' and scoring (YYYY-MM-DD; default today)."),
]

ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force", help="Replace an existing output file that cleanse did not write (never an input of the command)."
    ),
]

EXIT_OK, EXIT_DATA, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


@contextlib.contextmanager
def _errors(verbose: bool) -> Iterator[None]:
    """One line and a meaningful exit code for every failure; the traceback only with --verbose. SIGTERM stops
    the command through the same exits, so temporary files and folders are removed on the way out."""
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        with terminate_as_exception():
            yield
    except CleanseError as exc:
        if verbose:
            raise
        err.print(f"cleanse: error: {exc.one_line()}", markup=False)
        raise typer.Exit(EXIT_USAGE) from None
    except Terminated:
        err.print("cleanse: stopped by SIGTERM; nothing half-written was left behind", markup=False)
        raise typer.Exit(EXIT_TERMINATED) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as exc:
        if verbose:
            raise
        text = " ".join(str(exc).split())[:300]
        err.print(
            f"cleanse: internal error: {type(exc).__name__}: {text} (run again with --verbose for the traceback)",
            markup=False,
        )
        raise typer.Exit(EXIT_INTERNAL) from None


def _sweep(*folders: Path, quiet: bool) -> None:
    """Remove what killed cleanse runs left where this command writes, and say so in one line per folder."""
    from pipeline.leftovers import sweep

    err = Console(stderr=True, quiet=quiet, highlight=False, soft_wrap=True)
    for folder in dict.fromkeys(Path(f) for f in folders):
        line = sweep(folder).line()
        if line:
            err.print(f"cleanse: note: {line}", markup=False)


@app.command()
def run(
    file: Annotated[Path, typer.Argument(help="The member file: .xlsx, .csv/.tsv/.txt or .parquet.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output folder (default: <file>_cleansed beside the input).")
    ] = None,
    sheet: SheetOpt = None,
    map_: MapOpt = None,
    xlsx_max_rows: Annotated[
        int, typer.Option("--xlsx-max-rows", help="Write members_clean.xlsx only up to this many rows (xlsx is slow).")
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
    from pipeline.mapping import parse_overrides
    from pipeline.rulefile import load_rules
    from pipeline.runner import RunOptions, process
    from pipeline.writing import OUTPUT_FILES, default_out, write_outputs

    console = Console(stderr=False, quiet=quiet, highlight=False)
    with _errors(verbose):
        if lang is not None and lang not in ("he", "en"):
            raise InputError(f"--lang {lang!r}: the report is written in he (Hebrew) or en (English)")
        target = out if out is not None else default_out(file)
        # the output policy, before any work: never onto an input, never over what cleanse did not write
        inputs = (file, decisions, previous, rules)
        outputs.check_folder(target, names=OUTPUT_FILES, inputs=inputs, force=force)
        if profile is not None:
            outputs.check_file(profile, inputs=inputs, force=force)
        beside = outputs.nearest_folder(target)  # where the output's folder is (or will be made)
        _sweep(beside, quiet=quiet)
        loaded = load_rules(rules)
        options = RunOptions(
            sheet=sheet,
            overrides=parse_overrides(map_ or []),
            show_pii=show_pii,
            lang=lang,
            xlsx_max_rows=xlsx_max_rows,
            check_dns=check_dns,
            reference_date=_date(reference_date),
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
        print_mapping(console, result.mapping)
        files, report = write_outputs(result, target, options=options, force=force)
        if profile is not None:  # after the output folder: a profile inside it is then a file kept in it
            outputs.atomic_write(profile, lambda p: profiler.dump_stats(str(p)), force=force)
        if result.spill is not None:  # the ledger is in the output now: its spill goes (on an error, with the result)
            result.spill.cleanup()
        print_summary(console, report, out=str(target), files=files)
        if not result.accounted:  # a bug, never a data problem: refuse to call this run good
            raise RuntimeError("rows in != rows in the merge map + rows in quarantine")


@app.command()
def check(
    file: Annotated[Path, typer.Argument(help="The member file to check.")],
    fail_on: Annotated[
        FailOn,
        typer.Option(
            "--fail-on",
            case_sensitive=False,
            help="fail: only fail-level gates fail the run; warn: warnings too.",
        ),
    ] = FailOn.FAIL,
    junit: Annotated[Path | None, typer.Option("--junit", help="Write JUnit XML (one test case per gate).")] = None,
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", case_sensitive=False, help="text, or github (GitHub Actions annotations)."),
    ] = OutputFormat.TEXT,
    baseline: Annotated[
        Path | None, typer.Option("--baseline", help="An earlier report.json: also fail when a figure dropped too far.")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write this check's figures as JSON (a baseline for the next one).")
    ] = None,
    sheet: SheetOpt = None,
    map_: MapOpt = None,
    reference_date: ReferenceDateOpt = None,
    rules: RulesOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Check a member file against the quality gates in the rules; write no data. Exit 0 passed (warnings
    allowed), 1 a gate failed, 2 the input or the rules could not be used (or no gate could run)."""
    import json

    from pipeline import gates as gates_
    from pipeline import outputs
    from pipeline.console import print_gates
    from pipeline.errors import InputError, OutputError, RulesError
    from pipeline.mapping import parse_overrides
    from pipeline.rulefile import load_rules
    from pipeline.runner import RunOptions, process

    console = Console(quiet=quiet, highlight=False)
    with _errors(verbose):
        # the output policy, before any work: never onto the file, the baseline or the rules
        if junit is not None and report is not None and outputs.same_place(junit, report):
            raise OutputError("--junit and --report name the same file", path=junit)
        for written in (junit, report):
            if written is not None:
                outputs.check_file(written, inputs=(file, baseline, rules), force=force)
        _sweep(*(w.parent for w in (junit, report) if w is not None), quiet=quiet)
        loaded = load_rules(rules)
        if not loaded.gates:
            raise RulesError(["the rules define no gates: cleanse check would check nothing"])
        options = RunOptions(
            sheet=sheet,
            overrides=parse_overrides(map_ or []),
            reference_date=_date(reference_date),
            stop_after="quarantine",
        )
        before = gates_.load_baseline(baseline) if baseline else None  # a baseline it cannot use: before the work
        result = process(file, rules=loaded, options=options)
        values = dict(result.stats["gates"])
        results = gates_.evaluate(loaded.gates, values, baseline=before)
        if all(r.outcome == "skip" for r in results):
            raise InputError("no gate could run on this file (none of the fields they measure is in it)", path=file)
        if junit is not None:
            xml = gates_.junit_xml(results, file=str(file), fail_on_warn=fail_on == "warn")
            outputs.atomic_file(junit, xml, force=force)
        if report is not None:
            outputs.atomic_file(
                report,
                json.dumps(
                    {
                        "schema": "cleanse.check",
                        "schema_version": gates_.CHECK_SCHEMA_VERSION,
                        "file": str(file),
                        "gates": values,
                        "results": [
                            {
                                "gate": r.gate.name,
                                "metric": r.gate.metric,
                                "value": r.value,
                                "outcome": r.outcome,
                                "message": r.message,
                            }
                            for r in results
                        ],
                    },
                    ensure_ascii=False,
                    indent=2,
                )
                + "\n",
                force=force,
            )
        if output_format == "github":
            for line in gates_.github_annotations(results, file=str(file)):
                typer.echo(line)
        else:
            print_gates(console, results)
        failed = any(r.outcome == "fail" or (fail_on == "warn" and r.outcome == "warn") for r in results)
    raise typer.Exit(EXIT_DATA if failed else EXIT_OK)


@app.command()
def scrub(
    file: Annotated[Path, typer.Argument(help="The member file.")],
    channel: Annotated[str, typer.Option("--channel", help="sms, email or call.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The send list to write: .csv or .xlsx.")],
    suppress: Annotated[
        list[Path] | None,
        typer.Option("--suppress", help="A suppression list (any format; phones, e-mails or ID numbers). Repeatable."),
    ] = None,
    segment: Annotated[list[str] | None, typer.Option("--segment", help="Only this RFM segment (repeatable).")] = None,
    city: Annotated[list[str] | None, typer.Option("--city", help="Only this locality (repeatable).")] = None,
    age_band: Annotated[
        list[str] | None, typer.Option("--age-band", help="Only this age band (the rules' bands: 16-24 ... 65+).")
    ] = None,
    consent_since: Annotated[
        str | None,
        typer.Option(
            "--consent-since",
            help="Only members whose consent date is on or after this date (YYYY-MM-DD or DD/MM/YYYY).",
        ),
    ] = None,
    sheet: SheetOpt = None,
    map_: MapOpt = None,
    reference_date: ReferenceDateOpt = None,
    rules: RulesOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Write a send-ready list for one channel: consent, valid addresses, no suppressed, deceased or opted-out
    members, each address once; print how many each reason removed."""
    import json

    from pipeline import export, outputs
    from pipeline.console import print_scrub
    from pipeline.errors import InputError
    from pipeline.mapping import parse_overrides
    from pipeline.places_filter import canonical_cities
    from pipeline.rulefile import load_rules
    from pipeline.runner import RunOptions, process
    from pipeline.scrub import CHANNELS, Filters, Suppression, choose, load_suppression, require_columns
    from pipeline.scrub import scrub as scrub_members
    from pipeline.stages.enrich import age_band_labels

    console = Console(quiet=quiet, highlight=False)
    with _errors(verbose):
        # every option value is checked before the file is read: a typo is exit 2, never an empty list
        channel = choose("--channel", [channel], CHANNELS)[0]
        if out.suffix.lower() not in (".csv", ".xlsx"):
            raise InputError(f"--out must end in .csv or .xlsx, not {out.suffix or '(nothing)'!r}", path=out)
        # the output policy, before any work: never onto the member file, a suppression list or the rules
        summary_path = out.with_name(out.stem + ".summary.json")
        for written in (out, summary_path):
            outputs.check_file(written, inputs=(file, *(suppress or ()), rules), force=force)
        _sweep(out.parent, quiet=quiet)
        loaded = load_rules(rules)
        segments = choose("--segment", segment or [], [s.name for s in loaded.scoring.segments])
        bands = choose("--age-band", age_band or [], age_band_labels(loaded.scoring.age_bands))
        since = _date(consent_since, option="--consent-since")
        suppression = Suppression()
        for path in suppress or []:
            suppression = suppression | load_suppression(path, rules=loaded)
        options = RunOptions(
            sheet=sheet,
            overrides=parse_overrides(map_ or []),
            reference_date=_date(reference_date, option="--reference-date"),
        )
        result = process(file, rules=loaded, options=options)
        cities = result.members.get_column("city").drop_nulls().unique().to_list() if city else []
        filters = Filters(
            segments=segments,
            cities=canonical_cities(city or [], rules=loaded, known=cities),
            age_bands=bands,
            consent_since=since,
        )
        require_columns(
            channel,  # type: ignore[arg-type]
            mapped=result.mapping.fields(),
            unmapped=result.mapping.unmapped,
            rules=loaded,
            filters=filters,
        )
        scrubbed = scrub_members(
            result.members,
            channel=channel,  # type: ignore[arg-type]
            suppression=suppression,
            filters=filters,
        )
        if out.suffix.lower() == ".xlsx":
            outputs.atomic_write(out, lambda p: export.write_xlsx(scrubbed.send_list, p, sheet=channel), force=force)
        else:
            outputs.atomic_write(out, lambda p: export.write_csv(scrubbed.send_list, p), force=force)
        summary = {
            "schema": "cleanse.scrub",
            "schema_version": 1,
            "file": str(file),
            "channel": channel,
            "members": scrubbed.members,
            "sent": scrubbed.send_list.height,
            "removed": scrubbed.removed,
            "suppression_entries": suppression.size,
            "suppression": {
                "phones": len(suppression.phones),
                "emails": len(suppression.emails),
                "national_ids": len(suppression.national_ids),
            },
            "warnings": list(scrubbed.warnings),
        }
        outputs.atomic_file(summary_path, json.dumps(summary, ensure_ascii=False, indent=2) + "\n", force=force)
        print_scrub(console, summary, out=str(out))
        if quiet:  # warnings are never quiet
            err = Console(stderr=True, highlight=False, soft_wrap=True)
            for warning in scrubbed.warnings:
                err.print(f"cleanse: warning: {warning}", markup=False)


@app.command()
def inspect(
    file: Annotated[Path, typer.Argument(help="The member file: .xlsx, .csv/.tsv/.txt or .parquet.")],
    json_: Annotated[bool, typer.Option("--json", help="Print the preview as JSON (for scripts).")] = False,
    sheet: SheetOpt = None,
    map_: MapOpt = None,
    rules: RulesOpt = None,
    show_pii: ShowPiiOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Preview what a run would make of a file, from its first rows: the sheet and header row, each column's
    field with method and confidence, masked sample values, and what would be carried through. Writes nothing."""
    import json

    from pipeline.console import print_inspection
    from pipeline.inspect import inspect_file
    from pipeline.mapping import parse_overrides
    from pipeline.rulefile import load_rules

    with _errors(verbose):
        loaded = load_rules(rules)
        found = inspect_file(file, rules=loaded, sheet=sheet, overrides=parse_overrides(map_ or []), show_pii=show_pii)
        if json_:
            typer.echo(json.dumps(found.to_dict(), ensure_ascii=False, indent=2))
        else:
            print_inspection(Console(highlight=False), found)


def _date(text: str | None, *, option: str = "--reference-date") -> dt.date | None:
    """A date option: ISO (2025-01-31) or day first as Israelis write it (31/1/2025, 31.01.2025, 31-1-2025)."""
    import re

    from pipeline.errors import InputError

    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        pass
    day_first = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", text.strip())
    try:
        if day_first:
            day, month, year = (int(g) for g in day_first.groups())
            return dt.date(year, month, day)
    except ValueError:
        pass
    raise InputError(f"{option} {text!r} is not a date (expected YYYY-MM-DD or day first, DD/MM/YYYY)") from None


@app.command()
def version() -> None:
    """Print the version (as ``cleanse --version`` does)."""
    typer.echo(f"cleanse {__version__}")


def main() -> None:
    try:
        app()
    except BrokenPipeError:  # `cleanse ... | head`
        sys.exit(EXIT_OK)
