"""Masking personal data for reports and logs (``052-***-4567``, ``d***@gmail.com``, ``*****6789``).

Data files (the clean table, the ledger) keep real values; anything a person reads in a report or a log is
masked unless they ask for ``--show-pii``. Masks are polars expressions, so whole columns are masked at once.
"""

from __future__ import annotations

import polars as pl

from pipeline.fields import FIELDS

MASKED_KINDS = {"phone", "email", "national_id"}


def mask_phone(value: pl.Expr) -> pl.Expr:
    digits = value.str.replace_all(r"\D", "")
    national = pl.when(digits.str.starts_with("972")).then(pl.lit("0") + digits.str.slice(3)).otherwise(digits)
    return (
        pl.when(national.str.len_chars() >= 7)
        .then(pl.format("{}-***-{}", national.str.slice(0, 3), national.str.slice(-4)))
        .when(value.is_not_null())
        .then(pl.lit("***"))
    )


def mask_email(value: pl.Expr) -> pl.Expr:
    local = value.str.extract(r"^([^@]*)@", 1)
    domain = value.str.extract(r"@(.*)$", 1)
    return (
        pl.when(domain.is_not_null())
        .then(pl.format("{}***@{}", local.str.slice(0, 1), domain))
        .when(value.is_not_null())
        .then(pl.lit("***"))
    )


def mask_id(value: pl.Expr) -> pl.Expr:
    digits = value.str.replace_all(r"\D", "")
    return (
        pl.when(digits.str.len_chars() >= 5)
        .then(pl.lit("*****") + digits.str.slice(-4))
        .when(value.is_not_null())
        .then(pl.lit("***"))
    )


def mask_by_field(value: pl.Expr, field: pl.Expr) -> pl.Expr:
    """Mask a column of values, each according to the kind of its row's field."""
    kind = field.replace_strict(FIELDS, default=None)
    return (
        pl.when(kind == "phone")
        .then(mask_phone(value))
        .when(kind == "email")
        .then(mask_email(value))
        .when(kind == "national_id")
        .then(mask_id(value))
        .otherwise(value)
    )
