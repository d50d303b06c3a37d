"""Which word of a full name is the given name: "כהן משה" and "לוי שרה" are written family name first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from pipeline.fields.flags import gender_code


def last_name_first(
    work: pl.DataFrame, frame: pl.DataFrame, gender: Mapping[str, Sequence[str]] | None, *, lexicon: pl.DataFrame
) -> pl.Series:
    """Per row of a full name to split (``__split``, its first and last words ``__head`` and ``__last``): whether
    the last word is the given name ("כהן משה", "לוי שרה").

    A word that is no given name is the family name. When both are given names (לוי, אברהם and רחל all are), the
    one at least ten times as common as a given name is the member's; then the member's recorded sex (אברהם רחל, נ);
    then the file's own order, where its other full names show it (three in four of those it decides, counted with
    one more of each way)."""
    if not work.get_column("__split").any():  # no full name to split (the usual file): nothing to decide
        return pl.Series("swapped", [False] * work.height, dtype=pl.Boolean)
    names = lexicon.get_column("name").to_list()
    bearers = dict(zip(names, lexicon.get_column("total").to_list(), strict=True))
    female = dict(zip(names, lexicon.get_column("p_female").to_list(), strict=True))
    head, last = pl.col("__head"), pl.col("__last")
    n_head = head.replace_strict(bearers, default=0, return_dtype=pl.Int64)
    n_last = last.replace_strict(bearers, default=0, return_dtype=pl.Int64)
    both = (n_head > 0) & (n_last > 0) & (head != last)
    by_count = pl.when(both & (n_last >= 10 * n_head)).then(True).when(both & (n_head >= 10 * n_last)).then(False)
    if gender and "gender" in frame.columns:  # the member's recorded sex, as the rules' gender words give it
        work = work.with_columns(frame.select(gender_code(pl.col("gender"), gender).alias("__sex")))
    else:
        work = work.with_columns(pl.lit(None, pl.String).alias("__sex"))
    sex = pl.col("__sex")
    f_head = head.replace_strict(female, default=None, return_dtype=pl.Float64)
    f_last = last.replace_strict(female, default=None, return_dtype=pl.Float64)
    fits_head = pl.when(sex == "F").then(f_head >= 0.9).when(sex == "M").then(f_head <= 0.1)
    fits_last = pl.when(sex == "F").then(f_last >= 0.9).when(sex == "M").then(f_last <= 0.1)
    by_sex = pl.when(both & fits_last & ~fits_head).then(True).when(both & fits_head & ~fits_last).then(False)
    plain = pl.when((n_head == 0) & (n_last > 0)).then(True).when((n_head > 0) & (n_last == 0)).then(False)
    decided = work.select(pl.col("__split") & (pl.col("__head") != pl.col("__last")), plain.alias("p")).filter(
        pl.col("__split")
    )
    last_first = int(decided.get_column("p").sum() or 0)
    told = int(decided.get_column("p").is_not_null().sum())
    file_order = (last_first + 1) / (told + 2) >= 0.75
    return work.select(
        pl.coalesce(plain, by_count, by_sex, pl.when(both).then(pl.lit(file_order)), pl.lit(False)).alias("swapped")
    ).to_series()
