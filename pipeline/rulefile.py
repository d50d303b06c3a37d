"""Loading and checking rules files.

The default pack ships inside the package (built from the top-level ``rules/``). ``--rules PATH`` names a file
or a folder whose files extend the defaults (mappings merge key by key, lists replace); a file whose top level
says ``replace: true`` replaces its default section whole. Every problem in every file is collected and
reported together, each with its file, line and, for an unknown key, the nearest valid one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields, replace
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pipeline.catalogue import CATALOGUE, SEVERITIES
from pipeline.errors import RulesError
from pipeline.fields import FIELDS
from pipeline.gates import Gate, gates_from_rules, metric_known
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
from pipeline.rulespec import CONVERT, SPECS, Key, Spec, leaves
from pipeline.ruleyaml import Doc, Problems, nearest, read_yaml

# ---------------------------------------------------------------------------------------------- reading


def default_rules_dir() -> Path:
    """The shipped rule pack: inside the installed wheel, or the checkout's ``rules/`` in development."""
    packaged = resources.files("pipeline") / "_default_rules"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "rules"


# ------------------------------------------------------------------------------------------ validation


def _str_list(check: Problems, doc: Doc, value: Any, keypath: tuple[Any, ...]) -> bool:
    label = ".".join(map(str, keypath))
    if not isinstance(value, list):
        check.add(doc, keypath, f"{label} must be a list of text values")
        return False
    ok = True
    for i, item in enumerate(value):
        if isinstance(item, bool):
            check.add(
                doc,
                (*keypath, i),
                f"{label} item {i + 1} was read as a boolean: "
                "put it in quotes (YAML reads yes/no/on/off/true/false as booleans)",
            )
            ok = False
        elif not isinstance(item, str | int | float):
            check.add(doc, (*keypath, i), f"{label} item {i + 1} must be text")
            ok = False
    return ok


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_value(check: Problems, doc: Doc, key: Key, value: Any, where: tuple[Any, ...]) -> None:
    """One key's value against its declaration (``pipeline.rulespec``)."""
    label = ".".join(map(str, where))
    kind, allowed = key.kind, list(key.allowed or ())
    if kind == "texts":
        _str_list(check, doc, value, where)
    elif kind == "choices":
        if not isinstance(value, list):
            check.add(doc, where, f"{label} must be a list of {key.noun}s")
            return
        for i, item in enumerate(value):
            if item not in allowed:
                check.add(doc, (*where, i), f"unknown {key.noun} {item!r}{nearest(str(item), allowed)}")
    elif kind == "choice":
        if value not in allowed and len(allowed) <= 3:  # a few choices: name them all
            check.add(doc, where, f"{label} must be {', '.join(allowed[:-1])} or {allowed[-1]}, not {value!r}")
        elif value not in allowed:
            check.add(doc, where, f"unknown {key.noun} {value!r}{nearest(str(value), allowed)}")
    elif kind in ("int", "number"):
        if kind == "int":
            ok = check.typed(doc, value, where, int, "a whole number")
        else:
            what = (
                f"a number from {key.lo:g} to {key.hi:g}" if key.lo is not None and key.hi is not None else "a number"
            )
            ok = check.typed(doc, value, where, (int, float), what)
        if ok and key.lo is not None and key.hi is None and value < key.lo:
            check.add(doc, where, f"{label} must be at least {key.lo:g}")
        if ok and key.lo is not None and key.hi is not None:
            inside = key.lo < value < key.hi if key.open_range else key.lo <= value <= key.hi
            if not inside:
                check.add(doc, where, f"{label} must be between {key.lo:g} and {key.hi:g}")
    elif kind == "text":
        if not isinstance(value, str):
            check.add(doc, where, f"{label} must be text")
    elif kind == "date":
        if not isinstance(value, str) and not hasattr(value, "isoformat"):
            check.add(doc, where, f"{label} must be 'latest_purchase' or a date (YYYY-MM-DD)")
    elif kind == "path":
        if value is not None and not isinstance(value, str):
            check.add(doc, where, f"{label} must be a file path or null")
    elif kind == "map":
        if not isinstance(value, dict) or not all(isinstance(v, str | int) for v in value.values()):
            check.add(doc, where, f"{label} must be a mapping of text to text")
    elif kind == "lists":
        if check.keys(doc, value, where, allowed):
            for name, items in value.items():
                _str_list(check, doc, items, (*where, name))
    elif kind == "wordlists":
        if not isinstance(value, dict):
            check.add(doc, where, f"{label} must map names to lists of text")
            return
        for name, items in value.items():
            _str_list(check, doc, items, (*where, name))
    elif kind == "patterns":
        if not check.keys(doc, value or {}, where, allowed):
            return
        for name, pattern in (value or {}).items():
            at = (*where, name)
            if not check.keys(doc, pattern, at, ["any", "also", "not"]):
                continue
            sets = pattern.get("any")
            if not isinstance(sets, list) or not sets:
                check.add(doc, (*at, "any"), f"{label}.{name}.any must be a list of lists of word classes")
                continue
            for i, one in enumerate(sets):
                _str_list(check, doc, one, (*at, "any", i))
            for part in ("also", "not"):
                if part in pattern:
                    _str_list(check, doc, pattern[part], (*at, part))
    elif kind == "choice_map":
        if check.keys(doc, value or {}, where, allowed):
            values = list(key.values or ())
            for name, rule in (value or {}).items():
                if rule not in values:
                    check.add(doc, (*where, name), f"unknown {key.noun} {rule!r}{nearest(str(rule), values)}")
    elif kind == "severities":
        if check.keys(doc, value or {}, where, allowed):
            for code, level in (value or {}).items():
                if level not in SEVERITIES:
                    check.add(doc, (*where, code), f"severity of {code!r} must be one of {', '.join(SEVERITIES)}")
    elif kind == "weights":
        if not isinstance(value, dict) or not all(isinstance(v, int | float) for v in value.values()):
            check.add(doc, where, f"{label} must map names to numbers")
        elif len(value) > 39:  # a member's quality state is one base-3 digit per weighted field in an Int64
            check.add(doc, where, f"{label} may name at most 39 entries")
    elif kind == "ints":
        if not isinstance(value, list) or not all(_is_int(v) for v in value):
            check.add(doc, where, f"{label} must be a list of whole numbers")
    elif kind == "pairs":
        if not isinstance(value, list) or not all(isinstance(v, list) and len(v) == 2 for v in value):
            check.add(doc, where, f"{label} must be a list of [from, to] pairs")
    elif kind == "segments":
        ok = isinstance(value, list) and all(
            isinstance(v, list)
            and len(v) == 7
            and isinstance(v[0], str)
            and all(_is_int(n) and 1 <= n <= 5 for n in v[1:])
            for v in value
        )
        if not ok:
            check.add(
                doc,
                where,
                f"{label} must be a list of [name, R min, R max, F min, F max, M min, M max] with scores from 1 to 5",
            )
        else:  # every R-F-M cell needs a segment: a gap would silently become "Other"
            gaps = [
                (r, f, m)
                for r in range(1, 6)
                for f in range(1, 6)
                for m in range(1, 6)
                if not any(v[1] <= r <= v[2] and v[3] <= f <= v[4] and v[5] <= m <= v[6] for v in value)
            ]
            if gaps:
                cells = ", ".join(f"R{r} F{f} M{m}" for r, f, m in gaps[:5])
                more = f" and {len(gaps) - 5} more" if len(gaps) > 5 else ""
                check.add(doc, where, f"{label} leaves {cells}{more} without a segment")


def _check_spec(check: Problems, doc: Doc, data: Any, spec: Spec, where: tuple[Any, ...] = ()) -> None:
    """A section (or a part of one) against its spec: unknown keys named with the nearest known one, each value
    against its key's kind."""
    allowed = list(spec) + (["replace"] if not where else [])
    if not check.keys(doc, data, where, allowed):
        return
    for name, node in spec.items():
        if name not in data:
            continue
        if isinstance(node, Key):
            _check_value(check, doc, node, data[name], (*where, name))
        else:
            _check_spec(check, doc, data[name] if data[name] is not None else {}, node, (*where, name))


def _check_dedupe(check: Problems, doc: Doc, data: Any) -> None:
    _check_spec(check, doc, data, SPECS["dedupe"])
    thresholds = data.get("thresholds") if isinstance(data, dict) else None
    if isinstance(thresholds, dict):
        review = thresholds.get("review", _default("dedupe", ("thresholds", "review")))
        merge = thresholds.get("merge", _default("dedupe", ("thresholds", "merge")))
        if isinstance(review, int | float) and isinstance(merge, int | float) and review > merge:
            check.add(doc, ("thresholds",), "thresholds.review must not be above thresholds.merge")


def _default(section: str, path: tuple[str, ...]) -> Any:
    node: Any = SPECS[section]
    for name in path:
        node = node[name]
    return node.default


def _check_gates(check: Problems, doc: Doc, data: Any) -> None:
    if not check.keys(doc, data, (), ["replace", "gates"]):
        return
    items = data.get("gates") or []
    if not isinstance(items, list):
        check.add(doc, ("gates",), "gates must be a list of gates")
        return
    catalogue = list(CATALOGUE)
    for i, item in enumerate(items):
        where = ("gates", i)
        if not check.keys(doc, item, where, ["name", "metric", "min", "max", "max_drop"]):
            continue
        for key in ("name", "metric"):
            if not isinstance(item.get(key), str):
                check.add(doc, where, f"gate {i + 1} needs a {key}")
        metric = item.get("metric")
        if isinstance(metric, str) and not metric_known(metric, catalogue):
            head, _, tail = metric.partition(":")
            options = catalogue if head in ("check_pct", "check_count") else list(FIELDS)
            hint = nearest(tail, options) if tail else ""
            check.add(doc, (*where, "metric"), f"unknown metric {metric!r}{hint}")
        directions = [d for d in ("min", "max") if d in item]
        if len(directions) != 1:
            check.add(doc, where, f"gate {i + 1} needs exactly one of min or max")
            continue
        levels = item[directions[0]]
        if check.keys(doc, levels, (*where, directions[0]), ["warn", "fail"]):
            if not levels:
                check.add(doc, (*where, directions[0]), "give a warn level, a fail level or both")
            for level, value in levels.items():
                check.typed(doc, value, (*where, directions[0], level), (int, float), "a number")
        if "max_drop" in item:
            check.typed(doc, item["max_drop"], (*where, "max_drop"), (int, float), "a number")


def _check_columns(check: Problems, doc: Doc, data: Any) -> None:
    """columns.yaml's keys, and that its patterns and neutral classes name word classes that exist (the file's
    own or the shipped ones)."""
    _check_spec(check, doc, data, SPECS["columns"])
    if not isinstance(data, dict):
        return
    words = data.get("words")
    own = {str(k) for k in words} if isinstance(words, dict) else set()
    classes = sorted(own | _shipped_word_classes())

    def known(value: Any, where: tuple[Any, ...]) -> None:
        for i, name in enumerate(value if isinstance(value, list) else []):
            if str(name) not in classes:
                check.add(doc, (*where, i), f"unknown word class {name!r}{nearest(str(name), classes)}")

    if "neutral" in data:
        known(data["neutral"], ("neutral",))
    patterns = data.get("patterns")
    for name, pattern in (patterns if isinstance(patterns, dict) else {}).items():
        if not isinstance(pattern, dict):
            continue
        for i, one in enumerate(pattern.get("any") or [] if isinstance(pattern.get("any"), list) else []):
            known(one, ("patterns", name, "any", i))
        for part in ("also", "not"):
            known(pattern.get(part), ("patterns", name, part))


def _shipped_word_classes() -> set[str]:
    """The word classes of the shipped columns.yaml: a user's patterns may name them without repeating them."""
    try:
        data = read_yaml(default_rules_dir() / "columns.yaml").data
    except RulesError:
        return set()
    words = data.get("words") if isinstance(data, dict) else None
    return {str(k) for k in words} if isinstance(words, dict) else set()


_VALIDATORS: dict[str, Callable[[Problems, Doc, Any], None]] = {
    "columns": _check_columns,
    "checks": lambda check, doc, data: _check_spec(check, doc, data, SPECS["checks"]),
    "fields": lambda check, doc, data: _check_spec(check, doc, data, SPECS["fields"]),
    "scoring": lambda check, doc, data: _check_spec(check, doc, data, SPECS["scoring"]),
    "dedupe": _check_dedupe,
    "gates": _check_gates,
}


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
            _VALIDATORS[section](check, doc, data)
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
