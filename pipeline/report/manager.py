"""The figures a club's marketing manager acts on, for the report's first screen (``report.json`` ``overview``).

How many members can be reached today, what the unreachable ones are worth, the three actions that would gain the
most reach, and alarms for figures that are almost certainly a mapping problem rather than the club's truth.
Built from the clean member table and the reach funnels; codes, not sentences (the report words them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import polars as pl

from pipeline.fields import Status

ACTIONS_SHOWN: Final = 3
# the funnels' last step: alive, of the club's minimum age, and all the steps before
REACHABLE: Final = "alive, of age: reachable"
# fewer birth dates than this, and one shared year is too little to call a mapping error
SAME_AGE_MIN_MEMBERS: Final = 20


def overview(
    members: pl.DataFrame, /, *, reach: Mapping[str, Sequence[Sequence[Any]]], mapped: Mapping[str, str]
) -> dict[str, Any]:
    """The first screen's figures: ``reachable`` per channel (valid, consented, alive) and by any of them,
    ``value`` (lifetime value of the members no channel reaches), ``actions`` (most reach gained first) and
    ``alarms``."""
    return {
        "reachable": _reachable(members, reach),
        "value": _value(members),
        "actions": _actions(reach)[:ACTIONS_SHOWN],
        "alarms": _alarms(members, reach=reach, mapped=mapped),
    }


def reach_funnels(members: pl.DataFrame) -> dict[str, list[list[Any]]]:
    """Members who can be reached per channel, step by step (each step keeps only those who passed before), from
    the number of members down: [["members", 1200], ["with a mobile", 1100], ...]. The last step is enrichment's
    ``contact_{channel}``, what ``scrub`` starts from: alive and of the club's minimum age (an audit found the
    report counting three 12-year-olds as reachable by SMS that ``scrub`` removed)."""
    if not {"contact_sms", "contact_email"} <= set(members.columns):  # a table enrichment has not seen
        return {}
    steps = {
        "sms": [
            ("with a mobile", pl.col("phone_mobile").is_not_null()),
            (
                "valid mobile",
                (pl.col("phone_mobile_status") == Status.VALID) & (pl.col("phone_mobile_type") == "mobile"),
            ),
            ("SMS consent", pl.col("sms_consent")),
            (REACHABLE, pl.col("contact_sms")),
        ],
        "email": [
            ("with an e-mail", pl.col("email").is_not_null()),
            ("valid personal address", pl.col("email_status") == Status.VALID),
            ("e-mail consent", pl.col("email_consent")),
            (REACHABLE, pl.col("contact_email")),
        ],
    }
    # every step a column as long as the table: a literal (`pl.lit(True)`) sums to 1, not to the members
    counts: dict[str, pl.Expr] = {}
    for channel, chain in steps.items():
        passed = pl.repeat(True, pl.len())
        for k, (_, condition) in enumerate(chain):
            passed = passed & condition.fill_null(False)
            counts[f"{channel}{k}"] = passed.sum()
    row = members.select(**counts).row(0, named=True)
    return {
        channel: [
            ["members", members.height],
            *[[label, int(row[f"{channel}{k}"])] for k, (label, _) in enumerate(chain)],
        ]
        for channel, chain in steps.items()
    }


def _reachable_expr(columns: Sequence[str]) -> dict[str, pl.Expr]:
    """Per channel, enrichment's verdict (``contact_sms``, ``contact_email``: a valid address, consent, alive, of
    the club's minimum age), as the funnels and ``scrub`` read it."""
    return {c: pl.col(f"contact_{c}").fill_null(False) for c in ("sms", "email") if f"contact_{c}" in columns}


def _reachable(members: pl.DataFrame, reach: Mapping[str, Sequence[Sequence[Any]]]) -> dict[str, int]:
    """Members a campaign can reach today per channel (the funnel's last step) and by SMS or e-mail."""
    out = {channel: int(steps[-1][1]) for channel, steps in reach.items() if steps}
    exprs = _reachable_expr(members.columns)
    if exprs:
        any_ = pl.any_horizontal(*exprs.values()).sum()
        out["any"] = int(members.select(any_).item())
    return out


def _value(members: pl.DataFrame) -> dict[str, float]:
    """Lifetime value (``clv``) of all members, and of those no channel can reach today."""
    if "clv" not in members.columns:
        return {}
    exprs = _reachable_expr(members.columns)
    reachable = pl.any_horizontal(*exprs.values()) if exprs else pl.lit(False)
    row = members.select(
        total=pl.col("clv").sum(),
        unreachable=pl.col("clv").filter(~reachable).sum(),
    ).row(0, named=True)
    return {
        "total_clv": round(float(row["total"] or 0), 2),
        "unreachable_clv": round(float(row["unreachable"] or 0), 2),
    }


# funnel step k -> step k+1 lost these members; the action that would win them back (channel, from step, code)
_LOSSES: Final = (
    ("sms", 0, "sms-missing"),
    ("sms", 1, "sms-invalid"),
    ("sms", 2, "sms-no-consent"),
    ("email", 0, "email-missing"),
    ("email", 1, "email-invalid"),
    ("email", 2, "email-no-consent"),
)


def _actions(reach: Mapping[str, Sequence[Sequence[Any]]]) -> list[dict[str, Any]]:
    """Each loss between two steps of a reach funnel is an action; the biggest losses first."""
    actions = []
    for channel, k, code in _LOSSES:
        steps = reach.get(channel) or []
        if len(steps) > k + 1:
            lost = int(steps[k][1]) - int(steps[k + 1][1])
            if lost > 0:
                actions.append({"code": code, "channel": channel, "members": lost})
    return sorted(actions, key=lambda a: (-a["members"], a["code"]))


def _alarms(
    members: pl.DataFrame, /, *, reach: Mapping[str, Sequence[Sequence[Any]]], mapped: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Figures no real club has: nobody consented to a channel, nobody spent anything, everybody born the same
    year. Each is almost always a column that was not mapped (or mapped wrong)."""
    if members.height == 0:
        return []
    alarms: list[dict[str, Any]] = []
    for channel, column in (("sms", "sms_consent"), ("email", "email_consent")):
        consented = int(members.get_column(column).fill_null(False).sum()) if column in members.columns else 0
        if consented == 0 and reach.get(channel):
            alarms.append({"code": "no-consent", "channel": channel, "mapped": column in mapped})
    spent = (
        members.select((pl.col("total_spend").fill_null(0) > 0).sum()).item() if "total_spend" in members.columns else 0
    )
    if not spent:
        alarms.append({"code": "no-spend", "mapped": "total_spend" in mapped})
    if "birth_date" in members.columns:
        years = members.get_column("birth_date").drop_nulls()
        if years.len() >= SAME_AGE_MIN_MEMBERS:
            distinct = years.cast(pl.Date, strict=False).dt.year().drop_nulls().unique()
            if distinct.len() == 1:
                alarms.append({"code": "same-age", "year": int(distinct.item()), "members": years.len()})
    return alarms
