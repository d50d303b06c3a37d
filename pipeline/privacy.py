"""Masking personal data for reports and logs (``052-***-4567``, ``d***@gmail.com``, ``*****6789``).

Data files (the clean table, the ledger) keep real values; anything a person reads in a report or a log is
masked unless they ask for ``--show-pii``. Masks are polars expressions, so whole columns are masked at once.

A value is masked by its field's kind, and also by what it looks like: a phone typed in the first-name column,
an ID number in the last name or an e-mail in the city is as personal as in its own column (:func:`mask_text`).
"""

from __future__ import annotations

import re

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


# bounded as addresses are (local part 64, domain 255): an unbounded run would make a long cell cost n² steps
_EMAIL = re.compile(r"([^\s@<>()\[\]\"',;:]{0,64})@([^\s@<>()\[\]\"',;:.]{1,63}(?:\.[^\s@<>()\[\]\"',;:.]{1,63}){1,8})")
# a run of digits with the separators people type in phones, IDs and dates
_NUMBER = re.compile(r"\+?\d(?:[\d\-./ ()]*\d)?")
MIN_PERSONAL_DIGITS = 7  # a phone, an ID number, a birth date; house numbers, years and amounts are shorter


def _mask_number(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    if len(digits) < MIN_PERSONAL_DIGITS:
        return match.group()
    national = "0" + digits[3:] if digits.startswith("972") and len(digits) >= 11 else digits
    if national.startswith("0") and 9 <= len(national) <= 10:
        return f"{national[:3]}-***-{national[-4:]}"
    return "*****" + digits[-4:]


def is_contact(text: str) -> bool:
    """``text`` is one e-mail address, or one phone or ID number (9 to 13 digits, with the separators people type):
    a member's value, never a header's ("קניות 2023-2024", "טלפון 2" are headers)."""
    text = text.strip()
    if _EMAIL.fullmatch(text):
        return True
    return _NUMBER.fullmatch(text) is not None and 9 <= sum(ch.isdigit() for ch in text) <= 13


def mask_text(text: str) -> str:
    """Any e-mail address and any number of seven or more digits (phone, ID, date) in free text, masked.

    >>> mask_text("משה 052-1234567 moshe@gmail.com דירה 4")
    'משה 052-***-4567 m***@gmail.com דירה 4'
    """
    if "@" in text:
        text = _EMAIL.sub(lambda m: f"{m.group(1)[:1]}***@{m.group(2)}", text)
    return _NUMBER.sub(_mask_number, text)


_WORD = re.compile(r"[^\W\d_]+")
_TOKEN = re.compile(r"[^\s,;|/]+")


def _initials(match: re.Match[str]) -> str:
    token = match.group()
    return token if "@" in token else _WORD.sub(lambda m: f"{m.group()[0]}.", token)  # an address is masked already


def mask_name_text(text: str) -> str:
    """A name cell that holds more than a name (a phone or e-mail typed into it, a whole CSV line that a stray
    quote put in one cell): the phones, e-mails and ID numbers masked as ``mask_text`` masks them (a phone typed
    with spaces too), then every word left as its initial.

    >>> mask_name_text("שולמית,קרן,052-7654323,shula@gmail.com,חיפה")
    'ש.,ק.,052-***-4323,s***@gmail.com,ח.'
    >>> mask_name_text("Dana +972 52 765 4323")
    'D. 052-***-4323'
    """
    return _TOKEN.sub(_initials, mask_text(text))


def mask_by_field(value: pl.Expr, field: pl.Expr) -> pl.Expr:
    """Mask a column of values, each according to the kind of its row's field (names as initials, a birth date
    as its year), and (other fields) by its shape.

    The shape check runs in Python per value: this is for the few values a report shows, not for whole columns.
    """
    kind = field.replace_strict(FIELDS, default=None)
    return (
        pl.when(field == "birth_date")
        .then(mask_birth_date(value))
        # a name as initials; a phone, ID or e-mail typed in a name column is masked as what it is, and the words
        # beside it as initials still
        .when((kind == "name") & ~value.str.contains(r"[\d@]"))
        .then(mask_name(value))
        .when(kind == "name")
        .then(value.map_elements(mask_name_text, return_dtype=pl.String, skip_nulls=True))
        .when(kind == "phone")
        .then(mask_phone(value))
        .when(kind == "email")
        .then(mask_email(value))
        .when(kind == "national_id")
        .then(mask_id(value))
        .otherwise(value.map_elements(mask_text, return_dtype=pl.String, skip_nulls=True))
    )
