"""The ``cleanse`` command line. Thin: turns flags into plain values and calls the library.

Exit codes mean one thing everywhere: 0 ok, 1 the data failed its checks, 2 the input or the rules could not
be used or an output may not be written where asked (one line on stderr, no traceback unless --verbose), 3 an
internal error (a bug: please report it), 143 stopped by SIGTERM (after removing what it had half-written).

The app is assembled here: each command lives in its own module (``run``, ``check``, ``scrub``, ``inspect``)
and what they share in ``conventions``.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from pipeline import __version__
from pipeline.cli import check, inspect, run, scrub
from pipeline.cli.conventions import EXIT_OK

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Clean, validate, deduplicate and score loyalty-club member files.",
)


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


app.command()(run.run)
app.command()(check.check)
app.command()(scrub.scrub)
app.command()(inspect.inspect)


@app.command()
def version() -> None:
    """Print the version (as ``cleanse --version`` does)."""
    typer.echo(f"cleanse {__version__}")


def main() -> None:
    try:
        app()
    except BrokenPipeError:  # `cleanse ... | head`
        sys.exit(EXIT_OK)
