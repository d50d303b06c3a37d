"""Enrich: derived facts per member that marketing uses, from the clean golden records.

Age and age band, birthday (29 February falls on 28 February in common years), tenure, e-mail domain class,
gender inferred from the first name where missing (CBS first-name data, abstaining on ambiguous names), and
contactability per channel with the reason when a member cannot be reached. All whole-column polars.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipeline import ledger as ledger_
from pipeline.checks import check
from pipeline.fields import Status
from pipeline.fields.names import first_name_lexicon
from pipeline.rules import Rules, ScoringRules
from pipeline.stages import StageResult

check(
    "gender-inferred",
    "info",
    "fixed",
    "Gender inferred from the first name",
    "gender was empty; the first name gives {after}",
)
check(
    "gender-contradicts-name",
    "warning",
    "flagged",
    "Recorded gender contradicts the first name",
    "gender {before} contradicts a first name borne almost only by the other sex",
)

CHANNELS = ("sms", "email", "call", "post")


def age_at(born: pl.Expr, reference: dt.date) -> pl.Expr:
    """Whole years at ``reference``; a 29 February birthday counts from 28 February in common years."""
    ref = pl.lit(reference)
    month, day = born.dt.month(), born.dt.day()
    leap_day = (month == 2) & (day == 29)
    ref_is_leap = (reference.year % 4 == 0 and reference.year % 100 != 0) or reference.year % 400 == 0
    day_eff = pl.when(leap_day & (not ref_is_leap)).then(28).otherwise(day)
    had = (ref.dt.month() > month) | ((ref.dt.month() == month) & (ref.dt.day() >= day_eff))
    return ref.dt.year() - born.dt.year() - pl.when(had).then(0).otherwise(1)


def age_band_labels(bands: tuple[tuple[int, int], ...]) -> list[str]:
    """The ``age_band`` values the rules' bands give: ``25-34``, and ``65+`` for a band open at the top."""
    return [f"{low}+" if high >= 120 else f"{low}-{high}" for low, high in bands]


def _age_band(age: pl.Expr, bands: tuple[tuple[int, int], ...]) -> pl.Expr:
    expr: pl.Expr = pl.lit(None, pl.String)
    for (low, high), label in reversed(list(zip(bands, age_band_labels(bands), strict=True))):
        expr = pl.when(age.is_between(low, high)).then(pl.lit(label)).otherwise(expr)
    return expr


def _domain_class(domain: pl.Expr, status: pl.Expr, s: ScoringRules) -> pl.Expr:
    return (
        pl.when(domain.is_null())
        .then(pl.lit(None, pl.String))
        .when(status == Status.DISPOSABLE)
        .then(pl.lit(Status.DISPOSABLE))
        .when(domain.is_in(list(s.free_webmail)))
        .then(pl.lit("free_webmail"))
        .when(domain.is_in(list(s.israeli_isp)))
        .then(pl.lit("israeli_isp"))
        .when(status.is_in([Status.VALID, Status.ROLE]))
        .then(pl.lit("corporate"))
    )


def _gender_table(s: ScoringRules) -> pl.DataFrame:
    lex = first_name_lexicon().filter(pl.col("total") >= s.gender_min_bearers)
    return lex.select(pl.col("name").alias("first_name"), pl.col("p_female").alias("__p_female"))


def _contact(channel: str, *, min_age: int) -> tuple[pl.Expr, pl.Expr]:
    """(contactable, reason when not) for one channel. The first failing reason is given. A member younger than
    the club's minimum age is never contacted; one with no (or an impossible) birth date is not held back for it."""
    dead = pl.col("deceased").fill_null(False)
    # a birth date known only by its year (05/2014) is under age when even January 1st of that year would be
    minor = ((pl.col("age") >= 0) & (pl.col("age") < min_age)) | (
        pl.col("age").is_null() & (pl.col("__age_at_most") < min_age)
    ).fill_null(False)
    if channel == "sms":
        status, kind = pl.col("phone_mobile_status"), pl.col("phone_mobile_type")
        reason = (
            pl.when(dead)
            .then(pl.lit("deceased"))
            .when(minor)
            .then(pl.lit("under_minimum_age"))
            .when(pl.col("phone_mobile").is_null())
            .then(pl.lit("no_mobile"))
            .when(status == Status.FAKE)
            .then(pl.lit("fake_phone"))
            .when(status != Status.VALID)
            .then(pl.lit("invalid_phone"))
            .when(kind == "voip")  # 07X numbers: phonenumbers says VoIP, not a landline; neither takes SMS
            .then(pl.lit("voip"))
            .when(kind != "mobile")
            .then(pl.lit("landline"))
            .when(~pl.col("sms_consent"))
            .then(pl.lit("no_consent"))
        )
    elif channel == "email":
        status = pl.col("email_status")
        reason = (
            pl.when(dead)
            .then(pl.lit("deceased"))
            .when(minor)
            .then(pl.lit("under_minimum_age"))
            .when(pl.col("email").is_null())
            .then(pl.lit("no_email"))
            .when(status == Status.DISPOSABLE)
            .then(pl.lit("disposable_email"))
            .when(status == Status.ROLE)
            .then(pl.lit("role_email"))
            .when(status != Status.VALID)
            .then(pl.lit("invalid_email"))
            .when(~pl.col("email_consent"))
            .then(pl.lit("no_consent"))
        )
    elif channel == "call":  # a person's call needs no §30A consent; an automated call does (not modelled)
        any_valid = (pl.col("phone_mobile_status") == Status.VALID).fill_null(False) | (
            pl.col("phone_other_status") == Status.VALID
        ).fill_null(False)
        any_phone = pl.col("phone_mobile").is_not_null() | pl.col("phone_other").is_not_null()
        reason = (
            pl.when(dead)
            .then(pl.lit("deceased"))
            .when(minor)
            .then(pl.lit("under_minimum_age"))
            .when(~any_phone)
            .then(pl.lit("no_phone"))
            .when(~any_valid)
            .then(pl.lit("invalid_phone"))
        )
    else:  # post
        reason = (
            pl.when(dead)
            .then(pl.lit("deceased"))
            .when(minor)
            .then(pl.lit("under_minimum_age"))
            .when(pl.col("street").is_null() | pl.col("city").is_null())
            .then(pl.lit("no_address"))
        )
    return reason.is_null(), reason


def enrich(members: pl.DataFrame, /, *, rules: Rules, reference_date: dt.date, as_of: dt.date) -> StageResult:
    """Add derived facts, inferred gender and contactability to the golden records.

    Ages are at ``reference_date`` (the run's date); tenure is at ``as_of`` (the scoring reference).
    """
    s = rules.scoring
    ref = reference_date
    born = pl.col("birth_date")
    this_year_birthday = pl.date(
        pl.lit(ref.year),
        born.dt.month(),
        pl.when((born.dt.month() == 2) & (born.dt.day() == 29))
        .then(28 if not ((ref.year % 4 == 0 and ref.year % 100 != 0) or ref.year % 400 == 0) else 29)
        .otherwise(born.dt.day()),
    )
    table = members.with_columns(
        age_at(born, ref).alias("age"),
        (ref.year - pl.col("birth_year") if "birth_year" in members.columns else pl.lit(None, pl.Int32)).alias(
            "__age_at_most"
        ),
        born.dt.month().alias("birthday_month"),
        this_year_birthday.dt.day().alias("birthday_day"),
        ((pl.lit(as_of) - pl.col("join_date")).dt.total_days() / 365.25).round(2).alias("tenure_years"),
        _domain_class(pl.col("email_domain"), pl.col("email_status"), s).alias("email_domain_class"),
    ).with_columns(_age_band(pl.col("age"), s.age_bands).alias("age_band"))

    # gender from the first name where missing; abstain on names both sexes bear
    table = table.join(_gender_table(s), on="first_name", how="left", maintain_order="left")
    p = pl.col("__p_female")
    guess = pl.when(p >= s.gender_female).then(pl.lit("F")).when(p <= s.gender_male).then(pl.lit("M"))
    table = table.with_columns(
        pl.when(pl.col("gender").is_null() & guess.is_not_null())
        .then(guess)
        .otherwise(pl.col("gender"))
        .alias("gender_filled"),
        (pl.col("gender").is_null() & guess.is_not_null()).alias("gender_inferred"),
        pl.when(pl.col("gender").is_null())
        .then(pl.when(guess == "F").then(p).when(guess == "M").then(1 - p))
        .round(3)
        .alias("gender_probability"),
        (pl.col("gender").is_not_null() & guess.is_not_null() & (pl.col("gender") != guess)).alias("__contradicts"),
    )
    table = table.with_columns(pl.col("gender").alias("__gender_before"))
    table = table.with_columns(pl.col("gender_filled").alias("gender")).drop("gender_filled", "__p_female")

    reasons = {}
    for channel in CHANNELS:
        ok, reason = _contact(channel, min_age=rules.checks.min_age)
        reasons[channel] = ok
        table = table.with_columns(ok.alias(f"contact_{channel}"), reason.alias(f"contact_{channel}_reason"))

    first_row = pl.col("source_rows").str.split(";").list.first().cast(pl.Int64)
    work = table.with_columns(first_row.alias("source_row"))
    entries = [
        ledger_.from_flags(
            work,
            field="gender",
            flags={"gender-inferred": pl.col("gender_inferred")},
            before=pl.col("__gender_before"),
            after=pl.col("gender"),
        ),
        ledger_.from_flags(
            work,
            field="gender",
            flags={"gender-contradicts-name": pl.col("__contradicts")},
            before=pl.col("__gender_before"),
            after=pl.col("first_name"),
        ),
    ]
    table = table.drop("__contradicts", "__gender_before", "__age_at_most")
    return StageResult(
        table=table,
        ledger=ledger_.finish(entries, severities=rules.checks.severity),
        stats={
            "rows_in": members.height,
            "rows_out": table.height,
            "gender_inferred": int(table.get_column("gender_inferred").sum()),
        },
    )
