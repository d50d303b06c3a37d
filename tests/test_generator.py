"""The sample generator's families are as in life (issue 19): the benchmark's look-alike figures are only as
honest as the families it makes."""

from __future__ import annotations

import collections
import datetime as dt

from sample_data.generate import Generator


def test_a_family_never_gives_one_first_name_twice_except_a_father_and_son() -> None:
    """Two relatives of one member were drawn each against that member's name only, so triplets could be two
    children of one name (at a million members, twins named חנה ברגר twice, born the same day in the same home)."""
    today = dt.date(2026, 12, 6)
    g = Generator(seed=3, today=today)
    base = g.person(0)
    relatives = [g.relative(base, pid) for pid in range(1, 16)]  # a family of 16: bigger than most in life
    names = collections.Counter(q.first for q in relatives)
    assert all(n == 1 for name, n in names.items() if name != base.first)
    # a relative of the member's own name is only ever a parent or child of theirs
    assert all(q.extra["relation"] == "parent_child" for q in relatives if q.first == base.first)


def test_a_young_members_relatives_are_not_clamped_onto_one_birth_date() -> None:
    """A relative who would be born in the last five years was set to the same date five years back, so two such
    children of one member were twins of one birth date; they are born the other way (a parent) instead."""
    today = dt.date(2026, 12, 6)
    g = Generator(seed=4, today=today)
    base = g.person(0)
    base.birth = today - dt.timedelta(days=365 * 22)
    relatives = [g.relative(base, pid) for pid in range(1, 200)]
    youngest = today - dt.timedelta(days=365 * 5)
    born = [q.birth for q in relatives if q.extra["relation"] != "twin"]
    assert all(b is not None and b <= youngest for b in born)
    assert collections.Counter(born).most_common(1)[0][1] <= 3  # no pile-up on one date
