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
from pathlib import Path
from typing import Literal

import polars as pl
from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process

from pipeline.errors import InputError
from pipeline.fields import Status
from pipeline.fields.emails import clean_emails, email_match_key
from pipeline.fields.ids import clean_national_ids
from pipeline.fields.phone_parse import parse_phones
from pipeline.ingest import EXCEL_EXTS, PARQUET_EXTS
from pipeline.rules import Rules
from pipeline.textfile import decode

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
class Suppression:
    phones: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    national_ids: frozenset[str] = frozenset()

    @property
    def size(self) -> int:
        return len(self.phones) + len(self.emails) + len(self.national_ids)

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
    warnings: tuple[str, ...] = ()


_PHONE_OR_ID = r"^[+(]?\d[\d \-().\/]*$"
_INVISIBLE = "[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u00ad]"
# the pieces of a cell that may each be an address: an e-mail, or a run of digits with the separators a phone or
# ID number is written with (not " - ", " / " or a word, which part two numbers)
_PIECE = r"[^\s<>,;:\"'()]+@[^\s<>,;:\"'()]+|\+?\(?\d(?:[\d.\-)]|\s\d|\(\d)*"


def _suppression_from(values: pl.Series, *, rules: Rules) -> Suppression:
    """Every distinct value as whatever it validly is: a phone number, an e-mail address, an ID number (a value
    can be more than one: ``039337423`` is an ID and a Tel Aviv landline; both are suppressed)."""
    cells = pl.DataFrame({"v": values.unique()}).with_row_index("source_row").cast({"source_row": pl.Int64})
    v = pl.col("v")
    numeric = v.str.replace(r"\.0+$", "")
    digits = numeric.str.replace_all(r"\D", "").str.len_chars()
    cells = cells.with_columns(
        (v.str.contains("@")).alias("at"),
        numeric.str.contains(_PHONE_OR_ID).alias("numeric"),
        v.str.contains(r"^\d(?:\.\d+)?[eE]\+?\d{1,2}$").alias("excel_sci"),  # 5.47654329E+08
        digits.alias("digits"),
    )
    # bare digits go to phonenumbers only in a shape an Israeli number can have (its zero lost or not): the
    # library's per-value long tail would otherwise read every ID number of a 500k-row list one by one
    bare = numeric.str.contains(r"^\d+$")
    phone_shape = numeric.str.contains(r"^(?:0?[57]\d{8}|0?[2-489]\d{7}|(?:00)?972[2-9]\d{7,8})$")
    cells = cells.with_columns((~bare | phone_shape).alias("phone_shape"))
    phones_in = cells.filter(
        (pl.col("numeric") & (pl.col("digits") >= 7) & pl.col("phone_shape")) | pl.col("excel_sci")
    )
    phones = parse_phones(phones_in.get_column("v")).get_column("e164").drop_nulls()
    emails_in = cells.filter(pl.col("at")).select("source_row", pl.col("v").alias("email"))
    emails = clean_emails(emails_in)
    valid = emails.columns["email"].filter(emails.columns["email_status"] != Status.INVALID)
    valid_emails = pl.select(email_match_key(pl.lit(valid))).to_series()  # Gmail dots and +tags ignored
    ids_in = cells.filter(pl.col("numeric") & pl.col("digits").is_between(5, 9)).select(
        "source_row", pl.col("v").alias("national_id")
    )
    ids = clean_national_ids(
        ids_in, min_digits=rules.fields.national_id_min_digits, fakes=rules.fields.national_id_fakes
    )
    valid_ids = ids.columns["national_id"].filter(
        ids.columns["national_id_status"].is_in([Status.VALID, Status.FAKE, Status.COMPANY])
    )
    return Suppression(
        frozenset(phones.to_list()),
        frozenset(valid_emails.drop_nulls().to_list()),
        frozenset(valid_ids.drop_nulls().to_list()),
    )


def _cells(path: Path) -> pl.Series:
    """Every non-empty cell of every column of every sheet, header rows included (a list may have no header,
    and a header is never a phone, e-mail or ID number)."""
    path = Path(path)
    if not path.exists():
        raise InputError("no such file", path=path)
    if path.is_dir():
        raise InputError("is a folder, not a suppression list", path=path)
    if path.stat().st_size == 0:
        raise InputError("is empty (0 bytes): a suppression list must hold phones, e-mails or ID numbers", path=path)
    ext = path.suffix.lower()
    columns: list[pl.Series] = []
    if ext in EXCEL_EXTS:
        import fastexcel

        try:
            reader = fastexcel.read_excel(str(path))
            for name in reader.sheet_names:
                grid = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string").to_polars()
                columns += [grid.get_column(c).cast(pl.String) for c in grid.columns]
        except Exception as exc:  # fastexcel raises its own exception family for corrupt content
            raise InputError(
                f"cannot be read as an Excel workbook ({' '.join(str(exc).split())[:160]})", path=path
            ) from exc
    elif ext in PARQUET_EXTS:
        try:
            frame = pl.read_parquet(path)
        except Exception as exc:
            raise InputError(f"cannot be read as parquet ({' '.join(str(exc).split())[:160]})", path=path) from exc
        columns += [frame.get_column(c).cast(pl.String, strict=False) for c in frame.columns]
    else:  # text in any of the delimiters cleanse knows, or one value a line; values never hold a delimiter
        text = decode(path.read_bytes(), path=path).text
        columns.append(pl.Series("v", text.splitlines(), dtype=pl.String).str.extract_all(r"[^,;\t|]+").explode())
    if not columns:
        return pl.Series("v", [], dtype=pl.String)
    # direction marks and zero-width characters, as text hygiene takes them off members' values: "\u200f0528129997"
    # was read as nothing
    cells = pl.concat([c.alias("v") for c in columns]).str.replace_all(_INVISIBLE, "")
    # a cell is read whole and in its pieces: "טל: 052-8123456", "052-8100000 / 052-8101111", "ת.ז. 040123456",
    # "Dana <dana@x.co.il>" each name an address beside other words (a piece that is none is read as nothing)
    # (a cell that is one number already, 5.47654329E+08 or 052.812.3456, is not cut into pieces)
    one = cells.str.contains(r"^\s*[+(]?\d[\d \-().]*$|^\s*\d(?:\.\d+)?[eE]\+?\d{1,2}\s*$")
    mixed = cells.filter(~one | (cells.str.count_matches(r"\d") > 12))  # more digits than one phone number has
    pieces = pl.concat([mixed.str.extract_all(_PIECE).explode(), mixed.str.split(" ").explode()])
    values = pl.concat([cells, pieces]).str.strip_chars(" \t\r\u00a0\"'<>:,;/")
    return values.filter(values.is_not_null() & (values != ""))


def load_suppression(path: Path, *, rules: Rules) -> Suppression:
    """A suppression list in any format cleanse reads: every phone number, e-mail address and ID number in
    every column of every sheet, whatever the headers say (or without any). A file from which none could be
    read is an error, never an empty list."""
    values = _cells(path)
    found = _suppression_from(values, rules=rules)
    if not found.size:
        raise InputError(
            f"no phone number, e-mail address or ID number could be read from its {values.len():,} values; "
            "is it the right file?",
            path=path,
        )
    return found


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
