"""What the rules are: typed, frozen objects, one per rules file (``rules/*.yaml``).

The stages read these; ``pipeline.rulefile`` reads, checks and merges the YAML files into them. No field has a
default here: each key's kind, default and allowed values are declared once, in ``pipeline.rulespec``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

SECTIONS = ("columns", "checks", "fields", "scoring", "gates", "dedupe")


# A consent column that names no channel: mapped to every consent field without a column of its own.
GENERAL_CONSENT = "marketing_consent"
# Columns that record a refusal (opt-out, unsubscribed, "לא מאשר"): never consent, only its withdrawal. Each takes
# consent away from the channels it names (None: every channel); it never gives consent, since not having opted out
# is not the explicit consent the anti-spam law asks for.
OPT_OUTS: dict[str, str | None] = {
    "sms_opt_out": "sms_consent",
    "email_opt_out": "email_consent",
    "marketing_opt_out": None,
}
MAPPABLE = (GENERAL_CONSENT, *OPT_OUTS)  # what a column may be mapped to besides a canonical field


@dataclass(frozen=True)
class FieldPattern:
    """The word classes that name a field (``columns.yaml`` ``patterns``): one ``any`` set must all be present."""

    any: tuple[tuple[str, ...], ...]
    also: tuple[str, ...] = ()
    not_: tuple[str, ...] = ()


@dataclass(frozen=True)
class ColumnRules:
    """Which headers each canonical field is known by: exact aliases, and word classes with patterns."""

    aliases: Mapping[str, tuple[str, ...]]
    fuzzy_threshold: float
    fuzzy_min_length: int
    words: Mapping[str, tuple[str, ...]]
    patterns: Mapping[str, FieldPattern]
    neutral: tuple[str, ...]
    min_confidence: float
    min_confidence_other: float
    word_fuzzy_threshold: float
    # consent values (fields.yaml ``consent``), to recognise a yes/no column by its values: not a key of
    # columns.yaml, filled from the fields section when the rules are built
    yes_no: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckRules:
    placeholders: tuple[str, ...]
    identity_fields: tuple[str, ...]
    severity: Mapping[str, str]
    min_age: int
    max_age: int
    quarantine_on: tuple[str, ...]
    max_cells: int  # a sheet spanning more is refused before it is loaded
    max_columns: int  # a header wider is refused


@dataclass(frozen=True)
class FieldRules:
    """Per-field vocabularies and parameters (``fields.yaml``)."""

    phone_fake_numbers: tuple[str, ...]
    phone_max_members_per_number: int
    national_id_min_digits: int
    national_id_fakes: tuple[str, ...]
    email_domain_typos: Mapping[str, str]
    email_role_accounts: tuple[str, ...]
    gender_values: Mapping[str, tuple[str, ...]]
    consent_yes: tuple[str, ...]
    consent_no: tuple[str, ...]
    opt_out_no: tuple[str, ...]  # values of an opt-out column that say the member did not opt out
    birth_placeholders: tuple[str, ...]
    two_digit_year_pivot: int
    places_fuzzy_threshold: float
    street_fuzzy_threshold: float
    places_cbs_file: str | None
    places_aliases: Mapping[str, str]
    honorifics: tuple[str, ...]
    deceased_markers: tuple[str, ...]
    blessings: tuple[str, ...]
    test_entries: tuple[str, ...]


@dataclass(frozen=True)
class Segment:
    name: str
    r: tuple[int, int]
    f: tuple[int, int]
    m: tuple[int, int]


@dataclass(frozen=True)
class ScoringRules:
    """Enrichment and scoring parameters (``scoring.yaml``)."""

    reference_date: str
    age_bands: tuple[tuple[int, int], ...]
    free_webmail: tuple[str, ...]
    israeli_isp: tuple[str, ...]
    gender_female: float
    gender_male: float
    gender_min_bearers: int
    frequency_bins: tuple[int, ...]
    segments: tuple[Segment, ...]
    margin: float
    min_tenure_years: float
    value_model: str  # bgnbd | mbgnbd | simple (pipeline.stages.value)
    forecast_horizons_days: tuple[int, ...]
    clv_horizon_months: int
    discount_rate_annual: float
    min_repeat_buyers: int
    fit_members_max: int
    churn_horizon_days: int
    churn_high_below: float
    churn_medium_below: float
    lapse_percentile: float
    personal_gap_multiple: float
    lapsed_days: tuple[int, ...]
    quality_weights: Mapping[str, float]
    grades: Mapping[str, float]


@dataclass(frozen=True)
class DedupeRules:
    """Deduplication parameters (``dedupe.yaml``)."""

    max_block_size: int
    max_pairs_per_record: float
    keys: tuple[str, ...]
    merge: float
    merge_without_identifier: float
    review: float
    name_close: float  # Jaro-Winkler of two names at or above: close (level 2)
    name_near: float  # ... at or above: near (level 1)
    swap_margin: float  # first and last name read swapped when that scores this much better
    email_close: float  # Jaro-Winkler of two e-mail addresses at or above: level 1
    street_close: float  # token-set ratio (0-100) of two streets at or above: level 1
    birth_date_slip_days: int  # birth dates at most this far apart, on one e-mail or mobile, are one date mistyped
    hard_rules: tuple[str, ...]
    u_sample_pairs: int
    em_iterations: int
    prior_records: int  # the prior is worked out as if the file held at least this many records
    max_checked_component: int  # merge components up to this size are checked pair by pair for cannot-links
    seed: int
    survivorship_default: str
    survivorship: Mapping[str, str]


@dataclass(frozen=True)
class Gate:
    name: str
    metric: str
    direction: Literal["min", "max"]
    warn: float | None = None
    fail: float | None = None
    max_drop: float | None = None


@dataclass(frozen=True)
class Rules:
    columns: ColumnRules
    checks: CheckRules
    fields: FieldRules
    scoring: ScoringRules
    gates: tuple[Gate, ...]
    dedupe: DedupeRules
    sources: tuple[str, ...] = ()  # the files these rules were read from
