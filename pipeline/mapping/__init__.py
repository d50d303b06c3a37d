"""Header -> canonical field.

Three ways to recognise a header, tried in order (``rules/columns.yaml``):

1. **exact**: an alias, compared after folding case, spaces, punctuation, units and the many quote marks Hebrew
   abbreviations use (``ת"ז`` / ``ת״ז`` / ``ת.ז.`` / ``ת''ז`` are one key);
2. **words**: the header read as words, each word in a class (consent, sms, phone, mobile, date, ...), and a
   field's pattern of classes present (``מאשר/ת קבלת הודעות SMS`` -> consent + sms -> ``sms_consent``); a word no
   class knows is matched by similarity (method **fuzzy**);
3. **fuzzy**: the whole header by similarity to the aliases (rapidfuzz), for typos.

The column's values are a second opinion (**values**). Every mapping carries its method and a confidence (0-1).
An identity or consent field mapped with low confidence, or where two fields fit equally, is not applied: the
column is carried through and the mapping is reported as *held*, for ``--map`` to settle. A consent column that
names no channel is used for every channel without a column of its own. Each field takes at most one column; a
column that maps to nothing is carried through untouched.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import polars as pl
from rapidfuzz import fuzz, process

from pipeline.errors import InputError
from pipeline.fields import FIELDS, IDENTIFYING
from pipeline.fields.text import clean_text
from pipeline.mapping.values import suggested_field, value_kinds, verdict
from pipeline.mapping.words import Vocabulary, strip_units
from pipeline.privacy import mask_text
from pipeline.rules import GENERAL_CONSENT, MAPPABLE, OPT_OUTS, ColumnRules

Method = Literal["exact", "words", "fuzzy", "values", "override"]
_PUNCT = re.compile(r"[\"'״׳’‘“”`´.,:;_\-–—/\\()\[\]{}#*!?|+]+")

CONSENT_FIELDS: tuple[str, ...] = tuple(f for f, kind in FIELDS.items() if kind == "consent")
# mapped wrongly, these send messages to people who did not agree, or merge people who are not one: never guessed
SENSITIVE: frozenset[str] = IDENTIFYING | {*CONSENT_FIELDS, "consent_date", GENERAL_CONSENT}


_PHONE_SIBLING = {"phone_mobile": "phone_other", "phone_other": "phone_mobile"}


def header_key(header: str) -> str:
    """The comparison key of a header: ``'ת.ז. '`` -> ``'תז'``, ``'E-Mail'`` -> ``'e mail'``, ``'(₪)'`` -> ``''``."""
    text = strip_units(clean_text(header)).lower()
    text = re.sub(r"(?<=\w)[\"'״׳’‘“”`´.]+(?=\w)", "", text)  # inner quotes and dots of abbreviations
    text = _PUNCT.sub(" ", text)
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class ColumnMatch:
    header: str
    field: str
    method: Method
    confidence: float  # 0-1; 1 for exact and override
    values: str | None = None  # the values' opinion: "agree", "disagree" or None (no opinion)
    reason: str = ""  # why a held mapping was not applied, or how a general consent column is used


@dataclass(frozen=True)
class ColumnMapping:
    matches: tuple[ColumnMatch, ...]
    unmapped: tuple[str, ...]
    notes: tuple[str, ...] = ()
    held: tuple[ColumnMatch, ...] = ()  # mappings not applied (low confidence or ambiguous): settle with --map
    # columns that record refusals (``OPT_OUTS``): carried through, and read to withdraw consent
    opt_outs: tuple[ColumnMatch, ...] = ()

    @staticmethod
    def withdrawn_by(match: ColumnMatch) -> tuple[str, ...]:
        """The consent fields an opt-out column takes consent from."""
        channel = OPT_OUTS[match.field]
        return (channel,) if channel else CONSENT_FIELDS

    @property
    def by_field(self) -> dict[str, str]:
        return {m.field: m.header for m in self.matches}

    def fields(self) -> set[str]:
        return {m.field for m in self.matches}

    @property
    def warnings(self) -> tuple[str, ...]:
        """One line per held mapping, with the ``--map`` that would apply it."""
        return tuple(
            f"column {m.header!r} may be {m.field} ({m.method}, confidence {m.confidence:.2f}) but is not used: "
            f'{m.reason}. If it is, run with --map "{m.header}={m.field}"'
            for m in self.held
        )


@dataclass(frozen=True, slots=True)
class Guess:
    field: str
    method: Method
    confidence: float
    ties: tuple[str, ...] = ()


class HeaderMatcher:
    """Matches single headers against the rules (aliases, then words, then similarity); reused to find the header
    row, so every answer is remembered."""

    def __init__(self, rules: ColumnRules) -> None:
        self.rules = rules
        self.vocabulary = Vocabulary(rules)
        self.exact: dict[str, str] = {}
        for name in FIELDS:
            self.exact.setdefault(header_key(name.replace("_", " ")), name)
        for name, aliases in rules.aliases.items():
            for alias in aliases:
                self.exact.setdefault(header_key(alias), name)
        self._choices = list(self.exact)
        self._seen: dict[str, Guess | None] = {}

    def match(self, header: str) -> Guess | None:
        if header not in self._seen:
            self._seen[header] = self._match(header)
        return self._seen[header]

    def _match(self, header: str) -> Guess | None:
        key = header_key(header)
        if not key:
            return None
        if key in self.exact:
            return Guess(self.exact[key], "exact", 1.0)
        found = self.vocabulary.match(header)
        words = Guess(found.field, "fuzzy" if found.fuzzy else "words", found.confidence, found.ties) if found else None
        similar = None
        # the whole header by similarity only where some word is unknown: known words have had their say
        # (``שם חברה`` is a company name, not the alias ``שם חבר``)
        # nor for a header with a word of refusal: "לא מאשר SMS" is one letter pair from an alias of consent
        refusal = any(w.cls == "refusal" for w in self.vocabulary.words(header))
        if len(key) >= self.rules.fuzzy_min_length and not refusal and not self.vocabulary.all_known(header):
            best = process.extractOne(key, self._choices, scorer=fuzz.ratio, score_cutoff=self.rules.fuzzy_threshold)
            if best is not None:
                # 50% alike is what unrelated headers score: confidence runs from there to 1 at 100%
                similar = Guess(self.exact[best[0]], "fuzzy", round((float(best[1]) - 50) / 50, 3))
        if words is None or (similar is not None and similar.confidence > words.confidence):
            return similar
        return words

    def recognised(self, cells: Sequence[str | None]) -> int:
        """How many cells of a candidate header row are known headers (used to find the header row)."""
        count = 0
        for cell in cells:
            guess = self.match(str(cell)) if cell else None
            if guess is not None and not guess.ties and guess.confidence >= self.rules.min_confidence_other:
                count += 1
        return count


def parse_overrides(items: Sequence[str]) -> dict[str, str]:
    """``["עיר מגורים=city"]`` -> ``{"עיר מגורים": "city"}``; the field must be canonical, ``marketing_consent``
    (consent for every channel without a column of its own), an opt-out (``sms_opt_out``, ``email_opt_out``,
    ``marketing_opt_out``: the column withdraws consent) or ``-`` (carry the column through)."""
    out: dict[str, str] = {}
    for item in items:
        header, sep, name = item.rpartition("=")
        header, name = header.strip(), name.strip()
        if not sep or not header or not name:
            raise InputError(f'--map {item!r}: expected HEADER=FIELD, for example "עיר מגורים=city"')
        if name not in FIELDS and name not in ("-", *MAPPABLE):
            near = difflib.get_close_matches(name, [*FIELDS, *MAPPABLE], n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise InputError(f"--map {item!r}: unknown field {name!r}{hint}")
        out[header] = name
    return out


def _decide(guess: Guess, shares: dict[str, float] | None, rules: ColumnRules, header: str) -> tuple[ColumnMatch, bool]:
    """(the match with the values' opinion, whether it may be applied) for one header's guess."""
    field, method, confidence = guess.field, guess.method, guess.confidence
    opinion: str | None = None
    reason = ""
    if guess.ties:
        agreeing = [f for f in (field, *guess.ties) if verdict(f, shares or {})[0] == "agree"]
        if len(agreeing) == 1:
            field, method, opinion = agreeing[0], "values", "agree"
            confidence = round(confidence + (1 - confidence) / 2, 3)
        else:
            reason = f"it fits {' and '.join((field, *guess.ties))} equally well"
    if not reason:
        opinion, kind = verdict(field, shares or {}) if method != "values" else (opinion, None)
        if opinion == "agree" and method != "exact":
            confidence = round(confidence + (1 - confidence) / 2, 3)
        elif opinion == "disagree":
            confidence = round(confidence / 2, 3)
            reason = f"its values look like {kind}, not {field}"
    floor = rules.min_confidence if field in SENSITIVE else rules.min_confidence_other
    if not reason and confidence < floor:
        reason = f"confidence below {floor:.2f}"
    ok = not reason
    return ColumnMatch(header, field, method, confidence, opinion, reason), ok


def map_columns(
    headers: Sequence[str],
    *,
    rules: ColumnRules,
    overrides: Mapping[str, str] | None = None,
    values: pl.DataFrame | None = None,
) -> ColumnMapping:
    """Choose a canonical field for each header.

    Overrides win, then exact alias matches, then the most confident word or similarity matches; a field already
    taken by a better column leaves the other column unmapped (and says so in ``notes``). ``values`` (the raw
    table) lets the first few hundred values of each column confirm or contradict its header.
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
    kinds = value_kinds(values, headers, yes_no=rules.yes_no) if values is not None else {}

    candidates: list[tuple[int, float, int, ColumnMatch]] = []  # (rank, -confidence, position, match)
    held: list[ColumnMatch] = []
    general: list[ColumnMatch] = []
    opt_outs: list[ColumnMatch] = []
    for pos, header in enumerate(headers):
        if header in overrides:
            if overrides[header] == GENERAL_CONSENT:
                general.append(ColumnMatch(header, GENERAL_CONSENT, "override", 1.0))
            elif overrides[header] in OPT_OUTS:
                opt_outs.append(ColumnMatch(header, overrides[header], "override", 1.0))
            elif overrides[header] != "-":
                candidates.append((0, -1.0, pos, ColumnMatch(header, overrides[header], "override", 1.0)))
            continue
        guess = matcher.match(header)
        if guess is None:
            suggestion = suggested_field(kinds.get(header, {}))
            if suggestion is not None:
                field, share = suggestion
                held.append(
                    ColumnMatch(header, field, "values", round(0.6 * share, 3), "agree", "only its values say so")
                )
            continue
        match, ok = _decide(guess, kinds.get(header), rules, header)
        if not ok:
            held.append(match)
        elif match.field == GENERAL_CONSENT:
            general.append(match)
        elif match.field in OPT_OUTS:
            opt_outs.append(match)
        else:
            candidates.append((1 if match.method == "exact" else 2, -match.confidence, pos, match))

    taken: dict[str, ColumnMatch] = {}
    second: list[ColumnMatch] = []  # phone columns whose field another column took
    for _, _, _, match in sorted(candidates, key=lambda c: c[:3]):
        if match.field in taken and match.field in _PHONE_SIBLING and match.method != "override":
            second.append(match)
            continue
        if match.field in taken:
            notes.append(
                f"column {match.header!r} also looks like {match.field} but {taken[match.field].header!r} "
                "was chosen; it is carried through unchanged"
            )
            continue
        taken[match.field] = match
    for match in second:
        sibling = _PHONE_SIBLING[match.field]
        if sibling in taken:
            notes.append(
                f"column {match.header!r} also looks like {match.field} but {taken[match.field].header!r} "
                "was chosen; it is carried through unchanged"
            )
            continue
        # "Phone 1" beside "Phone 2" and no mobile column: both are the member's phones, and cleaning moves each
        # number to the column its type says; leaving one out lost members' only number
        notes.append(
            f"column {match.header!r} also looks like {match.field} but {taken[match.field].header!r} was chosen; "
            f"it is used as {sibling}, the file's other phone column"
        )
        taken[sibling] = ColumnMatch(match.header, sibling, match.method, match.confidence, match.values, "")
    for match in sorted(general, key=lambda m: (m.method not in ("override", "exact"), -m.confidence)):
        free = [f for f in CONSENT_FIELDS if f not in taken]
        if not free:
            notes.append(
                f"column {match.header!r} is a consent that names no channel, and every channel has its own "
                "consent column; it is carried through unchanged"
            )
            continue
        own = [f"{f} from {taken[f].header!r}" for f in CONSENT_FIELDS if f in taken]
        notes.append(
            f"column {match.header!r} is a consent that names no channel: it is used for {' and '.join(free)}"
            + (f" ({', '.join(own)})" if own else "")
        )
        for f in free:
            taken[f] = ColumnMatch(match.header, f, match.method, match.confidence, match.values, "no channel named")
    for match in opt_outs:
        channels = " and ".join(f.removesuffix("_consent") for f in ColumnMapping.withdrawn_by(match))
        notes.append(
            f"column {match.header!r} records refusals ({match.field}, {match.method}, confidence "
            f"{match.confidence:.2f}): a member it marks gets no {channels} messages, whatever a consent column "
            "says; it is carried through unchanged"
        )
    held = [m for m in held if not (m.method == "values" and m.field in taken)]
    chosen = {m.header for m in taken.values()}
    ordered = tuple(m for h in headers for m in taken.values() if m.header == h)
    return ColumnMapping(
        matches=ordered,
        unmapped=tuple(h for h in headers if h not in chosen),
        notes=tuple(notes),
        held=tuple(held),
        opt_outs=tuple(opt_outs),
    )


def require_identifying(mapping: ColumnMapping, *, path: object) -> None:
    """Refuse a file where no column identifies a member: nothing could be cleaned or matched."""
    if not mapping.fields() & IDENTIFYING:
        if any(mask_text(h) != h for h in mapping.unmapped):  # an e-mail or a number of 7+ digits: personal data
            # a file without a header row: its "headers" are the first member's name, phone and e-mail, none of
            # which is quoted (masking hides a phone, not a name)
            raise InputError(
                "no recognisable identifying column, and the first row looks like a member (a phone, e-mail, ID "
                "number or birth date among its cells), not column names: add a header row (see cleanse inspect)",
                path=str(path),
            )
        seen = ", ".join(repr(mask_text(h)) for h in mapping.unmapped[:6]) or "none"
        held = mask_text("; ".join(mapping.warnings[:3]))
        raise InputError(
            "no recognisable identifying column (member number, name, ID number, phone or e-mail); "
            f'headers seen: {seen}. Use --map "HEADER=field" to name one' + (f" ({held})" if held else ""),
            path=str(path),
        )
