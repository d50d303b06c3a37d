"""Scoring: a Fellegi-Sunter model. u (chance agreement) from random pairs, m and the prior by EM on the
candidate pairs, as Splink does; exact name agreement is weighted by how common the name is (two כהן agree by
chance far more often than two ויסמן)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from pipeline.rules import DedupeRules
from pipeline.stages.dedupe.compare import COMPARISONS, compare, in_slices
from pipeline.stages.dedupe.encode import Encoded, encode

_FLOOR = 1e-4
# What a small file cannot tell: u is smoothed towards "random records disagree" with this many pseudo-pairs, and a
# name's frequency towards the average chance agreement with this many pseudo-records. On a file of thousands both
# vanish in the data; on a file of ten they keep two random records from looking like a match.
_PSEUDO_PAIRS = 1_000
_PSEUDO_RECORDS = 1_000
_CHANCE = 1e-3  # prior chance that two random records agree on a level that is not "different"


@dataclass(frozen=True)
class Model:
    m: dict[str, np.ndarray]
    u: dict[str, np.ndarray]
    prior: float  # the chance that two random records match (what the weights of random-pair u are relative to)
    candidate_prior: float  # the share of matches among the candidate pairs, as EM found it
    iterations: int


def _levels(frame: pl.DataFrame) -> np.ndarray:
    return np.column_stack([frame.get_column(f"lvl_{c}").to_numpy() for c in COMPARISONS]).astype(np.int8)


def estimate_u(records: pl.DataFrame, *, rules: DedupeRules, encoded: Encoded | None = None) -> dict[str, np.ndarray]:
    """Level frequencies among random pairs of records (nearly all non-matches); for the personal identifiers,
    the chance of the same value counted over every pair of the file (``counted_agreement``)."""
    encoded = encoded or encode(records)
    n = records.height
    rng = np.random.default_rng(rules.seed)
    size = min(rules.u_sample_pairs, max(n * (n - 1) // 2, 1))
    i = rng.integers(0, n, size=size)
    j = rng.integers(0, n, size=size)
    keep = i != j
    pairs = pl.DataFrame({"i": np.minimum(i, j)[keep], "j": np.maximum(i, j)[keep]}).cast(pl.UInt32).unique()
    levels = _levels(compare(records, pairs, rules=rules, encoded=encoded))
    u = {}
    for k, (name, count) in enumerate(COMPARISONS.items()):
        col = levels[:, k]
        seen = col[col >= 0]
        prior = np.full(count, _CHANCE)
        prior[0] = 1 - _CHANCE * (count - 1)
        freq = np.bincount(seen, minlength=count).astype(float) + _PSEUDO_PAIRS * prior  # no level is impossible
        u[name] = np.maximum(freq / freq.sum(), _FLOOR)
    for name, chance in counted_agreement(encoded.coded).items():
        top = u[name].copy()
        top[-1] = chance
        top[0] += u[name][-1] - chance  # what the sample gave the top level is "different" instead
        u[name] = top
    return u


def counted_agreement(coded: pl.DataFrame) -> dict[str, float]:
    """The top level's u of the two personal identifiers, an ID number and an e-mail address, and of one home,
    counted over every pair of the file rather than sampled: of the pairs of records that hold one, the share whose
    values agree (the sum of c(c-1)/2 over the count c of each value, over n(n-1)/2 for the n records holding one;
    void ID numbers do not count, as in ``lvl_national_id``). Smoothed as the sampled levels are (``_PSEUDO_PAIRS``
    pairs at ``_CHANCE``), so a small file is not certain of it.

    Two of a million records share an ID number by chance about once in a million million pairs, a rate no sample
    of 200,000 pairs can see: the sampled u, floored at ``_FLOOR``, weighed an agreeing ID number at 13 bits against
    a prior of -22, and two records of one ID number, one first and last name and one town went to review at 0.87
    (167 such true pairs at a million members). The larger the club, the lower the prior: a floored identifier
    would count for less and less.

    The address's top level (one home) is counted the same way, over the records that name a street, a house number
    and a locality: at a million members two random records share a home about once in a million pairs, and the
    sampled u, floored at ``_FLOOR``, made one home worth 6 bits less than it is. (The three address comparisons
    it replaced made up for the floor by counting one home three times.)

    The phone stays sampled: when its top level was any shared valid number, a household's landline too, a father
    and son of one name at one address, on one landline, merged once it was counted this way. Its top level is now
    a shared mobile; whether that can be counted over the file was not measured. The birth date stays sampled too:
    twins share it."""
    home = ("street", "house", "city")
    held = {
        "national_id": coded.get_column("nid").filter(~coded.get_column("id_void")),
        "email": coded.get_column("email"),
        "address": coded.filter(pl.all_horizontal(pl.col(home).is_not_null())).select(pl.struct(home)).to_series(),
    }
    out = {}
    for name, values in held.items():
        counts = values.drop_nulls().value_counts().get_column("count").cast(pl.Float64).to_numpy()
        agree = float((counts * (counts - 1) / 2).sum())
        n = float(counts.sum())
        out[name] = (agree + _PSEUDO_PAIRS * _CHANCE) / (n * (n - 1) / 2 + _PSEUDO_PAIRS)
    return out


def level_counts(compared: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The distinct level vectors among the pairs (one row each, in the order of their codes) and how many pairs
    have each: a few thousand rows, counted by polars without a matrix of the millions of pairs."""
    names = list(COMPARISONS)
    radix = max(COMPARISONS.values()) + 1  # levels run from -1, so level + 1 is one digit in this base
    code = pl.sum_horizontal([(pl.col(f"lvl_{c}").cast(pl.Int64) + 1) * radix**k for k, c in enumerate(names)]).alias(
        "code"
    )
    counted = compared.select(code).group_by("code").len().sort("code")
    codes = counted.get_column("code").to_numpy()
    levels = ((codes[:, None] // radix ** np.arange(len(names), dtype=np.int64)) % radix - 1).astype(np.int8)
    return levels, counted.get_column("len").to_numpy()


def estimate_m(compared: pl.DataFrame, u: dict[str, np.ndarray], *, iterations: int, records: int) -> Model:
    """EM on the candidate pairs (``compared``, with their ``lvl_`` columns) for m and the prior.

    Every candidate pair agrees on some blocking key, so with u fixed at its random-pair value nothing could
    explain a non-matching candidate and the fit collapses (prior -> 1). The non-match class therefore gets its
    own distribution during EM (started from the random-pair u); the returned ``u`` stays the random-pair one,
    the true chance agreement used for scoring.

    Weights from random-pair u are relative to all pairs, so the prior they start from is the chance that two
    random records match (Splink's lambda): the matches EM found among the candidates over all ``records``
    choose 2 pairs. Starting from the share among candidates instead would count the blocking evidence twice
    and merge any two namesakes. ``records`` is the file's size, or the rules' ``prior_records`` where the file is
    smaller, so that a pair in a small file is decided on its evidence as in a club's whole file.
    """
    names = list(COMPARISONS)
    n_pairs = compared.height
    # levels are discrete: EM over the distinct level vectors, each weighted by how many pairs share it, is the
    # same fit as over every pair, in a few thousand rows instead of millions
    levels, count = level_counts(compared)
    weight = count.astype(float)
    m = {c: np.linspace(0.05, 1.0, COMPARISONS[c]) ** 3 for c in names}
    m = {c: v / v.sum() for c, v in m.items()}
    u_class = {c: u[c].copy() for c in names}
    prior = 0.3
    done = 0
    for step in range(1, iterations + 1):
        done = step
        log_m = np.zeros(len(levels))
        log_u = np.zeros(len(levels))
        for k, c in enumerate(names):
            lv = levels[:, k]
            ok = lv >= 0
            log_m[ok] += np.log(m[c][lv[ok]])
            log_u[ok] += np.log(u_class[c][lv[ok]])
        a = np.log(prior) + log_m
        b = np.log1p(-prior) + log_u
        post = 1 / (1 + np.exp(np.clip(b - a, -60, 60)))
        new_prior = float(np.clip((post * weight).sum() / weight.sum(), 1e-6, 1 - 1e-6))
        new_m, new_u = {}, {}
        for k, c in enumerate(names):
            lv = levels[:, k]
            ok = lv >= 0
            counts = np.bincount(lv[ok], weights=(post * weight)[ok], minlength=COMPARISONS[c]) + 1e-3
            new_m[c] = np.maximum(counts / counts.sum(), _FLOOR)
            counts = np.bincount(lv[ok], weights=((1 - post) * weight)[ok], minlength=COMPARISONS[c]) + 1e-3
            new_u[c] = np.maximum(counts / counts.sum(), _FLOOR)
        shift = max(abs(new_prior - prior), *(np.abs(new_m[c] - m[c]).max() for c in names))
        m, u_class, prior = new_m, new_u, new_prior
        if shift < 1e-5:
            break
    all_pairs = max(records * (records - 1) / 2, 1.0)
    global_prior = float(np.clip(prior * n_pairs / all_pairs, 1e-12, 0.5))
    return Model(m=m, u=u, prior=global_prior, candidate_prior=prior, iterations=done)


SCORE_CHUNK_PAIRS = 2_000_000


def score_pairs(compared: pl.DataFrame, records: pl.DataFrame, model: Model) -> pl.DataFrame:
    """Match weight per comparison, total weight and probability for every pair (term-frequency adjusted).

    The pairs are scored a slice at a time: the working arrays (a float per pair for each step of each field's
    weight) are a slice's, not tens of millions of pairs' (several GB at ten million members)."""
    n = max(records.height, 1)
    exact_weight = {}  # per record: the weight of agreeing exactly on its name, by how common the name is
    for c in ("first_name", "last_name"):
        key = f"{c}_key"
        # the chance that another random record has this name: leave-one-out, shrunk towards the average
        chance = float(model.u[c][-1])
        freq = (
            records.group_by(key)
            .len()
            .with_columns(((pl.col("len") - 1 + _PSEUDO_RECORDS * chance) / (n - 1 + _PSEUDO_RECORDS)).alias("tf"))
        )
        tf = (
            records.select("__i", key)
            .join(freq, on=key, how="left")
            .sort("__i")
            .get_column("tf")
            .fill_null(1 / n)
            .to_numpy()
        )
        exact_weight[c] = np.log2(model.m[c][-1] / np.maximum(tf, _FLOOR))
    return in_slices(compared, SCORE_CHUNK_PAIRS, lambda part: _score_slice(part, model, exact_weight))


def _score_slice(compared: pl.DataFrame, model: Model, exact_weight: dict[str, np.ndarray]) -> pl.DataFrame:
    levels = _levels(compared)
    weights = {}
    total = np.full(len(levels), np.log2(model.prior / (1 - model.prior)))
    for k, c in enumerate(COMPARISONS):
        lv = levels[:, k]
        weight = np.zeros(len(lv))
        ok = lv >= 0
        weight[ok] = np.log2(model.m[c][lv[ok]] / model.u[c][lv[ok]])
        if c in exact_weight:  # how common the agreeing name is, instead of the average
            # in straight order the agreeing value is the same on both sides, so its frequency is symmetric
            exact = (lv == COMPARISONS[c] - 1) & ~compared.get_column("__swap").to_numpy()
            weight[exact] = exact_weight[c][compared.get_column("i").to_numpy()[exact]]
        total += weight
        # 32-bit: three decimals need no more, and millions of pairs carry nine of these
        weights[f"w_{c}"] = np.round(weight, 3).astype(np.float32)
    prob = 1 / (1 + np.power(2.0, -np.clip(total, -60, 60)))
    return compared.with_columns(
        *[pl.Series(name, w) for name, w in weights.items()],
        pl.Series("match_weight", np.round(total, 3).astype(np.float32)),
        pl.Series("match_probability", prob),
    )
