"""A header read as words, and matched to a field by the word classes and patterns of ``columns.yaml``.

``מאשר/ת קבלת הודעות SMS`` -> words ``מאשר ת קבלת הודעות sms`` -> classes consent, (neutral), (neutral), sms, sms
-> ``sms_consent``: the pattern ``[consent, sms]`` is present and every word belongs to the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import chain

from rapidfuzz import fuzz, process

from pipeline.fields.text import clean_text
from pipeline.rules import ColumnRules

_QUOTES = "\"'״׳’‘“”`´"
_QUOTE_OR_DOT = re.compile(f"[{re.escape(_QUOTES)}.]+")
_HEB = "\u05d0-\u05ea"
_FINALS = str.maketrans("ךםןףץ", "כמנפצ")
_PREFIXES = "והבלשמכ"
_DATE_PART = r"(?:dd|mm|yyyy|yy|d|m)"
# the answers a yes/no column takes, written in its header: (כן/לא), Y/N; their "no" is not a refusal
_ANSWERS = r"(?:כן|yes|y|v)\s*/\s*(?:לא|no|n|x)"
# units and formats that say nothing about which field a column is: (₪), (ש"ח), (dd/mm/yyyy), (חובה), (9 ספרות)
UNITS = re.compile(
    r"[(\[]\s*(?:₪|ש[\"״'׳]?ח|nis|ils|usd|\$|%|חובה|required|optional|רשות|\d+\s*(?:ספרות|digits)|"
    rf"{_ANSWERS}|{_DATE_PART}(?:\s*[/.\-]\s*{_DATE_PART}){{1,2}})\s*[)\]]"
    rf"|\b(?:dd|yyyy)\s*[/.\-]\s*mm\s*[/.\-]\s*(?:yyyy|yy|dd)\b|(?<!\w){_ANSWERS}(?!\w)",
    re.IGNORECASE,
)
# spellings of one word that people write as two
_ONE_WORD = (
    (re.compile(r"\be[\s\-]?mail"), "email"),
    (re.compile(r"אי[\s\-]מייל"), "אימייל"),
    (re.compile(r"\bopt[\s\-_]?in\b"), "optin"),
    (re.compile(r"\bsign[\s\-_]?up\b"), "signup"),
    (re.compile(r"\bpost[\s\-]code\b"), "postcode"),
)
_SCRIPT_CHANGE = re.compile(rf"(?<=[{_HEB}])(?=[a-z0-9])|(?<=[a-z0-9])(?=[{_HEB}])|(?<=[a-z])(?=[0-9])")
_SEPARATORS = re.compile(r"[\s,:;_\-–—/\\()\[\]{}*!?|+&=<>]+")
# shorter words differ from other words by one letter too often (סיכום "summary" / סכום "sum")
_FUZZY_MIN_LENGTH = 6
NEUTRAL = ""  # the class of a word that counts for every field (one letter, a digit, a neutral class)


def strip_units(text: str) -> str:
    return UNITS.sub(" ", text)


def fold_word(word: str) -> str:
    """One word as the vocabulary and the headers are compared: lower case, no quote marks or dots, no final letters."""
    return _QUOTE_OR_DOT.sub("", clean_text(word).lower()).translate(_FINALS)


def header_chunks(header: str) -> list[tuple[str, tuple[str, ...]]]:
    """The words of a header, each as (joined, pieces): ``ת.ז.`` -> ``("תז", ("ת", "ז"))``.

    An abbreviation's inner quote marks and dots join its letters (``ת"ז``, ``סה"כ``); when the joined form is no
    known word, its pieces are tried (``ת.לידה`` -> ``ת``, ``לידה``).
    """
    text = strip_units(clean_text(header))
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text).lower()  # FirstName, CardCode
    for pattern, word in _ONE_WORD:
        text = pattern.sub(word, text)
    text = _SCRIPT_CHANGE.sub(" ", text).replace("#", " # ")
    out: list[tuple[str, tuple[str, ...]]] = []
    for chunk in _SEPARATORS.split(text):
        chunk = chunk.strip(_QUOTES + ".")
        if not chunk:
            continue
        joined = _QUOTE_OR_DOT.sub("", chunk).translate(_FINALS)
        pieces = tuple(p.translate(_FINALS) for p in _QUOTE_OR_DOT.split(chunk) if p)
        out.append((joined, pieces))
    return out


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    cls: str | None  # None: a word no class knows
    similarity: float = 100.0  # below 100: found by similarity to a class word


@dataclass(frozen=True, slots=True)
class WordMatch:
    field: str
    confidence: float
    fuzzy: bool
    ties: tuple[str, ...] = ()  # other fields that fit exactly as well


class Vocabulary:
    """The word classes and patterns of the rules, ready to match headers."""

    def __init__(self, rules: ColumnRules) -> None:
        self.rules = rules
        self.neutral = frozenset(rules.neutral)
        self.classes: dict[str, str] = {}
        for cls, words in rules.words.items():
            for word in words:
                self.classes.setdefault(fold_word(word), cls)
        self._choices = [w for w in self.classes if len(w) >= 3]

    def _exact(self, word: str) -> str | None:
        if word in self.classes:
            return self.classes[word]
        if len(word) == 1 or word.isdigit():
            return NEUTRAL
        # Hebrew one-letter prefixes: ו ה ב ל ש מ כ (לקבלת, בדוא"ל, ומבצעים), at most two of them
        for cut in (1, 2):
            if len(word) - cut >= 2 and all(c in _PREFIXES for c in word[:cut]) and word[cut:] in self.classes:
                return self.classes[word[cut:]]
        return None

    def words(self, header: str) -> list[Word]:
        out: list[Word] = []
        for joined, pieces in header_chunks(header):
            cls = self._exact(joined)
            if cls is not None:
                out.append(Word(joined, cls))
                continue
            found = [self._exact(p) for p in pieces]
            if len(pieces) > 1 and all(c is not None for c in found):
                out.extend(Word(p, c) for p, c in zip(pieces, found, strict=True))
                continue
            near = None
            if len(joined) >= _FUZZY_MIN_LENGTH:
                near = process.extractOne(
                    joined, self._choices, scorer=fuzz.ratio, score_cutoff=self.rules.word_fuzzy_threshold
                )
            out.append(Word(joined, self.classes[near[0]], float(near[1])) if near else Word(joined, None))
        return out

    def all_known(self, header: str) -> bool:
        return all(w.cls is not None and w.similarity == 100 for w in self.words(header))

    def match(self, header: str) -> WordMatch | None:
        """The field whose pattern the header's words fit best, or None."""
        words = self.words(header)
        present = {w.cls for w in words if w.cls}
        content = [w for w in words if w.cls != NEUTRAL and w.cls not in self.neutral]
        ranked: list[tuple[float, int, str, bool]] = []
        for name, pattern in self.rules.patterns.items():
            # a `not` class rules the field out unless the matched set itself names it
            specific = max(
                (len(s) for s in pattern.any if set(s) <= present and not (present & set(pattern.not_)) - set(s)),
                default=0,
            )
            if not specific:
                continue
            allowed = set(chain.from_iterable(pattern.any)) | set(pattern.also)
            covered = [w for w in content if w.cls in allowed]
            share = len(covered) / len(content) if content else 1.0
            similarity = min((w.similarity for w in covered), default=100.0)
            confidence = round(0.95 * share * similarity / 100, 3)
            ranked.append((confidence, specific, name, similarity < 100))
        if not ranked:
            return None
        ranked.sort(key=lambda r: (-r[0], -r[1], r[2]))
        best = ranked[0]
        ties = tuple(r[2] for r in ranked[1:] if r[:2] == best[:2])
        return WordMatch(field=best[2], confidence=best[0], fuzzy=best[3], ties=ties)
