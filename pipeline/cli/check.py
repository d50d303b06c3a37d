"""``cleanse check``: the quality gates of the rules measured on a member file, for CI. Writes no data: the
gates' outcome is the exit code (0 passed, 1 a gate failed), printed as text or as GitHub annotations, and
optionally written as JUnit XML and as a JSON report that the next check can take as its baseline.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pipeline.cli.conventions import (
    EXIT_DATA,
    EXIT_OK,
    ForceOpt,
    MapOpt,
    QuietOpt,
    ReferenceDateOpt,
    RulesOpt,
    SheetOpt,
    VerboseOpt,
    failures_as_exits,
    reading_options,
    sweep_leftovers,
)


class FailOn(StrEnum):
    """Which gate outcome fails ``cleanse check``."""

    FAIL = "fail"
    WARN = "warn"


class OutputFormat(StrEnum):
    """How ``cleanse check`` prints its gates."""

    TEXT = "text"
    GITHUB = "github"


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
    from pipeline.rulefile import load_rules
    from pipeline.runner import process

    console = Console(quiet=quiet, highlight=False)
    with failures_as_exits(verbose):
        # the output policy, before any work: never onto the file, the baseline or the rules
        if junit is not None and report is not None and outputs.same_place(junit, report):
            raise OutputError("--junit and --report name the same file", path=junit)
        for written in (junit, report):
            if written is not None:
                outputs.check_file(written, inputs=(file, baseline, rules), force=force)
        sweep_leftovers(*(w.parent for w in (junit, report) if w is not None), quiet=quiet)
        loaded = load_rules(rules)
        if not loaded.gates:
            raise RulesError(["the rules define no gates: cleanse check would check nothing"])
        options = reading_options(sheet=sheet, map_=map_, reference_date=reference_date, stop_after="quarantine")
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
