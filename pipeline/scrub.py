"""Scrubbing a send list before a campaign: one row per reachable address, for one channel.

Built on the scored golden records: a member is sent to only with a valid, non-fake address for the channel,
consent for it (SMS and e-mail: the anti-spam law), not deceased, not on any suppression list, and not sharing
the address with a record that opted out (an opt-out anywhere beats a consent elsewhere). The same address is
never listed twice. Every member left out is counted under its reason, so the marketer sees what missing
consent costs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import polars as pl

from pipeline.errors import InputError
from pipeline.fields import Status
from pipeline.fields.emails import clean_emails
from pipeline.fields.ids import clean_national_ids
from pipeline.fields.phones import parse_phones
from pipeline.ingest import read_member_file
from pipeline.mapping import HeaderMatcher, map_columns
from pipeline.rules import Rules

Channel = Literal["sms", "email", "call"]
CHANNELS: tuple[Channel, ...] = ("sms", "email", "call")
# reasons in the order they are checked; contact_* reasons come from enrichment
REASONS = (
    "deceased",
    "no_mobile",
    "no_email",
    "no_phone",
    "invalid_phone",
    "fake_phone",
    "landline",
    "invalid_email",
    "disposable_email",
    "role_email",
    "no_consent",
    "suppressed",
    "filtered_out",
    "opted_out_elsewhere",
    "duplicate_address",
)


@dataclass(frozen=True)
class Suppression:
    phones: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    national_ids: frozenset[str] = frozenset()

    def __or__(self, other: Suppression) -> Suppression:
        return Suppression(
            self.phones | other.phones, self.emails | other.emails, self.national_ids | other.national_ids
        )


@dataclass(frozen=True)
class Filters:
    segments: tuple[str, ...] = ()
    cities: tuple[str, ...] = ()
    age_bands: tuple[str, ...] = ()
    consent_since: dt.date | None = None


@dataclass(frozen=True)
class ScrubResult:
    channel: Channel
    send_list: pl.DataFrame
    members: int
    removed: dict[str, int] = field(default_factory=dict)


def _values_to_suppression(values: list[str], *, rules: Rules) -> Suppression:
    cells = pl.DataFrame(
        {"source_row": range(len(values)), "v": values}, schema={"source_row": pl.Int64, "v": pl.String}
    )
    phones = parse_phones(cells.get_column("v")).get_column("e164").drop_nulls()
    emails = clean_emails(cells.rename({"v": "email"}))
    valid_emails = emails.columns["email"].filter(emails.columns["email_status"] != Status.INVALID).str.to_lowercase()
    ids = clean_national_ids(
        cells.rename({"v": "national_id"}),
        min_digits=rules.fields.national_id_min_digits,
        fakes=rules.fields.national_id_fakes,
    )
    valid_ids = ids.columns["national_id"].filter(
        ids.columns["national_id_status"].is_in([Status.VALID, Status.FAKE, Status.COMPANY])
    )
    return Suppression(
        frozenset(phones.to_list()),
        frozenset(valid_emails.drop_nulls().to_list()),
        frozenset(valid_ids.drop_nulls().to_list()),
    )


def load_suppression(path: Path, *, rules: Rules) -> Suppression:
    """A suppression list in any format cleanse reads: columns it recognises (phone, e-mail, ID number), or
    else every value in the file, each used as whatever it validly is. A headerless list works too."""
    matcher = HeaderMatcher(rules.columns)
    try:
        raw = read_member_file(path, score_header=matcher.recognised)
    except InputError as exc:
        if "no member rows" not in exc.message:
            raise
        text = Path(path).read_text(encoding="utf-8-sig", errors="replace")  # a one-line list: its only line
        return _values_to_suppression([v.strip() for v in text.replace(";", ",").split(",") if v.strip()], rules=rules)
    mapping = map_columns(raw.headers, rules=rules.columns)
    wanted = [h for f, h in mapping.by_field.items() if f in ("phone_mobile", "phone_other", "email", "national_id")]
    columns = wanted or list(raw.headers)
    values = raw.frame.select(pl.concat_list([pl.col(c) for c in columns]).alias("v")).explode("v")
    found = values.get_column("v").drop_nulls().str.strip_chars().to_list()
    if not wanted:
        found += [h for h in raw.headers if not h.startswith("column_")]  # the "header" of a bare list is a value
    return _values_to_suppression(found, rules=rules)


def scrub(
    members: pl.DataFrame,
    /,
    *,
    channel: Channel,
    suppression: Suppression | None = None,
    filters: Filters | None = None,
) -> ScrubResult:
    """The send list for ``channel`` from scored golden records, and how many members each reason removed."""
    if channel not in CHANNELS:
        raise InputError(f"--channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
    suppression = suppression or Suppression()
    filters = filters or Filters()
    if channel == "sms":
        address = pl.col("phone_mobile")
        consent = pl.col("sms_consent")
    elif channel == "email":
        address = pl.col("email").str.to_lowercase()
        consent = pl.col("email_consent")
    else:
        address = (
            pl.when(pl.col("phone_mobile_status") == Status.VALID)
            .then(pl.col("phone_mobile"))
            .otherwise(pl.when(pl.col("phone_other_status") == Status.VALID).then(pl.col("phone_other")))
        )
        consent = pl.lit(True)  # no call-consent field: keep your do-not-call list in --suppress
    suppressed = (
        pl.col("phone_mobile").is_in(list(suppression.phones)).fill_null(False)
        | pl.col("phone_other").is_in(list(suppression.phones)).fill_null(False)
        | pl.col("email").str.to_lowercase().is_in(list(suppression.emails)).fill_null(False)
        | pl.col("national_id").is_in(list(suppression.national_ids)).fill_null(False)
    )
    keep_filter: pl.Expr = pl.lit(True)
    if filters.segments:
        keep_filter &= pl.col("rfm_segment").is_in(list(filters.segments))
    if filters.cities:
        keep_filter &= pl.col("city").is_in(list(filters.cities))
    if filters.age_bands:
        keep_filter &= pl.col("age_band").is_in(list(filters.age_bands))
    if filters.consent_since is not None:
        keep_filter &= (pl.col("consent_date") >= pl.lit(filters.consent_since)).fill_null(False)

    table = members.with_columns(
        address.alias("__address"),
        pl.col(f"contact_{channel}_reason").alias("__reason"),
        consent.alias("__consent"),
    )
    # an opt-out anywhere beats a consent elsewhere: an address any record declined is never sent to, and the
    # addresses of a suppressed member are suppressed on every record that carries them
    declined = table.filter(pl.col("__address").is_not_null() & ~pl.col("__consent")).get_column("__address").unique()
    blocked = table.filter(suppressed & pl.col("__address").is_not_null()).get_column("__address").unique()
    table = table.with_columns(
        pl.when(pl.col("__reason").is_not_null())
        .then(pl.col("__reason"))
        .when(suppressed | pl.col("__address").is_in(blocked.implode()))
        .then(pl.lit("suppressed"))
        .when(~keep_filter)
        .then(pl.lit("filtered_out"))
        .when(pl.col("__address").is_in(declined.implode()))
        .then(pl.lit("opted_out_elsewhere"))
        .alias("__reason")
    )
    sendable = table.filter(pl.col("__reason").is_null())
    order = [c for c in ("quality_score", "clv") if c in sendable.columns]
    ranked = sendable.sort([*order, "golden_id"], descending=[*[True] * len(order), False]) if order else sendable
    first = ranked.unique(subset="__address", keep="first", maintain_order=True)
    duplicates = sendable.height - first.height
    name = {"sms": "phone", "email": "email", "call": "phone"}[channel]
    send_list = first.sort("golden_id").select(
        pl.col("__address").alias(name),
        "golden_id",
        "first_name",
        "last_name",
        *[c for c in ("city", "rfm_segment") if c in first.columns],
    )
    counts = table.filter(pl.col("__reason").is_not_null()).group_by("__reason").len()
    removed = {r: 0 for r in REASONS}
    removed |= {str(r): int(n) for r, n in counts.iter_rows()}
    removed["duplicate_address"] = duplicates
    return ScrubResult(
        channel=channel,
        send_list=send_list,
        members=members.height,
        removed={k: v for k, v in removed.items() if v or k in _RELEVANT[channel]},
    )


_RELEVANT: dict[str, Sequence[str]] = {
    "sms": (
        "deceased",
        "no_mobile",
        "invalid_phone",
        "fake_phone",
        "landline",
        "no_consent",
        "suppressed",
        "opted_out_elsewhere",
        "duplicate_address",
    ),
    "email": (
        "deceased",
        "no_email",
        "invalid_email",
        "disposable_email",
        "role_email",
        "no_consent",
        "suppressed",
        "opted_out_elsewhere",
        "duplicate_address",
    ),
    "call": ("deceased", "no_phone", "invalid_phone", "suppressed", "duplicate_address"),
}
