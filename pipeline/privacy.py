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
        # a prefix and four digits hide at least two of a full number: a short one (1234567) is hidden whole
        pl.when(national.str.len_chars() >= 9)
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


def mask_name(value: pl.Expr) -> pl.Expr:
    """A name as its initials: ``"Dana Cohen-Levi"`` -> ``"D. C."``, ``"משה"`` -> ``"מ."``."""
    initials = value.str.extract_all(r"(?:^|[\s\-'\"׳״.,/]+)(\w)").list.eval(
        pl.element().str.replace_all(r"[\s\-'\"׳״.,/]", "") + "."
    )
    return (
        pl.when(value.str.contains(r"\w")).then(initials.list.join(" ")).when(value.is_not_null()).then(pl.lit("***"))
    )


def mask_birth_date(value: pl.Expr) -> pl.Expr:
    """A birth date as its year only: ``"1985-03-14"``, ``"14/03/1985"`` -> ``"1985"``."""
    year = value.str.extract(r"(?:^|\D)((?:18|19|20)\d\d)(?:\D|$)", 1)
    return pl.when(year.is_not_null()).then(year).when(value.is_not_null()).then(pl.lit("***"))


def mask_by_field(value: pl.Expr, field: pl.Expr) -> pl.Expr:
    """Mask a column of values, each according to the kind of its row's field: phones, e-mails and IDs partly,
    names as initials, a birth date as its year."""
    kind = field.replace_strict(FIELDS, default=None)
    return (
        pl.when(field == "birth_date")
        .then(mask_birth_date(value))
        .when(kind == "name")
        .then(mask_name(value))
        .when(kind == "phone")
        .then(mask_phone(value))
        .when(kind == "email")
        .then(mask_email(value))
        .when(kind == "national_id")
        .then(mask_id(value))
        .otherwise(value)
    )
