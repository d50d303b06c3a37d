"""Rules files: defaults ship with the package; user files extend or replace them; errors name file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import RulesError
from pipeline.rulefile import default_rules_dir, load_rules


def test_defaults_load_and_know_hebrew_aliases() -> None:
    rules = load_rules()
    assert "תעודת זהות" in rules.columns.aliases["national_id"]
    assert rules.checks.min_age == 16
    assert default_rules_dir().joinpath("columns.yaml").is_file()


def test_user_file_extends_defaults(tmp_path: Path) -> None:
    (tmp_path / "columns.yaml").write_text("fields:\n  city: [עיר מגורים קבועה]\n", encoding="utf-8")
    rules = load_rules(tmp_path)
    assert rules.columns.aliases["city"] == ("עיר מגורים קבועה",)  # lists replace
    assert "שם פרטי" in rules.columns.aliases["first_name"]  # other keys kept


def test_replace_drops_the_default_section(tmp_path: Path) -> None:
    path = tmp_path / "columns.yaml"
    path.write_text("replace: true\nfields:\n  phone_mobile: [סלולרי]\n", encoding="utf-8")
    rules = load_rules(path)
    assert rules.columns.aliases["phone_mobile"] == ("סלולרי",)
    assert rules.columns.aliases["first_name"] == ()


def test_single_file_with_sections(tmp_path: Path) -> None:
    path = tmp_path / "club.yaml"
    path.write_text("checks:\n  min_age: 18\ncolumns:\n  fuzzy_threshold: 92\n", encoding="utf-8")
    rules = load_rules(path)
    assert (rules.checks.min_age, rules.columns.fuzzy_threshold) == (18, 92.0)


def test_unknown_keys_name_file_line_and_nearest(tmp_path: Path) -> None:
    path = tmp_path / "checks.yaml"
    path.write_text("min_age: 18\nmin_agee: 20\nseverity:\n  empty-rwo: error\n", encoding="utf-8")
    with pytest.raises(RulesError) as info:
        load_rules(path)
    problems = info.value.problems
    assert len(problems) == 2  # all problems, not just the first
    assert f"{path}: line 2: unknown key 'min_agee' (did you mean 'min_age'?)" in problems
    assert any("line 4" in p and "did you mean 'empty-row'" in p for p in problems)


def test_bad_yaml_names_line(tmp_path: Path) -> None:
    path = tmp_path / "columns.yaml"
    path.write_text("fields:\n  city: [a, b\n  zip: [c]\n", encoding="utf-8")
    with pytest.raises(RulesError, match=r"columns.yaml: line \d+, column \d+: not valid YAML"):
        load_rules(path)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("columns", "fuzzy_threshold: 20\n", "between 50 and 100"),
        ("columns", "fuzzy_threshold: high\n", "must be a number"),
        ("columns", "fields:\n  citty: [x]\n", "did you mean 'city'"),
        ("columns", "fields:\n  city: x\n", "must be a list"),
        ("dedupe", "hard_rules: [two_ids, househld]\n", r"unknown hard rule 'househld'.*did you mean 'household'"),
        ("dedupe", "hard_rules: household\n", "must be a list of hard rules"),
        ("checks", "max_cells: lots\n", "max_cells must be a whole number"),
        ("checks", "max_columns: 0\n", "max_columns must be at least 1"),
        (
            "scoring",
            "rfm:\n  segments:\n    - [All but the recent, 1, 4, 1, 5, 1, 5]\n",
            r"leaves R5 F1 M1, R5 F1 M2, R5 F1 M3, R5 F1 M4, R5 F1 M5 and 20 more without a segment",
        ),
        ("scoring", "value:\n  model: pareto\n", "must be mbgnbd, bgnbd or simple, not 'pareto'"),
        ("scoring", "value:\n  forecast_horizons_days: 90\n", "must be a list of whole numbers"),
        ("scoring", "churn:\n  high_below: low\n", "must be a number"),
    ],
)
def test_bad_values_are_reported(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError, match=message):
        load_rules(path)


def test_limits_are_read_from_checks(tmp_path: Path) -> None:
    path = tmp_path / "checks.yaml"
    path.write_text("max_cells: 1000\nmax_columns: 40\n", encoding="utf-8")
    rules = load_rules(path)
    assert (rules.checks.max_cells, rules.checks.max_columns) == (1000, 40)
    assert load_rules().checks.max_columns == 1000


def _alias_bomb(levels: int = 10) -> str:
    """A few hundred bytes whose aliases expand to 10**levels values (billion laughs)."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for k in range(1, levels):
        lines.append(f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_alias_bomb(), "aliases expand the document by more than"),
        ("placeholders: " + "[" * 5000 + "]" * 5000 + "\n", "nested more than"),
        ("placeholders: &a [x, *a]\n", "refers to the node that holds it"),
    ],
)
def test_yaml_bombs_are_refused_quickly(tmp_path: Path, text: str, message: str) -> None:
    # before: the bomb ran past 60 s and 3.4 GB into a MemoryError; 5,000 nested lists were a RecursionError
    path = tmp_path / "checks.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError, match=message):
        load_rules(path)


def test_a_few_aliases_are_still_fine(tmp_path: Path) -> None:
    path = tmp_path / "checks.yaml"
    path.write_text('placeholders: &none ["-", "?"]\nquarantine_on: []\n', encoding="utf-8")
    assert load_rules(path).checks.placeholders == ("-", "?")


def test_unknown_file_name_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "mystery.yaml"
    path.write_text("foo: 1\n", encoding="utf-8")
    with pytest.raises(RulesError, match="cannot tell which rules this file holds"):
        load_rules(path)


def test_missing_rules_path(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="no such rules file"):
        load_rules(tmp_path / "nope.yaml")


def test_rules_round_trip_through_their_files(tmp_path: Path) -> None:
    import dataclasses

    import yaml

    from pipeline.rulefile import dump_rules

    shipped = load_rules()
    for section, data in dump_rules(shipped).items():
        (tmp_path / f"{section}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    again = load_rules(tmp_path)
    assert dataclasses.replace(again, sources=()) == dataclasses.replace(shipped, sources=())
    # and a changed value survives the trip
    changed = dataclasses.replace(shipped, dedupe=dataclasses.replace(shipped.dedupe, review=0.5, hard_rules=()))
    for section, data in dump_rules(changed).items():
        (tmp_path / f"{section}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert dataclasses.replace(load_rules(tmp_path), sources=()) == dataclasses.replace(changed, sources=())


def test_every_declared_rule_is_read_by_the_code() -> None:
    """A key declared in the spec but read by no stage is a setting that silently does nothing (as
    ``quarantine_on`` once did): each attribute the spec fills must be read outside the rules modules."""
    import re

    from pipeline.rulefile import declared_attributes

    root = Path(__file__).resolve().parent.parent / "pipeline"
    skip = {"rules.py", "rulefile.py", "rulespec.py"}
    text = "\n".join(p.read_text(encoding="utf-8") for p in root.rglob("*.py") if p.name not in skip)
    unread = [
        f"{section}.{attr}"
        for section, attrs in declared_attributes().items()
        for attr in sorted(attrs)
        if not re.search(rf"\.{attr}\b", text)
    ]
    assert unread == []
