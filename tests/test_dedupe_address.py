"""The address compared as one thing (issue 19): joint levels from a different place to one home, so a member who
moved house is one disagreement, not three."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipeline.rulefile import load_rules
from pipeline.stages.dedupe.address import ADDRESS_LEVELS, address_level
from pipeline.stages.dedupe.compare import COMPARISONS
from tests.test_dedupe import dedupe_of, in_the_sample

RULES = load_rules()

# one pair per row: (city, street, house, zip) of each side as codes (None: empty), the streets' similarity, whether
# the zips are one edit apart, whether the towns are one unlisted town spelled twice (the pair's facts as ``_compare``
# leaves them), and the level expected
CASES = [
    ("one home", (1, 10, 5, 100), (1, 10, 5, 100), 100.0, True, False, 5),
    ("one home, the street spelled another way", (1, 10, 5, None), (1, 11, 5, None), 94.0, False, False, 5),
    ("one home, the town left out on one side", (1, 10, 5, None), (None, 10, 5, None), 100.0, False, False, 5),
    ("one street, another house", (1, 10, 5, 100), (1, 10, 7, 100), 100.0, True, False, 4),
    ("one street of a town whose zip is one digit off", (None, 10, 5, 100), (None, 10, 8, 101), 100.0, True, False, 4),
    ("one zip, another street", (1, 10, 5, 100), (1, 12, 9, 100), 40.0, True, False, 3),
    ("one town, one record names no street", (1, 10, 5, None), (1, None, None, None), 100.0, False, False, 2),
    ("one town, another street: a move within it", (1, 10, 5, None), (1, 12, 9, None), 40.0, False, False, 1),
    ("moved house: another town, street and zip", (1, 10, 5, 100), (2, 12, 9, 200), 40.0, False, False, 0),
    ("a Herzl street of another town is another place", (1, 10, 5, 100), (2, 10, 5, 200), 100.0, False, False, 0),
    ("nothing to compare", (1, None, None, None), (None, 10, 5, 100), 100.0, True, False, -1),
    ("one home, a town off the list spelled twice", (1, 10, 5, None), (2, 10, 5, None), 100.0, False, True, 5),
    ("one street of such a town, another house", (1, 10, 5, None), (2, 10, 7, None), 100.0, False, True, 4),
]


@pytest.mark.parametrize(
    ("_what", "a", "b", "street", "zip_close", "city_close", "level"), CASES, ids=[c[0] for c in CASES]
)
def test_the_address_levels(
    _what: str,
    a: tuple[int | None, ...],
    b: tuple[int | None, ...],
    street: float,
    zip_close: bool,
    city_close: bool,
    level: int,
) -> None:
    parts = ("city", "street", "house", "zip")
    pair = pl.DataFrame(
        {
            **{f"{part}_a": [value] for part, value in zip(parts, a, strict=True)},
            **{f"{part}_b": [value] for part, value in zip(parts, b, strict=True)},
            "__street": [street],
            "__zip_close": [zip_close],
            "__city_close": [city_close],
        },
        schema_overrides={f"{part}_{side}": pl.UInt32 for part in parts for side in "ab"},
    )
    got = pair.select(address_level(RULES.dedupe).alias("level")).item()
    assert got == level
    # the level is symmetric: the same pair read the other way round
    swapped = pair.rename({f"{part}_{x}": f"{part}_{y}" for part in parts for x, y in (("a", "b"), ("b", "a"))}).select(
        address_level(RULES.dedupe).alias("level")
    )
    assert swapped.item() == level


def test_the_levels_have_names_for_every_level() -> None:
    assert len(ADDRESS_LEVELS) == COMPARISONS["address"]


def test_a_member_who_moved_house_is_one_disagreement_and_still_one_member(tmp_path: Path) -> None:
    """Same name, birth date and mobile; another town, street and zip: the address weighs in once (one weight, no
    city, street or zip of its own), against the pair, and the member is still one. In the sample, so that the
    model has a club to learn from."""
    person = {"first_name": "מירב", "last_name": "אלמוג", "phone_mobile": "054-7654329", "birth_date": "12/03/1985"}
    result, pair, rows = in_the_sample(
        tmp_path,
        [
            {"member_id": "90001", "city": "חיפה", "street": "הרצל", "house_number": "5", "zip": "3303905"} | person,
            {"member_id": "90002", "city": "באר שבע", "street": "רגר", "house_number": "17", "zip": "8410501"} | person,
        ],
    )
    assert not {"lvl_city", "lvl_street", "lvl_zip", "w_city", "w_street", "w_zip"} & set(pair.columns)
    level, weight, band = pair.select("lvl_address", "w_address", pl.col("band").cast(pl.String)).row(0)
    assert level == 0 and weight < 0 and band == "merge"
    golden = result.merge_map.filter(pl.col("source_row").is_in(rows)).get_column("golden_id")
    assert golden.n_unique() == 1


def test_a_street_whose_space_was_lost_is_the_same_street(tmp_path: Path) -> None:
    """FEBRL2: "emilybulcock crescent" and "emily bulcock crescent" (token-set ratio 74): one street, and with the
    same house number and town one home; the pairs output says so in words."""
    _, pairs = dedupe_of(
        tmp_path,
        [
            "1,Lachlan,Hayam,,,,,,North Sydney,emilybulcock crescent,56,,,,,",
            "2,Lachlan,Hayam,,,,,,North Sydney,emily bulcock crescent,56,,,,,",
        ],
    )
    assert pairs.get_column("lvl_address").to_list() == [5]
    assert "same address" in pairs.get_column("reason").cast(pl.String).item()


def test_a_locality_off_the_official_list_spelled_twice_is_one_place(tmp_path: Path) -> None:
    """FEBRL3: "birmingham gardens" and "birmingha m gardens", neither on the official list, one street and house
    number: one home, not "a different place" (which FEBRL's 5,000 records said of 30 true pairs)."""
    _, pairs = dedupe_of(
        tmp_path,
        [
            "1,Emmet,Weller,,,,,,Birmingham Gardens,copland drive,11,,,,,",
            "2,Emmet,Weller,,,,,,Birmingha m Gardens,copland drive,11,,,,,",
        ],
    )
    assert pairs.get_column("lvl_address").to_list() == [5]


def test_two_listed_localities_alike_in_spelling_are_two_places(tmp_path: Path) -> None:
    """אורים and אורנים are two villages (91 alike without spaces): each is on the official list, so cleaning
    already wrote each in its official spelling, and two listed names that differ are two places."""
    _, pairs = dedupe_of(
        tmp_path,
        [
            "1,דנה,כהן,,,,,,אורים,הגפן,3,,,,,",
            "2,דנה,כהן,,,,,,אורנים,הגפן,3,,,,,",
        ],
    )
    assert pairs.get_column("lvl_address").to_list() == [0]
