"""Streets: checked against their own locality's official streets; prefixes, typos and house numbers."""

from __future__ import annotations

import polars as pl
import pytest

from pipeline.fields.streets import clean_streets, locality_streets

TEL_AVIV, HAIFA, JERUSALEM = "5000", "4000", "3000"


def streets(rows: list[tuple[str | None, str | None, str | None]]) -> pl.DataFrame:
    """(city_code, street, house_number) rows -> the cleaned columns plus each row's ledger checks."""
    frame = pl.DataFrame(
        {
            "source_row": range(2, len(rows) + 2),
            "street": [r[1] for r in rows],
            "house_number": [r[2] for r in rows],
        },
        schema={"source_row": pl.Int64, "street": pl.String, "house_number": pl.String},
    )
    codes = pl.Series("city_code", [r[0] for r in rows], dtype=pl.String)
    out = clean_streets(frame, city_codes=codes, threshold=85)
    checks = out.entries.group_by("source_row").agg(pl.col("check").sort())
    table = pl.DataFrame(dict(out.columns)).with_columns(frame["source_row"])
    return table.join(checks, on="source_row", how="left", maintain_order="left")


def one(code: str | None, street: str | None, house: str | None = None) -> dict[str, object]:
    return streets([(code, street, house)]).row(0, named=True)


def test_known_street_is_kept_with_its_code() -> None:
    row = one(TEL_AVIV, "דיזנגוף")
    assert (row["street"], row["street_status"], row["check"]) == ("דיזנגוף", "known", None)
    assert row["street_code"] is not None and row["street_code"].isdigit()


@pytest.mark.parametrize("raw", ["רח' הרצל", "רח׳ הרצל", "רחוב הרצל", "רח. הרצל"])
def test_street_prefix_is_removed(raw: str) -> None:
    row = one(TEL_AVIV, raw)
    assert (row["street"], row["street_status"], row["check"]) == ("הרצל", "known", ["street-normalised"])


def test_boulevard_prefix_finds_the_official_name_that_has_it() -> None:
    # the list writes "שדרות רוטשילד"; members write "שד' רוטשילד" or just "רוטשילד"
    assert one(TEL_AVIV, "שד' רוטשילד")["street"] == "שדרות רוטשילד"
    assert one(TEL_AVIV, "רוטשילד")["street"] == "שדרות רוטשילד"


def test_typo_is_fixed_within_its_locality_only() -> None:
    row = one(TEL_AVIV, "דיזינגוף")
    assert (row["street"], row["street_status"], row["check"]) == ("דיזנגוף", "fixed", ["street-fuzzy-matched"])
    # the same typo in a locality whose list has no such street is not "fixed" into another town's street
    abu_ghosh = locality_streets("472")
    assert abu_ghosh is not None and "דיזנגוף" not in abu_ghosh.names
    elsewhere = one("472", "דיזינגוף")  # אבו גוש
    assert (elsewhere["street"], elsewhere["street_status"], elsewhere["check"]) == (
        "דיזינגוף",
        "unknown",
        ["street-unknown"],
    )


@pytest.mark.parametrize(
    ("raw", "street", "house"),
    [
        ("הרצל 12א", "הרצל", "12א"),
        ("הרצל 12", "הרצל", "12"),
        ("רח' הרצל, 7", "הרצל", "7"),
        ("הרצל 12/3", "הרצל", "12/3"),
    ],
)
def test_house_number_is_split_off(raw: str, street: str, house: str) -> None:
    row = one(TEL_AVIV, raw)
    assert (row["street"], row["house_number"], row["street_status"]) == (street, house, "known")
    assert "street-house-number-split" in row["check"]


def test_split_never_overwrites_a_house_number_the_file_gave() -> None:
    row = one(TEL_AVIV, "הרצל 12", "14")
    assert (row["street"], row["house_number"]) == ("הרצל", "14")


def test_unknown_street_is_kept_and_flagged() -> None:
    row = one(HAIFA, "רחוב שאינו קיים בכלל")
    assert (row["street"], row["street_code"], row["street_status"], row["check"]) == (
        "רחוב שאינו קיים בכלל",
        None,
        "unknown",
        ["street-unknown"],
    )


def test_street_of_an_unknown_locality_is_unknown_without_a_second_flag() -> None:
    row = one(None, "הרצל")
    assert (row["street"], row["street_status"], row["check"]) == ("הרצל", "unknown", None)


def test_empty_street_has_no_status() -> None:
    row = one(JERUSALEM, None, "5")
    assert (row["street"], row["street_status"], row["house_number"], row["check"]) == (None, None, "5", None)


def test_same_street_in_two_localities_gets_each_localitys_code() -> None:
    out = streets([(TEL_AVIV, "הרצל", None), (HAIFA, "הרצל", None), (TEL_AVIV, "הרצל", None)])
    tel_aviv, haifa = locality_streets(TEL_AVIV), locality_streets(HAIFA)
    assert tel_aviv is not None and haifa is not None
    expected = [
        tel_aviv.codes[tel_aviv.names.index("הרצל")],
        haifa.codes[haifa.names.index("הרצל")],
        tel_aviv.codes[tel_aviv.names.index("הרצל")],
    ]
    assert out.get_column("street_code").to_list() == expected
    assert out.get_column("street_status").to_list() == ["known", "known", "known"]


def test_a_street_named_with_a_number_is_not_split() -> None:
    ashdod = locality_streets("70")
    assert ashdod is not None and "אזור תעשייה 3" in ashdod.names
    row = one("70", "אזור תעשייה 3")
    assert (row["street"], row["house_number"], row["street_status"], row["check"]) == (
        "אזור תעשייה 3",
        None,
        "known",
        None,
    )


@pytest.mark.parametrize(
    ("raw", "flat"),
    [
        ("רחוב הרצל 12 דירה 4", "דירה 4"),
        ("הרצל 12 ד' 4", "ד' 4"),
        ("הרצל 12, דירה 4", "דירה 4"),
        ("הרצל 12 קומה 3", "קומה 3"),
        ("הרצל 12 כניסה 2", "כניסה 2"),
    ],
)
def test_a_flat_or_floor_is_not_the_house_number(raw: str, flat: str) -> None:
    """The flat (4) was taken for the house number, and the street (הרצל 12 דירה) was unknown."""
    frame = streets([(TEL_AVIV, raw, None)])
    row = frame.row(0, named=True)
    assert (row["street"], row["house_number"], row["street_status"]) == ("הרצל", "12", "known")
    assert "street-flat-removed" in row["check"]


@pytest.mark.parametrize(
    ("raw", "street", "house"),
    [("ת.ד. 555", "ת.ד. 555", None), ('ת"ד 555', 'ת"ד 555', None), ("הרצל 5 ת.ד. 3", "הרצל", "5")],
)
def test_a_po_box_is_flagged_and_never_a_street_and_house_number(raw: str, street: str, house: str | None) -> None:
    row = one(TEL_AVIV, raw)
    assert (row["street"], row["house_number"]) == (street, house)
    assert "street-po-box" in row["check"]
