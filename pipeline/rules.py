"""Loading and checking rules files.

The default pack ships inside the package (built from the top-level ``rules/``). ``--rules PATH`` names a file
or a folder whose files extend the defaults (mappings merge key by key, lists replace); a file whose top level
says ``replace: true`` replaces its default section whole. Every problem in every file is collected and
reported together, each with its file, line and, for an unknown key, the nearest valid one.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from pipeline import safe_yaml
from pipeline.catalogue import SEVERITIES, all_checks
from pipeline.errors import RulesError
from pipeline.fields import FIELDS
from pipeline.gates import Gate, gates_from_rules, metric_known
from pipeline.ingest import MAX_CELLS, MAX_COLUMNS

SECTIONS = ("columns", "checks", "fields", "scoring", "gates", "dedupe")
_LIMITS = ("max_cells", "max_columns")  # checks.yaml: what a member file may span (ingest refuses beyond)


@dataclass(frozen=True)
class ColumnRules:
    """Which headers each canonical field is known by."""

    aliases: Mapping[str, tuple[str, ...]]
    fuzzy_threshold: float = 88.0
    fuzzy_min_length: int = 4


@dataclass(frozen=True)
class CheckRules:
    placeholders: tuple[str, ...] = ()
    identity_fields: tuple[str, ...] = ("member_id", "national_id", "phone_mobile", "phone_other", "email")
    severity: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    min_age: int = 16
    max_age: int = 120
    quarantine_on: tuple[str, ...] = ()
    max_cells: int = MAX_CELLS  # a sheet spanning more is refused before it is loaded
    max_columns: int = MAX_COLUMNS  # a header wider is refused


@dataclass(frozen=True)
class FieldRules:
    """Per-field vocabularies and parameters (``fields.yaml``)."""

    phone_fake_numbers: tuple[str, ...] = ()
    phone_max_members_per_number: int = 25
    national_id_min_digits: int = 7
    national_id_fakes: tuple[str, ...] = ()
    email_domain_typos: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    email_role_accounts: tuple[str, ...] = ()
    gender_values: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    consent_yes: tuple[str, ...] = ()
    consent_no: tuple[str, ...] = ()
    birth_placeholders: tuple[str, ...] = ()
    two_digit_year_pivot: int = 0
    places_fuzzy_threshold: float = 88.0
    street_fuzzy_threshold: float = 85.0
    places_cbs_file: str | None = None
    places_aliases: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    honorifics: tuple[str, ...] = ()
    deceased_markers: tuple[str, ...] = ()
    blessings: tuple[str, ...] = ()
    test_entries: tuple[str, ...] = ()


@dataclass(frozen=True)
class Segment:
    name: str
    r: tuple[int, int]
    f: tuple[int, int]
    m: tuple[int, int]


@dataclass(frozen=True)
class ScoringRules:
    """Enrichment and scoring parameters (``scoring.yaml``)."""

    reference_date: str = "latest_purchase"
    age_bands: tuple[tuple[int, int], ...] = ((16, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, 120))
    free_webmail: tuple[str, ...] = ()
    israeli_isp: tuple[str, ...] = ()
    gender_female: float = 0.95
    gender_male: float = 0.05
    gender_min_bearers: int = 50
    frequency_bins: tuple[int, ...] = (1, 2, 4, 9)
    segments: tuple[Segment, ...] = ()
    margin: float = 1.0
    min_tenure_years: float = 0.25
    value_model: str = "bgnbd"  # bgnbd | mbgnbd | simple (pipeline.stages.value)
    forecast_horizons_days: tuple[int, ...] = (90, 180, 365)
    clv_horizon_months: int = 36
    discount_rate_annual: float = 0.10
    min_repeat_buyers: int = 200
    fit_members_max: int = 250_000
    churn_horizon_days: int = 90
    churn_high_below: float = 0.15
    churn_medium_below: float = 0.40
    lapse_percentile: float = 0.8
    personal_gap_multiple: float = 2.0
    lapsed_days: tuple[int, ...] = (90, 180, 365)
    quality_weights: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    grades: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))


SURVIVORSHIP = (
    "most_complete",
    "most_frequent",
    "most_recent",
    "valid_most_recent",
    "sum",
    "earliest",
    "latest",
    "all_true",
    "any_true",
)
BLOCKING_KEYS = (  # in the order they spend the comparison budget; pipeline.stages.dedupe.blocking builds each
    "phone",
    "email",
    "national_id",
    "name_birth_date",
    "skeleton_birth_year",
    "name_part_birth_date",
    "name",
    "name_city",
    "last_name_street",
    "zip_house",
    "address_birth_date",
    "birth_date",
    "national_id_typo",
)


# the "never merge" rules (``dedupe.yaml`` ``hard_rules``): two different valid ID numbers; clearly different birth
# dates (not one typo apart) under no shared ID number, nor months apart under a shared e-mail or mobile; a
# household (a shared phone or address) with different first names under no shared ID number; clearly different
# first names under no shared ID number or e-mail (twins, siblings, parent and child who share a family's facts)
HARD_RULES = ("two_ids", "birth_dates", "household", "first_names")


@dataclass(frozen=True)
class DedupeRules:
    """Deduplication parameters (``dedupe.yaml``)."""

    max_block_size: int = 40
    max_pairs_per_record: float = 4.0
    keys: tuple[str, ...] = BLOCKING_KEYS
    merge: float = 0.95
    merge_without_identifier: float = 0.999
    review: float = 0.40
    hard_rules: tuple[str, ...] = HARD_RULES
    u_sample_pairs: int = 200_000
    em_iterations: int = 30
    prior_records: int = 2_000
    seed: int = 1
    survivorship_default: str = "most_complete"
    survivorship: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Rules:
    columns: ColumnRules
    checks: CheckRules
    fields: FieldRules = field(default_factory=FieldRules)
    scoring: ScoringRules = field(default_factory=ScoringRules)
    gates: tuple[Gate, ...] = ()
    dedupe: DedupeRules = field(default_factory=DedupeRules)
    sources: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------- reading


def default_rules_dir() -> Path:
    """The shipped rule pack: inside the installed wheel, or the checkout's ``rules/`` in development."""
    packaged = resources.files("pipeline") / "_default_rules"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "rules"


@dataclass
class _Doc:
    path: Path
    data: Any
    lines: dict[tuple[Any, ...], int]

    def at(self, keypath: tuple[Any, ...]) -> str:
        for cut in range(len(keypath), -1, -1):
            if keypath[:cut] in self.lines:
                return f"line {self.lines[keypath[:cut]]}"
        return "line 1"


def _read_yaml(path: Path) -> _Doc:
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
    return _Doc(path, {} if data is None else data, lines)


def _nearest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else f" (valid: {', '.join(sorted(options))})"


class _Checker:
    """Collects problems with file and line, so a user sees all of them at once."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, doc: _Doc, keypath: tuple[Any, ...], message: str) -> None:
        self.problems.append(f"{doc.path}: {doc.at(keypath)}: {message}")

    def keys(self, doc: _Doc, value: Any, keypath: tuple[Any, ...], allowed: list[str]) -> bool:
        if not isinstance(value, dict):
            self.add(doc, keypath, f"expected a mapping of keys, got {type(value).__name__}")
            return False
        for key in value:
            if str(key) not in allowed:
                self.add(doc, (*keypath, key), f"unknown key {key!r}{_nearest(str(key), allowed)}")
        return True

    def typed(self, doc: _Doc, value: Any, keypath: tuple[Any, ...], kind: type | tuple[type, ...], what: str) -> bool:
        # YAML's true/false are ints to Python; never accept them where a number is asked for
        ok = not (isinstance(value, bool) and kind in (int, float, (int, float))) and isinstance(value, kind)
        if not ok:
            self.add(doc, keypath, f"{'.'.join(map(str, keypath))} must be {what}, got {value!r}")
        return ok


# ------------------------------------------------------------------------------------------ validation


def _str_list(check: _Checker, doc: _Doc, value: Any, keypath: tuple[Any, ...]) -> None:
    if not isinstance(value, list):
        check.add(doc, keypath, f"{'.'.join(map(str, keypath))} must be a list of text values")
        return
    for i, item in enumerate(value):
        if isinstance(item, bool):
            check.add(
                doc,
                (*keypath, i),
                f"{'.'.join(map(str, keypath))} item {i + 1} was read as a boolean: "
                "put it in quotes (YAML reads yes/no/on/off/true/false as booleans)",
            )
        elif not isinstance(item, str | int | float):
            check.add(doc, (*keypath, i), f"{'.'.join(map(str, keypath))} item {i + 1} must be text")


def _check_columns(check: _Checker, doc: _Doc, data: Any) -> None:
    if not check.keys(doc, data, (), ["replace", "fuzzy_threshold", "fuzzy_min_length", "fields"]):
        return
    if (
        "fuzzy_threshold" in data
        and check.typed(doc, data["fuzzy_threshold"], ("fuzzy_threshold",), (int, float), "a number from 50 to 100")
        and not 50 <= data["fuzzy_threshold"] <= 100
    ):
        check.add(doc, ("fuzzy_threshold",), "fuzzy_threshold must be between 50 and 100")
    if "fuzzy_min_length" in data:
        check.typed(doc, data["fuzzy_min_length"], ("fuzzy_min_length",), int, "a whole number")
    fields_ = data.get("fields", {})
    if check.keys(doc, fields_, ("fields",), list(FIELDS)):
        for name, aliases in fields_.items():
            _str_list(check, doc, aliases, ("fields", name))


def _check_checks(check: _Checker, doc: _Doc, data: Any) -> None:
    allowed = [
        "replace",
        "placeholders",
        "identity_fields",
        "severity",
        "min_age",
        "max_age",
        "quarantine_on",
        *_LIMITS,
    ]
    if not check.keys(doc, data, (), allowed):
        return
    for key in ("placeholders", "identity_fields"):
        if key in data:
            _str_list(check, doc, data[key], (key,))
    if "quarantine_on" in data:
        _str_list(check, doc, data["quarantine_on"], ("quarantine_on",))
        for i, code in enumerate(data.get("quarantine_on") or []):
            if code not in all_checks():
                check.add(doc, ("quarantine_on", i), f"unknown check {code!r}{_nearest(str(code), list(all_checks()))}")
    for i, name in enumerate(data.get("identity_fields") or []):
        if name not in FIELDS:
            check.add(doc, ("identity_fields", i), f"unknown field {name!r}{_nearest(str(name), list(FIELDS))}")
    severity = data.get("severity", {}) or {}
    if check.keys(doc, severity, ("severity",), list(all_checks())):
        for code, level in severity.items():
            if level not in SEVERITIES:
                check.add(doc, ("severity", code), f"severity of {code!r} must be one of {', '.join(SEVERITIES)}")
    for key in ("min_age", "max_age"):
        if key in data:
            check.typed(doc, data[key], (key,), int, "a whole number of years")
    for key in _LIMITS:
        if key in data and check.typed(doc, data[key], (key,), int, "a whole number") and data[key] < 1:
            check.add(doc, (key,), f"{key} must be at least 1")


# fields.yaml: section -> key -> kind ("list", "map", "int", "number", "path", "lists": a map of lists)
_FIELD_SPEC: dict[str, dict[str, str]] = {
    "phones": {"fake_numbers": "list", "max_members_per_number": "int"},
    "national_id": {"min_digits": "int", "fakes": "list"},
    "emails": {"domain_typos": "map", "role_accounts": "list"},
    "gender": {"M": "list", "F": "list"},
    "consent": {"yes": "list", "no": "list"},
    "dates": {"birth_placeholders": "list", "two_digit_year_pivot": "int"},
    "places": {"fuzzy_threshold": "number", "street_fuzzy_threshold": "number", "cbs_file": "path", "aliases": "map"},
    "names": {"honorifics": "list", "deceased": "list", "blessings": "list", "test_entries": "list"},
}


def _check_fields(check: _Checker, doc: _Doc, data: Any) -> None:
    if not check.keys(doc, data, (), ["replace", *_FIELD_SPEC]):
        return
    for section, spec in _FIELD_SPEC.items():
        if section not in data:
            continue
        body = data[section]
        if not check.keys(doc, body, (section,), list(spec)):
            continue
        for key, kind in spec.items():
            if key not in body:
                continue
            value, where = body[key], (section, key)
            if kind == "list":
                _str_list(check, doc, value, where)
            elif kind == "map":
                if not isinstance(value, dict) or not all(isinstance(v, str | int) for v in value.values()):
                    check.add(doc, where, f"{section}.{key} must be a mapping of text to text")
            elif kind == "int":
                check.typed(doc, value, where, int, "a whole number")
            elif kind == "number":
                check.typed(doc, value, where, (int, float), "a number")
            elif kind == "path" and value is not None and not isinstance(value, str):
                check.add(doc, where, f"{section}.{key} must be a file path or null")


_SCORING_SPEC: dict[str, Any] = {
    "reference_date": "text",
    "age_bands": "pairs",
    "email_domains": {"free_webmail": "list", "israeli_isp": "list"},
    "gender_inference": {"female": "number", "male": "number", "min_bearers": "int"},
    "rfm": {"frequency_bins": "ints", "segments": "segments"},
    "value": {
        "model": "model",
        "forecast_horizons_days": "ints",
        "clv_horizon_months": "int",
        "discount_rate_annual": "number",
        "margin": "number",
        "min_repeat_buyers": "int",
        "fit_members_max": "int",
        "min_tenure_years": "number",
    },
    "churn": {
        "horizon_days": "int",
        "high_below": "number",
        "medium_below": "number",
        "lapse_percentile": "number",
        "personal_gap_multiple": "number",
        "lapsed_days": "ints",
    },
    "quality": {"weights": "weights", "grades": "weights"},
}


def _check_scoring(check: _Checker, doc: _Doc, data: Any) -> None:
    def walk(spec: Any, value: Any, where: tuple[Any, ...]) -> None:
        label = ".".join(map(str, where))
        if isinstance(spec, dict):
            if check.keys(doc, value, where, list(spec)):
                for key, sub in spec.items():
                    if key in value:
                        walk(sub, value[key], (*where, key))
        elif spec == "list":
            _str_list(check, doc, value, where)
        elif spec == "number":
            check.typed(doc, value, where, (int, float), "a number")
        elif spec == "int":
            check.typed(doc, value, where, int, "a whole number")
        elif spec == "text":
            if not isinstance(value, str) and not hasattr(value, "isoformat"):
                check.add(doc, where, f"{label} must be 'latest_purchase' or a date (YYYY-MM-DD)")
        elif spec == "model":
            if value not in ("mbgnbd", "bgnbd", "simple"):
                check.add(doc, where, f"{label} must be mbgnbd, bgnbd or simple, not {value!r}")
        elif spec == "ints":
            if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
                check.add(doc, where, f"{label} must be a list of whole numbers")
        elif spec == "pairs":
            if not isinstance(value, list) or not all(isinstance(v, list) and len(v) == 2 for v in value):
                check.add(doc, where, f"{label} must be a list of [from, to] pairs")
        elif spec == "weights":
            if not isinstance(value, dict) or not all(isinstance(v, int | float) for v in value.values()):
                check.add(doc, where, f"{label} must map names to numbers")
            elif len(value) > 39:  # a member's quality state is one base-3 digit per weighted field in an Int64
                check.add(doc, where, f"{label} may name at most 39 entries")
        elif spec == "segments":
            ok = isinstance(value, list) and all(
                isinstance(v, list)
                and len(v) == 7
                and isinstance(v[0], str)
                and all(isinstance(n, int) and 1 <= n <= 5 for n in v[1:])
                for v in value
            )
            if not ok:
                check.add(
                    doc,
                    where,
                    f"{label} must be a list of [name, R min, R max, F min, F max, M min, M max] "
                    "with scores from 1 to 5",
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

    walk(
        {"replace": "any", **_SCORING_SPEC} if isinstance(data, dict) and "replace" in data else _SCORING_SPEC, data, ()
    )


def _check_gates(check: _Checker, doc: _Doc, data: Any) -> None:
    if not check.keys(doc, data, (), ["replace", "gates"]):
        return
    items = data.get("gates") or []
    if not isinstance(items, list):
        check.add(doc, ("gates",), "gates must be a list of gates")
        return
    catalogue = list(all_checks())
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
            hint = _nearest(tail, options) if tail else ""
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


def _check_dedupe(check: _Checker, doc: _Doc, data: Any) -> None:
    if not check.keys(doc, data, (), ["replace", "blocking", "thresholds", "hard_rules", "model", "survivorship"]):
        return
    hard = data.get("hard_rules", [])
    if check.typed(doc, hard, ("hard_rules",), list, "a list of rule names"):
        for i, rule in enumerate(hard):
            if rule not in HARD_RULES:
                check.add(doc, ("hard_rules", i), f"unknown hard rule {rule!r}{_nearest(str(rule), list(HARD_RULES))}")
    blocking = data.get("blocking", {}) or {}
    if check.keys(doc, blocking, ("blocking",), ["max_block_size", "max_pairs_per_record", "keys"]):
        if "max_pairs_per_record" in blocking:
            check.typed(
                doc, blocking["max_pairs_per_record"], ("blocking", "max_pairs_per_record"), (int, float), "a number"
            )
        if "max_block_size" in blocking:
            check.typed(doc, blocking["max_block_size"], ("blocking", "max_block_size"), int, "a whole number")
        for i, key in enumerate(blocking.get("keys") or []):
            if key not in BLOCKING_KEYS:
                check.add(
                    doc,
                    ("blocking", "keys", i),
                    f"unknown blocking key {key!r}{_nearest(str(key), list(BLOCKING_KEYS))}",
                )
    thresholds = data.get("thresholds", {}) or {}
    if check.keys(doc, thresholds, ("thresholds",), ["merge", "merge_without_identifier", "review"]):
        for key, value in thresholds.items():
            if check.typed(doc, value, ("thresholds", key), (int, float), "a probability") and not 0 < value < 1:
                check.add(doc, ("thresholds", key), f"thresholds.{key} must be between 0 and 1")
        if thresholds.get("review", 0.40) > thresholds.get("merge", 0.95):
            check.add(doc, ("thresholds",), "thresholds.review must not be above thresholds.merge")
    model = data.get("model", {}) or {}
    if check.keys(doc, model, ("model",), ["u_sample_pairs", "em_iterations", "seed", "prior_records"]):
        for key, value in model.items():
            check.typed(doc, value, ("model", key), int, "a whole number")
    surv = data.get("survivorship", {}) or {}
    if check.keys(doc, surv, ("survivorship",), ["default", "fields"]):
        if "default" in surv and surv["default"] not in SURVIVORSHIP:
            check.add(
                doc,
                ("survivorship", "default"),
                f"unknown rule {surv['default']!r}{_nearest(str(surv['default']), list(SURVIVORSHIP))}",
            )
        fields_ = surv.get("fields", {}) or {}
        if check.keys(doc, fields_, ("survivorship", "fields"), [*FIELDS, "deceased"]):
            for name, rule in fields_.items():
                if rule not in SURVIVORSHIP:
                    check.add(
                        doc,
                        ("survivorship", "fields", name),
                        f"unknown rule {rule!r}{_nearest(str(rule), list(SURVIVORSHIP))}",
                    )


_VALIDATORS: dict[str, Callable[[_Checker, _Doc, Any], None]] = {
    "dedupe": _check_dedupe,
    "gates": _check_gates,
    "columns": _check_columns,
    "checks": _check_checks,
    "fields": _check_fields,
    "scoring": _check_scoring,
}


# ---------------------------------------------------------------------------------------------- merging


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = _merge(base.get(key), value) if key in base else value
        return out
    return over


def _section_docs(path: Path, check: _Checker) -> list[tuple[str, _Doc, Any]]:
    """(section, doc, data) for a rules file or every YAML file in a folder."""
    if path.is_dir():
        files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
        if not files:
            raise RulesError(["folder has no .yaml rules files"], path=path)
    elif path.is_file():
        files = [path]
    else:
        raise RulesError(["no such rules file or folder"], path=path)
    out: list[tuple[str, _Doc, Any]] = []
    for file in files:
        doc = _read_yaml(file)
        if file.stem in SECTIONS:
            out.append((file.stem, doc, doc.data))
        elif isinstance(doc.data, dict) and doc.data and all(k in SECTIONS for k in doc.data):
            for section, data in doc.data.items():
                sub = _Doc(doc.path, data, {k[1:]: v for k, v in doc.lines.items() if k[:1] == (section,)})
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
    check = _Checker()
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


def _build(data: dict[str, Any], sources: tuple[str, ...]) -> Rules:
    cols = data.get("columns", {})
    aliases = {name: tuple(str(a) for a in (cols.get("fields", {}) or {}).get(name) or ()) for name in FIELDS}
    columns = ColumnRules(
        aliases=MappingProxyType(aliases),
        fuzzy_threshold=float(cols.get("fuzzy_threshold", 88)),
        fuzzy_min_length=int(cols.get("fuzzy_min_length", 4)),
    )
    chk = data.get("checks", {})
    checks = CheckRules(
        placeholders=tuple(str(p) for p in chk.get("placeholders") or ()),
        identity_fields=tuple(chk.get("identity_fields") or CheckRules.identity_fields),
        severity=MappingProxyType(dict(chk.get("severity") or {})),
        min_age=int(chk.get("min_age", 16)),
        max_age=int(chk.get("max_age", 120)),
        **{key: int(chk[key]) for key in _LIMITS if key in chk},
        quarantine_on=tuple(chk.get("quarantine_on") or ()),
    )
    f = data.get("fields", {})

    def texts(section: str, key: str) -> tuple[str, ...]:
        return tuple(str(v) for v in (f.get(section, {}) or {}).get(key) or ())

    def get(section: str, key: str, default: Any) -> Any:
        value = (f.get(section, {}) or {}).get(key)
        return default if value is None else value

    fields_ = FieldRules(
        phone_fake_numbers=texts("phones", "fake_numbers"),
        phone_max_members_per_number=int(get("phones", "max_members_per_number", 25)),
        national_id_min_digits=int(get("national_id", "min_digits", 7)),
        national_id_fakes=texts("national_id", "fakes"),
        email_domain_typos=MappingProxyType(
            {str(k).lower(): str(v).lower() for k, v in get("emails", "domain_typos", {}).items()}
        ),
        email_role_accounts=tuple(v.lower() for v in texts("emails", "role_accounts")),
        gender_values=MappingProxyType({g: tuple(v.lower() for v in texts("gender", g)) for g in ("M", "F")}),
        consent_yes=tuple(v.lower() for v in texts("consent", "yes")),
        consent_no=tuple(v.lower() for v in texts("consent", "no")),
        birth_placeholders=texts("dates", "birth_placeholders"),
        two_digit_year_pivot=int(get("dates", "two_digit_year_pivot", 0)),
        places_fuzzy_threshold=float(get("places", "fuzzy_threshold", 88)),
        street_fuzzy_threshold=float(get("places", "street_fuzzy_threshold", 85)),
        places_cbs_file=get("places", "cbs_file", None),
        places_aliases=MappingProxyType({str(k): str(v) for k, v in get("places", "aliases", {}).items()}),
        honorifics=texts("names", "honorifics"),
        deceased_markers=texts("names", "deceased"),
        blessings=texts("names", "blessings"),
        test_entries=tuple(v.lower() for v in texts("names", "test_entries")),
    )
    sc = data.get("scoring", {})

    def sget(*path: str, default: Any = None) -> Any:
        node: Any = sc
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        return default if node is None else node

    scoring = ScoringRules(
        reference_date=str(sget("reference_date", default="latest_purchase")),
        age_bands=tuple((int(a), int(b)) for a, b in sget("age_bands", default=ScoringRules.age_bands)),
        free_webmail=tuple(str(v).lower() for v in sget("email_domains", "free_webmail", default=())),
        israeli_isp=tuple(str(v).lower() for v in sget("email_domains", "israeli_isp", default=())),
        gender_female=float(sget("gender_inference", "female", default=0.95)),
        gender_male=float(sget("gender_inference", "male", default=0.05)),
        gender_min_bearers=int(sget("gender_inference", "min_bearers", default=50)),
        frequency_bins=tuple(int(v) for v in sget("rfm", "frequency_bins", default=(1, 2, 4, 9))),
        segments=tuple(
            Segment(str(s[0]), (s[1], s[2]), (s[3], s[4]), (s[5], s[6])) for s in sget("rfm", "segments", default=())
        ),
        margin=float(sget("value", "margin", default=1.0)),
        min_tenure_years=float(sget("value", "min_tenure_years", default=0.25)),
        value_model=str(sget("value", "model", default="bgnbd")),
        forecast_horizons_days=tuple(int(v) for v in sget("value", "forecast_horizons_days", default=(90, 180, 365))),
        clv_horizon_months=int(sget("value", "clv_horizon_months", default=36)),
        discount_rate_annual=float(sget("value", "discount_rate_annual", default=0.10)),
        min_repeat_buyers=int(sget("value", "min_repeat_buyers", default=200)),
        fit_members_max=int(sget("value", "fit_members_max", default=250_000)),
        churn_horizon_days=int(sget("churn", "horizon_days", default=90)),
        churn_high_below=float(sget("churn", "high_below", default=0.15)),
        churn_medium_below=float(sget("churn", "medium_below", default=0.40)),
        lapse_percentile=float(sget("churn", "lapse_percentile", default=0.8)),
        personal_gap_multiple=float(sget("churn", "personal_gap_multiple", default=2.0)),
        lapsed_days=tuple(int(v) for v in sget("churn", "lapsed_days", default=(90, 180, 365))),
        quality_weights=MappingProxyType({str(k): float(v) for k, v in sget("quality", "weights", default={}).items()}),
        grades=MappingProxyType({str(k): float(v) for k, v in sget("quality", "grades", default={}).items()}),
    )
    gates = gates_from_rules(data.get("gates", {}).get("gates") or [])
    dd = data.get("dedupe", {})
    blocking, thresholds, model = dd.get("blocking") or {}, dd.get("thresholds") or {}, dd.get("model") or {}
    surv = dd.get("survivorship") or {}
    dedupe = DedupeRules(
        max_block_size=int(blocking.get("max_block_size", 40)),
        max_pairs_per_record=float(blocking.get("max_pairs_per_record", 4.0)),
        keys=tuple(blocking.get("keys") or BLOCKING_KEYS),
        merge=float(thresholds.get("merge", 0.95)),
        merge_without_identifier=float(thresholds.get("merge_without_identifier", 0.999)),
        review=float(thresholds.get("review", 0.40)),
        hard_rules=tuple(str(r) for r in dd.get("hard_rules", HARD_RULES) or ()),
        u_sample_pairs=int(model.get("u_sample_pairs", 200_000)),
        em_iterations=int(model.get("em_iterations", 30)),
        prior_records=int(model.get("prior_records", 2_000)),
        seed=int(model.get("seed", 1)),
        survivorship_default=str(surv.get("default", "most_complete")),
        survivorship=MappingProxyType({str(k): str(v) for k, v in (surv.get("fields") or {}).items()}),
    )
    return Rules(
        columns=columns, checks=checks, fields=fields_, scoring=scoring, gates=gates, dedupe=dedupe, sources=sources
    )
