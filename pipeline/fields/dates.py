"""Dates: day-first Israeli formats, ISO and Excel date cells, Excel serial numbers; impossible dates are
flagged, never guessed.

Everything is whole-column polars: the parts are pulled out with regexes, checked against the calendar and built
with ``pl.date``. ``12/31/1980`` is not read month-first: under day-first it is impossible, and flagged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from pipeline import ledger as ledger_
from pipeline.checks import check
from pipeline.fields.outcome import FieldOutcome, on_distinct, on_matching
from pipeline.workbook import EXCEL_EPOCH

check("date-normalised", "info", "normalised", "Date written as ISO", "{field} {before} written as {after}")
check(
    "date-excel-serial-converted",
    "info",
    "fixed",
    "Excel serial number converted",
    "{field} {before} is an Excel day number; converted to {after}",
)
check(
    "date-two-digit-year",
    "info",
    "fixed",
    "Two-digit year resolved",
    "{field} {before} has a two-digit year; read as {after}",
)
check(
    "date-impossible",
    "error",
    "flagged",
    "Impossible date",
    "{field} {before} is not a calendar date (day-first: day/month/year)",
)
check("date-unparseable", "warning", "flagged", "Unreadable date", "{field} {before} is not a date cleanse can read")
check("date-year-only", "info", "flagged", "Only a year", "{field} {before} gives a year, not a date")
check("date-in-future", "warning", "flagged", "Date in the future", "{field} {before} is after the reference date")
check(
    "birth-date-placeholder",
    "info",
    "flagged",
    "Placeholder birth date",
    "{field} {before} is a placeholder for 'unknown', not a birthday",
)
check(
    "birth-date-implausible",
    "warning",
    "flagged",
    "Implausible birth date",
    "{field} {before} gives an age outside the plausible range",
)
check(
    "member-under-min-age",
    "warning",
    "flagged",
    "Member under the club's minimum age",
    "{field} {before} makes the member younger than the club's minimum age",
)
check("join-before-birth", "warning", "flagged", "Joined before being born", "join_date {before} is before birth_date")
check(
    "purchase-before-join",
    "warning",
    "flagged",
    "Last purchase before joining",
    "last_purchase_date {before} is before join_date",
)

_ISO = r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
_DMY = r"^(\d{1,2})[./\-](\d{1,2})[./\-](\d{4}|\d{2})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$"
# a value written as a date (with its time, if any), for a reader that must tell a date from a number
DATE_SHAPE = f"{_ISO}|{_DMY}"
_SERIAL = r"^(\d{5})(?:\.\d+)?$"
_YMD8 = r"^((?:19|20)\d{2})(0[1-9]|1[0-2])(\d{2})$"
_DMY8 = r"^(\d{2})(\d{2})((?:19|20)\d{2})$"
_YEAR = r"^(?:19|20)\d{2}$"


def _days_in_month(year: pl.Expr, month: pl.Expr) -> pl.Expr:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    return (
        pl.when(month == 2)
        .then(pl.when(leap).then(29).otherwise(28))
        .when(month.is_in([4, 6, 9, 11]))
        .then(30)
        .otherwise(31)
    )


def parse_dates(raw: pl.Series, *, reference: dt.date, pivot: int = 0) -> pl.DataFrame:
    """Parse one column of date strings. Returns ``value`` (Date) and booleans ``serial``, ``two_digit``,
    ``impossible``, ``unparseable``, ``year_only``, aligned with ``raw``.

    Each distinct text is parsed once (``on_distinct``).
    """
    return on_distinct(raw, lambda distinct: _parse_distinct(distinct, reference=reference, pivot=pivot))


def _parse_distinct(raw: pl.Series, *, reference: dt.date, pivot: int) -> pl.DataFrame:
    """What ``parse_dates`` says of each value of ``raw``, aligned with it."""
    s = pl.col("raw")
    iso, dmy, ymd8, dmy8 = (s.str.extract_groups(p) for p in (_ISO, _DMY, _YMD8, _DMY8))
    frame = pl.DataFrame({"raw": raw}).with_columns(
        iso.alias("iso"),
        dmy.alias("dmy"),
        ymd8.alias("ymd8"),
        dmy8.alias("dmy8"),
        s.str.extract(_SERIAL, 1).cast(pl.Int32, strict=False).alias("serial_n"),
    )

    def part(name: str, idx: str) -> pl.Expr:
        return pl.col(name).struct.field(idx).cast(pl.Int32, strict=False)

    yy_text = pl.col("dmy").struct.field("3")
    cutoff = reference.year % 100 + pivot
    dmy_year = (
        pl.when(yy_text.str.len_chars() == 2)
        .then(pl.when(part("dmy", "3") <= cutoff).then(2000 + part("dmy", "3")).otherwise(1900 + part("dmy", "3")))
        .otherwise(part("dmy", "3"))
    )
    year = pl.coalesce(part("iso", "1"), dmy_year, part("ymd8", "1"), part("dmy8", "3"))
    month = pl.coalesce(part("iso", "2"), part("dmy", "2"), part("ymd8", "2"), part("dmy8", "2"))
    day = pl.coalesce(part("iso", "3"), part("dmy", "1"), part("ymd8", "3"), part("dmy8", "1"))
    frame = frame.with_columns(year.alias("y"), month.alias("m"), day.alias("d"))
    structured = pl.col("y").is_not_null()
    valid = (
        structured
        & pl.col("m").is_between(1, 12)
        & (pl.col("d") >= 1)
        & (pl.col("d") <= _days_in_month(pl.col("y"), pl.col("m")))
        & pl.col("y").is_between(1800, 2200)
    )
    serial_ok = pl.col("serial_n").is_between(10_000, 73_050)  # 1927 .. 2099
    frame = frame.with_columns(
        pl.when(valid)
        .then(pl.date(pl.col("y"), pl.col("m"), pl.col("d")))
        .when(serial_ok)
        .then(pl.lit(EXCEL_EPOCH) + pl.duration(days=pl.col("serial_n")))
        .alias("value"),
        (serial_ok & ~structured).alias("serial"),
        (valid & (yy_text.str.len_chars() == 2)).fill_null(False).alias("two_digit"),
        (structured & ~valid).alias("impossible"),
        s.str.contains(_YEAR).alias("year_only"),
    ).with_columns(
        (s.is_not_null() & pl.col("value").is_null() & ~pl.col("impossible") & ~pl.col("year_only")).alias(
            "unparseable"
        )
    )
    return frame.select("value", "serial", "two_digit", "impossible", "unparseable", "year_only")


def clean_dates(
    frame: pl.DataFrame,
    /,
    *,
    fields: Sequence[str],
    reference: dt.date,
    pivot: int = 0,
    birth_placeholders: Sequence[str] = (),
    min_age: int = 16,
    max_age: int = 120,
) -> dict[str, FieldOutcome]:
    """Clean every date field present, then check them against each other and the reference date."""
    parsed: dict[str, pl.DataFrame] = {}
    outcomes: dict[str, FieldOutcome] = {}
    placeholders = [dt.date.fromisoformat(p) for p in birth_placeholders]
    for name in fields:
        p = parse_dates(frame.get_column(name), reference=reference, pivot=pivot)
        p = p.with_columns(frame.get_column(name).alias("raw"), frame.get_column("source_row"))
        if name == "birth_date":
            p = p.with_columns(pl.col("value").is_in(placeholders).fill_null(False).alias("placeholder"))
            p = p.with_columns(pl.when(pl.col("placeholder")).then(None).otherwise(pl.col("value")).alias("value"))
        parsed[name] = p

    def age_at(born: pl.Expr) -> pl.Expr:
        ref = pl.lit(reference)
        had_birthday = (ref.dt.month() > born.dt.month()) | (
            (ref.dt.month() == born.dt.month()) & (ref.dt.day() >= born.dt.day())
        )
        return ref.dt.year() - born.dt.year() - pl.when(had_birthday).then(0).otherwise(1)

    birth = parsed["birth_date"].get_column("value") if "birth_date" in parsed else None
    join = parsed["join_date"].get_column("value") if "join_date" in parsed else None
    # the birth dates that pass plausibility: only these can make a join date implausible
    plausible_birth = (
        parsed["birth_date"]
        .select(pl.when((age_at(pl.col("value")) <= max_age) & (pl.col("value") <= reference)).then("value"))
        .to_series()
        if birth is not None
        else None
    )
    for name, p in parsed.items():
        value = pl.col("value")
        flags = {
            "date-excel-serial-converted": pl.col("serial"),
            "date-two-digit-year": pl.col("two_digit"),
            "date-normalised": value.is_not_null()
            & (value.cast(pl.String) != pl.col("raw"))
            & ~pl.col("serial")
            & ~pl.col("two_digit"),
            "date-impossible": pl.col("impossible"),
            "date-unparseable": pl.col("unparseable"),
            "date-year-only": pl.col("year_only"),
            "date-in-future": value > pl.lit(reference),
        }
        work = p
        if name == "birth_date":
            age = age_at(value)
            flags["birth-date-placeholder"] = pl.col("placeholder")
            flags["birth-date-implausible"] = (age > max_age) | (value > pl.lit(reference))
            flags["member-under-min-age"] = (age >= 0) & (age < min_age)
            del flags["date-in-future"]  # reported as implausible
        if name == "join_date" and birth is not None:
            work = work.with_columns(birth.alias("__birth"))
            flags["join-before-birth"] = value < pl.col("__birth")
        if name == "last_purchase_date" and join is not None:
            work = work.with_columns(join.alias("__join"))
            flags["purchase-before-join"] = value < pl.col("__join")
        # An implausible date (a birth in the future or over max_age years ago, a join or purchase in the future, a
        # join before a plausible birth) never fills the typed column: it would win a merge or feed age, tenure
        # and CLV. It is left empty, its raw value in the ledger.
        implausible = value > pl.lit(reference) if name in ("join_date", "last_purchase_date") else pl.lit(False)
        if name == "birth_date":
            implausible = flags["birth-date-implausible"]
        if name == "join_date" and plausible_birth is not None:
            work = work.with_columns(plausible_birth.alias("__plausible_birth"))
            implausible = implausible | (value < pl.col("__plausible_birth"))
        work = work.with_columns(pl.when(implausible.fill_null(False)).then(None).otherwise(value).alias("__typed"))
        columns = {name: work.get_column("__typed")}
        if name == "birth_date":
            # the year of a birth date given only in part (2014, 05/2014, May 15 2012, 12/31/2012): no date to type,
            # but enough to know a member is under the club's minimum age, whom no list may hold
            # only the few values no date could be typed from are read for a year
            untyped = work.select(pl.when(pl.col("__typed").is_null() & ~pl.col("placeholder")).then("raw"))
            written = on_matching(
                untyped.to_series(),
                r"(?:19|20)\d\d",
                lambda few: few.to_frame("v").select(written_year(pl.col("v"), reference, max_age).alias("year")),
            ).get_column("year")
            work = work.with_columns(pl.coalesce(pl.col("__typed").dt.year().cast(pl.Int32), written).alias("__year"))
            flags["member-under-min-age"] = flags["member-under-min-age"].fill_null(False) | (
                pl.col("__typed").is_null() & (reference.year - pl.col("__year") < min_age)
            )
            columns["birth_year"] = work.get_column("__year")
        entries = ledger_.from_flags(
            work, field=name, flags=flags, before=pl.col("raw"), after=pl.col("__typed").cast(pl.String)
        )
        outcomes[name] = FieldOutcome(columns=columns, entries=entries)
    return outcomes


def written_year(raw: pl.Expr, reference: dt.date, max_age: int) -> pl.Expr:
    """The one plausible four-digit year written in a birth date that could not be typed (2014, 05/2014, May 15
    2012, 12/31/2012); null when there is none or more than one."""
    years = raw.str.extract_all(r"(?:^|\D)((?:19|20)\d{2})(?:\D|$)").list.eval(
        pl.element().str.extract(r"((?:19|20)\d{2})", 1).cast(pl.Int32)
    )
    written = pl.when(years.list.unique().list.len() == 1).then(years.list.first())
    return pl.when(written.is_between(reference.year - max_age, reference.year)).then(written)
