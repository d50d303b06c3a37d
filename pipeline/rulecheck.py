"""Checking a rules file against the spec (``pipeline.rulespec``): every key's kind and allowed values, the
checks that span keys (a review threshold above the merge one, patterns that name unknown word classes, gates on
unknown metrics), every problem collected with file, line and the nearest valid key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pipeline.catalogue import CATALOGUE, SEVERITIES
from pipeline.errors import RulesError
from pipeline.fields import FIELDS
from pipeline.gates import metric_known
from pipeline.rulespec import SPECS, Key, Spec
from pipeline.ruleyaml import Doc, Problems, default_rules_dir, nearest, read_yaml


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


VALIDATORS: dict[str, Callable[[Problems, Doc, Any], None]] = {
    "columns": _check_columns,
    "checks": lambda check, doc, data: _check_spec(check, doc, data, SPECS["checks"]),
    "fields": lambda check, doc, data: _check_spec(check, doc, data, SPECS["fields"]),
    "scoring": lambda check, doc, data: _check_spec(check, doc, data, SPECS["scoring"]),
    "dedupe": _check_dedupe,
    "gates": _check_gates,
}
