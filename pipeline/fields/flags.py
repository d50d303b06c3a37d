"""Gender and consent: free-text vocabularies (from the rules) mapped to ``M``/``F`` and to booleans.

Consent follows the anti-spam law (Communications Law §30A): marketing needs prior explicit consent, so an empty
or unrecognised consent cell means *no* consent, recorded as such.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from pipeline import ledger as ledger_
from pipeline.checks import check
from pipeline.fields.outcome import FieldOutcome

check("gender-normalised", "info", "normalised", "Gender written as M/F", "{field} {before} written as {after}")
check(
    "gender-unrecognised",
    "warning",
    "flagged",
    "Unrecognised gender value",
    "{field} {before} is not a gender value cleanse knows; left empty",
)
check(
    "consent-normalised", "info", "normalised", "Consent written as true/false", "{field} {before} written as {after}"
)
check(
    "consent-missing",
    "info",
    "fixed",
    "No consent recorded: treated as no",
    "{field} is empty: without explicit consent the member may not get marketing messages",
)
check(
    "consent-unrecognised",
    "warning",
    "flagged",
    "Unrecognised consent value: treated as no",
    "{field} {before} is neither a yes nor a no; treated as no consent",
)
check(
    "consent-withdrawn",
    "warning",
    "fixed",
    "Consent withdrawn by an opt-out column",
    "{field} {before} set to false: the member's opt-out column says they refused or withdrew",
)

# the hidden columns an opt-out column is read through (``pipeline.stages.conform``): one per channel it takes
# consent from, named by the channel's consent field
OPT_OUT_PREFIX = "__opt_out:"


def opt_out_column(consent: str, k: int) -> str:
    return f"{OPT_OUT_PREFIX}{consent}:{k}"


def _key(value: pl.Expr) -> pl.Expr:
    return value.str.to_lowercase().str.strip_chars(" .")


def gender_code(value: pl.Expr, values: Mapping[str, Sequence[str]]) -> pl.Expr:
    """``M``/``F`` of a gender as written (the rules' words per code), null where no word matches."""
    lookup = {v.strip(" ."): code for code, vocab in values.items() for v in vocab}
    return _key(value).replace_strict(lookup, default=None, return_dtype=pl.String)


def clean_gender(frame: pl.DataFrame, /, *, values: Mapping[str, Sequence[str]]) -> FieldOutcome:
    raw = pl.col("gender")
    value = gender_code(raw, values)
    work = frame.select("source_row", raw.alias("raw"), value.alias("value"))
    flags = {
        "gender-normalised": pl.col("value").is_not_null() & (pl.col("value") != pl.col("raw")),
        "gender-unrecognised": pl.col("raw").is_not_null() & pl.col("value").is_null(),
    }
    entries = ledger_.from_flags(work, field="gender", flags=flags, before=pl.col("raw"), after=pl.col("value"))
    return FieldOutcome(columns={"gender": work.get_column("value")}, entries=entries)


def clean_consent(
    frame: pl.DataFrame, name: str, /, *, yes: Sequence[str], no: Sequence[str], not_opted_out: Sequence[str] = ()
) -> FieldOutcome:
    """``name`` becomes a Boolean column that is never null: missing or unknown is False (no consent).

    An opt-out column of the channel (``opt_out_column(name, k)`` in ``frame``) takes consent away where it holds
    anything but an empty cell or one of ``not_opted_out`` (a yes, a date of removal, "הוסר"): it never gives
    consent."""
    lookup = {v.strip(" ."): True for v in yes} | {v.strip(" ."): False for v in no}
    # a column of ticks and crosses (V / X, ✓ / ✗): the cross is its "no", though alone an X marks a box ticked
    keys = frame.select(_key(pl.col(name)).unique()).to_series().to_list() if name in frame.columns else []
    if {"v", "✓", "✔"} & set(keys) and "x" in keys:
        lookup["x"] = False
    raw = pl.col(name)
    mapped = _key(raw).replace_strict(lookup, default=None, return_dtype=pl.Boolean)
    stays = [v.strip(" .") for v in not_opted_out]
    refusals = [
        _key(pl.col(c).str.strip_chars()).fill_null("").is_in(["", *stays]).not_()
        for c in frame.columns
        if c.startswith(f"{OPT_OUT_PREFIX}{name}:")
    ]
    withdrawn = pl.any_horizontal(refusals) if refusals else pl.lit(False)
    work = frame.select("source_row", raw.alias("raw"), mapped.alias("mapped"), withdrawn.alias("withdrawn"))
    given = pl.col("mapped").fill_null(False)
    work = work.with_columns((given & ~pl.col("withdrawn")).alias("value"))
    flags = {
        "consent-normalised": pl.col("mapped").is_not_null() & ~(given & pl.col("withdrawn")),
        "consent-withdrawn": given & pl.col("withdrawn"),
        "consent-missing": pl.col("raw").is_null(),
        "consent-unrecognised": pl.col("raw").is_not_null() & pl.col("mapped").is_null(),
    }
    entries = ledger_.from_flags(
        work, field=name, flags=flags, before=pl.col("raw"), after=pl.col("value").cast(pl.String).str.to_lowercase()
    )
    return FieldOutcome(columns={name: work.get_column("value")}, entries=entries)
