"""Israeli ID numbers (ת.ז.): the check digit of stdnum.il.idnr, computed over the whole column.

Closes the gaps python-stdnum leaves for member files: Excel floats (``39337423.0``) are repaired, input too
short to be a real ID (``18`` pads to the checksum-valid ``000000018``) is rejected, and well-known fakes that
pass the checksum (``123456782``, ``111111118`` ...) are flagged. A hypothesis test proves the vectorised check
digit agrees with ``stdnum.il.idnr.is_valid`` on every 9-digit string.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from pipeline import ledger as ledger_
from pipeline.checks import check
from pipeline.fields import Status
from pipeline.fields.outcome import FieldOutcome

check(
    "national-id-padded",
    "info",
    "fixed",
    "ID number padded to 9 digits",
    "{field} {before} had lost leading zeros; padded to 9 digits",
)
check(
    "national-id-excel-number-repaired",
    "info",
    "fixed",
    "Excel number format undone",
    "{field} {before} was stored by Excel as a decimal number",
)
check(
    "national-id-normalised",
    "info",
    "normalised",
    "ID number separators removed",
    "{field} {before}: dashes, dots or spaces removed",
)
check(
    "national-id-bad-check-digit",
    "error",
    "flagged",
    "ID number has a wrong check digit",
    "{field} {before} fails the ID check digit: a typo or a made-up number",
)
check(
    "national-id-too-short",
    "warning",
    "flagged",
    "ID number too short",
    "{field} {before} has too few digits to be a real ID number",
)
check(
    "national-id-not-a-number",
    "warning",
    "flagged",
    "ID number is not a number",
    "{field} {before} is not a 9-digit number",
)
check(
    "national-id-fake",
    "warning",
    "flagged",
    "Fake ID number",
    "{field} {before} passes the checksum but is a well-known fake (a sequence or one repeated digit)",
)
check(
    "national-id-company-number",
    "info",
    "flagged",
    "Company number in the ID column",
    "{field} {before} is a company number (ח.פ.), not a person's ID",
)


# statuses of an ID-like value that cannot tell two people apart (a known fake, a stub, not a number): blocking
# does not key on them and comparison reads them as no evidence
NOT_AN_IDENTITY = (Status.FAKE, Status.TOO_SHORT, Status.NOT_A_NUMBER)


def nine_digits(value: pl.Expr) -> pl.Expr:
    """A number of up to nine digits as nine (the leading zeros Excel drops put back); other text as it is.

    Cleaning pads only valid numbers and keeps an invalid one as typed; to compare two numbers, pad both:
    "39337424" and "039337423" are one typo apart, not three edits.
    """
    return pl.when(value.str.contains(r"^\d{1,9}$")).then(value.str.zfill(9)).otherwise(value)


def check_digit_ok(nine: pl.Expr) -> pl.Expr:
    """Luhn over 9 digits with weights 1,2,1,2...: products over 9 lose 9; the sum divides by 10."""
    return _luhn_ok(nine.cast(pl.Int64, strict=False))


def _luhn_ok(number: pl.Expr) -> pl.Expr:
    """``check_digit_ok`` on the ID as an integer (a column: an expression here would be evaluated nine times).
    Digits by integer arithmetic, not nine string slices (a third of the ID cleaning's time). Zero, the all-zeros
    number, is refused, as stdnum refuses it."""
    total: pl.Expr = pl.lit(0, pl.Int64)
    for i in range(9):
        digit = number // 10 ** (8 - i) % 10
        product = digit * (1 if i % 2 == 0 else 2)
        total = total + pl.when(product > 9).then(product - 9).otherwise(product)
    return ((total % 10) == 0) & (number != 0)


def clean_national_ids(frame: pl.DataFrame, /, *, min_digits: int, fakes: Sequence[str]) -> FieldOutcome:
    """Clean ``national_id`` (hygiene-cleaned strings).

    Args:
        min_digits: fewer significant digits than this is not a real ID number (before padding).
        fakes: checksum-valid numbers to treat as made up (``fields.yaml`` ``national_id.fakes``).

    Output columns: ``national_id`` (9 digits when valid, else the value as it was) and
    ``national_id_status`` (valid, invalid, too_short, not_a_number, fake, company).
    """
    raw = pl.col("raw")
    # the Excel-stripped text and its digits as columns, worked out once (each is read by several flags below)
    work = frame.select("source_row", pl.col("national_id").alias("raw")).with_columns(
        raw.str.contains(r"^\d{1,9}\.0+$").alias("excel")
    )
    work = work.with_columns(
        pl.when(pl.col("excel")).then(raw.str.replace(r"\.0+$", "")).otherwise(raw).alias("stripped")
    )
    work = work.with_columns(pl.col("stripped").str.replace_all(r"[\s\-./]", "").alias("digits"))
    work = work.with_columns(pl.col("digits").str.contains(r"^\d{1,9}$").alias("numeric"))
    stripped, digits, numeric = pl.col("stripped"), pl.col("digits"), pl.col("numeric")
    significant = digits.str.strip_chars_start("0").str.len_chars()
    nine = digits.str.zfill(9)
    work = work.select(
        "source_row",
        "raw",
        "excel",
        (numeric & (digits != stripped)).alias("separators"),
        pl.when(numeric).then(nine).alias("nine"),
        (numeric & (digits.str.len_chars() < 9)).alias("padded"),
        (numeric & (significant < min_digits)).alias("short"),
        "numeric",
    )
    work = work.with_columns(pl.col("nine").cast(pl.Int64, strict=False).alias("number"))
    ok = _luhn_ok(pl.col("number"))  # check_digit_ok, on the number worked out once
    status = (
        pl.when(pl.col("raw").is_null())
        .then(pl.lit(None, pl.String))
        .when(~pl.col("numeric"))
        .then(pl.lit(Status.NOT_A_NUMBER))
        .when(pl.col("short"))
        .then(pl.lit(Status.TOO_SHORT))
        .when(~ok)
        .then(pl.lit(Status.INVALID))
        .when(pl.col("nine").is_in(list(fakes)))
        .then(pl.lit(Status.FAKE))
        .when(pl.col("nine").str.starts_with("5"))
        .then(pl.lit(Status.COMPANY))
        .otherwise(pl.lit(Status.VALID))
    )
    work = work.with_columns(status.alias("status"))
    work = work.with_columns(
        pl.when(pl.col("status").is_in([Status.VALID, Status.FAKE, Status.COMPANY]))
        .then(pl.col("nine"))
        .otherwise(pl.col("raw"))
        .alias("value")
    )
    good = pl.col("status").is_in([Status.VALID, Status.FAKE, Status.COMPANY])
    flags = {
        "national-id-excel-number-repaired": pl.col("excel") & good,
        "national-id-padded": pl.col("padded") & good,
        "national-id-normalised": pl.col("separators") & good,
        "national-id-bad-check-digit": pl.col("status") == Status.INVALID,
        "national-id-too-short": pl.col("status") == Status.TOO_SHORT,
        "national-id-not-a-number": pl.col("status") == Status.NOT_A_NUMBER,
        "national-id-fake": pl.col("status") == Status.FAKE,
        "national-id-company-number": pl.col("status") == Status.COMPANY,
    }
    entries = ledger_.from_flags(work, field="national_id", flags=flags, before=pl.col("raw"), after=pl.col("value"))
    return FieldOutcome(
        columns={"national_id": work.get_column("value"), "national_id_status": work.get_column("status")},
        entries=entries,
        usable=work.select((pl.col("status") == Status.VALID).fill_null(False)).to_series(),
    )
