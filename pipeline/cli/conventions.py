"""What every ``cleanse`` command does the same way: the options several commands take, declared once so that
a flag reads the same in every command, and the way out of a command, where a failure becomes one line on stderr
and an exit code that means one thing everywhere (the codes are below; the package docstring says what each
means). A new command takes these instead of declaring its own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from pipeline.errors import CleanseError
from pipeline.leftovers import EXIT_TERMINATED, Terminated, terminate_as_exception

if TYPE_CHECKING:
    from pipeline.options import RunOptions

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
def failures_as_exits(verbose: bool) -> Iterator[None]:
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


def sweep_leftovers(*folders: Path, quiet: bool) -> None:
    """Remove what killed cleanse runs left where this command writes, and say so in one line per folder."""
    from pipeline.leftovers import sweep

    err = Console(stderr=True, quiet=quiet, highlight=False, soft_wrap=True)
    for folder in dict.fromkeys(Path(f) for f in folders):
        line = sweep(folder).line()
        if line:
            err.print(f"cleanse: note: {line}", markup=False)


def date_option(text: str | None, *, option: str = "--reference-date") -> dt.date | None:
    """A date option, read as a date in the member file is (``fields.dates.parse_dates``): ISO (2025-01-31) or day
    first as Israelis write it (31/1/2025, 31.01.2025). An Excel day number is a cell's, not a person's typing, and
    is refused with everything else that is not a date."""
    import polars as pl

    from pipeline.errors import InputError
    from pipeline.fields.dates import parse_dates

    if text is None:
        return None
    read = parse_dates(pl.Series([text.strip()]), reference=dt.date.today()).row(0, named=True)
    if read["value"] is None or read["serial"]:
        raise InputError(f"{option} {text!r} is not a date (expected YYYY-MM-DD or day first, DD/MM/YYYY)")
    return read["value"]


def reading_options(
    *, sheet: str | None, map_: list[str] | None, reference_date: str | None, **more: Any
) -> RunOptions:
    """The run options of the flags every command that reads a member file takes (``--sheet``, ``--map``,
    ``--reference-date``), checked the same way in each, with a command's own ``more``."""
    from pipeline.mapping import parse_overrides
    from pipeline.options import RunOptions

    return RunOptions(
        sheet=sheet, overrides=parse_overrides(map_ or []), reference_date=date_option(reference_date), **more
    )
