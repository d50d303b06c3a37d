"""Phones: Israeli numbers to E.164, with what Excel did to them undone, typed and checked.

Fast path (polars, whole column): the common Israeli shapes (``052-1234567``, ``0521234567``, ``+972-52-...``,
``972521234567``, and Excel's ``521234567`` / ``521234567.0`` / ``5.21234567E+08``) are reduced to the national
significant number, which is then full-matched against phonenumbers' own IL metadata patterns, in the order
phonenumbers checks them. So validity and type are phonenumbers' answer, without a Python call per row (a
hypothesis test proves it). Anything else (foreign numbers, extensions, odd text) goes to phonenumbers once per
unique value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import phonenumbers
import polars as pl
from phonenumbers import PhoneMetadata, PhoneNumberType

from pipeline import ledger as ledger_
from pipeline.checks import check
from pipeline.fields import Status
from pipeline.fields.outcome import FieldOutcome, per_unique

check("phone-normalised", "info", "normalised", "Phone written as E.164", "{field} rewritten from {before} to {after}")
check(
    "phone-leading-zero-restored",
    "info",
    "fixed",
    "Lost leading zero restored",
    "{field} {before} had lost its leading zero (Excel stores phones as numbers)",
)
check(
    "phone-excel-number-repaired",
    "info",
    "fixed",
    "Excel number format undone",
    "{field} {before} was stored by Excel as a decimal or in scientific notation",
)
check(
    "phone-international-prefix-fixed",
    "info",
    "fixed",
    "International prefix repaired",
    "{field} {before} had the country code without '+' (or with 00)",
)
check(
    "phone-057-migrated",
    "info",
    "fixed",
    "Retired 057 prefix moved to 053",
    "{field} {before}: 057 numbers moved to 053 with the same digits in 2014",
)
check(
    "phone-digits-lost",
    "warning",
    "flagged",
    "Phone digits lost by Excel",
    "{field} {before}: Excel's scientific notation kept too few digits to know the number",
)
check(
    "phone-invalid",
    "warning",
    "flagged",
    "Phone number is not valid",
    "{field} {before} is not a valid number (unknown format or an unallocated block)",
)
check(
    "phone-fake",
    "warning",
    "flagged",
    "Fake phone number",
    "{field} {before} looks made up (one repeated digit, a running sequence or a known test number)",
)
check(
    "phone-shared-by-many",
    "warning",
    "flagged",
    "Phone shared by many members",
    "{field} {before} appears on many members: usually the branch's own phone",
)
check(
    "phone-business-star-number",
    "info",
    "flagged",
    "Business star number",
    "{field} {before} is a business *number, not a personal phone",
)
check(
    "phone-not-personal",
    "info",
    "flagged",
    "Not a personal phone",
    "{field} {before} is a toll-free, premium, shared-cost or national-service number",
)
check(
    "phone-moved-to-other",
    "info",
    "moved",
    "Landline moved out of the mobile column",
    "{field} {before} is not a mobile number; moved to phone_other",
)
check(
    "phone-mobile-moved-from-other",
    "info",
    "moved",
    "Mobile moved into the mobile column",
    "{field} {before} is a mobile number and the mobile column was empty; moved to phone_mobile",
)
check(
    "phone-not-mobile",
    "warning",
    "flagged",
    "Landline in the mobile column",
    "{field} {before} is not a mobile number (phone_other was taken, so it stays)",
)
check("phone-foreign", "info", "flagged", "Foreign phone number", "{field} {before} is a valid non-Israeli number")

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
NOT_PERSONAL = ("toll_free", "premium", "shared_cost", "uan", "voicemail", "star")


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


# A number whose subscriber digits are one repeated digit or a running sequence is not a real member's phone.
def _il_type(nsn: pl.Expr) -> pl.Expr:
    """phonenumbers' number type for an Israeli national significant number (null: not a valid number)."""
    expr: Any = pl.lit(None, pl.String)
    for name, pattern in reversed(_ORDERED):
        expr = pl.when(nsn.str.contains(pattern)).then(pl.lit(name)).otherwise(expr)
    return pl.when(nsn.str.contains(_GENERAL)).then(expr)


def _fake_tail() -> str:
    """Subscriber digits that no real member has: one digit seven times, a running sequence, a repeated pair.
    Spelled out because polars' regex engine has no back-references."""
    same = [str(d) * 7 for d in range(10)]
    runs = ["1234567", "2345678", "3456789", "9876543", "8765432", "7654321", "0123456"]
    pairs = [f"{a}{b}" * 3 for a in "0123456789" for b in "0123456789" if a != b]
    return "(?:" + "|".join(same + runs) + ")$|(?:" + "|".join(pairs) + r")\d?$"


_FAKE_TAIL = _fake_tail()


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
    frame = frame.with_columns(
        unexcel.alias("v"),
        ((excel_decimal | excel_sci) & ~digits_lost).alias("excel_number"),
        digits_lost.fill_null(False).alias("digits_lost"),
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


def _status(*, fake_numbers: Sequence[str]) -> pl.Expr:
    national = pl.lit("0") + pl.col("e164").str.slice(4)
    fake = pl.col("e164").str.starts_with("+972") & (
        pl.col("e164").str.contains(_FAKE_TAIL) | national.is_in(list(fake_numbers))
    )
    return (
        pl.when(pl.col("raw").is_null())
        .then(pl.lit(None, pl.String))
        .when(pl.col("type") == "star")
        .then(pl.lit(Status.NOT_PERSONAL))
        .when(pl.col("e164").is_null())
        .then(pl.lit(Status.INVALID))
        .when(fake)
        .then(pl.lit(Status.FAKE))
        .when(pl.col("type").is_in(NOT_PERSONAL))
        .then(pl.lit(Status.NOT_PERSONAL))
        .otherwise(pl.lit(Status.VALID))
    )


PHONE_COLUMNS = ("phone_mobile", "phone_other")


def number_counts(frames: Iterable[pl.DataFrame], /) -> dict[str, pl.DataFrame]:
    """How many rows carry each number (``e164``, ``len``), per phone column, over ``frames`` (hygiene-cleaned
    chunks of one file, read one at a time).

    A big file is cleaned a chunk of rows at a time; these counts say which numbers the whole file shares
    (``clean_phones(counts=...)``), so a chunk's verdict does not depend on where the chunk ends."""
    counted = [
        {name: parse_phones(f.get_column(name)).group_by("e164").len() for name in PHONE_COLUMNS} for f in frames
    ]
    return {
        name: pl.concat([c[name] for c in counted]).group_by("e164").agg(pl.col("len").sum()) for name in PHONE_COLUMNS
    }


def clean_phones(
    frame: pl.DataFrame,
    /,
    *,
    fake_numbers: Sequence[str],
    max_members_per_number: int,
    counts: Mapping[str, pl.DataFrame] | None = None,
) -> dict[str, FieldOutcome]:
    """Clean ``phone_mobile`` and ``phone_other`` together (a landline in the mobile column moves across).

    Args:
        frame: ``source_row``, ``phone_mobile``, ``phone_other`` (hygiene-cleaned strings).
        fake_numbers: national-format numbers known to be made up (rules).
        max_members_per_number: a valid number on more rows than this is flagged as shared (a branch phone).
        counts: rows per number in the whole file when ``frame`` is a part of it (``number_counts``);
            default: counted in ``frame``.
    """
    parsed = {}
    for name in PHONE_COLUMNS:
        p = parse_phones(frame.get_column(name)).with_columns(frame.get_column(name).alias("raw"))
        p = p.with_columns(_status(fake_numbers=fake_numbers).alias("status"))
        counted = counts[name] if counts is not None else p.group_by("e164").len()
        p = p.join(counted, on="e164", how="left", maintain_order="left")
        p = p.with_columns(
            pl.when((pl.col("status") == Status.VALID) & (pl.col("len") > max_members_per_number))
            .then(pl.lit(Status.SHARED))
            .otherwise(pl.col("status"))
            .alias("status")
        ).drop("len")
        parsed[name] = p

    mobile, other = parsed["phone_mobile"], parsed["phone_other"]
    in_mobile_not_mobile = mobile.get_column("type").is_in(["landline", "voip"]).fill_null(False)
    other_free = other.get_column("raw").is_null()
    move_down = in_mobile_not_mobile & other_free
    move_up = mobile.get_column("raw").is_null() & (other.get_column("type") == "mobile").fill_null(False)
    keep = [
        "e164",
        "type",
        "region",
        "leading_zero",
        "excel_number",
        "intl_prefix",
        "migrated_057",
        "star",
        "digits_lost",
        "status",
        "raw",
    ]
    mobile, other = mobile.select(keep), other.select(keep)
    nothing = pl.DataFrame({c: pl.Series([None] * frame.height, dtype=mobile.schema[c]) for c in keep})

    def choose(
        first: pl.Series, a: pl.DataFrame, second: pl.Series, b: pl.DataFrame, rest: pl.DataFrame
    ) -> pl.DataFrame:
        """Per row: a where ``first``, b where ``second``, else rest (all frames share columns)."""
        return pl.DataFrame(
            {
                c: pl.select(
                    pl.when(first)
                    .then(a.get_column(c))
                    .when(second)
                    .then(b.get_column(c))
                    .otherwise(rest.get_column(c))
                )
                .to_series()
                .alias(c)
                for c in keep
            }
        )

    final_mobile = choose(move_up, other, move_down, nothing, mobile)
    final_other = choose(move_down, mobile, move_up, nothing, other)
    origin_of = {"phone_mobile": mobile, "phone_other": other}

    outcomes: dict[str, FieldOutcome] = {}
    for name, p in (("phone_mobile", final_mobile), ("phone_other", final_other)):
        origin = origin_of[name].with_columns(frame.get_column("source_row"))
        work = p.with_columns(frame.get_column("source_row"))
        value = pl.coalesce(pl.col("e164"), pl.col("raw"))
        flags = {
            "phone-excel-number-repaired": pl.col("excel_number") & pl.col("e164").is_not_null(),
            "phone-leading-zero-restored": pl.col("leading_zero") & pl.col("e164").is_not_null(),
            "phone-international-prefix-fixed": pl.col("intl_prefix") & pl.col("e164").is_not_null(),
            "phone-057-migrated": pl.col("migrated_057") & pl.col("e164").is_not_null(),
            "phone-normalised": pl.col("e164").is_not_null()
            & (pl.col("e164") != pl.col("raw"))
            & ~(pl.col("excel_number") | pl.col("leading_zero") | pl.col("intl_prefix") | pl.col("migrated_057")),
            "phone-digits-lost": pl.col("digits_lost"),
            "phone-invalid": (pl.col("status") == Status.INVALID) & ~pl.col("digits_lost"),
            "phone-fake": pl.col("status") == Status.FAKE,
            "phone-shared-by-many": pl.col("status") == Status.SHARED,
            "phone-business-star-number": pl.col("star"),
            "phone-not-personal": (pl.col("status") == Status.NOT_PERSONAL) & ~pl.col("star"),
            "phone-foreign": pl.col("region").is_not_null() & (pl.col("region") != "IL"),
        }
        if name == "phone_mobile":
            flags["phone-not-mobile"] = pl.col("type").is_in(["landline", "voip"]).fill_null(False)
        entries = [ledger_.from_flags(work, field=name, flags=flags, before=pl.col("raw"), after=value)]
        moved = move_down if name == "phone_mobile" else move_up
        code = "phone-moved-to-other" if name == "phone_mobile" else "phone-mobile-moved-from-other"
        moved_frame = origin.with_columns(moved.alias("__moved"))
        entries.append(
            ledger_.from_flags(
                moved_frame, field=name, flags={code: pl.col("__moved")}, before=pl.col("raw"), after=pl.lit(None)
            )
        )
        columns = work.select(
            value.alias(name), pl.col("type").alias(f"{name}_type"), pl.col("status").alias(f"{name}_status")
        )
        outcomes[name] = FieldOutcome(
            columns={c: columns.get_column(c) for c in columns.columns},
            entries=pl.concat([e for e in entries if e.height] or [entries[0]]),
            usable=work.select((pl.col("status") == Status.VALID).fill_null(False)).to_series(),
        )
    return outcomes
