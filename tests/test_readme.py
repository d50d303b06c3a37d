"""The README's reference tables name exactly what the code has (as sqlite-utils tests its docs): every command,
every option of every command, every rules key, every ledger action and every exit code."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import typer.main

from pipeline import cli
from pipeline.checks import Action
from pipeline.cli.conventions import EXIT_DATA, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE
from pipeline.leftovers import EXIT_TERMINATED
from pipeline.rulespec import SPECS, leaves

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
COMMANDS = typer.main.get_command(cli.app).commands  # type: ignore[attr-defined]


def _table(heading: str) -> list[list[str]]:
    """The body rows of the table under ``heading`` (cells stripped of spaces)."""
    start = README.index(f"\n{heading}\n")
    rows: list[list[str]] = []
    for line in README[start + len(heading) + 2 :].splitlines():
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not set(cells[0]) <= set("-"):  # not the |---| line
            rows.append(cells)
    return rows[1:]  # the header row


def _ticked(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def test_commands_table() -> None:
    assert {_ticked(r[0])[0] for r in _table("### Commands")} == {f"cleanse {name}" for name in COMMANDS}


def test_options_table() -> None:
    documented = {(r[0].strip("`"), opt) for r in _table("### Options") for opt in _ticked(r[1])}
    actual = {
        (name, opt)
        for name, command in COMMANDS.items()
        for param in command.params
        if param.param_type_name == "option" and param.name != "help"
        for opt in param.opts
    }
    actual |= {("(any)", "--version"), ("(any)", "-h"), ("(any)", "--help")}
    assert documented == actual


def test_options_table_says_what_the_help_says() -> None:
    """Each option's line in the README is its ``--help`` text (backticks aside): the two drifted apart once
    (``--reference-date`` sets the scoring date too, and the README left that out)."""
    documented = {
        (r[0].strip("`"), opt): r[2].strip().replace("`", "") for r in _table("### Options") for opt in _ticked(r[1])
    }
    helps = {
        (name, opt): (param.help or "").strip()
        for name, command in COMMANDS.items()
        for param in command.params
        if param.param_type_name == "option" and param.name != "help"
        for opt in param.opts
    }
    assert {key: documented.get(key) for key in helps} == helps


def test_rule_keys_table() -> None:
    documented = {(r[0].strip("`"), r[1].strip("`")) for r in _table("### Rule keys")}
    actual = {(f"{section}.yaml", ".".join(path)) for section, spec in SPECS.items() for path, _ in leaves(spec)}
    assert documented == actual | {("gates.yaml", "gates")}


def test_ledger_actions_table() -> None:
    assert {r[0].strip("`") for r in _table("### Ledger actions")} == set(typing.get_args(Action))


def test_exit_codes_table() -> None:
    codes = {EXIT_OK, EXIT_DATA, EXIT_USAGE, EXIT_INTERNAL, EXIT_TERMINATED}
    assert {int(r[0]) for r in _table("### Exit codes")} == codes
