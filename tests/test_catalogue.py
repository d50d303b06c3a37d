"""The catalogue is complete on its own: a fresh interpreter that imports only ``pipeline.catalogue`` (or only
``pipeline.rulefile``) sees every code any run can write."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from pipeline.rules import Rules

ROOT = Path(__file__).resolve().parent.parent


def _fresh(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


ALONE = "import json; from pipeline.catalogue import CATALOGUE; print(json.dumps(sorted(CATALOGUE)))"
EVERY_MODULE = """
import importlib, json, pkgutil
import pipeline
for m in pkgutil.walk_packages(pipeline.__path__, "pipeline."):
    if not m.name.startswith(("pipeline.reference.build", "pipeline.__main__")):
        importlib.import_module(m.name)
from pipeline.checks import DECLARED
print(json.dumps(sorted(DECLARED)))
"""


def test_catalogue_alone_holds_every_declared_code() -> None:
    alone = json.loads(
        _fresh("import json; from pipeline.catalogue import CATALOGUE; print(json.dumps(sorted(CATALOGUE)))")
    )
    everything = json.loads(_fresh(EVERY_MODULE))
    assert alone == everything
    assert {"duplicate-merged", "quarantined-by-rule", "csv-short-row", "unicode-normalised"} <= set(alone)


def _declaring_modules() -> set[str]:
    """Modules whose text calls ``check(...)`` at their top level."""
    out = set()
    for path in (ROOT / "pipeline").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            call = node.value if isinstance(node, ast.Expr | ast.Assign) else None
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "check":
                parts = path.relative_to(ROOT).with_suffix("").parts
                out.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return out


def test_every_declaring_module_is_imported_by_the_catalogue() -> None:
    tree = ast.parse((ROOT / "pipeline" / "catalogue.py").read_text(encoding="utf-8"))
    imported = {a.name for node in tree.body if isinstance(node, ast.Import) for a in node.names}
    assert _declaring_modules() and _declaring_modules() <= imported


def test_every_code_a_run_writes_is_in_the_catalogue(rules: Rules) -> None:
    from pipeline.catalogue import CATALOGUE
    from pipeline.runner import process

    written = set(
        process(ROOT / "sample_data" / "members.xlsx", rules=rules)
        .ledger.select("check")
        .collect()
        .get_column("check")
        .cast(str)
        .unique()
        .to_list()
    )
    assert written and written <= set(CATALOGUE)


def test_load_rules_from_plain_python_accepts_a_dedupe_code(tmp_path: Path) -> None:
    (tmp_path / "checks.yaml").write_text("severity:\n  duplicate-merged: warning\n", encoding="utf-8")
    out = _fresh(
        f"from pipeline.rulefile import load_rules; r = load_rules({str(tmp_path)!r}); "
        "print(r.checks.severity['duplicate-merged'])"
    )
    assert out.strip() == "warning"
