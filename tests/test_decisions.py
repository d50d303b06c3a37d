"""Review decisions replayed on another file land on their own pair or nowhere: member numbers and fingerprints."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import InputError
from pipeline.review_sheet import machine_names
from pipeline.stages.dedupe.decisions import fingerprints, locate, read_decisions
from sample_data.generate import generate, to_frame

runner = CliRunner()
MEMBER_NUMBER = "מספר חבר"
LAST_NAME = "שם משפחה"
# nearly every candidate pair goes to review, none is held apart by a hard rule: many pairs to decide
REVIEW_ALL = "thresholds:\n  merge: 0.999999999999\n  merge_without_identifier: 0.999999999999\n  review: 1.0e-12\n"
REVIEW_ALL += "hard_rules: []\n"


@pytest.fixture(scope="module")
def months(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """January's file; February's: three new members inserted at the top, and one member's last name changed."""
    base = tmp_path_factory.mktemp("decisions")
    january = to_frame(generate(300, seed=11)[0])
    newcomers = to_frame(generate(3, seed=99)[0]).with_columns(
        pl.Series(MEMBER_NUMBER, ["9000001", "9000002", "9000003"])
    )
    (base / "rules").mkdir()
    (base / "rules" / "dedupe.yaml").write_text(REVIEW_ALL, encoding="utf-8")
    january.write_csv(base / "january.csv")
    pl.concat([newcomers, january]).write_csv(base / "february.csv")
    return {"base": base, "rules": base / "rules" / "dedupe.yaml"}


def _run(
    file: Path, out: Path, rules: Path, decisions: Path | None = None, expect: int = 0
) -> tuple[str, dict[str, object]]:
    args = ["run", str(file), "--out", str(out), "--rules", str(rules)]
    result = runner.invoke(app, [*args, *(["--decisions", str(decisions)] if decisions else [])])
    assert result.exit_code == expect, result.output
    report = json.loads((out / "report.json").read_text(encoding="utf-8")) if expect == 0 else {}
    return result.output + result.stderr, report


def _golden(out: Path) -> dict[int, str]:
    mm = pl.read_csv(out / "merge_map.csv")
    return dict(zip(mm["source_row"].to_list(), mm["golden_id"].to_list(), strict=True))


def _review(out: Path) -> pl.DataFrame:
    """review.xlsx under the names read_decisions reads (the sheet's headers are in the file's language)."""
    sheet = pl.read_excel(out / "review.xlsx", infer_schema_length=0)
    return sheet.rename(machine_names(sheet.columns))


def _apart(out: Path, review: pl.DataFrame, n: int) -> list[int]:
    """``n`` review rows whose records are in no other chosen pair and merged with nobody in the run."""
    sizes = pl.read_csv(out / "merge_map.csv").group_by("golden_id").len()
    alone = set(pl.read_csv(out / "merge_map.csv").join(sizes, on="golden_id").filter(pl.col("len") == 1)["source_row"])
    chosen: list[int] = []
    used: set[int] = set()
    for k, r in enumerate(review.iter_rows(named=True)):
        pair = {int(r["source_row_a"]), int(r["source_row_b"])}
        if pair <= alone and not pair & used:
            chosen.append(k)
            used |= pair
    assert len(chosen) >= n
    return chosen[:n]


def _decide(review: pl.DataFrame, words: dict[int, str]) -> pl.DataFrame:
    return review.with_columns(pl.Series("decision", [words.get(k, "") for k in range(review.height)], dtype=pl.String))


def test_review_names_each_pair_by_member_numbers_and_fingerprints(months: dict[str, Path]) -> None:
    out = months["base"] / "jan"
    _run(months["base"] / "january.csv", out, months["rules"])
    review = _review(out)
    assert review.height >= 8
    assert {"member_id_a", "member_id_b", "fingerprint_a", "fingerprint_b"} <= set(review.columns)
    source = pl.read_csv(months["base"] / "january.csv", infer_schema=False).with_row_index("row", offset=2)
    number = dict(zip(source["row"].to_list(), source[MEMBER_NUMBER].to_list(), strict=True))
    for side in ("a", "b"):
        assert [number[int(r)] for r in review[f"source_row_{side}"]] == review[f"member_id_{side}"].to_list()
    assert review["fingerprint_a"].str.contains(r"^[0-9a-f]{12}$").all()
    # one record, one fingerprint, wherever it appears
    sides = pl.concat(
        [
            review.select(pl.col("source_row_a").alias("row"), pl.col("fingerprint_a").alias("fp")),
            review.select(pl.col("source_row_b").alias("row"), pl.col("fingerprint_b").alias("fp")),
        ]
    ).unique()
    assert sides["row"].n_unique() == sides.height
    assert sides["fp"].n_unique() > 0.8 * sides.height


def test_decisions_follow_their_pair_into_next_months_file(months: dict[str, Path]) -> None:
    base = months["base"]
    jan = base / "jan"
    if not (jan / "review.xlsx").exists():
        _run(base / "january.csv", jan, months["rules"])
    review = _review(jan)
    picked = _apart(jan, review, 3)
    same, apart, changed = (review.row(k, named=True) for k in picked)
    others = [k for k in range(review.height) if k not in picked]
    words = {picked[0]: "same", picked[1]: "different", picked[2]: "same", others[0]: "Maybe", others[1]: " "}
    decided = _decide(review, {**words, others[2]: "maybe"})
    unreadable = decided.head(1).with_columns(pl.lit("row 8").alias("source_row_a"), pl.lit("כן").alias("decision"))
    decisions = base / "decided.xlsx"
    pl.concat([decided, unreadable]).write_excel(decisions)
    # February: the third decision's first record has a new last name (the person who decided never saw it)
    february = pl.read_csv(base / "february.csv", infer_schema=False)
    february = february.with_columns(
        pl.when(pl.col(MEMBER_NUMBER) == changed["member_id_a"])
        .then(pl.lit("שם-חדש"))
        .otherwise(pl.col(LAST_NAME))
        .alias(LAST_NAME)
    )
    february.write_csv(base / "february_changed.csv")
    out = base / "feb"
    text, report = _run(base / "february_changed.csv", out, months["rules"], decisions)
    golden = _golden(out)
    row = lambda r: int(r) + 3  # noqa: E731  three rows inserted at the top
    assert golden[row(same["source_row_a"])] == golden[row(same["source_row_b"])]
    assert golden[row(apart["source_row_a"])] != golden[row(apart["source_row_b"])]
    assert golden[row(changed["source_row_a"])] != golden[row(changed["source_row_b"])]
    # the rows January's numbers name now hold other people: the decision did not land on them
    assert golden[int(same["source_row_a"])] != golden[int(same["source_row_b"])]
    d = report["decisions"]
    assert isinstance(d, dict)
    assert d["applied"] == {"same": 1, "different": 1}
    assert d["ignored"] == {"record changed": 1}
    assert d["ignored_rows"] == [{"row": picked[2] + 2, "why": "record changed"}]  # after the header row
    assert d["unknown_words"] == {"maybe": 2}
    assert d["unreadable"] == 1
    assert d["unreadable_rows"] == [{"row": review.height + 2, "why": "source_row_a/source_row_b are not row numbers"}]
    assert d["undecided"] == review.height - 5
    assert d["rows"] == review.height + 1
    # said where it cannot be missed, and the changed pair is back in review for a person to decide again
    warning = next(line for line in text.splitlines() if line.startswith("warning: decisions:"))
    assert "2 applied" in warning and "record changed: 1" in warning and "'maybe' ×2" in warning
    assert f"row {review.height + 2}" in warning
    again = _review(out)
    assert (row(changed["source_row_a"]), row(changed["source_row_b"])) in set(
        zip(again["source_row_a"].cast(int), again["source_row_b"].cast(int), strict=True)
    )


def test_without_member_numbers_a_stale_decision_file_merges_no_strangers(months: dict[str, Path]) -> None:
    base = months["base"]
    for name in ("january", "february"):
        pl.read_csv(base / f"{name}.csv", infer_schema=False).drop(MEMBER_NUMBER).write_csv(base / f"{name}_nm.csv")
    jan = base / "jan_nm"
    _run(base / "january_nm.csv", jan, months["rules"])
    review = _review(jan)
    assert "member_id_a" not in review.columns
    decided = base / "decided_nm.xlsx"
    _decide(review, dict.fromkeys(range(4), "same")).write_excel(decided)
    # the same file again: found by row number, same records, applied
    _, report = _run(base / "january_nm.csv", base / "jan_nm_again", months["rules"], decided)
    assert report["decisions"]["applied"] == {"same": 4, "different": 0}  # type: ignore[index]
    # next month's: the rows now hold other records, so nothing is applied
    text, report = _run(base / "february_nm.csv", base / "feb_nm", months["rules"], decided)
    d = report["decisions"]
    assert d["applied"] == {"same": 0, "different": 0}  # type: ignore[index]
    assert sum(d["ignored"].values()) == 4  # type: ignore[index]
    assert set(d["ignored"]) <= {"record changed", "record not found"}  # type: ignore[index]
    # whoever holds those rows now was not merged because of a decision
    assert pl.read_parquet(base / "feb_nm" / "pairs.parquet").filter(pl.col("band") == "decided_same").height == 0
    assert "warning: decisions: 0 applied; 4 ignored, not applied" in text


def test_blank_decisions_are_undecided_not_a_warning(months: dict[str, Path]) -> None:
    base = months["base"]
    jan = base / "jan"
    if not (jan / "review.xlsx").exists():
        _run(base / "january.csv", jan, months["rules"])
    text, report = _run(base / "january.csv", base / "blank", months["rules"], jan / "review.xlsx")
    d = report["decisions"]
    assert d["undecided"] == d["rows"] == _review(jan).height  # type: ignore[index]
    assert d["applied"] == {"same": 0, "different": 0} and not d["ignored"]  # type: ignore[index]
    assert "warning" not in text and report["warnings"] == []


def test_a_review_file_from_before_fingerprints_is_refused(months: dict[str, Path], tmp_path: Path) -> None:
    old = tmp_path / "old_review.csv"
    old.write_text("source_row_a,source_row_b,match_probability,decision\n5,17,0.8,same\n", encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["run", str(months["base"] / "january.csv"), "--out", str(out), "--decisions", str(old)]
    )
    assert result.exit_code == 2
    assert "predates fingerprints" in result.stderr and "old_review.csv" in result.stderr
    assert not out.exists()


RECORDS = pl.DataFrame(
    {
        "__i": pl.Series([0, 1, 2, 3, 4, 5], dtype=pl.UInt32),
        "source_row": [2, 3, 4, 5, 6, 7],
        "member_id": ["100", "200", "300", "300", "400", None],
        "first_name": ["משה", "משה", "דנה", "דנה", "רון", "טל"],
        "last_name": ["כהן", "כהן", "לוי", "לוי", "אבן", "גל"],
        "phone_mobile": ["+972521234567", "+972521234567", None, None, None, "+972541111111"],
        "birth_date": pl.Series(["1980-01-02", None, "1990-05-06", "1990-05-06", None, None]).str.to_date(),
    }
)
FP = fingerprints(RECORDS).to_list()


def _decisions(*rows: tuple[object, ...]) -> pl.DataFrame:
    names = ("source_row_a", "source_row_b", "member_id_a", "member_id_b", "fingerprint_a", "fingerprint_b", "decision")
    return pl.DataFrame([dict(zip(names, map(lambda v: None if v is None else str(v), r), strict=True)) for r in rows])


@pytest.mark.parametrize(
    ("decision", "applied", "why"),
    [
        ((2, 3, "100", "200", FP[0], FP[1], "same"), [(0, 1, True)], None),
        # rows moved: found by member number
        ((12, 13, "100", "200", FP[0], FP[1], "different"), [(0, 1, False)], None),
        # sides written the other way round
        ((3, 2, "200", "100", FP[1], FP[0], "כן"), [(0, 1, True)], None),
        # a record that changed since the decision
        ((2, 3, "100", "200", FP[0], "0123456789ab", "same"), [], "record changed"),
        # a member number no longer in the file
        ((2, 3, "100", "999", FP[0], FP[1], "same"), [], "record not found"),
        # no member number: by row number, and the record there must be the one decided on
        ((2, 7, "100", None, FP[0], FP[5], "same"), [(0, 5, True)], None),
        ((2, 6, "100", None, FP[0], FP[5], "same"), [], "record changed"),
        ((2, 70, "100", None, FP[0], FP[5], "same"), [], "record not found"),
        # a member entered twice word for word: the one at the decision's row, else no way to tell
        ((2, 5, "100", "300", FP[0], FP[3], "same"), [(0, 3, True)], None),
        ((2, 50, "100", "300", FP[0], FP[3], "same"), [], "several records match"),
        ((4, 5, "300", "300", FP[2], FP[3], "same"), [(2, 3, True)], None),
    ],
)
def test_locate_applies_a_decision_only_to_its_own_records(
    decision: tuple[object, ...], applied: list[tuple[int, int, bool]], why: str | None
) -> None:
    person, stats = locate(read_decisions(_decisions(decision)), RECORDS)
    assert person.rows() == applied
    assert stats["ignored"] == ({why: 1} if why else {})


def test_conflicting_and_repeated_decisions() -> None:
    agree = [(2, 3, "100", "200", FP[0], FP[1], "same"), (12, 13, "100", "200", FP[0], FP[1], "yes")]
    person, stats = locate(read_decisions(_decisions(*agree)), RECORDS)
    assert person.rows() == [(0, 1, True)] and stats["applied"] == {"same": 1, "different": 0}
    clash = [(2, 3, "100", "200", FP[0], FP[1], "same"), (3, 2, "200", "100", FP[1], FP[0], "different")]
    person, stats = locate(read_decisions(_decisions(*clash)), RECORDS)
    assert person.height == 0 and stats["ignored"] == {"conflicting decisions for one pair": 2}


def test_read_decisions_counts_what_it_cannot_use() -> None:
    decisions = read_decisions(
        _decisions(
            (2, 3, "100", "200", FP[0], FP[1], "Same "),
            (2, 3, "100", "200", FP[0], FP[1], "maybe"),
            (2, 3, "100", "200", FP[0], FP[1], "?"),
            (2, 3, "100", "200", FP[0], FP[1], "052-1234567"),  # personal data typed in the wrong column
            (2, 3, "100", "200", FP[0], FP[1], "dana@gmail.com"),
            (2, 3, "100", "200", FP[0], FP[1], ""),
            (2, 3, "100", "200", FP[0], FP[1], None),
            ("two", 3, "100", "200", FP[0], FP[1], "same"),
            (2, 2, "100", "100", FP[0], FP[0], "same"),
            (2, 3, "100", "200", FP[0], None, "same"),
            ("2.0", "3", "100", "200", FP[0].upper(), FP[1], "different"),  # as a spreadsheet may give them back
        )
    )
    assert decisions.table.select("row", "source_row_a", "same").rows() == [(2, 2, True), (12, 2, False)]
    assert decisions.table.get_column("fingerprint_a").to_list() == [FP[0], FP[0]]
    assert decisions.unknown_words == {"(a phone, ID or e-mail)": 2, "maybe": 1, "?": 1}
    assert decisions.undecided == 2
    assert [r for r, _ in decisions.unreadable] == [9, 10, 11]
    assert decisions.rows == 11


def test_read_decisions_refuses_a_file_without_fingerprints() -> None:
    with pytest.raises(InputError, match="predates fingerprints"):
        read_decisions(pl.DataFrame({"source_row_a": ["2"], "source_row_b": ["3"], "decision": ["same"]}))
    with pytest.raises(InputError, match="needs the columns"):
        read_decisions(pl.DataFrame({"a": ["2"]}))
