"""The rules files' keys, declared once: for each section (one ``rules/*.yaml``), every key's kind, its value when
no file gives one, the values it allows and the attribute of ``pipeline.rules`` it fills.

``pipeline.rulefile`` checks a file, builds the frozen rules and writes them back out (``dump_rules``) from these
declarations alone, so a new setting is one line here, one field in ``pipeline.rules`` and (to ship a value) one
line in ``rules/*.yaml``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pipeline.catalogue import CATALOGUE
from pipeline.fields import FIELDS
from pipeline.rawtable import MAX_CELLS, MAX_COLUMNS
from pipeline.rules import MAPPABLE, FieldPattern
from pipeline.stages.dedupe.blocking import BLOCKING_KEYS
from pipeline.stages.dedupe.decide import HARD_RULES
from pipeline.stages.dedupe.survive import SURVIVORSHIP

# kinds of value: what a file may hold, and what the rules object holds
#   texts      list of text            -> tuple[str, ...]           ints     list of whole numbers -> tuple[int, ...]
#   int        whole number            -> int                       number   number -> float
#   text       text                    -> str                       path     file path or null -> str | None
#   map        text -> text            -> Mapping[str, str]         lists    name -> list of text
#   choice     one of ``allowed``      -> str                       choices  list, each one of ``allowed``
#   choice_map name -> one of allowed  -> Mapping[str, str]         weights  name -> number
#   pairs      list of [from, to]      -> tuple[tuple[int, int]]    segments RFM segment rows
#   date       'latest_purchase' or a date                          severities  check code -> severity
#   wordlists  any name -> list of text                             patterns  field -> {any: [[class]], also, not}
KINDS = frozenset(
    {
        "wordlists",
        "patterns",
        "texts",
        "ints",
        "int",
        "number",
        "text",
        "path",
        "map",
        "lists",
        "choice",
        "choices",
        "choice_map",
        "weights",
        "pairs",
        "segments",
        "date",
        "severities",
    }
)


@dataclass(frozen=True)
class Key:
    """One key of a rules file.

    Attributes:
        kind: one of ``KINDS``.
        attr: the attribute of the section's rules object it fills; ``attr[item]`` puts it into a mapping
            attribute under ``item`` (``gender.M`` -> ``gender_values["M"]``).
        default: the value when no rules file gives one (as a file would write it).
        allowed: the values (or, for mappings, the keys) it may take.
        lo, hi: bounds for a number (inclusive unless ``open_range``).
        lower: text values are lower-cased when read.
        item: see ``attr``.
        noun: what one allowed value is called in an error message.
    """

    kind: str
    attr: str
    default: Any = None
    allowed: tuple[str, ...] | None = None
    values: tuple[str, ...] | None = None  # for choice_map: the values allowed
    lo: float | None = None
    hi: float | None = None
    open_range: bool = False
    lower: bool = False
    item: str | None = None
    noun: str = "value"  # what one allowed value is called in an error ("unknown hard rule 'x'")

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r} for {self.attr}")


Spec = Mapping[str, "Key | Spec"]


def _prob(attr: str, default: float) -> Key:
    return Key("number", attr, default, lo=0, hi=1, open_range=True)


SPECS: dict[str, Spec] = {
    "columns": {
        "fuzzy_threshold": Key("number", "fuzzy_threshold", 88.0, lo=50, hi=100),
        "fuzzy_min_length": Key("int", "fuzzy_min_length", 4),
        "fields": Key("lists", "aliases", {}, allowed=(*FIELDS, *MAPPABLE), noun="field"),
        # reading a header as words (pipeline.mapping.words): word classes, the patterns of classes that name a
        # field, classes that say nothing, and how sure a mapping must be to be applied
        "words": Key("wordlists", "words", {}),
        "patterns": Key("patterns", "patterns", {}, allowed=(*FIELDS, *MAPPABLE), noun="field"),
        "neutral": Key("texts", "neutral", []),
        "min_confidence": Key("number", "min_confidence", 0.8, lo=0, hi=1),
        "min_confidence_other": Key("number", "min_confidence_other", 0.5, lo=0, hi=1),
        "word_fuzzy_threshold": Key("number", "word_fuzzy_threshold", 85.0, lo=50, hi=100),
    },
    "checks": {
        "placeholders": Key("texts", "placeholders", []),
        "identity_fields": Key(
            "choices",
            "identity_fields",
            ["member_id", "national_id", "phone_mobile", "phone_other", "email"],
            allowed=tuple(FIELDS),
            noun="field",
        ),
        "severity": Key("severities", "severity", {}, allowed=tuple(CATALOGUE)),
        "min_age": Key("int", "min_age", 16),
        "max_age": Key("int", "max_age", 120),
        "quarantine_on": Key("choices", "quarantine_on", [], allowed=tuple(CATALOGUE), noun="check"),
        # what a member file may span (ingest refuses beyond)
        "max_cells": Key("int", "max_cells", MAX_CELLS, lo=1),
        "max_columns": Key("int", "max_columns", MAX_COLUMNS, lo=1),
    },
    "fields": {
        "phones": {
            "fake_numbers": Key("texts", "phone_fake_numbers", []),
            "max_members_per_number": Key("int", "phone_max_members_per_number", 25),
        },
        "national_id": {
            "min_digits": Key("int", "national_id_min_digits", 7),
            "fakes": Key("texts", "national_id_fakes", []),
        },
        "emails": {
            "domain_typos": Key("map", "email_domain_typos", {}, lower=True),
            "role_accounts": Key("texts", "email_role_accounts", [], lower=True),
        },
        "gender": {
            "M": Key("texts", "gender_values", [], lower=True, item="M"),
            "F": Key("texts", "gender_values", [], lower=True, item="F"),
        },
        "consent": {
            "yes": Key("texts", "consent_yes", [], lower=True),
            "no": Key("texts", "consent_no", [], lower=True),
            "not_opted_out": Key("texts", "opt_out_no", [], lower=True),
        },
        "dates": {
            "birth_placeholders": Key("texts", "birth_placeholders", []),
            "two_digit_year_pivot": Key("int", "two_digit_year_pivot", 0),
        },
        "places": {
            "fuzzy_threshold": Key("number", "places_fuzzy_threshold", 88.0),
            "street_fuzzy_threshold": Key("number", "street_fuzzy_threshold", 85.0),
            "cbs_file": Key("path", "places_cbs_file", None),
            "aliases": Key("map", "places_aliases", {}),
        },
        "names": {
            "honorifics": Key("texts", "honorifics", []),
            "deceased": Key("texts", "deceased_markers", []),
            "blessings": Key("texts", "blessings", []),
            "test_entries": Key("texts", "test_entries", [], lower=True),
        },
    },
    "scoring": {
        "reference_date": Key("date", "reference_date", "latest_purchase"),
        "age_bands": Key("pairs", "age_bands", [[16, 24], [25, 34], [35, 44], [45, 54], [55, 64], [65, 120]]),
        "email_domains": {
            "free_webmail": Key("texts", "free_webmail", [], lower=True),
            "israeli_isp": Key("texts", "israeli_isp", [], lower=True),
        },
        "gender_inference": {
            "female": Key("number", "gender_female", 0.95),
            "male": Key("number", "gender_male", 0.05),
            "min_bearers": Key("int", "gender_min_bearers", 50),
        },
        "rfm": {
            "frequency_bins": Key("ints", "frequency_bins", [1, 2, 4, 9]),
            "segments": Key("segments", "segments", []),
        },
        "value": {
            "model": Key("choice", "value_model", "bgnbd", allowed=("mbgnbd", "bgnbd", "simple"), noun="value model"),
            "forecast_horizons_days": Key("ints", "forecast_horizons_days", [90, 180, 365]),
            "clv_horizon_months": Key("int", "clv_horizon_months", 36),
            "discount_rate_annual": Key("number", "discount_rate_annual", 0.10),
            "margin": Key("number", "margin", 1.0),
            "min_repeat_buyers": Key("int", "min_repeat_buyers", 200),
            "fit_members_max": Key("int", "fit_members_max", 250_000),
            "min_tenure_years": Key("number", "min_tenure_years", 0.25),
        },
        "churn": {
            "horizon_days": Key("int", "churn_horizon_days", 90),
            "high_below": Key("number", "churn_high_below", 0.15),
            "medium_below": Key("number", "churn_medium_below", 0.40),
            "lapse_percentile": Key("number", "lapse_percentile", 0.8),
            "personal_gap_multiple": Key("number", "personal_gap_multiple", 2.0),
            "lapsed_days": Key("ints", "lapsed_days", [90, 180, 365]),
        },
        "quality": {
            "weights": Key("weights", "quality_weights", {}),
            "grades": Key("weights", "grades", {}),
        },
    },
    "dedupe": {
        "blocking": {
            "max_block_size": Key("int", "max_block_size", 40),
            "max_pairs_per_record": Key("number", "max_pairs_per_record", 3.0),
            "keys": Key("choices", "keys", list(BLOCKING_KEYS), allowed=BLOCKING_KEYS, noun="blocking key"),
        },
        "thresholds": {
            "merge": _prob("merge", 0.95),
            "merge_without_identifier": _prob("merge_without_identifier", 0.999),
            "review": _prob("review", 0.40),
        },
        "comparison": {
            "name_close": Key("number", "name_close", 0.92, lo=0, hi=1),
            "name_near": Key("number", "name_near", 0.80, lo=0, hi=1),
            "swap_margin": Key("number", "swap_margin", 0.2, lo=0, hi=2),
            "email_close": Key("number", "email_close", 0.9, lo=0, hi=1),
            "street_close": Key("number", "street_close", 90.0, lo=0, hi=100),
            "birth_date_slip_days": Key("int", "birth_date_slip_days", 366),
        },
        "hard_rules": Key("choices", "hard_rules", list(HARD_RULES), allowed=HARD_RULES, noun="hard rule"),
        "clustering": {"max_checked_component": Key("int", "max_checked_component", 400)},
        "model": {
            "u_sample_pairs": Key("int", "u_sample_pairs", 200_000),
            "em_iterations": Key("int", "em_iterations", 30),
            "prior_records": Key("int", "prior_records", 2_000),
            "seed": Key("int", "seed", 1),
        },
        "survivorship": {
            "default": Key("choice", "survivorship_default", "most_complete", allowed=SURVIVORSHIP, noun="rule"),
            "fields": Key(
                "choice_map", "survivorship", {}, allowed=(*FIELDS, "deceased"), values=SURVIVORSHIP, noun="rule"
            ),
        },
    },
}


def leaves(spec: Spec, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Key]]:
    """Every key of a section, with its path from the section's top."""
    out: list[tuple[tuple[str, ...], Key]] = []
    for name, node in spec.items():
        if isinstance(node, Key):
            out.append(((*path, name), node))
        else:
            out += leaves(node, (*path, name))
    return out


# how a kind's file value becomes the rules object's value (after checking)
def _texts(key: Key, value: Any) -> tuple[str, ...]:
    return tuple(str(v).lower() if key.lower else str(v) for v in value or ())


CONVERT: dict[str, Callable[[Key, Any], Any]] = {
    "texts": _texts,
    "choices": _texts,
    "ints": lambda key, value: tuple(int(v) for v in value),
    "int": lambda key, value: int(value),
    "number": lambda key, value: float(value),
    "text": lambda key, value: str(value),
    "date": lambda key, value: str(value),
    "path": lambda key, value: None if value is None else str(value),
    "choice": lambda key, value: str(value),
    "map": lambda key, value: {
        (str(k).lower() if key.lower else str(k)): (str(v).lower() if key.lower else str(v))
        for k, v in (value or {}).items()
    },
    "choice_map": lambda key, value: {str(k): str(v) for k, v in (value or {}).items()},
    "severities": lambda key, value: dict(value or {}),
    "weights": lambda key, value: {str(k): float(v) for k, v in (value or {}).items()},
    "lists": lambda key, value: {str(k): tuple(str(a) for a in v or ()) for k, v in (value or {}).items()},
    "pairs": lambda key, value: tuple((int(a), int(b)) for a, b in value),
    "segments": lambda key, value: tuple(value or ()),  # Segment objects: built by pipeline.rulefile
    "wordlists": lambda key, value: {str(k): tuple(str(a) for a in v or ()) for k, v in (value or {}).items()},
    "patterns": lambda key, value: {
        str(name): FieldPattern(
            any=tuple(tuple(str(c) for c in one or ()) for one in (p or {}).get("any") or ()),
            also=tuple(str(c) for c in (p or {}).get("also") or ()),
            not_=tuple(str(c) for c in (p or {}).get("not") or ()),
        )
        for name, p in (value or {}).items()
    },
}
