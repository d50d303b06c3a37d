"""Errors a user can act on. Each renders as one line; the CLI maps them to exit code 2."""

from __future__ import annotations

import re
from pathlib import Path

# Escape sequences (CSI: colours, cursor; OSC: window title, hyperlinks; other ESC pairs), then any C0/C1 control
# character left: a file's text printed as it is can retitle the window, recolour or clear the screen.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x9b[0-?]*[ -/]*[@-~]|\x1b[@-_]?")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` as a terminal can show it safely: escape sequences and control characters removed, line breaks
    and tabs kept.

    >>> printable("\x1b]0;pwned\x07name\x1b[31m!")
    'name!'
    """
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def one_line(text: str) -> str:
    """``text`` printable and on one line (an error message that quotes a file's cell may hold line breaks)."""
    return " ".join(printable(text).split())


class CleanseError(Exception):
    """An input or a rules file that cannot be used. Rendered as one line, exit code 2."""

    exit_code = 2

    def __init__(self, message: str, *, path: Path | str | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.message = message
        super().__init__(self.one_line())

    def one_line(self) -> str:
        text = one_line(self.message)
        return f"{printable(self.path)}: {text}" if self.path else text


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
