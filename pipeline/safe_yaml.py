"""YAML for rules files, bounded: a few hundred bytes must not cost minutes and gigabytes.

PyYAML's safe loader refuses code, but not size. An alias bomb (``b: [*a, *a, ...]`` ten levels deep) is a
few hundred bytes whose expansion is billions of nodes, and everything that walks the document (line numbers,
validation) walks the expansion; thousands of nested ``[`` overflow Python's stack. Here the document is
composed once with a nesting limit, its expanded size is counted before anything walks it, and only then is it
turned into Python values.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_DEPTH = 50  # a rules file nests four or five levels
# nodes that aliases may add beyond the document's own: ample for reusing a list or two, far below a bomb
MAX_ALIAS_EXPANSION = 10_000


class YAMLLimitError(yaml.MarkedYAMLError):
    """The document is beyond what a rules file needs (nesting or alias expansion)."""


class _BoundedLoader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise YAMLLimitError(problem=f"nested more than {MAX_DEPTH} levels deep", problem_mark=mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _check_flow_depth(text: str) -> None:
    """Refuse ``[[[[...`` (or ``{{{{...``) nested beyond MAX_DEPTH before PyYAML's scanner sees it: with
    thousands of open brackets its look-ahead for simple keys costs n² steps (a second at 5,000) before the
    composer's limit is reached. Brackets inside quotes and comments are skipped."""
    depth, quote = 0, ""
    for line_number, line in enumerate(text.splitlines(), start=1):
        for ch in line:
            if quote:
                if ch == quote:
                    quote = ""
            elif ch in "\"'":
                quote = ch
            elif ch == "#":
                break
            elif ch in "[{":
                depth += 1
                if depth > MAX_DEPTH:
                    raise YAMLLimitError(
                        problem=f"nested more than {MAX_DEPTH} levels deep",
                        problem_mark=yaml.Mark("<rules>", 0, line_number - 1, 0, None, 0),
                    )
            elif ch in "]}":
                depth = max(depth - 1, 0)
        if depth == 0:
            quote = ""  # a quote does not run past a line outside brackets in a rules file


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _check_expansion(root: yaml.Node) -> None:
    """Refuse a document whose aliases expand it by more than MAX_ALIAS_EXPANSION nodes, or refer to themselves.

    Sizes are memoised per node, so the count costs the document's own size, not its expansion.
    """
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()
    distinct: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in in_progress:
            raise YAMLLimitError(problem="an alias refers to the node that holds it", problem_mark=node.start_mark)
        in_progress.add(key)
        distinct.add(key)
        total = 1 + sum(size(child) for child in _children(node))
        in_progress.discard(key)
        sizes[key] = total
        if total > len(distinct) + MAX_ALIAS_EXPANSION:
            raise YAMLLimitError(
                problem=f"aliases expand the document by more than {MAX_ALIAS_EXPANSION:,} values",
                problem_mark=node.start_mark,
            )
        return total

    size(root)


def load(text: str) -> tuple[yaml.Node | None, Any]:
    """The document's node tree (for line numbers) and its Python value, or ``(None, None)`` when empty.

    Raises:
        yaml.YAMLError: the text is not YAML, or is nested or aliased beyond a rules file's needs
            (:class:`YAMLLimitError`, with the line where it happens).
    """
    _check_flow_depth(text)
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _check_expansion(node)
        return node, loader.construct_document(node)
    finally:
        loader.dispose()
