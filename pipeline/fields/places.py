"""Localities and zip codes.

Every spelling of a locality maps to its official name, CBS code and district. The packaged reference is the
official list (``reference/localities.csv``: the CBS localities file joined with data.gov.il's, see the README
there); both official spellings, the English names, GeoNames' names and the rules' aliases (abbreviations such as
``ת"א``, former names such as ``נצרת עילית`` -> ``נוף הגליל``) are keys. A key folds what people vary without
meaning another place: niqqud, quotes and geresh, hyphens and spaces, final letters, doubled vav/yod, a final
alef for he, and the usual transliteration variants of English names. Values with no exact key go to rapidfuzz
(one multi-threaded batch over the distinct unmatched values); the score goes to the ledger, and a value close to
two different places is not guessed. Unknown places are kept as they were and flagged.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl
from rapidfuzz import fuzz, process

from pipeline import ledger as ledger_
from pipeline.checks import check
from pipeline.errors import RulesError
from pipeline.fields.outcome import FieldOutcome

check("city-normalised", "info", "normalised", "Locality written in its official form", "{field} {before} is {after}")
check("city-fuzzy-matched", "info", "fixed", "Locality matched by similarity", "{field} {before} looks like {after}")
check("city-unknown", "warning", "flagged", "Unknown locality", "{field} {before} is not a known Israeli locality")
check(
    "zip-6-digit",
    "warning",
    "flagged",
    "Zip code of 6 digits",
    "{field} {before} has 6 digits: Israeli zip codes have 7, and none of a home address starts with 0 (only army "
    "units' do), so a digit is missing and cannot be guessed",
)
check("zip-normalised", "info", "normalised", "Zip code written as 7 digits", "{field} {before} written as {after}")
check(
    "zip-legacy-5-digit",
    "warning",
    "flagged",
    "Legacy 5-digit zip code",
    "{field} {before} is a 5-digit code from before 2013; it cannot be converted without the address",
)
check("zip-invalid", "warning", "flagged", "Zip code is not valid", "{field} {before} is not a 7-digit zip code")

_MARKS = re.compile("[\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7]")
_WORDS = re.compile(r"[a-z0-9\u05d0-\u05ea]+")
_APOSTROPHES = re.compile("['\"`´’‘״׳”“]")  # inside a word (Ari'el, סח'נין, ת"א): the word goes on
_FINALS = str.maketrans("ךםןףץ", "כמנפצ")
# English transliterations of Hebrew and Arabic names: one spelling per sound (Qiryat/Kiryat, Tzfat/Zefat ...)
_LATIN = [
    (re.compile(r"(?:tz|ts)"), "z"),
    (re.compile(r"(?:kh|ch)"), "h"),
    (re.compile(r"ph"), "f"),
    (re.compile(r"[qc]"), "k"),
    (re.compile(r"w"), "v"),
    (re.compile(r"y"), "i"),
    (re.compile(r"ei"), "e"),
    (re.compile(r"(.)\1+"), r"\1"),
    (re.compile(r"(?:ah|eh|a|e)$"), "a"),  # Tayibe/Tayiba, Yavne/Yavneh
]
# letters that sound alike in Hebrew, for a second exact try: קרית גט/גת, כפר קסם/קאסם
_SOUND = str.maketrans({"ט": "ת", "ק": "כ", "ע": "א", "ח": "כ", "ס": "ש"})


def _fold_word(word: str) -> str:
    if word.isascii():
        if word == "el":
            return "al"
        for pattern, repl in _LATIN:
            word = pattern.sub(repl, word)
        return word
    # קריית/קרית, תקווה/תקוה, שפרעמ/שפרעם, and a final alef or he (חיפא/חיפה)
    word = word.translate(_FINALS).replace("יי", "י").replace("וו", "ו")
    return word[:-1] + "ה" if len(word) > 2 and word.endswith("א") else word


@functools.lru_cache(maxsize=1 << 16)  # the same few thousand spellings come back in every chunk of a file
def place_key(text: str) -> str:
    """``'ת״א-יפו '`` -> ``'תאיפו'``: niqqud, quotes and geresh, hyphens, spacing, case, final letters and the
    spelling variants of Hebrew (doubled vav/yod, final alef/he) and of English transliteration folded. Only ever
    compared with other keys."""
    text = _APOSTROPHES.sub("", _MARKS.sub("", unicodedata.normalize("NFC", text))).lower()
    return "".join(_fold_word(w) for w in _WORDS.findall(text))


@dataclass(frozen=True)
class Gazetteer:
    names: tuple[str, ...]  # official name per entry
    districts: tuple[str | None, ...]
    codes: tuple[str | None, ...]  # CBS locality code
    index: Mapping[str, int]  # folded key -> entry
    sounds: Mapping[str, int]  # sound key -> entry, where only one place has it


def sound_key(key: str) -> str:
    """A ``place_key`` with alike-sounding Hebrew letters folded: ``קריתגט`` and ``קריתגת`` are one sound key."""
    return key.translate(_SOUND)


def _parts(name: str) -> list[str]:
    """Shorter forms people write for a compound official name: ``טמרה (יזרעאל)`` -> ``טמרה``, ``יהוד-מונוסון`` ->
    ``יהוד``, ``פרדס חנה-כרכור`` -> ``פרדס חנה``, ``כרכור``."""
    bare = re.sub(r"\s*\(.*?\)\s*", " ", name).strip()
    parts = [bare] if bare != name else []
    pieces = [p.strip() for p in re.split(r"\s+-\s*|-", bare) if p.strip()]
    if len(pieces) > 1:
        parts += [p for p in pieces if len(place_key(p)) >= 4]
    return parts


def _gazetteer_from(table: pl.DataFrame, aliases: Mapping[str, str]) -> Gazetteer:
    """``table``: name, district, code and optional name_alt, name_en, name_en_alt, aliases ("|"-joined), largest
    place first (a key two places share goes to the larger)."""
    rows = list(table.iter_rows(named=True))
    names = [r["name"] for r in rows]
    districts = [r.get("district") for r in rows]
    codes = [None if r.get("code") is None else str(r["code"]) for r in rows]
    index: dict[str, int] = {}

    def add(i: int, spellings: Iterable[str | None]) -> None:
        for spelling in spellings:
            key = place_key(spelling) if spelling else ""
            if key:
                index.setdefault(key, i)

    for i, r in enumerate(rows):  # the official spellings first: no alias takes one of them
        add(i, (r["name"], r.get("name_alt"), r.get("name_en"), r.get("name_en_alt")))
    for i, r in enumerate(rows):
        add(i, (r.get("aliases") or "").split("|"))
    for alias, target in aliases.items():  # the rules' aliases are explicit: they win
        entry = index.get(place_key(target))
        if entry is None:
            names.append(target)
            districts.append(None)
            codes.append(None)
            entry = len(names) - 1
            index[place_key(target)] = entry
        index[place_key(alias)] = entry
    for i, r in enumerate(rows):
        add(i, [p for n in (r["name"], r.get("name_alt")) if n for p in _parts(n)])
    sounds: dict[str, int] = {}
    ambiguous: set[str] = set()
    for key, entry in index.items():
        sound = sound_key(key)
        if sounds.setdefault(sound, entry) != entry:
            ambiguous.add(sound)
    for sound in ambiguous:
        del sounds[sound]
    return Gazetteer(tuple(names), tuple(districts), tuple(codes), index, sounds)


@functools.lru_cache(maxsize=4)
def _reference_table() -> pl.DataFrame:
    text = resources.files("pipeline.reference").joinpath("localities.csv").read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return pl.read_csv(body.encode(), infer_schema=False)


def _cbs_table(path: str) -> pl.DataFrame:
    """The CBS localities spreadsheet (bycode<year>.xlsx): name, code and district columns found by header."""
    import fastexcel

    from pipeline.mapping import header_key

    try:
        sheet = fastexcel.read_excel(path).load_sheet(0, dtypes="string").to_polars()
    except Exception as exc:
        raise RulesError(
            [f"places.cbs_file cannot be read as a CBS localities spreadsheet ({exc})"], path=path
        ) from exc
    by_key = {header_key(c).replace(" ", ""): c for c in sheet.columns}
    name = next((by_key[k] for k in ("שםיישוב", "שםישוב") if k in by_key), None)
    code = next((by_key[k] for k in ("סמליישוב", "סמלישוב") if k in by_key), None)
    district = next((by_key[k] for k in ("מחוז", "שםמחוז") if k in by_key), None)
    english = next((by_key[k] for k in ("שםיישובבאנגלית", "תעתיק") if k in by_key), None)
    if name is None:
        raise RulesError(["places.cbs_file has no 'שם יישוב' column"], path=path)
    return sheet.select(
        pl.col(name).str.strip_chars().alias("name"),
        (pl.col(district) if district else pl.lit(None, pl.String)).alias("district"),
        (pl.col(code) if code else pl.lit(None, pl.String)).alias("code"),
        (pl.col(english) if english else pl.lit(None, pl.String)).alias("name_en"),
    ).filter(pl.col("name").is_not_null())


@functools.lru_cache(maxsize=8)
def _cached_gazetteer(aliases: tuple[tuple[str, str], ...], cbs_file: str | None) -> Gazetteer:
    table = _cbs_table(cbs_file) if cbs_file else _reference_table()
    return _gazetteer_from(table, dict(aliases))


def gazetteer(*, aliases: Mapping[str, str], cbs_file: str | None = None) -> Gazetteer:
    """The localities reference (the packaged official list, or the CBS spreadsheet ``cbs_file``) with ``aliases``."""
    if cbs_file and not Path(cbs_file).exists():
        raise RulesError(["places.cbs_file does not exist"], path=cbs_file)
    return _cached_gazetteer(tuple(sorted(aliases.items())), cbs_file)


def match_places(values: list[str], gaz: Gazetteer, *, threshold: float) -> list[tuple[int | None, float]]:
    """(entry, score) for each distinct value: exact key, else the best rapidfuzz match at or above threshold,
    unless a different place scores as well (then nothing: a guess between two places is not a match)."""
    keys = [place_key(v) for v in values]
    found: list[tuple[int | None, float]] = [(gaz.index.get(k), 100.0) for k in keys]
    for i, (entry, _) in enumerate(found):
        if entry is None and len(keys[i]) >= 4 and sound_key(keys[i]) in gaz.sounds:
            found[i] = (gaz.sounds[sound_key(keys[i])], 95.0)
    todo = [i for i, (entry, _) in enumerate(found) if entry is None and len(keys[i]) >= 4]
    if todo:
        choices = list(gaz.index)
        entries = np.fromiter(gaz.index.values(), dtype=np.int64, count=len(choices))
        scores = process.cdist(
            [keys[i] for i in todo], choices, scorer=fuzz.ratio, workers=-1, score_cutoff=threshold, dtype=np.uint8
        )
        best = scores.argmax(axis=1)
        for row, i in enumerate(todo):
            score = int(scores[row, best[row]])
            if score < threshold:
                found[i] = (None, 0.0)
                continue
            tied = np.unique(entries[scores[row] == score])
            found[i] = (int(tied[0]), float(score)) if tied.size == 1 else (None, 0.0)
    return [(e, s) if e is not None else (None, 0.0) for e, s in found]


def clean_city(frame: pl.DataFrame, /, *, gaz: Gazetteer, threshold: float) -> FieldOutcome:
    """``city`` -> official name, plus ``city_district`` and ``city_code`` (the CBS locality code)."""
    raw = frame.get_column("city")
    distinct = raw.drop_nulls().unique(maintain_order=True)
    matches = match_places(distinct.to_list(), gaz, threshold=threshold)
    table = pl.DataFrame(
        {
            "raw": distinct,
            "canonical": [gaz.names[e] if e is not None else None for e, _ in matches],
            "district": [gaz.districts[e] if e is not None else None for e, _ in matches],
            "code": [gaz.codes[e] if e is not None else None for e, _ in matches],
            "score": [s for _, s in matches],
        },
        schema={
            "raw": pl.String,
            "canonical": pl.String,
            "district": pl.String,
            "code": pl.String,
            "score": pl.Float64,
        },
    )
    work = frame.select("source_row", pl.col("city").alias("raw")).join(
        table, on="raw", how="left", maintain_order="left"
    )
    exact = pl.col("score") == 100.0
    flags = {
        "city-normalised": pl.col("canonical").is_not_null() & exact & (pl.col("canonical") != pl.col("raw")),
        "city-fuzzy-matched": pl.col("canonical").is_not_null() & ~exact,
        "city-unknown": pl.col("raw").is_not_null() & pl.col("canonical").is_null(),
    }
    after = (
        pl.when(pl.col("score") < 100)
        .then(pl.format("{} ({})", pl.col("canonical"), pl.col("score").round(0).cast(pl.Int32)))
        .otherwise(pl.col("canonical"))
    )
    entries = ledger_.from_flags(work, field="city", flags=flags, before=pl.col("raw"), after=after)
    value = work.select(pl.coalesce("canonical", "raw")).to_series()
    return FieldOutcome(
        columns={"city": value, "city_district": work.get_column("district"), "city_code": work.get_column("code")},
        entries=entries,
    )


def clean_zip(frame: pl.DataFrame, /) -> FieldOutcome:
    raw = pl.col("zip")
    digits = raw.str.replace_all(r"[\s\-]", "").str.replace(r"\.0+$", "")
    work = frame.select("source_row", raw.alias("raw"), digits.alias("digits"))
    d = pl.col("digits")
    value = pl.when(d.str.contains(r"^\d{7}$")).then(d).otherwise(pl.col("raw"))
    work = work.with_columns(value.alias("value"))
    flags = {
        "zip-6-digit": d.str.contains(r"^\d{6}$"),
        "zip-normalised": d.str.contains(r"^\d{7}$") & (d != pl.col("raw")),
        "zip-legacy-5-digit": d.str.contains(r"^\d{5}$"),
        "zip-invalid": pl.col("raw").is_not_null() & ~d.str.contains(r"^\d{5,7}$"),
    }
    entries = ledger_.from_flags(work, field="zip", flags=flags, before=pl.col("raw"), after=pl.col("value"))
    return FieldOutcome(columns={"zip": work.get_column("value")}, entries=entries)
