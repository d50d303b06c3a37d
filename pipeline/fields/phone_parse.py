"""Phone parsing: one column of phone strings read as numbers (E.164, type, region), with Excel's damage undone.

Kept apart from cleaning (``pipeline.fields.phones``: statuses, fake and shared numbers, the two columns) because
reading a string as a number is what ``cleanse scrub`` needs on its own and what the hypothesis test holds to
phonenumbers' answer. Fast path (polars, whole column): the common Israeli shapes (``052-1234567``,
``0521234567``, ``+972-52-...``, ``972521234567``, and Excel's ``521234567`` / ``521234567.0`` /
``5.21234567E+08``) are reduced to the national significant number, which is then full-matched against
phonenumbers' own IL metadata patterns, in the order phonenumbers checks them. So validity and type are
phonenumbers' answer, without a Python call per row. Anything else (foreign numbers, extensions, odd text) goes to
phonenumbers once per unique value.
"""

from __future__ import annotations

from typing import Any

import phonenumbers
import polars as pl
from phonenumbers import PhoneMetadata, PhoneNumberType

from pipeline.fields.outcome import per_unique

_TYPES: dict[int, str] = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_or_mobile",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
    PhoneNumberType.PERSONAL_NUMBER: "personal",
    PhoneNumberType.PAGER: "pager",
}


def _ordered() -> list[tuple[str, str]]:
    """(type, anchored regex) in the order phonenumbers' number-type check tries them (fixed line before mobile)."""
    meta = PhoneMetadata.metadata_for_region("IL")
    assert meta is not None
    order = [
        ("premium", meta.premium_rate),
        ("toll_free", meta.toll_free),
        ("shared_cost", meta.shared_cost),
        ("voip", meta.voip),
        ("personal", meta.personal_number),
        ("pager", meta.pager),
        ("uan", meta.uan),
        ("voicemail", meta.voicemail),
        ("landline", meta.fixed_line),
        ("mobile", meta.mobile),
    ]
    return [(name, f"^(?:{d.national_number_pattern})$") for name, d in order if d and d.national_number_pattern]


_ORDERED = _ordered()
_GENERAL = f"^(?:{PhoneMetadata.metadata_for_region('IL').general_desc.national_number_pattern})$"  # type: ignore[union-attr]


def _il_type(nsn: pl.Expr) -> pl.Expr:
    """phonenumbers' number type for an Israeli national significant number (null: not a valid number)."""
    expr: Any = pl.lit(None, pl.String)
    for name, pattern in reversed(_ORDERED):
        expr = pl.when(nsn.str.contains(pattern)).then(pl.lit(name)).otherwise(expr)
    return pl.when(nsn.str.contains(_GENERAL)).then(expr)


def _library(values: list[str]) -> list[dict[str, Any]]:
    """The long tail: phonenumbers once per distinct value."""
    out = []
    for value in values:
        e164 = kind = region = None
        try:
            number = phonenumbers.parse(value, "IL")
            if phonenumbers.is_valid_number(number):
                e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                kind = _TYPES.get(phonenumbers.number_type(number), "unknown")
                region = phonenumbers.region_code_for_number(number)
        except phonenumbers.NumberParseException:
            pass
        out.append({"lib_e164": e164, "lib_type": kind, "lib_region": region})
    return out


_LIB_SCHEMA = {"lib_e164": pl.String(), "lib_type": pl.String(), "lib_region": pl.String()}


def parse_phones(raw: pl.Series) -> pl.DataFrame:
    """Parse one column of (hygiene-cleaned) phone strings.

    Returns a frame aligned with ``raw``: ``e164`` (null when not valid), ``type``, ``region``, and booleans
    ``leading_zero``, ``excel_number``, ``intl_prefix``, ``migrated_057``, ``star``, ``digits_lost`` (Excel's
    scientific notation kept too few digits: not a number we can know).
    """
    s = pl.col("raw")
    frame = pl.DataFrame({"raw": raw})
    excel_decimal = s.str.contains(r"^\d{7,12}\.0+$")
    excel_sci = s.str.contains(r"^\d(?:[.,]\d+)?[eE]\+?\d{1,2}$")
    # 9.72545E+11 is a 12-digit number of which Excel kept 6: the rest is gone, and filling it with zeros would
    # invent a number (+972545000000) that may be valid and someone else's. Repaired only when the mantissa
    # holds every digit of the number (5.21234567E+08).
    written = s.str.extract(r"^(\d(?:[.,]\d+)?)[eE]", 1).str.replace_all(r"[.,]", "").str.len_chars()
    exponent = s.str.extract(r"[eE]\+?(\d{1,2})$", 1).cast(pl.Int32, strict=False)
    digits_lost = excel_sci & (written < exponent + 1)
    unexcel = (
        pl.when(excel_decimal)
        .then(s.str.replace(r"\.0+$", ""))
        .when(digits_lost)
        .then(None)
        .when(excel_sci)
        .then(
            s.str.replace(",", ".").cast(pl.Float64, strict=False).round(0).cast(pl.Int64, strict=False).cast(pl.String)
        )
        .otherwise(s)
    )
    # only a value with a point, a comma or an E can be Excel's: the rest (nearly all) skip these eight passes
    # (0.55 s of a million phones' 1.3 s)
    excel = (
        frame.with_row_index("at")
        .filter(s.str.contains(r"[.,eE]"))
        .select(
            "at",
            unexcel.alias("v"),
            ((excel_decimal | excel_sci) & ~digits_lost).alias("excel_number"),
            digits_lost.fill_null(False).alias("digits_lost"),
        )
    )
    at = excel.get_column("at")
    frame = frame.with_columns(
        raw.clone().scatter(at, excel.get_column("v")).alias("v"),
        pl.select(pl.when(raw.is_not_null()).then(False))
        .to_series()
        .scatter(at, excel.get_column("excel_number"))
        .alias("excel_number"),
        pl.zeros(raw.len(), pl.Boolean, eager=True).scatter(at, excel.get_column("digits_lost")).alias("digits_lost"),
    )
    v = pl.col("v")
    # worked out once, as columns: inside the when/then chain below each would be computed again per branch
    # (0.86 s of a million phones' 1.2 s)
    frame = frame.with_columns(
        v.str.contains(r"^\+?\(?[0-9][0-9 \-().\/]*$").alias("simple"),
        v.str.starts_with("+").alias("plus"),
        v.str.replace_all(r"[^0-9]", "").alias("digits"),
    ).with_columns(pl.col("digits").str.len_chars().alias("n"))
    simple, plus, digits, n = pl.col("simple"), pl.col("plus"), pl.col("digits"), pl.col("n")
    nsn = (
        pl.when(~simple)
        .then(None)
        .when(plus & digits.str.contains(r"^972[1-9]\d{7,10}$"))
        .then(digits.str.slice(3))
        .when(~plus & digits.str.contains(r"^00972[1-9]\d{7,10}$"))
        .then(digits.str.slice(5))
        .when(~plus & digits.str.contains(r"^972[5789]\d{8}$|^972[2-4689]\d{7}$"))
        .then(digits.str.slice(3))
        .when(~plus & digits.str.starts_with("0") & n.is_between(9, 10) & ~digits.str.starts_with("00"))
        .then(digits.str.slice(1))
        .when(~plus & digits.str.contains(r"^[57]\d{8}$|^[2-489]\d{7}$"))
        .then(digits)
    )
    frame = frame.with_columns(
        nsn.alias("nsn"),
        (simple & ~plus & digits.str.contains(r"^[57]\d{8}$|^[2-489]\d{7}$")).alias("leading_zero"),
        (simple & ((~plus & digits.str.starts_with("972") & (n >= 11)) | digits.str.starts_with("00972"))).alias(
            "intl_prefix"
        ),
        v.str.contains(r"^\*\d{2,5}$").alias("star"),
    )
    migrated = pl.col("nsn").str.contains(r"^57\d{7}$")
    frame = frame.with_columns(
        pl.when(migrated).then(pl.lit("53") + pl.col("nsn").str.slice(2)).otherwise(pl.col("nsn")).alias("nsn"),
        migrated.fill_null(False).alias("migrated_057"),
    )
    frame = frame.with_columns(_il_type(pl.col("nsn")).alias("type"))
    frame = frame.with_columns(
        pl.when(pl.col("type").is_not_null()).then(pl.lit("+972") + pl.col("nsn")).alias("e164"),
        pl.when(pl.col("type").is_not_null()).then(pl.lit("IL")).alias("region"),
    )
    # the long tail: values the fast path could not read, through phonenumbers once per distinct value
    tail = pl.col("nsn").is_null() & pl.col("v").is_not_null() & ~pl.col("star")
    tail_values = frame.select(pl.when(tail).then(pl.col("v")).alias("t")).to_series()
    if tail_values.null_count() < tail_values.len():
        lib = per_unique(tail_values, _library, _LIB_SCHEMA)
        frame = frame.with_columns(
            pl.coalesce(pl.col("e164"), lib.get_column("lib_e164")).alias("e164"),
            pl.coalesce(pl.col("type"), lib.get_column("lib_type")).alias("type"),
            pl.coalesce(pl.col("region"), lib.get_column("lib_region")).alias("region"),
        )
    frame = frame.with_columns(
        pl.when(pl.col("star")).then(pl.lit("star")).otherwise(pl.col("type")).alias("type"),
    )
    return frame.select(
        "e164", "type", "region", "leading_zero", "excel_number", "intl_prefix", "migrated_057", "star", "digits_lost"
    )
