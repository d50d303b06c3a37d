"""Scrubbing a send list before a campaign: one row per reachable address, for one channel.

Built on the scored golden records: a member is sent to only with a valid, non-fake address for the channel,
consent for it (SMS and e-mail: the anti-spam law), not deceased, not under the club's minimum age, within every
filter (a filter on an unknown value keeps no one), not on any suppression list, and not sharing
the address with a record that opted out (an opt-out anywhere beats a consent elsewhere). The same address is
never listed twice. Every member left out is counted under its reason, so the marketer sees what missing
consent costs; an empty list, or a reason that took almost everyone, is a warning.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Literal

import polars as pl
from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

from pipeline.errors import InputError
from pipeline.fields import Status
from pipeline.fields.emails import email_match_key
from pipeline.rules import Rules
from pipeline.suppression import Suppression

Channel = Literal["sms", "email", "call"]
CHANNELS: tuple[Channel, ...] = ("sms", "email", "call")
MOST_MEMBERS = 0.9  # a removal reason that takes this share of the members is said loudly
# reasons in the order they are checked; contact_* reasons come from enrichment
REASONS = (
    "deceased",
    "under_minimum_age",
    "no_mobile",
    "no_email",
    "no_phone",
    "invalid_phone",
    "fake_phone",
    "landline",
    "voip",
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
    warnings: tuple[str, ...] = ()


def scrub(
    members: pl.DataFrame,
    /,
    *,
    channel: Channel,
    suppression: Suppression | None = None,
    filters: Filters | None = None,
    identities: pl.DataFrame | None = None,
) -> ScrubResult:
    """The send list for ``channel`` from scored golden records, and how many members each reason removed.

    ``identities`` (``RunResult.identities``: the phones, e-mail and ID of every row a golden record merged) are
    checked too: a golden record keeps one phone of each kind, and a member whose other number is on the suppression
    list, or whose other record declined, is still that member."""
    channel = choose("--channel", [channel], CHANNELS)[0]  # type: ignore[assignment]
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
    # what makes two records one address: the number, or the e-mail's matching key (Gmail dots and +tags ignored)
    key = email_match_key(pl.col("email")) if channel == "email" else address
    listed = (
        pl.col("phone_mobile").is_in(list(suppression.phones)).fill_null(False)
        | pl.col("phone_other").is_in(list(suppression.phones)).fill_null(False)
        | email_match_key(pl.col("email")).is_in(list(suppression.emails)).fill_null(False)
        | pl.col("national_id").is_in(list(suppression.national_ids)).fill_null(False)
    )
    suppressed = listed
    if identities is not None:
        hit = identities.filter(listed).get_column("golden_id").unique()
        suppressed = listed | pl.col("golden_id").is_in(hit.implode())
    # a filter keeps a member only when the value is known and matches: a null is "out", never "in"
    keep_filter: pl.Expr = pl.lit(True)
    if filters.segments:
        keep_filter &= pl.col("rfm_segment").is_in(list(filters.segments)).fill_null(False)
    if filters.cities:
        keep_filter &= pl.col("city").is_in(list(filters.cities)).fill_null(False)
    if filters.age_bands:
        keep_filter &= pl.col("age_band").is_in(list(filters.age_bands)).fill_null(False)
    if filters.consent_since is not None:
        keep_filter &= (pl.col("consent_date") >= pl.lit(filters.consent_since)).fill_null(False)

    table = members.with_columns(
        address.alias("__address"),
        key.alias("__key"),
        pl.col(f"contact_{channel}_reason").alias("__reason"),
        consent.alias("__consent"),
        suppressed.alias("__suppressed"),
    )
    # an opt-out anywhere beats a consent elsewhere: an address any record declined is never sent to, and the
    # addresses of a suppressed member are suppressed on every record that carries them (with ``identities``, the
    # addresses of every row the member merged)
    sources = table.select("golden_id", "__key", "__consent", "__suppressed")
    if identities is not None:
        keys = [email_match_key(pl.col("email"))] if channel == "email" else [pl.col("phone_mobile")]
        if channel == "call":
            keys.append(pl.col("phone_other"))
        verdicts = table.select("golden_id", "__consent", "__suppressed")
        merged = identities.join(verdicts, on="golden_id").select(
            "golden_id", pl.concat_list(keys).alias("__key"), "__consent", "__suppressed"
        )
        sources = pl.concat([sources, merged.explode("__key")])
    sources = sources.filter(pl.col("__key").is_not_null())
    declined = sources.filter(~pl.col("__consent")).get_column("__key").unique()
    blocked = sources.filter(pl.col("__suppressed")).get_column("__key").unique()
    table = table.with_columns(
        pl.when(pl.col("__reason").is_not_null())
        .then(pl.col("__reason"))
        .when(pl.col("__suppressed") | pl.col("__key").is_in(blocked.implode()))
        .then(pl.lit("suppressed"))
        .when(~keep_filter)
        .then(pl.lit("filtered_out"))
        .when(pl.col("__key").is_in(declined.implode()))
        .then(pl.lit("opted_out_elsewhere"))
        .alias("__reason")
    )
    sendable = table.filter(pl.col("__reason").is_null())
    order = [c for c in ("quality_score", "clv") if c in sendable.columns]
    ranked = sendable.sort([*order, "golden_id"], descending=[*[True] * len(order), False]) if order else sendable
    first = ranked.unique(subset="__key", keep="first", maintain_order=True)
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
    removed = {k: v for k, v in removed.items() if v or k in _RELEVANT[channel]}
    return ScrubResult(
        channel=channel,
        send_list=send_list,
        members=members.height,
        removed=removed,
        warnings=_warnings(channel, members.height, send_list.height, removed),
    )


def _warnings(channel: str, members: int, sent: int, removed: dict[str, int]) -> tuple[str, ...]:
    """What the marketer must not miss: an empty list, or one reason that took almost every member."""
    out = []
    if sent == 0:
        top = max(removed.items(), key=lambda kv: kv[1], default=("", 0))
        why = f"; most were removed as {top[0].replace('_', ' ')} ({top[1]:,})" if top[1] else ""
        out.append(f"the {channel} send list is empty: no member of {members:,} can be sent to{why}")
    for reason, n in removed.items():
        if members and n / members >= MOST_MEMBERS:
            out.append(
                f"{reason.replace('_', ' ')} removed {n:,} of {members:,} members ({n / members:.0%}): "
                "check the file, its column mapping and the options"
            )
    return tuple(out)


def choose(option: str, typed: Sequence[str], choices: Sequence[str]) -> tuple[str, ...]:
    """Each typed value as the choice it names, ignoring case and spacing (``SMS`` is ``sms``, ``champions`` is
    ``Champions``). A value that names no choice is an ``InputError`` naming the choices and the nearest one."""
    by_key = {_key(c): c for c in choices}
    out = []
    for value in typed:
        hit = by_key.get(_key(value))
        if hit is None:
            near = process.extractOne(value, list(choices), scorer=fuzz.WRatio, processor=default_process)
            hint = f"; did you mean {near[0]!r}?" if near and near[1] >= 60 else ""
            raise InputError(f"{option} must be one of {', '.join(choices)}, not {value!r}{hint}")
        out.append(hit)
    return tuple(out)


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def require_columns(
    channel: Channel,
    *,
    mapped: Collection[str],
    unmapped: Sequence[str],
    rules: Rules,
    filters: Filters,
    refusals: Collection[str] = (),
) -> None:
    """The columns a send list cannot be made without: the channel's consent column (SMS, e-mail) and the column
    each filter reads. A missing one is an ``InputError`` naming the file's columns that look close and how to
    map one: without it the list would be empty, or filtered on nothing. ``refusals`` (opt-out columns) are never
    offered as a consent column: they say who refused, not who agreed."""
    unmapped = [h for h in unmapped if h not in refusals]
    opt_out_note = (
        f" ({', '.join(repr(h) for h in refusals)} records opt-outs: it can withdraw consent, never give it)"
        if refusals
        else ""
    )
    needed = []
    if channel in ("sms", "email"):
        needed.append((f"{channel}_consent", f"{'SMS' if channel == 'sms' else 'e-mail'} consent column", ""))
    if filters.consent_since is not None:
        needed.append(("consent_date", "consent date column", ", which --consent-since reads"))
    if filters.cities:
        needed.append(("city", "city column", ", which --city reads"))
    if filters.age_bands:
        needed.append(("birth_date", "birth date column", ", which --age-band reads"))
    for field_, what, why in needed:
        if field_ in mapped:
            continue
        close = _close_headers(unmapped, list(rules.columns.aliases.get(field_, ())) or [field_])
        if close:
            seen = f"columns that look close: {', '.join(repr(h) for h in close)}; "
        elif unmapped:
            seen = f"its unmapped columns: {', '.join(repr(h) for h in unmapped[:5])}; "
        else:
            seen = ""
        raise InputError(
            f"the file has no {what} ({field_}){why}; {seen}"
            f'map one with --map "{close[0] if close else "HEADER"}={field_}"'
            + (opt_out_note if field_.endswith("consent") else "")
        )


def _close_headers(headers: Sequence[str], aliases: list[str], *, limit: int = 3) -> list[str]:
    """The headers most like any of a field's known names, best first (rapidfuzz, case and punctuation folded)."""
    scored = []
    for header in headers:
        best = process.extractOne(header, aliases, scorer=fuzz.WRatio, processor=default_process)
        if best is not None and best[1] >= 60:
            scored.append((-best[1], header))
    return [h for _, h in sorted(scored)[:limit]]


_RELEVANT: dict[str, Sequence[str]] = {
    "sms": (
        "deceased",
        "under_minimum_age",
        "no_mobile",
        "invalid_phone",
        "fake_phone",
        "landline",
        "voip",
        "no_consent",
        "suppressed",
        "opted_out_elsewhere",
        "duplicate_address",
    ),
    "email": (
        "deceased",
        "under_minimum_age",
        "no_email",
        "invalid_email",
        "disposable_email",
        "role_email",
        "no_consent",
        "suppressed",
        "opted_out_elsewhere",
        "duplicate_address",
    ),
    "call": ("deceased", "under_minimum_age", "no_phone", "invalid_phone", "suppressed", "duplicate_address"),
}
