"""E-mail addresses: email-validator's verdict and normalisation, curated domain-typo repair, disposable and role
accounts.

The address is taken out of ``Name <addr>`` and ``mailto:`` forms, and stored lower-cased whole (mail systems
treat the local part without case; the raw value stays in the ledger). Fast path (polars): the addresses in plain
dot-atom form with an ordinary domain (nearly all of them) are accepted exactly when email-validator accepts them
(a hypothesis test proves it). Everything else (internationalised, quoted, odd TLDs, broken) goes to
email-validator once per unique value. Deliverability (DNS) is checked only on request, once per unique domain.

``email_match_key`` is the key dedupe and suppression compare addresses on: Gmail ignores dots in the mailbox
name, and ``+tags`` reach the same mailbox, so ``Moshe.Cohen+club@gmail.com`` and ``moshecohen@gmail.com`` are one
person's. It is never written as the address.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl
from disposable_email_domains import blocklist as DISPOSABLE
from email_validator import EmailNotValidError, validate_email

from pipeline import ledger as ledger_
from pipeline.checks import check
from pipeline.fields import Status
from pipeline.fields.outcome import FieldOutcome, on_matching, per_unique

check("email-normalised", "info", "normalised", "E-mail written in lower case", "{field} {before} written as {after}")
check(
    "email-syntax-repaired",
    "info",
    "fixed",
    "E-mail syntax repaired",
    "{field} {before}: the address taken out of a display name or mailto: link; spaces, a doubled @ or a "
    "trailing dot removed",
)
check("email-domain-typo-fixed", "info", "fixed", "E-mail domain typo fixed", "{field} {before} corrected to {after}")
check("email-invalid", "warning", "flagged", "E-mail address is not valid", "{field} {before} is not a valid address")
check(
    "email-disposable",
    "warning",
    "flagged",
    "Disposable e-mail address",
    "{field} {before} uses a throw-away mail service",
)
check(
    "email-role-account",
    "info",
    "flagged",
    "Role e-mail address",
    "{field} {before} reaches a role (info@, office@ ...), not a person",
)
check(
    "email-undeliverable",
    "warning",
    "flagged",
    "E-mail domain does not receive mail",
    "{field} {before}: the domain has no mail server (DNS check)",
)

GMAIL_DOMAINS = ("gmail.com", "googlemail.com")


def email_match_key(email: pl.Expr) -> pl.Expr:
    """The address as dedupe and suppression compare it: lower case, ``+tag`` dropped, and for Gmail the dots of
    the mailbox name dropped and googlemail.com read as gmail.com. ``Moshe.Cohen+club@GMAIL.com`` ->
    ``moshecohen@gmail.com``. A key, never an address to write or send to."""
    return email.map_batches(_match_keys, return_dtype=pl.String)


def _match_keys(emails: pl.Series) -> pl.Series:
    """``email_match_key`` of a column, one step at a time: as one expression each part (the mailbox name, the
    domain) would be worked out again wherever it is read (polars does not share them across ``when`` branches), five
    times the work at a million addresses."""
    name = emails.name
    parts = (
        emails.cast(pl.String)
        .to_frame("lower")
        .lazy()
        .with_columns(pl.col("lower").str.to_lowercase())
        # the mailbox name is everything before the last @: split at the one @ where there is one (nearly always)
        .with_columns(
            pl.col("lower").str.splitn("@", 2).alias("parts"),
            (pl.col("lower").str.count_matches("@", literal=True) == 1).alias("one"),
        )
        .with_columns(
            pl.when("one").then(pl.col("parts").struct.field("field_0")).alias("local"),
            pl.when("one").then(pl.col("parts").struct.field("field_1")).alias("domain"),
        )
        .with_columns(
            pl.when(pl.col("one").not_())
            .then(pl.col("lower").str.extract(r"^(.*)@[^@]*$", 1))
            .otherwise("local")
            .alias("local"),
            pl.when(pl.col("one").not_())
            .then(pl.col("lower").str.extract(r"@([^@]*)$", 1))
            .otherwise("domain")
            .alias("domain"),
        )
        .with_columns(
            pl.col("local").str.splitn("+", 2).struct.field("field_0").alias("untagged"),
            pl.col("domain").is_in(list(GMAIL_DOMAINS)).alias("gmail"),
        )
        .with_columns(
            pl.when(pl.col("untagged").str.len_bytes() > 0).then("untagged").otherwise("local").alias("local")
        )
        .with_columns(
            pl.when("gmail")
            .then(pl.col("local").str.replace_all(".", "", literal=True))
            .otherwise("local")
            .alias("local")
        )
        .select(
            pl.coalesce(
                pl.col("local") + pl.lit("@") + pl.when("gmail").then(pl.lit("gmail.com")).otherwise("domain"),
                "lower",
            ).alias(name)
        )
    )
    return parts.collect().to_series()


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_SPECIAL_TLDS = r"(?:arpa|invalid|local|localhost|onion|test)"
FAST = rf"^{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}$"


def _library(values: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for value in values:
        try:
            result = validate_email(value, check_deliverability=False)
            out.append({"lib_email": result.normalized, "lib_domain": result.domain})
        except EmailNotValidError:
            out.append({"lib_email": None, "lib_domain": None})
    return out


def _deliverable(domains: list[str]) -> list[dict[str, Any]]:
    from email_validator.deliverability import validate_email_deliverability

    out: list[dict[str, Any]] = []
    for domain in domains:
        try:
            validate_email_deliverability(domain, domain)
            out.append({"deliverable": True})
        except EmailNotValidError:
            out.append({"deliverable": False})
        except Exception:  # no network or a DNS failure: we do not know, so we do not flag
            out.append({"deliverable": None})
    return out


# what a value needs for ``_repaired`` to change it: angle brackets, a space, Excel's quote, mailto:, @@, a final dot
REPAIRABLE = r"(?i)[<>\s']|mailto:|@@|\.$"


def _repaired(few: pl.Series) -> pl.DataFrame:
    """The address as it should have been written (``fixed``), for values that may hold a display name, a mailto:
    link, spaces, a doubled @ or a trailing dot."""
    v = pl.col("v")
    # "Moshe Cohen <moshe@x.com>", '"Cohen, M." <moshe@x.com>': the address between the angle brackets
    bracketed = v.str.extract(r"<\s*(?:mailto:)?([^<>\s]+@[^<>\s]+?)\s*>", 1)
    # "Dana Levi dana@gmail.com": the one word that is a whole address, not the words run together into a stranger's
    # (danalevidana@gmail.com); "dana @ gmail.com" has no such word, and its spaces are only dropped
    word = r"(?:^|\s)(?:mailto:)?([^\s<>@\"]+@[^\s<>@\"]+\.[^\s<>@\".]{2,})\.?(?:\s|$)"
    one = v.str.contains(r"\S\s+\S") & (v.str.count_matches("@") == 1)
    spoken = pl.when(one).then(v.str.extract(word, 1))
    return few.to_frame("v").select(
        pl.coalesce(bracketed, spoken, v)
        .str.replace(r"(?i)^\s*mailto:([^?]*)(?:\?.*)?$", "${1}")  # mailto:x@y.com?subject=...
        .str.strip_chars("<> ")
        .str.strip_chars_start("'")  # Excel's mark of a cell kept as text
        .str.replace_all(r"\s+", "")
        .str.replace("@@+", "@")
        .str.strip_chars_end(".")
        .alias("fixed")
    )


def clean_emails(
    frame: pl.DataFrame,
    /,
    *,
    domain_typos: Mapping[str, str] | None = None,
    role_accounts: Sequence[str] = (),
    check_dns: bool = False,
) -> FieldOutcome:
    """Clean ``email`` (hygiene-cleaned strings).

    Output columns: ``email`` (normalised, or the value as it was when invalid), ``email_status`` (valid,
    invalid, disposable, role, undeliverable) and ``email_domain``.
    """
    raw = pl.col("email")
    # only values holding one of these can be repaired: the repairs (a second a million addresses) skip the rest
    repaired = on_matching(frame.get_column("email"), REPAIRABLE, _repaired).get_column("fixed")
    work = frame.select("source_row", raw.alias("raw"), pl.coalesce(repaired, raw).alias("fixed"))
    work = work.with_columns(pl.col("fixed").str.extract(r"@([^@]*)$", 1).str.to_lowercase().alias("domain_in"))
    typos = dict(domain_typos or {})
    work = work.with_columns(
        pl.col("domain_in").replace_strict(typos, default=None, return_dtype=pl.String).alias("domain_fix")
    )
    work = work.with_columns(
        pl.when(pl.col("domain_fix").is_not_null())
        .then(pl.col("fixed").str.replace(r"@[^@]*$", "") + pl.lit("@") + pl.col("domain_fix"))
        .otherwise(pl.col("fixed"))
        .alias("candidate")
    )
    fast = (
        pl.col("candidate").str.contains(FAST)
        & ~pl.col("candidate").str.contains(
            rf"(?i)\.{_SPECIAL_TLDS}$|[@.][A-Za-z0-9-]{{2}}--"  # labels with -- at 3-4 are IDNA's: the library decides
        )
        & (pl.col("candidate").str.extract(r"^([^@]*)@", 1).str.len_bytes() <= 64)
        & (pl.col("candidate").str.len_bytes() <= 254)
    )
    work = work.with_columns(
        pl.when(fast).then(pl.col("candidate").str.to_lowercase()).alias("email"),
        pl.when(fast).then(pl.col("candidate").str.extract(r"@(.*)$", 1).str.to_lowercase()).alias("email_domain"),
    )
    tail = work.select(pl.when(pl.col("email").is_null()).then(pl.col("candidate"))).to_series()
    if tail.null_count() < tail.len():
        lib = per_unique(tail, _library, {"lib_email": pl.String(), "lib_domain": pl.String()})
        work = work.with_columns(
            pl.coalesce("email", lib.get_column("lib_email").str.to_lowercase()).alias("email"),
            pl.coalesce("email_domain", lib.get_column("lib_domain")).alias("email_domain"),
        )
    local = pl.col("email").str.extract(r"^(.*)@", 1).str.to_lowercase()
    status = (
        pl.when(pl.col("raw").is_null())
        .then(pl.lit(None, pl.String))
        .when(pl.col("email").is_null())
        .then(pl.lit(Status.INVALID))
        .when(pl.col("email_domain").is_in(list(DISPOSABLE)))
        .then(pl.lit(Status.DISPOSABLE))
        .when(local.is_in(list(role_accounts)))
        .then(pl.lit(Status.ROLE))
        .otherwise(pl.lit(Status.VALID))
    )
    work = work.with_columns(status.alias("status"))
    if check_dns:
        domains = work.select(
            pl.when(pl.col("status").is_in([Status.VALID, Status.ROLE])).then("email_domain")
        ).to_series()
        dns = per_unique(domains, _deliverable, {"deliverable": pl.Boolean()})
        work = work.with_columns(
            pl.when(dns.get_column("deliverable").not_().fill_null(False))
            .then(pl.lit(Status.UNDELIVERABLE))
            .otherwise(pl.col("status"))
            .alias("status")
        )
    ok = pl.col("email").is_not_null()
    syntax_fixed = ok & (pl.col("fixed") != pl.col("raw"))
    typo_fixed = ok & pl.col("domain_fix").is_not_null()
    flags = {
        "email-syntax-repaired": syntax_fixed,
        "email-domain-typo-fixed": typo_fixed,
        "email-normalised": ok & (pl.col("email") != pl.col("raw")) & ~syntax_fixed & ~typo_fixed,
        "email-invalid": pl.col("status") == Status.INVALID,
        "email-disposable": pl.col("status") == Status.DISPOSABLE,
        "email-role-account": pl.col("status") == Status.ROLE,
        "email-undeliverable": pl.col("status") == Status.UNDELIVERABLE,
    }
    value = pl.coalesce("email", "raw")
    entries = ledger_.from_flags(work, field="email", flags=flags, before=pl.col("raw"), after=value)
    result = work.select(value.alias("email"), pl.col("status").alias("email_status"), "email_domain")
    return FieldOutcome(
        columns={c: result.get_column(c) for c in result.columns},
        entries=entries,
        usable=work.select(pl.col("status").is_in([Status.VALID, Status.ROLE]).fill_null(False)).to_series(),
    )
