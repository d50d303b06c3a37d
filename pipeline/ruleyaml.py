"""Reading a rules file as YAML that remembers where each key was written, and collecting problems with file, line
and the nearest valid key, so a user sees all of them at once."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from pipeline import safe_yaml
from pipeline.errors import RulesError


@dataclass
class Doc:
    path: Path
    data: Any
    lines: dict[tuple[Any, ...], int]

    def at(self, keypath: tuple[Any, ...]) -> str:
        for cut in range(len(keypath), -1, -1):
            if keypath[:cut] in self.lines:
                return f"line {self.lines[keypath[:cut]]}"
        return "line 1"


def read_yaml(path: Path) -> Doc:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError([f"cannot read rules file: {exc}"], path=path) from exc
    try:
        node, data = safe_yaml.load(text)  # bounded: an alias bomb or deep nesting is refused in milliseconds
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise RulesError([f"{where}not valid YAML ({problem})"], path=path) from exc
    lines: dict[tuple[Any, ...], int] = {}

    def walk(n: yaml.Node | None, keypath: tuple[Any, ...]) -> None:
        if n is None:
            return
        lines[keypath] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            for key_node, value_node in n.value:
                walk(value_node, (*keypath, key_node.value))
                lines[(*keypath, key_node.value)] = key_node.start_mark.line + 1
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                walk(item, (*keypath, i))

    walk(node, ())
    return Doc(path, {} if data is None else data, lines)


def nearest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else f" (valid: {', '.join(sorted(options))})"


class Problems:
    """Collects problems with file and line, so a user sees all of them at once."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, doc: Doc, keypath: tuple[Any, ...], message: str) -> None:
        self.problems.append(f"{doc.path}: {doc.at(keypath)}: {message}")

    def keys(self, doc: Doc, value: Any, keypath: tuple[Any, ...], allowed: list[str]) -> bool:
        if not isinstance(value, dict):
            self.add(doc, keypath, f"expected a mapping of keys, got {type(value).__name__}")
            return False
        for key in value:
            if str(key) not in allowed:
                self.add(doc, (*keypath, key), f"unknown key {key!r}{nearest(str(key), allowed)}")
        return True

    def typed(self, doc: Doc, value: Any, keypath: tuple[Any, ...], kind: type | tuple[type, ...], what: str) -> bool:
        # YAML's true/false are ints to Python; never accept them where a number is asked for
        ok = not (isinstance(value, bool) and kind in (int, float, (int, float))) and isinstance(value, kind)
        if not ok:
            self.add(doc, keypath, f"{'.'.join(map(str, keypath))} must be {what}, got {value!r}")
        return ok


def default_rules_dir() -> Path:
    """The shipped rule pack: inside the installed wheel, or the checkout's ``rules/`` in development."""
    packaged = resources.files("pipeline") / "_default_rules"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "rules"
