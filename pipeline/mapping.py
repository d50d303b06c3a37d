"""Header -> canonical field.

Headers are compared after folding case, spaces, punctuation and the many quote marks Hebrew abbreviations
use (``ת"ז`` / ``ת״ז`` / ``ת.ז.`` / ``ת''ז`` are one key). Exact alias matches win; the rest are matched by
similarity with rapidfuzz. Each field takes at most one column; a column that maps to nothing is carried
through untouched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

from pipeline.errors import InputError
from pipeline.fields import FIELDS, IDENTIFYING
from pipeline.fields.text import clean_text
from pipeline.privacy import mask_text
from pipeline.rules import ColumnRules

Method = Literal["exact", "fuzzy", "override"]
_PUNCT = re.compile(r"[\"'״׳’‘“”`´.,:;_\-–—/\\()\[\]{}#*!?|+]+")


def header_key(header: str) -> str:
    """The comparison key of a header: ``'ת.ז. '`` -> ``'תז'``, ``'E-Mail'`` -> ``'e mail'``."""
    text = clean_text(header).lower()
    text = re.sub(r"(?<=\w)[\"'״׳’‘“”`´.]+(?=\w)", "", text)  # inner quotes and dots of abbreviations
    text = _PUNCT.sub(" ", text)
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class ColumnMatch:
    header: str
    field: str
    method: Method
    score: float  # 100 for exact and override


@dataclass(frozen=True)
class ColumnMapping:
    matches: tuple[ColumnMatch, ...]
    unmapped: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def by_field(self) -> dict[str, str]:
        return {m.field: m.header for m in self.matches}

    def fields(self) -> set[str]:
        return {m.field for m in self.matches}


class HeaderMatcher:
    """Matches single headers against the aliases of the rules; reused for header-row detection."""

    def __init__(self, rules: ColumnRules) -> None:
        self.rules = rules
        self.exact: dict[str, str] = {}
        for name in FIELDS:
            self.exact.setdefault(header_key(name.replace("_", " ")), name)
            for alias in rules.aliases.get(name, ()):
                self.exact.setdefault(header_key(alias), name)
        self._choices = list(self.exact)

    def match(self, header: str) -> tuple[str, Method, float] | None:
        key = header_key(header)
        if not key:
            return None
        if key in self.exact:
            return self.exact[key], "exact", 100.0
        if len(key) < self.rules.fuzzy_min_length:
            return None
        best = process.extractOne(key, self._choices, scorer=fuzz.ratio, score_cutoff=self.rules.fuzzy_threshold)
        if best is None:
            return None
        return self.exact[best[0]], "fuzzy", float(best[1])

    def recognised(self, cells: Sequence[str | None]) -> int:
        """How many cells of a candidate header row are known headers (used to find the header row)."""
        return sum(1 for c in cells if c and self.match(str(c)) is not None)


def parse_overrides(items: Sequence[str]) -> dict[str, str]:
    """``["עיר מגורים=city"]`` -> ``{"עיר מגורים": "city"}``; the field must be canonical (or ``-`` to unmap)."""
    out: dict[str, str] = {}
    for item in items:
        header, sep, name = item.rpartition("=")
        header, name = header.strip(), name.strip()
        if not sep or not header or not name:
            raise InputError(f'--map {item!r}: expected HEADER=FIELD, for example "עיר מגורים=city"')
        if name not in FIELDS and name != "-":
            import difflib

            near = difflib.get_close_matches(name, list(FIELDS), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise InputError(f"--map {item!r}: unknown field {name!r}{hint}")
        out[header] = name
    return out


def map_columns(
    headers: Sequence[str], *, rules: ColumnRules, overrides: Mapping[str, str] | None = None
) -> ColumnMapping:
    """Choose a canonical field for each header.

    Overrides win, then exact alias matches, then the best fuzzy matches; a field already taken by a better
    column leaves the other column unmapped (and says so in ``notes``).
    """
    overrides = dict(overrides or {})
    matcher = HeaderMatcher(rules)
    notes: list[str] = []
    by_key = {header_key(h): h for h in headers}
    for wanted in list(overrides):
        if wanted not in headers:
            real = by_key.get(header_key(wanted))
            if real is None:
                raise InputError(f"--map names a column that is not in the file: {wanted!r}")
            overrides[real] = overrides.pop(wanted)

    candidates: list[tuple[int, float, int, ColumnMatch]] = []  # (rank, -score, position, match)
    for pos, header in enumerate(headers):
        if header in overrides:
            if overrides[header] != "-":
                candidates.append((0, -100.0, pos, ColumnMatch(header, overrides[header], "override", 100.0)))
            continue
        found = matcher.match(header)
        if found is not None:
            name, method, score = found
            candidates.append((1 if method == "exact" else 2, -score, pos, ColumnMatch(header, name, method, score)))

    taken: dict[str, ColumnMatch] = {}
    for _, _, _, match in sorted(candidates, key=lambda c: c[:3]):
        if match.field in taken:
            notes.append(
                f"column {match.header!r} also looks like {match.field} but {taken[match.field].header!r} "
                "was chosen; it is carried through unchanged"
            )
            continue
        taken[match.field] = match
    chosen = {m.header for m in taken.values()}
    ordered = tuple(m for h in headers for m in taken.values() if m.header == h)
    return ColumnMapping(
        matches=ordered,
        unmapped=tuple(h for h in headers if h not in chosen),
        notes=tuple(notes),
    )


def require_identifying(mapping: ColumnMapping, *, path: object) -> None:
    """Refuse a file where no column identifies a member: nothing could be cleaned or matched."""
    if not mapping.fields() & IDENTIFYING:
        # masked: in a file without a header row these "headers" are the first member's phone, ID and e-mail
        seen = ", ".join(repr(mask_text(h)) for h in mapping.unmapped[:6]) or "none"
        raise InputError(
            "no recognisable identifying column (member number, name, ID number, phone or e-mail); "
            f'headers seen: {seen}. Use --map "HEADER=field" to name one',
            path=str(path),
        )
