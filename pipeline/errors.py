"""Errors a user can act on. Each renders as one line; the CLI maps them to exit code 2."""

from __future__ import annotations

from pathlib import Path


class CleanseError(Exception):
    """An input or a rules file that cannot be used. Rendered as one line, exit code 2."""

    exit_code = 2

    def __init__(self, message: str, *, path: Path | str | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.message = message
        super().__init__(self.one_line())

    def one_line(self) -> str:
        text = " ".join(self.message.split())
        return f"{self.path}: {text}" if self.path else text


class InputError(CleanseError):
    """The member file (or a suppression file) cannot be read as a member table."""


class RulesError(CleanseError):
    """A rules file cannot be read, parsed or understood. Carries every problem found, not just the first."""

    def __init__(self, problems: list[str], *, path: Path | str | None = None) -> None:
        self.problems = problems
        summary = problems[0] if len(problems) == 1 else f"{len(problems)} problems: " + "; ".join(problems)
        super().__init__(summary, path=path)


class OutputError(CleanseError):
    """An output cannot be written where asked: onto an input, over a file cleanse did not write, or into a place
    that cannot hold it (see ``pipeline.outputs``)."""
