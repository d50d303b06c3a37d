"""cleanse scrub: one row per reachable address with consent; every reason a member is left out, counted."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from pipeline.cli import app

runner = CliRunner()
HEADER = 'מספר חבר,שם פרטי,שם משפחה,טלפון נייד,טלפון נוסף,דוא"ל,ת.ז.,אישור SMS,אישור דיוור,עיר\n'
ROWS = [
    # id, first, last, mobile, other, email, national id, sms, email consent, city
    "1,משה,כהן,054-7654329,,moshe@gmail.com,039337423,כן,כן,חיפה",  # sent on both channels
    '2,שרה,לוי,052-2745678,,sara@gmail.com,,כן,לא,ת"א',  # sms yes, e-mail: no consent
    '3,דוד,לוי ז"ל,050-2945679,,david@gmail.com,,כן,כן,חיפה',  # deceased
    "4,רחל,מזרחי,053-2945671,,,,לא,,חיפה",  # sms: no consent
    "5,יוסי,פרץ,0521234567,,yossi@mailinator.com,,כן,כן,חיפה",  # invalid phone; disposable e-mail
    "6,דנה,אבו,0500000000,,info@shop.co.il,,כן,כן,חיפה",  # fake phone; role e-mail
    "7,אבי,כץ,03-6123456,02-6234567,avi@gmail,,כן,כן,חיפה",  # landline (other taken); invalid e-mail
    "8,רון,גולן,,,ron@gmail.com,,כן,,חיפה",  # no mobile; e-mail consent missing
    "9,נועה,שלום,054-6345901,,noa@walla.co.il,231740705,כן,כן,באר שבע",  # suppressed (by ID)
    "10,תמר,חדד,054-7654329,,,,כן,,חיפה",  # the same mobile as row 2: duplicate address
    "11,גיא,ברגר,053-2945680,,,,כן,,חיפה",  # this phone also appears declined on row 12
    "12,מיכל,ברגר,053-2945680,,,,לא,,חיפה",  # another person on that phone opted out: row 11 is not sent
]


@pytest.fixture()
def members(tmp_path: Path) -> Path:
    path = tmp_path / "members.csv"
    path.write_text(HEADER + "\n".join(ROWS) + "\n", encoding="utf-8")
    return path


def scrub(members: Path, tmp_path: Path, *args: str, name: str = "list.csv") -> tuple[pl.DataFrame, dict]:  # type: ignore[type-arg]
    out = tmp_path / name
    result = runner.invoke(app, ["scrub", str(members), "--out", str(out), *args])
    assert result.exit_code == 0, result.output + result.stderr
    summary = json.loads(out.with_name(out.stem + ".summary.json").read_text(encoding="utf-8"))
    table = pl.read_csv(out, infer_schema=False) if out.suffix == ".csv" else pl.read_excel(out)
    return table, summary


def test_sms_list_and_every_reason(members: Path, tmp_path: Path) -> None:
    suppress = tmp_path / "dnc.txt"
    suppress.write_text("231740705\n", encoding="utf-8")  # a headerless list with one ID number
    table, summary = scrub(members, tmp_path, "--channel", "sms", "--suppress", str(suppress))
    assert sorted(table["phone"].to_list()) == ["+972522745678", "+972547654329"]
    assert table["phone"].n_unique() == table.height  # never the same phone twice
    removed = {k: v for k, v in summary["removed"].items() if v}
    assert removed == {
        "deceased": 1,
        "no_consent": 2,
        "invalid_phone": 1,
        "fake_phone": 1,
        "landline": 1,
        "no_mobile": 1,
        "suppressed": 1,
        "duplicate_address": 1,
        "opted_out_elsewhere": 1,
    }
    assert summary["members"] == summary["sent"] + sum(removed.values())


def test_email_list_reasons(members: Path, tmp_path: Path) -> None:
    table, summary = scrub(members, tmp_path, "--channel", "email")
    assert sorted(table["email"].to_list()) == ["moshe@gmail.com", "noa@walla.co.il"]
    removed = {k: v for k, v in summary["removed"].items() if v}
    assert removed == {
        "deceased": 1,
        "no_consent": 2,
        "disposable_email": 1,
        "role_email": 1,
        "invalid_email": 1,
        "no_email": 4,
    }


def test_call_list(members: Path, tmp_path: Path) -> None:
    table, summary = scrub(members, tmp_path, "--channel", "call")
    assert "+97236123456" in table["phone"].to_list()  # calls may use a landline
    removed = {k: v for k, v in summary["removed"].items() if v}
    # rows 5 and 6 have only an invalid and a fake phone, row 8 none; rows 10 and 11 share phones with 1 and 12
    assert removed == {"deceased": 1, "invalid_phone": 2, "no_phone": 1, "duplicate_address": 2}
    assert summary["members"] == summary["sent"] + sum(removed.values())


def test_scrub_the_sample(tmp_path: Path) -> None:
    from tests.conftest import SAMPLE

    for channel in ("sms", "email", "call"):
        table, summary = scrub(SAMPLE, tmp_path, "--channel", channel, name=f"{channel}.csv")
        assert summary["members"] == summary["sent"] + sum(summary["removed"].values())
        assert table.height == summary["sent"] > 0
        assert table[table.columns[0]].n_unique() == table.height


@pytest.mark.parametrize(
    ("suppress_text", "name"),
    [
        ("טלפון נייד\n0547654329\n", "dnc.csv"),
        ('דוא"ל\nMoshe@Gmail.com\n', "dnc.csv"),
        ("0547654329\n", "dnc.txt"),
        ("+972-54-7654329;x@y.com\n", "dnc.txt"),
        ("039337423\n", "ids.txt"),
    ],
)
def test_suppression_files_in_any_shape(members: Path, tmp_path: Path, suppress_text: str, name: str) -> None:
    path = tmp_path / name
    path.write_text(suppress_text, encoding="utf-8")
    table, summary = scrub(members, tmp_path, "--channel", "sms", "--suppress", str(path))
    assert "+972547654329" not in table["phone"].to_list()
    assert summary["removed"]["suppressed"] >= 1


def test_email_suppression_ignores_gmail_dots_and_tags(members: Path, tmp_path: Path) -> None:
    # the member wrote moshe@gmail.com; the opt-out came back from M.O.S.H.E+club@gmail.com: the same mailbox
    path = tmp_path / "dnc.txt"
    path.write_text("M.O.S.H.E+club@gmail.com\n", encoding="utf-8")
    table, summary = scrub(members, tmp_path, "--channel", "email", "--suppress", str(path))
    assert "moshe@gmail.com" not in table["email"].to_list()
    assert summary["removed"]["suppressed"] == 1


def test_suppression_from_xlsx(members: Path, tmp_path: Path) -> None:
    path = tmp_path / "dnc.xlsx"
    pl.DataFrame({"נייד": ["054-7654329"]}).write_excel(path)
    table, _ = scrub(members, tmp_path, "--channel", "sms", "--suppress", str(path))
    assert "+972547654329" not in table["phone"].to_list()


def test_filters(members: Path, tmp_path: Path) -> None:
    table, summary = scrub(members, tmp_path, "--channel", "sms", "--city", 'ת"א')
    assert table["phone"].to_list() == ["+972522745678"]  # row 2 lives in ת"א = תל אביב - יפו
    assert summary["removed"]["filtered_out"] == 4  # the four others that could have been sent: 1, 9, 10, 11


def test_xlsx_output_is_formula_safe(members: Path, tmp_path: Path) -> None:
    table, _ = scrub(members, tmp_path, "--channel", "sms", name="list.xlsx")
    assert table.height == 3


def test_bad_channel_is_exit_2(members: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["scrub", str(members), "--channel", "fax", "--out", str(tmp_path / "l.csv")])
    assert result.exit_code == 2 and "--channel must be one of sms, email, call" in result.stderr
