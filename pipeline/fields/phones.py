"""Phones: the two phone columns cleaned together, each number parsed, judged and put in its column.

Parsing a string into a number (E.164, type, region, Excel's damage undone) is ``pipeline.fields.phone_parse``;
this module decides what a parsed number is worth to the club: a status (valid, invalid, fake: one repeated digit,
a running sequence or a number the rules name; shared: on more members than the rules allow, usually the branch's
own phone; not personal: star, toll-free, premium and other service numbers), a landline in the mobile column moved to
``phone_other`` (and a mobile up into an empty mobile column), and the ledger codes for every repair and verdict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import polars as pl

from pipeline import ledger as ledger_
from pipeline.checks import check
from pipeline.fields import Status
from pipeline.fields.outcome import FieldOutcome
from pipeline.fields.phone_parse import parse_phones

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
    "Landline or VoIP number moved out of the mobile column",
    "{field} {before} is a landline or VoIP number, not a mobile; moved to phone_other",
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
    "Landline or VoIP number in the mobile column",
    "{field} {before} is a landline or VoIP number, not a mobile (phone_other was taken, so it stays)",
)
check("phone-foreign", "info", "flagged", "Foreign phone number", "{field} {before} is a valid non-Israeli number")

NOT_PERSONAL = ("toll_free", "premium", "shared_cost", "uan", "voicemail", "star")


# A number whose subscriber digits are one repeated digit or a running sequence is not a real member's phone.
def _fake_tail() -> str:
    """Subscriber digits that no real member has: one digit seven times, a running sequence, a repeated pair.
    Spelled out because polars' regex engine has no back-references."""
    same = [str(d) * 7 for d in range(10)]
    runs = ["1234567", "2345678", "3456789", "9876543", "8765432", "7654321", "0123456"]
    pairs = [f"{a}{b}" * 3 for a in "0123456789" for b in "0123456789" if a != b]
    return "(?:" + "|".join(same + runs) + ")$|(?:" + "|".join(pairs) + r")\d?$"


_FAKE_TAIL = _fake_tail()


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
    # a landline in the mobile column and a mobile in the other: they change places (the mobile was never used)
    swap = in_mobile_not_mobile & (other.get_column("type") == "mobile").fill_null(False)
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
    nothing = mobile.clear(frame.height)  # all null, the same columns (from a list of Nones: 0.6 s a million rows)

    def choose(
        first: pl.Series, a: pl.DataFrame, second: pl.Series, b: pl.DataFrame, rest: pl.DataFrame
    ) -> pl.DataFrame:
        """Per row: a where ``first``, b where ``second``, else rest (all frames share columns)."""
        return pl.select(
            pl.when(first)
            .then(a.get_column(c))
            .when(second)
            .then(b.get_column(c))
            .otherwise(rest.get_column(c))
            .alias(c)
            for c in keep
        )

    final_mobile = choose(move_up | swap, other, move_down, nothing, mobile)
    final_other = choose(move_down | swap, mobile, move_up, nothing, other)
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
        moved = (move_down if name == "phone_mobile" else move_up) | swap
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
