"""What the rules are: typed, frozen objects, one per rules file (``rules/*.yaml``).

The stages read these; ``pipeline.rulefile`` reads, checks and merges the YAML files into them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from pipeline.gates import Gate

SECTIONS = ("columns", "checks", "fields", "scoring", "gates", "dedupe")


@dataclass(frozen=True)
class ColumnRules:
    """Which headers each canonical field is known by."""

    aliases: Mapping[str, tuple[str, ...]]
    fuzzy_threshold: float = 88.0
    fuzzy_min_length: int = 4


@dataclass(frozen=True)
class CheckRules:
    placeholders: tuple[str, ...] = ()
    identity_fields: tuple[str, ...] = ("member_id", "national_id", "phone_mobile", "phone_other", "email")
    severity: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    min_age: int = 16
    max_age: int = 120
    quarantine_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class FieldRules:
    """Per-field vocabularies and parameters (``fields.yaml``)."""

    phone_fake_numbers: tuple[str, ...] = ()
    phone_max_members_per_number: int = 25
    national_id_min_digits: int = 7
    national_id_fakes: tuple[str, ...] = ()
    email_domain_typos: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    email_role_accounts: tuple[str, ...] = ()
    gender_values: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    consent_yes: tuple[str, ...] = ()
    consent_no: tuple[str, ...] = ()
    birth_placeholders: tuple[str, ...] = ()
    two_digit_year_pivot: int = 0
    places_fuzzy_threshold: float = 88.0
    places_cbs_file: str | None = None
    places_aliases: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    honorifics: tuple[str, ...] = ()
    deceased_markers: tuple[str, ...] = ()
    blessings: tuple[str, ...] = ()
    test_entries: tuple[str, ...] = ()


@dataclass(frozen=True)
class Segment:
    name: str
    r: tuple[int, int]
    f: tuple[int, int]
    m: tuple[int, int]


@dataclass(frozen=True)
class ScoringRules:
    """Enrichment and scoring parameters (``scoring.yaml``)."""

    reference_date: str = "latest_purchase"
    age_bands: tuple[tuple[int, int], ...] = ((16, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, 120))
    free_webmail: tuple[str, ...] = ()
    israeli_isp: tuple[str, ...] = ()
    gender_female: float = 0.95
    gender_male: float = 0.05
    gender_min_bearers: int = 50
    frequency_bins: tuple[int, ...] = (1, 2, 4, 9)
    segments: tuple[Segment, ...] = ()
    lifespan_years: float = 3.0
    margin: float = 1.0
    min_tenure_years: float = 0.25
    lapse_percentile: float = 0.8
    personal_gap_multiple: float = 2.0
    lapsed_days: tuple[int, ...] = (90, 180, 365)
    quality_weights: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    grades: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))


SURVIVORSHIP = (
    "most_complete",
    "most_frequent",
    "most_recent",
    "valid_most_recent",
    "sum",
    "earliest",
    "latest",
    "all_true",
    "any_true",
)
BLOCKING_KEYS = (  # in the order they spend the comparison budget; pipeline.stages.dedupe.blocking builds each
    "phone",
    "email",
    "national_id",
    "name_birth_date",
    "skeleton_birth_year",
    "name_part_birth_date",
    "name",
    "name_city",
    "last_name_street",
    "zip_house",
    "address_birth_date",
    "national_id_typo",
)


# the "never merge" rules (``dedupe.yaml`` ``hard_rules``): two different valid ID numbers; clearly different birth
# dates (not one typo apart) under no shared ID number; a household (a shared phone or address) with different
# first names under no shared ID number
HARD_RULES = ("two_ids", "birth_dates", "household")


@dataclass(frozen=True)
class DedupeRules:
    """Deduplication parameters (``dedupe.yaml``)."""

    max_block_size: int = 40
    max_pairs_per_record: float = 4.0
    keys: tuple[str, ...] = BLOCKING_KEYS
    merge: float = 0.95
    merge_without_identifier: float = 0.999
    review: float = 0.60
    hard_rules: tuple[str, ...] = HARD_RULES
    u_sample_pairs: int = 200_000
    em_iterations: int = 30
    seed: int = 1
    survivorship_default: str = "most_complete"
    survivorship: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Rules:
    columns: ColumnRules
    checks: CheckRules
    fields: FieldRules = field(default_factory=FieldRules)
    scoring: ScoringRules = field(default_factory=ScoringRules)
    gates: tuple[Gate, ...] = ()
    dedupe: DedupeRules = field(default_factory=DedupeRules)
    sources: tuple[str, ...] = ()
