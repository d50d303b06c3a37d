"""The ``cleanse`` command line. Thin: turns flags into plain values and calls the library.

Exit codes mean one thing everywhere: 0 ok, 1 the data failed its checks, 2 the input or the rules could not
be used (one line on stderr, no traceback unless --verbose), 3 an internal error (a bug: please report it).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pipeline.errors import CleanseError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Clean, validate, deduplicate and score loyalty-club member files.",
)

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

EXIT_OK, EXIT_DATA, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


@contextlib.contextmanager
def _errors(verbose: bool) -> Iterator[None]:
    """One line and a meaningful exit code for every failure; the traceback only with --verbose."""
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        yield
    except CleanseError as exc:
        if verbose:
            raise
        err.print(f"cleanse: error: {exc.one_line()}", markup=False)
        raise typer.Exit(EXIT_USAGE) from None
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


@app.command()
def run(
    file: Annotated[Path, typer.Argument(help="The member file: .xlsx, .csv/.tsv/.txt or .parquet.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output folder (default: <file>_cleansed beside the input).")
    ] = None,
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="Sheet name or number (default: the first with known headers).")
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help='Override one column: "HEADER=field" (repeatable; field "-" unmaps it).'),
    ] = None,
    xlsx_max_rows: Annotated[
        int, typer.Option("--xlsx-max-rows", help="Write members_clean.xlsx only up to this many rows (xlsx is slow).")
    ] = 50_000,
    check_dns: Annotated[
        bool, typer.Option("--check-dns", help="Check that each e-mail domain receives mail (DNS; needs network).")
    ] = False,
    reference_date: Annotated[
        str | None,
        typer.Option("--reference-date", help="Date for ages and 'in the future' (YYYY-MM-DD; default today)."),
    ] = None,
    rules: RulesOpt = None,
    show_pii: ShowPiiOpt = False,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Clean a member file and write the clean table, merge map, quarantine, ledger and report."""
    from pipeline.console import StageProgress, print_mapping, print_summary
    from pipeline.mapping import parse_overrides
    from pipeline.rules import load_rules
    from pipeline.runner import RunOptions, default_out, process, write_outputs

    console = Console(stderr=False, quiet=quiet, highlight=False)
    with _errors(verbose):
        loaded = load_rules(rules)
        options = RunOptions(
            sheet=sheet,
            overrides=parse_overrides(map_ or []),
            show_pii=show_pii,
            xlsx_max_rows=xlsx_max_rows,
            check_dns=check_dns,
            reference_date=_date(reference_date),
        )
        progress = StageProgress(Console(stderr=True, quiet=quiet, highlight=False))
        result = process(file, rules=loaded, options=options, progress=progress)
        print_mapping(console, result.mapping)
        target = out if out is not None else default_out(file)
        files, report = write_outputs(result, target, options=options)
        print_summary(console, report, out=str(target), files=files)
        if not result.accounted:  # a bug, never a data problem: refuse to call this run good
            raise RuntimeError("rows in != rows in the merge map + rows in quarantine")


def _date(text: str | None) -> dt.date | None:
    from pipeline.errors import InputError

    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--reference-date {text!r} is not a date (expected YYYY-MM-DD)") from None


@app.command()
def version() -> None:
    """Print the version."""
    from pipeline import __version__

    typer.echo(f"cleanse {__version__}")


def main() -> None:
    try:
        app()
    except BrokenPipeError:  # `cleanse ... | head`
        sys.exit(EXIT_OK)
