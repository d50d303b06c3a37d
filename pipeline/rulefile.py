"""Loading and checking rules files.

The default pack ships inside the package (built from the top-level ``rules/``). ``--rules PATH`` names a file
or a folder whose files extend the defaults (mappings merge key by key, lists replace); a file whose top level
says ``replace: true`` replaces its default section whole. Every problem in every file is collected and
reported together, each with its file, line and, for an unknown key, the nearest valid one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pipeline.errors import RulesError
from pipeline.gates import Gate, gates_from_rules
from pipeline.rulecheck import VALIDATORS
from pipeline.rules import (
    SECTIONS,
    CheckRules,
    ColumnRules,
    DedupeRules,
    FieldPattern,
    FieldRules,
    Rules,
    ScoringRules,
    Segment,
)
from pipeline.rulespec import CONVERT, SPECS, leaves
from pipeline.ruleyaml import Doc, Problems, default_rules_dir, read_yaml

# ---------------------------------------------------------------------------------------------- merging


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = _merge(base.get(key), value) if key in base else value
        return out
    return over


def _section_docs(path: Path, check: Problems) -> list[tuple[str, Doc, Any]]:
    """(section, doc, data) for a rules file or every YAML file in a folder."""
    if path.is_dir():
        files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
        if not files:
            raise RulesError(["folder has no .yaml rules files"], path=path)
    elif path.is_file():
        files = [path]
    else:
        raise RulesError(["no such rules file or folder"], path=path)
    out: list[tuple[str, Doc, Any]] = []
    for file in files:
        doc = read_yaml(file)
        if file.stem in SECTIONS:
            out.append((file.stem, doc, doc.data))
        elif isinstance(doc.data, dict) and doc.data and all(k in SECTIONS for k in doc.data):
            for section, data in doc.data.items():
                sub = Doc(doc.path, data, {k[1:]: v for k, v in doc.lines.items() if k[:1] == (section,)})
                out.append((section, sub, data))
        else:
            check.add(
                doc,
                (),
                f"cannot tell which rules this file holds: name it one of "
                f"{', '.join(s + '.yaml' for s in SECTIONS)}, or put them under those top-level keys",
            )
    return out


def load_rules(user: Path | str | None = None) -> Rules:
    """The shipped defaults, extended or replaced by the user's rules file or folder."""
    check = Problems()
    merged: dict[str, Any] = {}
    sources: list[str] = []
    paths = [default_rules_dir()] + ([Path(user)] if user is not None else [])
    for path in paths:
        for section, doc, data in _section_docs(path, check):
            VALIDATORS[section](check, doc, data)
            if isinstance(data, dict):
                data = dict(data)
                replace = bool(data.pop("replace", False))
                merged[section] = data if replace else _merge(merged.get(section, {}), data)
            sources.append(str(doc.path))
    if check.problems:
        raise RulesError(check.problems)
    return _build(merged, tuple(sources))


# --------------------------------------------------------------------------------------- building, dumping

_SECTION_TYPES: dict[str, type] = {
    "columns": ColumnRules,
    "checks": CheckRules,
    "fields": FieldRules,
    "scoring": ScoringRules,
    "dedupe": DedupeRules,
}


def _lookup(data: Any, path: tuple[str, ...]) -> Any:
    node = data
    for name in path:
        node = node.get(name) if isinstance(node, dict) else None
    return node


def _section(name: str, data: Any) -> Any:
    """A section's rules object from its merged file data: each key's value, or its declared default."""
    values: dict[str, Any] = {}
    for path, key in leaves(SPECS[name]):
        raw = _lookup(data, path)
        value = CONVERT[key.kind](key, key.default if raw is None else raw)
        if key.kind == "lists":  # every allowed name is present, with no aliases where none are given
            value = {k: value.get(k, ()) for k in key.allowed or ()}
        if key.kind == "segments":
            value = tuple(Segment(str(s[0]), (s[1], s[2]), (s[3], s[4]), (s[5], s[6])) for s in value)
        if key.item is not None:
            values.setdefault(key.attr, {})[key.item] = value
        else:
            values[key.attr] = value
    frozen = {k: MappingProxyType(v) if isinstance(v, dict) else v for k, v in values.items()}
    return _SECTION_TYPES[name](**frozen)


# attributes a section's rules object takes from another section when the rules are built, not from a key of its own
DERIVED = {"columns": {"yes_no"}}


def _build(data: dict[str, Any], sources: tuple[str, ...]) -> Rules:
    consent = (data.get("fields", {}) or {}).get("consent") or {}
    yes_no = tuple(str(v).lower() for v in [*(consent.get("yes") or ()), *(consent.get("no") or ())])
    return Rules(
        columns=replace(_section("columns", data.get("columns", {})), yes_no=yes_no),
        checks=_section("checks", data.get("checks", {})),
        fields=_section("fields", data.get("fields", {})),
        scoring=_section("scoring", data.get("scoring", {})),
        gates=gates_from_rules((data.get("gates") or {}).get("gates") or []),
        dedupe=_section("dedupe", data.get("dedupe", {})),
        sources=sources,
    )


def _plain(value: Any) -> Any:
    """A rules object's value as a YAML file writes it."""
    if isinstance(value, Segment):
        return [value.name, *value.r, *value.f, *value.m]
    if isinstance(value, FieldPattern):
        return {"any": _plain(value.any), "also": _plain(value.also), "not": _plain(value.not_)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _gate_data(gate: Gate) -> dict[str, Any]:
    levels = {k: v for k, v in (("warn", gate.warn), ("fail", gate.fail)) if v is not None}
    item: dict[str, Any] = {"name": gate.name, "metric": gate.metric, gate.direction: levels}
    if gate.max_drop is not None:
        item["max_drop"] = gate.max_drop
    return item


def dump_rules(rules: Rules) -> dict[str, dict[str, Any]]:
    """The rules as the data of a rules folder: section -> what its ``<section>.yaml`` would hold (every key,
    ``replace: true``), so ``load_rules`` of those files gives ``rules`` back."""
    out: dict[str, dict[str, Any]] = {}
    for name in _SECTION_TYPES:
        obj = getattr(rules, name)
        data: dict[str, Any] = {"replace": True}
        for path, key in leaves(SPECS[name]):
            value = getattr(obj, key.attr)
            value = value[key.item] if key.item is not None else value
            node = data
            for part in path[:-1]:
                node = node.setdefault(part, {})
            node[path[-1]] = _plain(value)
        out[name] = data
    out["gates"] = {"replace": True, "gates": [_gate_data(g) for g in rules.gates]}
    return out


def declared_attributes() -> dict[str, set[str]]:
    """Section -> the attributes of its rules object that the spec fills (for the test that each is read)."""
    out = {name: {key.attr for _, key in leaves(SPECS[name])} for name in _SECTION_TYPES}
    for name, cls in _SECTION_TYPES.items():
        assert out[name] | DERIVED.get(name, set()) == {f.name for f in fields(cls)}, name
    return out
