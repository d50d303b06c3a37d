"""Deciding: which scored pairs are one member. A person's decision first, then the "never merge" rules, then the
bands of the match probability (``dedupe.yaml`` ``thresholds``): merge, review (a person decides) or apart.
"""

from __future__ import annotations

import polars as pl

from pipeline.rules import DedupeRules

# the "never merge" rules (``dedupe.yaml`` ``hard_rules``): two different valid ID numbers; clearly different birth
# dates (not one typo apart) under no shared ID number, nor months apart under a shared e-mail or mobile; a
# household (a shared phone or address) with different first names under no shared ID number; clearly different
# first names under no shared ID number (twins, siblings, parent and child who share a family's facts, even an
# e-mail or a phone: shared by two first names, it is the family's)
HARD_RULES = ("two_ids", "birth_dates", "household", "first_names")

# a pair's band, in the order they are decided; the pairs output and the review sheet name them
BANDS = ("decided_same", "decided_different", "never", "merge", "review", "apart")
MERGING = ("merge", "decided_same")


def identifier_agrees() -> pl.Expr:
    """At least one identifier agrees: ID number (or one typo apart), a phone (a shared mobile, or another shared
    number where the two records do not hold two different mobiles: a landline shared by two mobiles is a
    household's, and at a million members 4 of the 11 look-alike groups merged rested on one), the same e-mail
    address, birth date (or one typo apart). A similar e-mail (same mailbox name at another domain, or a close
    spelling) is not one: namesakes' mailboxes are made of the same names (moshe.cohen@012.net.il,
    moshe.cohen@walla.co.il), and at a million members 47 of the 120 pairs that merged two people rested on it."""
    return (
        (pl.col("lvl_national_id") >= 1)
        | (pl.col("lvl_phone") >= 3)
        | (pl.col("lvl_email") == 2)
        | (pl.col("lvl_birth_date") >= 1)
    )


def first_names_settle() -> pl.Expr:
    """The first names say one person: equal, a nickname or a close spelling (levels 2-4), or one is missing; or
    they are only alike (נועה, נועם: level 1) and an ID number, a mobile (phone level 4) or the same e-mail
    address agrees. Twins of alike names share a last name, a birth date, a home and its landline: such a pair is a
    person's to decide, never merged (at a million members, 3 of the 19 look-alike groups left went once a landline
    no longer settled them). A similar e-mail settles nothing: twins' mailboxes are made of their alike names
    (levi.noa@ and levi.noam@ are one letter apart), as namesakes' are of one name. Nor does the same address
    where the birth dates differ: a family's mailbox (שירה and שָׂרָה מזרחי, born eight months apart, each with her
    own mobile, merged at 0.95 at a million members; of the 26 such pairs there, none was one person)."""
    return (
        (pl.col("lvl_first_name") >= 2)
        | (pl.col("lvl_first_name") == -1)
        | (pl.col("lvl_national_id") >= 1)
        | (pl.col("lvl_phone") == 4)
        | ((pl.col("lvl_email") == 2) & (pl.col("lvl_birth_date") != 0))
    )


def family_facts_only() -> pl.Expr:
    """No birth date to compare (one is missing, or was impossible), no ID number, and the phones say "a family":
    two different valid mobiles, or only a home's landline in common (and not one e-mail address). One name with
    such facts may be a parent and child of one name as well as one member, and only the birth date tells them
    apart, so a person decides.

    On the corruption set (``make bench-dedupe-corruptions``) all 4 parent-and-child pairs merged were of the first
    kind (משה פרץ born 1945 and a 31/02/1974 record, one family e-mail, 054- and 058- mobiles); at a million members
    the last look-alike group merged was of the second (two נועה ברגר of one home and landline, one mobile unreadable,
    no birth date on one record)."""
    family = pl.col("__two_mobiles") | (pl.col("__landline_only") & (pl.col("lvl_email") != 2))
    return family & (pl.col("lvl_birth_date") == -1) & (pl.col("lvl_national_id") < 1)


def _high(rules: DedupeRules) -> pl.Expr:
    """Probability enough to merge: the ``merge`` band with an identifier that agrees, or ``merge_without_identifier``
    on names and places alone."""
    p = pl.col("match_probability")
    return ((p >= rules.merge) & identifier_agrees()) | (p >= rules.merge_without_identifier)


# why a pair in review is a person's to decide, in the order ``bands`` asks (review.xlsx words each in the member
# file's language): the pair scored high enough to merge but is one name with only a family's facts, or its first
# names are only alike; or it scored a merge on names and places alone; or it scored between the bands
REVIEW_BECAUSE = ("family_facts", "alike_first_names", "no_identifier", "between_bands")


def _held_back() -> pl.Expr:
    """For a pair that scored high enough to merge, why a person decides it instead (an index into
    ``REVIEW_BECAUSE``), or null: it merges. ``bands`` and ``review_because`` read this one expression."""
    return pl.when(family_facts_only()).then(pl.lit(0, pl.UInt8)).when(~first_names_settle()).then(pl.lit(1, pl.UInt8))


def review_because(rules: DedupeRules) -> pl.Expr:
    """For a pair in the review band, which of ``REVIEW_BECAUSE`` sent it there (``bands``' own tests)."""
    number = (
        pl.when(_high(rules))
        .then(_held_back())
        .when(pl.col("match_probability") >= rules.merge)
        .then(pl.lit(2, pl.UInt8))
        .otherwise(pl.lit(3, pl.UInt8))
    )
    return number.replace_strict(list(range(len(REVIEW_BECAUSE))), list(REVIEW_BECAUSE), return_dtype=pl.String)


def bands(scored: pl.DataFrame, /, *, rules: DedupeRules) -> pl.Series:
    """Each scored pair's band (Categorical), from its match probability, hard-rule verdicts (``rule_*``) and a
    person's decision (``same``: true, false or null).

    The band's number in BANDS is decided first and its name gathered by that number: a column of names made by
    ``when`` is a text per pair (1.8 GB for 40 million pairs) before it becomes Categorical."""
    hard = pl.any_horizontal(pl.lit(False), *[pl.col(f"rule_{rule}") for rule in rules.hard_rules])
    number = scored.select(
        pl.when(pl.col("same"))
        .then(BANDS.index("decided_same"))
        .when(~pl.col("same"))
        .then(BANDS.index("decided_different"))
        .when(hard)
        .then(BANDS.index("never"))
        # names and places alone are not identity (a household, a namesake): a person decides
        .when(_high(rules))
        .then(pl.when(_held_back().is_null()).then(BANDS.index("merge")).otherwise(BANDS.index("review")))
        .when(pl.col("match_probability") >= rules.review)
        .then(BANDS.index("review"))
        .otherwise(BANDS.index("apart"))
        .cast(pl.UInt32)
    ).to_series()
    return pl.Series(BANDS, dtype=pl.Categorical).gather(number).alias("band")
