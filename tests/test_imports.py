"""Imports point down: no module of ``pipeline/`` imports one that (through others) imports it back, not even
inside a function or under ``TYPE_CHECKING``. (Python runs a module's package ``__init__`` before the module:
that implicit step is not counted as an edge, the imports written in ``__init__`` are.)"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pipeline"


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The pipeline modules ``name`` imports anywhere in its text."""
    is_package = path.name == "__init__.py"
    here = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.rsplit(".", node.level - 1)[0] if node.level > 1 else here
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            # ``from pipeline import ledger`` imports the module pipeline.ledger; ``from x import Name`` imports x
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:  # ``import pipeline.fields.names`` names a module exactly
                target = target.rpartition(".")[0]
            if target.startswith("pipeline") and target != name:
                found.add(target)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle_in_pipeline() -> None:
    assert _cycles(GRAPH) == []


def test_the_walk_sees_function_level_imports() -> None:
    # the walker itself: a cycle closed only inside a function is found
    graph = {"pipeline.a": {"pipeline.b"}, "pipeline.b": {"pipeline.a"}}
    assert _cycles(graph) == [["pipeline.a", "pipeline.b"]]
    assert "pipeline.stages.dedupe.explain" in GRAPH["pipeline.catalogue"]


@pytest.mark.parametrize(
    ("low", "high"),
    [
        ("pipeline.checks", "pipeline.catalogue"),
        ("pipeline.report.figures", "pipeline.runner"),
        ("pipeline.rules", "pipeline.rulefile"),
        ("pipeline.ledger", "pipeline.catalogue"),
    ],
)
def test_lower_modules_do_not_import_higher_ones(low: str, high: str) -> None:
    reach, todo = set(), [low]
    while todo:
        for w in GRAPH[todo.pop()]:
            if w not in reach:
                reach.add(w)
                todo.append(w)
    assert high not in reach


# modules allowed over the limit (none today): the test below fails when any module grows past it; a module that
# must, for a reason said here, goes on this list
OVER_LIMIT: set[str] = set()
MAX_LINES = 400


def test_no_module_holds_two_concepts() -> None:
    """A module past ~400 lines is telling us it holds two concepts (STYLE.md)."""
    sizes = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in MODULES.items()}
    over = {name for name, lines in sizes.items() if lines > MAX_LINES}
    assert over == OVER_LIMIT, {name: sizes[name] for name in over ^ OVER_LIMIT}


@pytest.mark.parametrize(
    ("given", "expected_conf", "expected_blas"),
    [
        ({}, "dirty_decay_ms:3000,muzzy_decay_ms:3000,narenas:", "1"),
        ({"_RJEM_MALLOC_CONF": "narenas:8", "OPENBLAS_NUM_THREADS": "4"}, "narenas:8", "4"),
    ],
)
def test_allocator_settings_are_defaults_set_before_polars_loads(
    given: dict[str, str], expected_conf: str, expected_blas: str
) -> None:
    """Importing the package sets jemalloc's and OpenBLAS's settings only where the environment has none, and
    before polars and numpy read them (they read them once, when loaded)."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("_RJEM_MALLOC_CONF", "OPENBLAS_NUM_THREADS")} | given
    probe = (
        "import sys, os, pipeline; e = os.environ; "
        "print(e['_RJEM_MALLOC_CONF'], e['OPENBLAS_NUM_THREADS'], 'polars' in sys.modules, 'numpy' in sys.modules)"
    )
    conf, blas, polars_loaded, numpy_loaded = subprocess.run(
        [sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert conf.startswith(expected_conf) and blas == expected_blas
    assert (polars_loaded, numpy_loaded) == ("False", "False")  # the package's import leaves both for later
