"""Deciding: which pairs are one member. The "never merge" rules live here; the bands that turn a match
probability into merge / review / apart are applied by ``pipeline.stages.dedupe`` from the rules' thresholds.
"""

from __future__ import annotations

# the "never merge" rules (``dedupe.yaml`` ``hard_rules``): two different valid ID numbers; clearly different birth
# dates (not one typo apart) under no shared ID number; a household (a shared phone or address) with different
# first names under no shared ID number
HARD_RULES = ("two_ids", "birth_dates", "household")
