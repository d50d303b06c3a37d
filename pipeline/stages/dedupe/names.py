"""Name equivalence across nicknames and scripts: a curated given-name table and a consonant skeleton.

No library matches Hebrew with Latin spellings. The skeleton keeps consonant classes that both scripts share:
``כהן`` ~ ``Cohen`` ~ ``Kohen`` ~ ``Cohn`` -> ``KN``; ``חיים`` ~ ``Chaim`` ~ ``Haim`` -> ``KM``. Vav is a vowel or
a consonant in Hebrew (``יוסף`` Yosef, ``לוי`` Levi), so a Hebrew name has two skeletons, with and without it.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

import polars as pl

_HEB = {
    "א": "",
    "ב": "B",
    "ג": "G",
    "ד": "D",
    "ה": "K",
    "ו": "",
    "ז": "Z",
    "ח": "K",
    "ט": "T",
    "י": "",
    "כ": "K",
    "ך": "K",
    "ל": "L",
    "מ": "M",
    "ם": "M",
    "נ": "N",
    "ן": "N",
    "ס": "S",
    "ע": "",
    "פ": "P",
    "ף": "P",
    "צ": "Z",
    "ץ": "Z",
    "ק": "K",
    "ר": "R",
    "ש": "S",
    "ת": "T",
}
_LATIN_DIGRAPHS = [
    ("sch", "S"),
    ("tch", "Z"),
    ("ch", "K"),
    ("kh", "K"),
    ("sh", "S"),
    ("ph", "P"),
    ("th", "T"),
    ("tz", "Z"),
    ("ts", "Z"),
    ("ck", "K"),
]
_LATIN = {
    "b": "B",
    "v": "B",
    "w": "",
    "c": "K",
    "k": "K",
    "q": "K",
    "g": "G",
    "j": "G",
    "d": "D",
    "h": "K",
    "z": "Z",
    "t": "T",
    "l": "L",
    "m": "M",
    "n": "N",
    "s": "S",
    "p": "P",
    "f": "P",
    "r": "R",
    "x": "KS",
}


def _collapse(text: str) -> str:
    return re.sub(r"(.)\1+", r"\1", text)


@functools.lru_cache(maxsize=1 << 18)
def skeletons(name: str | None) -> tuple[str, ...]:
    """Consonant skeletons of one name (several tokens are joined); two for Hebrew with a vav.

    Blocking and both comparison passes ask for the same names: each distinct name is worked out once."""
    if not name:
        return ()
    words = re.findall(r"[\u05d0-\u05eaA-Za-z']+", name.lower())
    if not words:
        return ()
    variants = {""}
    for word in words:
        word = word.replace("'", "")
        if re.search("[\u05d0-\u05ea]", word):
            base = "".join(_HEB.get(ch, "") for ch in word[:-1]) + ("" if word[-1] == "ה" else _HEB.get(word[-1], ""))
            with_vav = "".join("B" if ch == "ו" else _HEB.get(ch, "") for ch in word[:-1]) + (
                "" if word[-1] in "הו" else _HEB.get(word[-1], "")
            )
            options = {_collapse(base), _collapse(with_vav)}
        else:
            text = word[:-1] if word.endswith("h") and len(word) > 2 else word
            for digraph, cls in _LATIN_DIGRAPHS:
                text = text.replace(digraph, cls.lower() + "\u0000")
            out = "".join(_LATIN.get(ch, ch.upper() if ch.isupper() else "") if ch != "\u0000" else "" for ch in text)
            options = {_collapse(out.upper())}
        variants = {v + o for v in variants for o in options}
    return tuple(sorted(v for v in variants if v))


def skeleton_lists(names: pl.Series) -> pl.Series:
    """Each name's skeletons as a list, worked out once per distinct name (null for a null name)."""
    distinct = names.drop_nulls().unique().to_frame("v")
    known = distinct.with_columns(
        pl.col("v").map_elements(lambda v: list(skeletons(v)), return_dtype=pl.List(pl.String)).alias("sk")
    )
    return names.rename("v").to_frame().join(known, on="v", how="left", maintain_order="left").get_column("sk")


@functools.lru_cache(maxsize=1)
def given_name_table() -> pl.DataFrame:
    """variant -> canonical, plus every canonical to itself (lower-cased, final letters folded as in keys)."""
    text = resources.files("pipeline.reference").joinpath("given_names.csv").read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    table = pl.read_csv(body.encode(), infer_schema=False)
    from pipeline.fields.names import match_key

    table = table.select(match_key(pl.col("variant")).alias("key"), match_key(pl.col("canonical")).alias("canonical"))
    selves = table.select(pl.col("canonical").alias("key"), "canonical")
    return pl.concat([table, selves]).unique()


# a given name is taken as one sex's when at least four in five of its bearers are (CBS first names): מיכאל and
# מיכל, אורי and אורית are two names, whatever their consonants share; טל, נועם and חן are anyone's
ONE_SEX = 0.8
# a given name this many Israelis bear is a name of its own: another such name is not a typo of it (שרה, שירה)
COMMON_NAME = 1_000
# a name borne by fewer than this share of another's bearers says nothing of sex against it: אסר (121 men) beside
# אסתר (59,476 women) is אסתר with a letter dropped, not a man (one mobile, e-mail and birth date were held apart)
RARE_BESIDE = 0.01


@functools.lru_cache(maxsize=1)
def name_sex() -> pl.DataFrame:
    """``key`` (a given name folded as match keys are) -> ``sex`` ("F", "M" or null: anyone's), ``common``
    (at least ``COMMON_NAME`` bearers) and ``bearers`` for the CBS first names: one sex's when at least ``ONE_SEX``
    of its bearers are."""
    from pipeline.fields.names import first_name_lexicon, match_key

    return (
        first_name_lexicon()
        .select(
            match_key(pl.col("name")).alias("key"),
            pl.when(pl.col("p_female") >= ONE_SEX)
            .then(pl.lit("F"))
            .when(pl.col("p_female") <= 1 - ONE_SEX)
            .then(pl.lit("M"))
            .alias("sex"),
            (pl.col("total") >= COMMON_NAME).alias("common"),
            pl.col("total").alias("bearers"),
        )
        .sort("common", descending=True)
        .unique("key", keep="first", maintain_order=True)
    )


def name_facts(values: pl.Series, names: pl.DataFrame) -> pl.DataFrame:
    """Per name code (``values[code]`` is the folded key): its spelling skeletons and its canonical given names
    (nicknames, cognates, transliterations), as lists, the sex its bearers mostly are, where they are, and whether
    it is a common given name (``name_sex``; a Latin spelling takes its canonical Hebrew names'). ``names`` pairs
    each key with one spelling of it."""
    table = given_name_table()
    spelled = names.drop_nulls("key").unique("key")
    canon = table.group_by("key").agg(pl.col("canonical").alias("canon"))
    sexes = name_sex()
    by_canon = (
        table.join(sexes.rename({"key": "canonical"}), on="canonical", how="inner")
        .group_by("key")
        .agg(pl.col("sex").unique(), pl.col("common").all(), pl.col("bearers").max())
        .select(
            "key",
            # canonicals of both sexes (a nickname of two names) say nothing
            pl.when(pl.col("sex").list.len() == 1).then(pl.col("sex").list.first()).alias("canon_sex"),
            pl.col("common").alias("canon_common"),
            pl.col("bearers").alias("canon_bearers"),
        )
    )
    facts = (
        values.rename("key")
        .to_frame()
        .with_row_index("code")
        .join(spelled, on="key", how="inner")
        .join(canon, on="key", how="left")
        .join(sexes, on="key", how="left")
        .join(by_canon, on="key", how="left")
    )
    return facts.select(
        "code",
        pl.col("canon").fill_null([]),
        skeleton_lists(facts.get_column("name")).alias("skel"),
        pl.col("name").str.contains("[A-Za-z]").alias("latin"),
        pl.coalesce("sex", "canon_sex").alias("sex"),
        pl.coalesce("common", "canon_common").fill_null(False).alias("common"),
        pl.coalesce("bearers", "canon_bearers").alias("bearers"),
    )
