"""The ``cleanse`` command line. Thin: turns flags into plain values and calls the library.

Exit codes mean one thing everywhere: 0 ok, 1 the data failed its checks, 2 the input or the rules could not
be used or an output may not be written where asked (one line on stderr, no traceback unless --verbose), 3 an
internal error (a bug: please report it), 143 stopped by SIGTERM (after removing what it had half-written).

The app is assembled here: each command lives in its own module (``run``, ``check``, ``scrub``, ``inspect``)
and what they share in ``conventions``.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from typing import Annotated

import typer

from pipeline import __version__
from pipeline.cli import check, inspect, run, scrub
from pipeline.cli.conventions import EXIT_OK, EXIT_USAGE
from pipeline.errors import one_line

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


def _parser_errors() -> tuple[type[Exception], type[Exception]]:
    """The option parser's usage error and the base of all its errors: newer typer vendors click (``typer._click``),
    older typer depends on it."""
    for module in ("typer._click.exceptions", "click.exceptions"):
        with contextlib.suppress(ImportError):
            errors = importlib.import_module(module)
            return errors.UsageError, errors.ClickException
    raise ImportError("neither typer._click nor click is installed")  # pragma: no cover


def _message(exc: Exception) -> str:
    """A parser error's message (its classes come from whichever click is installed: ``_parser_errors``), as one
    printable line, as ours are."""
    return one_line(exc.format_message())  # type: ignore[attr-defined]


def main() -> None:
    """The console script. A usage error (``--chunk-rows 0``, an unknown option) is one line on stderr and exit 2,
    as every other refusal is, not the parser's usage box."""
    usage_error, parser_error = _parser_errors()
    try:
        code = app(standalone_mode=False)
    except BrokenPipeError:  # `cleanse ... | head`
        sys.exit(EXIT_OK)
    except usage_error as exc:
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:  # plain `cleanse`: the help, as before
            typer.echo(ctx.get_help())
            sys.exit(EXIT_USAGE)
        where = f" ('{ctx.command_path} -h' lists the options)" if ctx is not None else ""
        typer.echo(f"cleanse: error: {_message(exc)}{where}", err=True)
        sys.exit(EXIT_USAGE)
    except parser_error as exc:  # the parser's other errors (a file it could not open): one line too
        typer.echo(f"cleanse: error: {_message(exc)}", err=True)
        sys.exit(getattr(exc, "exit_code", EXIT_USAGE))
    except typer.Abort:
        typer.echo("Aborted!", err=True)
        sys.exit(1)
    # a command ends by raising typer.Exit(code), which comes back here as the code; one that returns gives None
    sys.exit(code if type(code) is int else EXIT_OK)
