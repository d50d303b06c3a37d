"""The address compared as one thing: a street's similarity (its words, and its letters without spaces) and the
joint levels of the whole address, from a different place to one home."""

from __future__ import annotations

import numpy as np
import polars as pl
from rapidfuzz import fuzz

from pipeline.rules import DedupeRules
from pipeline.stages.dedupe.pairwise import pairwise_codes

# the address levels, from "nothing to compare" (-1) to one home
ADDRESS_LEVELS = (
    "different place",
    "same locality, another street",
    "same locality",
    "same zip",
    "same street",
    "same address",
)


def address_level(rules: DedupeRules) -> pl.Expr:
    """One comparison of the whole address, with joint levels: 5 one home (the street, or a close spelling of it,
    and the house number, in a locality that does not disagree), 4 the same street in the same locality, 3 the
    same zip, 2 the same locality (or a zip one digit off) where one record names no street, 1 the same locality
    but another street (a move within the town: weaker evidence than a locality with nothing finer to compare),
    0 a different place, -1 nothing to compare.

    A member who moved house disagrees on the locality, the street and the zip at once: that is one fact, and three
    comparisons counted it three times (and a household's home three times over). Reads the pair's codes
    (``city``, ``street``, ``house``, ``zip``, each ``_a`` and ``_b``) and ``__street`` (the streets' token-set
    ratio), ``__zip_close`` (zips at most one edit apart) and ``__city_close`` (two spellings of one locality the
    official list does not know, ``city_close``)."""
    both = lambda c: pl.col(f"{c}_a").is_not_null() & pl.col(f"{c}_b").is_not_null()  # noqa: E731
    same = lambda c: (pl.col(f"{c}_a") == pl.col(f"{c}_b")).fill_null(False)  # noqa: E731
    # the similarities are read only where both records hold the value (a pair with an empty side was not scored)
    street = both("street") & (pl.col("__street") >= rules.street_close)
    zip_near = both("zip") & pl.col("__zip_close")
    locality = same("city") | same("zip") | pl.col("__city_close")
    # both records name a place and no part of it agrees: a town and a zip of their own
    elsewhere = (both("city") | both("zip")) & ~locality & ~zip_near
    return (
        pl.when(~(both("city") | both("zip") | both("street")))
        .then(-1)
        .when(street & same("house") & ~elsewhere)
        .then(5)
        .when(street & (locality | zip_near))
        .then(4)
        .when(same("zip"))
        .then(3)
        .when((locality | zip_near) & ~both("street"))
        .then(2)
        .when(locality | zip_near)
        .then(1)
        .otherwise(0)
    )


def street_similarity(a: pl.Series, b: pl.Series, values: dict[str, np.ndarray], *, rules: DedupeRules) -> np.ndarray:
    """The token-set ratio (0-100) of two streets (codes ``a`` and ``b`` of the ``street`` space), or, where that
    fails ``street_close``, the ratio of the two without their spaces if it is higher: a space lost or moved
    ("emilybulcock crescent") splits the words the token-set ratio compares. Pairs with an empty side are not
    scored (``pairwise_codes`` with ``empty_read=False``)."""
    similarity = pairwise_codes(
        a, b, values["street"], fuzz.token_set_ratio, empty_read=False, cutoff=rules.street_close
    )
    # only the pairs that failed are compared again: most candidate pairs of one town name two streets
    retry = np.flatnonzero((similarity < rules.street_close) & (a.is_not_null() & b.is_not_null()).to_numpy())
    if len(retry):
        tight = pairwise_codes(
            a.gather(retry),
            b.gather(retry),
            values["street_tight"],
            fuzz.ratio,
            empty_read=False,
            cutoff=rules.street_close,
        )
        similarity[retry] = np.maximum(similarity[retry], tight)
    return similarity


def city_close(pairs: pl.DataFrame, values: dict[str, np.ndarray], *, rules: DedupeRules) -> np.ndarray:
    """Per pair, whether two different localities, neither on the official list, are one place spelled twice: their
    letters (``city_tight``: no spaces, dashes, points, quotes, geresh or gershayim) at least ``street_close`` alike
    (``fuzz.ratio``). A listed locality was already put in its official spelling by cleaning, so two listed names
    that differ are two places however alike (אורים and אורנים, two villages, are 91 alike); an unlisted one is a
    typo cleaning could not place, or a place abroad ("forets hill", "birmingha m gardens"): in FEBRL3's 5,000
    records, 30 true pairs were "a different place" for it (20 of them one home). Reads the pair's ``city_a``,
    ``city_b`` (codes) and ``city_unlisted_a``, ``city_unlisted_b``."""
    close = np.zeros(pairs.height, dtype=bool)
    ask = pairs.select(
        pl.col("city_unlisted_a") & pl.col("city_unlisted_b") & (pl.col("city_a") != pl.col("city_b"))
    ).to_series()
    where = np.flatnonzero(ask.fill_null(False).to_numpy())
    if len(where):
        picked = pairs.select("city_a", "city_b")[where]
        ratio = pairwise_codes(
            picked.get_column("city_a"),
            picked.get_column("city_b"),
            values["city_tight"],
            fuzz.ratio,
            empty_read=False,
            cutoff=rules.street_close,
        )
        close[where] = ratio >= rules.street_close
    return close
