"""Clean: text hygiene on every canonical field, then each field kind's repair and validation.

Carried-through (unmapped) columns are left exactly as they were read. Values that cannot be repaired are kept
as they were (text fields) or left empty (typed fields: dates, amounts, counts) and flagged; the raw value is
always in the ledger's ``before``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import polars as pl

from pipeline import ledger as ledger_
from pipeline.fields import FIELDS
from pipeline.fields.dates import clean_dates
from pipeline.fields.emails import clean_emails
from pipeline.fields.flags import OPT_OUT_PREFIX, clean_consent, clean_gender
from pipeline.fields.ids import clean_national_ids
from pipeline.fields.money import clean_count, clean_money
from pipeline.fields.names import clean_names
from pipeline.fields.outcome import USABLE_PREFIX, FieldOutcome
from pipeline.fields.phones import PHONE_COLUMNS, clean_phones, number_counts
from pipeline.fields.places import clean_city, clean_zip, gazetteer
from pipeline.fields.streets import clean_streets
from pipeline.fields.text import hygiene_column
from pipeline.rules import Rules
from pipeline.stages import StageResult
from pipeline.timing import longest_first

# Derived columns written right after their field, in this order.
DERIVED: dict[str, tuple[str, ...]] = {
    "first_name": ("first_name_key",),
    "last_name": ("last_name_key",),
    "full_name": ("title", "deceased"),
    "national_id": ("national_id_status",),
    "phone_mobile": ("phone_mobile_type", "phone_mobile_status"),
    "phone_other": ("phone_other_type", "phone_other_status"),
    "email": ("email_status", "email_domain"),
    "city": ("city_district", "city_code"),
    "street": ("street_code", "street_status"),
    "birth_date": ("birth_year",),
}
DATE_FIELDS = ("birth_date", "join_date", "last_purchase_date", "consent_date")

# Field kinds are cleaned two at a time: most of a cleaner's time is a polars expression on one column, which runs
# on one core (or Python once per distinct value), so one cleaner alone left the second core idle. The jobs of
# ``_outcomes`` are started longest first (``timing.longest_first``; a million members, one at a time, in a fast hour
# of the 2-core machine: phones 1.9 s, e-mails 1.4 s, names 0.9-1.2 s, dates 0.9 s, places 0.8 s, the rest under
# 0.7 s each).
CLEANERS = 2
LONGEST_FIRST = ("phones", "email", "names", "dates", "places", "consent", "national_id", "money", "gender", "zip")


def output_columns(extra: list[str]) -> list[str]:
    cols = ["source_row"]
    for name in FIELDS:
        cols += [name, *DERIVED.get(name, ())]
    return cols + extra


def phone_counts(members: pl.DataFrame, /, *, rules: Rules, chunk_rows: int) -> dict[str, pl.DataFrame]:
    """Rows per phone number in ``members`` (the whole file), worked out ``chunk_rows`` rows at a time: what
    ``clean`` of one chunk of the file takes as ``phones_in_file``."""
    placeholders = list(rules.checks.placeholders)
    chunks = (members.slice(start, chunk_rows) for start in range(0, members.height, chunk_rows))
    return number_counts(
        chunk.select(*[hygiene_column(chunk, c, placeholders=placeholders)[0].alias(c) for c in PHONE_COLUMNS])
        for chunk in chunks
    )


def clean(
    members: pl.DataFrame,
    /,
    *,
    rules: Rules,
    reference_date: dt.date | None = None,
    check_dns: bool = False,
    phones_in_file: Mapping[str, pl.DataFrame] | None = None,
) -> StageResult:
    """Clean every canonical field of ``members`` (canonical String columns plus carried columns).

    ``members`` may be one chunk of a file's rows: then ``phones_in_file`` (``phone_counts`` of the file) makes its
    result the rows a whole-file run gives (no other check reads other rows)."""
    reference = reference_date or dt.date.today()
    extra = [c for c in members.columns if c not in FIELDS and c != "source_row" and not c.startswith("__")]
    # opt-out columns are read by the consent they withdraw, and carried through under their own headers
    hidden = [c for c in members.columns if c.startswith("__") and not c.startswith(OPT_OUT_PREFIX)]
    present = [f for f in FIELDS if members.get_column(f).null_count() < members.height]
    placeholders = list(rules.checks.placeholders)
    with ThreadPoolExecutor(max_workers=CLEANERS, thread_name_prefix="cleanse-clean") as pool:
        hygiene = [pool.submit(hygiene_column, members, name, placeholders=placeholders) for name in present]
        entries = [future.result()[1] for future in hygiene]
        table = members.with_columns(
            [future.result()[0].alias(name) for name, future in zip(present, hygiene, strict=True)]
        )
        outcomes = _outcomes(
            table, pool=pool, rules=rules, reference=reference, check_dns=check_dns, phones_in_file=phones_in_file
        )

    columns: dict[str, pl.Series] = {}
    for name, outcome in outcomes.items():
        columns.update(outcome.columns)
        if outcome.entries.height:
            entries.append(outcome.entries)
        if outcome.usable is not None:
            columns[f"{USABLE_PREFIX}{name}"] = outcome.usable
    columns[f"{USABLE_PREFIX}member_id"] = table.get_column("member_id").is_not_null()
    table = table.with_columns([s.alias(n) for n, s in columns.items()])
    table = table.select(*output_columns(extra), *[c for c in table.columns if c.startswith(USABLE_PREFIX)], *hidden)
    ledger = ledger_.finish(entries, severities=rules.checks.severity)
    return StageResult(
        table=table,
        ledger=ledger,
        stats={"rows_in": members.height, "rows_out": table.height, "entries": ledger.height},
    )


def _outcomes(
    table: pl.DataFrame,
    *,
    pool: ThreadPoolExecutor,
    rules: Rules,
    reference: dt.date,
    check_dns: bool,
    phones_in_file: Mapping[str, pl.DataFrame] | None,
) -> dict[str, FieldOutcome]:
    """Each field kind cleaned, ``CLEANERS`` at a time, longest first; in the order the fields are listed."""
    f = rules.fields

    def places() -> dict[str, FieldOutcome]:  # a street is checked against its locality's streets
        gaz = gazetteer(aliases=f.places_aliases, cbs_file=f.places_cbs_file)
        city = clean_city(table, gaz=gaz, threshold=f.places_fuzzy_threshold)
        street = clean_streets(table, city_codes=city.columns["city_code"], threshold=f.street_fuzzy_threshold)
        return {"city": city, "street": street}

    def consents() -> dict[str, FieldOutcome]:
        return {
            name: clean_consent(table, name, yes=f.consent_yes, no=f.consent_no, not_opted_out=f.opt_out_no)
            for name in ("sms_consent", "email_consent")
        }

    jobs: dict[str, Callable[[], dict[str, FieldOutcome]]] = {  # in the order of the ledger's entries of a row
        "names": partial(
            clean_names,
            table,
            honorifics=f.honorifics,
            deceased=f.deceased_markers,
            blessings=f.blessings,
            test_entries=f.test_entries,
            gender=f.gender_values,
        ),
        "phones": partial(
            clean_phones,
            table,
            fake_numbers=f.phone_fake_numbers,
            max_members_per_number=f.phone_max_members_per_number,
            counts=phones_in_file,
        ),
        "email": lambda: {
            "email": clean_emails(
                table, domain_typos=f.email_domain_typos, role_accounts=f.email_role_accounts, check_dns=check_dns
            )
        },
        "national_id": lambda: {
            "national_id": clean_national_ids(table, min_digits=f.national_id_min_digits, fakes=f.national_id_fakes)
        },
        "dates": partial(
            clean_dates,
            table,
            fields=DATE_FIELDS,
            reference=reference,
            pivot=f.two_digit_year_pivot,
            birth_placeholders=f.birth_placeholders,
            min_age=rules.checks.min_age,
            max_age=rules.checks.max_age,
        ),
        "gender": lambda: {"gender": clean_gender(table, values=f.gender_values)},
        "consent": consents,
        "money": lambda: {
            "total_spend": clean_money(table, "total_spend"),
            "purchase_count": clean_count(table, "purchase_count"),
        },
        "places": places,
        "zip": lambda: {"zip": clean_zip(table)},
    }
    futures = {name: pool.submit(jobs[name]) for name in longest_first(jobs, LONGEST_FIRST)}
    outcomes: dict[str, FieldOutcome] = {}
    for name in jobs:
        outcomes |= futures[name].result()
    return outcomes
