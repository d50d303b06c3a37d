"""Encoding: the records as dedupe compares them, once per run. Each text becomes a dense code (equal text, equal
code; fields compared crosswise share a code space), each status the rules read a Boolean, and each code space keeps
its values (and, for values compared by one edit, their ``edit_signatures``): both sides of millions of pairs are
then gathers of small integers, not of strings. Comparison (``compare``), the random pairs of the model and
clustering's checks all read one encoding."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import polars as pl

from pipeline.fields import Status
from pipeline.fields.emails import email_match_key
from pipeline.fields.ids import NOT_AN_IDENTITY, nine_digits
from pipeline.stages.dedupe.names import name_facts
from pipeline.stages.dedupe.pairwise import codes, edit_signatures, texts

SIDE_COLUMNS = (  # every column of the records that ``encode`` reads
    "first_name",
    "last_name",
    "first_name_key",
    "last_name_key",
    "birth_date",
    "phone_mobile",
    "phone_mobile_type",
    "phone_mobile_status",
    "phone_other",
    "phone_other_type",
    "phone_other_status",
    "email",
    "national_id",
    "national_id_status",
    "city",
    "city_code",
    "street",
    "house_number",
    "zip",
)


# the code spaces compared by "one edit apart", whose ``edit_signatures`` spare most pairs the scoring
ONE_EDIT = ("phone", "id", "zip")


class Encoded(NamedTuple):
    """The records as the comparisons read them (see ``encode``)."""

    coded: pl.DataFrame  # row k is record ``__i`` = k: codes and Booleans
    texts: dict[str, np.ndarray]  # per code space, its values by code (``pairwise.texts``)
    edits: dict[str, np.ndarray]  # per space of ONE_EDIT, its values' ``edit_signatures``
    facts: pl.DataFrame  # the name facts (skeletons, canonical names) by name code


def encode(records: pl.DataFrame) -> Encoded:
    """Per record, the compact form the comparisons read: each text as a dense code (fields compared crosswise,
    first with last name and mobile with other phone, share a code space), what the rules ask of a status as a
    Boolean. Both sides of millions of pairs are then gathers of small integers, not of strings.

    Returns them as ``Encoded``."""
    records = records.select(SIDE_COLUMNS)  # a projection (no copy); a missing column fails here, by name
    email_text = records.select(email_match_key(pl.col("email"))).to_series()  # Gmail dots and +tags ignored
    (first, last), names = codes(records.get_column("first_name_key"), records.get_column("last_name_key"))
    (mobile, other), phones = codes(records.get_column("phone_mobile"), records.get_column("phone_other"))
    (email,), emails = codes(email_text)
    (local,), _ = codes(email_text.str.extract(r"^([^@]+)@"))
    (nid,), ids = codes(records.select(nine_digits(pl.col("national_id"))).to_series())
    (city,), cities = codes(records.get_column("city"))
    (street,), streets = codes(records.get_column("street"))
    (house,), _ = codes(records.get_column("house_number"))
    (zip_,), zips = codes(records.get_column("zip"))
    valid = lambda c: (pl.col(c) == Status.VALID).fill_null(False)  # noqa: E731
    flags = records.select(
        valid("phone_mobile_status").alias("mobile_ok"),
        valid("phone_other_status").alias("other_ok"),
        # a number's kind is the number's own: a shared number is a mobile (a person's) or a landline (a home's)
        (pl.col("phone_mobile_type") == "mobile").fill_null(False).alias("mobile_is_mobile"),
        (pl.col("phone_other_type") == "mobile").fill_null(False).alias("other_is_mobile"),
        valid("national_id_status").alias("id_valid"),
        pl.col("national_id_status").is_in(NOT_AN_IDENTITY).fill_null(False).alias("id_void"),
        # a locality the official list does not know (a typo cleaning could not place, a place abroad)
        (pl.col("city").is_not_null() & pl.col("city_code").is_null()).alias("city_unlisted"),
        "birth_date",
    )
    coded = flags.with_columns(
        first.alias("first"),
        last.alias("last"),
        mobile.alias("mobile"),
        other.alias("other"),
        email.alias("email"),
        local.alias("local"),
        nid.alias("nid"),
        city.alias("city"),
        street.alias("street"),
        house.alias("house"),
        zip_.alias("zip"),
    )
    spelled = pl.concat(
        [
            records.select(pl.col("first_name_key").alias("key"), pl.col("first_name").alias("name")),
            records.select(pl.col("last_name_key").alias("key"), pl.col("last_name").alias("name")),
        ]
    )
    spaces = {"name": names, "phone": phones, "email": emails, "id": ids, "street": streets, "zip": zips}
    return Encoded(
        coded=coded,
        # streets also without their spaces: a space lost or moved ("emilybulcock crescent") splits the words that
        # the token-set ratio compares
        texts={space: texts(values) for space, values in spaces.items()}
        | {"street_tight": texts(streets.str.replace_all(" ", "", literal=True))}
        # localities the official list does not know, compared as their letters: "birmingha m gardens" (not
        # places.place_key, which folds transliterations: "forets hill" became "forezhil", 82 alike, not 90)
        | {"city_tight": texts(cities.str.to_lowercase().str.replace_all(r"[\s\-'\.\"׳״]", ""))},
        edits={space: edit_signatures(spaces[space]) for space in ONE_EDIT},
        facts=name_facts(names, spelled),
    )
