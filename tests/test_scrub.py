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


# ------------------------------------------------------------------------------- send lists a club can defend

REF = "2025-06-01"
AGED = 'מספר חבר,שם פרטי,שם משפחה,טלפון נייד,דוא"ל,תאריך לידה,אישור SMS,אישור דיוור,עיר,הערות\n'


def _file(tmp_path: Path, rows: list[str], header: str = AGED, name: str = "aged.csv") -> Path:
    path = tmp_path / name
    path.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _run(members: Path, tmp_path: Path, *args: str, name: str = "l.csv") -> tuple[int, str]:
    result = runner.invoke(app, ["scrub", str(members), "--out", str(tmp_path / name), "--reference-date", REF, *args])
    return result.exit_code, result.output + result.stderr


AGED_ROWS = [
    "1,משה,כהן,054-7314286,moshe@gmail.com,1950-03-01,כן,כן,חיפה",  # 75: on every list
    "2,שרה,לוי,052-2745678,sara@gmail.com,,כן,כן,",  # no birth date, no city
    "3,נועם,לוי,050-2945679,noam@gmail.com,2013-01-01,כן,כן,חיפה",  # 12: under the club's minimum age (16)
    "4,רון,גולן,053-2945671,ron@gmail.com,2015-05-01,כן,כן,חיפה",  # 10
    "5,דנה,אבו,054-6345901,dana@gmail.com,2031-01-01,כן,כן,חיפה",  # a birth date in the future: impossible
    "6,גיא,ברגר,054-6345922,guy@gmail.com,1958-02-02,כן,כן,חיפה",  # 67
]


@pytest.mark.parametrize("channel", ["sms", "email"])
def test_the_report_s_reach_is_the_list_scrub_sends(tmp_path: Path, channel: str) -> None:
    """An audit: the report counted the 10- and 12-year-olds as reachable by SMS while scrub removed them. The
    reach funnel's last step and scrub's list (no suppression, no filter, each address once here) are one count."""
    path = _file(tmp_path, AGED_ROWS)
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", str(path), "--out", str(out), "--reference-date", REF, "-q"])
    assert result.exit_code == 0, result.output
    reach = json.loads((out / "report.json").read_text(encoding="utf-8"))["reach"][channel]
    table, summary = scrub(path, tmp_path, "--channel", channel, "--reference-date", REF)
    assert reach[-1] == ["alive, of age: reachable", summary["sent"]] and summary["sent"] == table.height == 4


def test_a_city_filter_drops_members_with_no_city(tmp_path: Path) -> None:
    table, summary = scrub(_file(tmp_path, AGED_ROWS), tmp_path, "--channel", "sms", "--city", "חיפה")
    assert "+972522745678" not in table["phone"].to_list()  # row 2 has no city: unknown is not "in Haifa"
    assert summary["removed"]["filtered_out"] == 1


def test_an_age_band_keeps_only_known_ages_in_it(tmp_path: Path) -> None:
    table, summary = scrub(
        _file(tmp_path, AGED_ROWS), tmp_path, "--channel", "sms", "--age-band", "65+", "--reference-date", REF
    )
    # the 10- and 12-year-olds, the impossible birth date and the member with none are all out
    assert sorted(table["phone"].to_list()) == ["+972546345922", "+972547314286"]
    assert summary["removed"]["filtered_out"] == 2  # rows 2 (no birth date) and 5 (impossible birth date)
    assert summary["removed"]["under_minimum_age"] == 2


@pytest.mark.parametrize("channel", ["sms", "email", "call"])
def test_members_under_the_minimum_age_are_on_no_list(tmp_path: Path, channel: str) -> None:
    table, summary = scrub(_file(tmp_path, AGED_ROWS), tmp_path, "--channel", channel, "--reference-date", REF)
    address = table[table.columns[0]].to_list()
    assert not {"+972502945679", "noam@gmail.com", "+972532945671", "ron@gmail.com"} & set(address)
    assert summary["removed"]["under_minimum_age"] == 2
    assert {"+972522745678", "sara@gmail.com"} & set(address)  # no birth date: not removed for age
    assert summary["members"] == summary["sent"] + sum(summary["removed"].values())


PARTIAL_BIRTHS = [  # each gives only part of a date; the year alone proves rows 1-6 and 8 under the
    # rules' minimum age (16) on 2025-06-01
    "1,תמר,כהן,054-7314286,,2014,כן,,,",
    "2,עמרי,לוי,052-2745678,,05/2014,כן,,,",
    "3,עידו,פרץ,050-2945679,,2014-05,כן,,,",
    "4,נועה,שלום,053-2945671,,May 15 2012,כן,,,",
    "5,גל,חדד,054-6345901,,12/31/2012,כן,,,",  # month first: impossible as a date, its year still known
    "6,בן,גולן,054-6345922,,2014.0,כן,,,",
    "7,רון,כץ,054-6345933,,1980,כן,,,",  # a year that proves nothing of the kind
    "8,דנה,אבו,054-6345944,,2010,כן,,,",  # 14 or 15 on the day: under 16 whichever
    "9,אבי,מזרחי,054-6345955,,2009,כן,,,",  # 15 or 16: not proven under age, sent
]


def test_a_birth_date_given_only_in_part_still_keeps_a_minor_off_the_list(tmp_path: Path) -> None:
    """2014, 05/2014, May 15 2012 left the typed birth date empty, and with it the age: the members were sent to."""
    table, summary = scrub(_file(tmp_path, PARTIAL_BIRTHS), tmp_path, "--channel", "sms", "--reference-date", REF)
    assert sorted(table["phone"].to_list()) == ["+972546345933", "+972546345955"]
    assert summary["removed"]["under_minimum_age"] == 7


DECEASED_ROWS = [
    "1,משה,כהן,054-7314286,,1970-01-01,כן,,,",
    "2,שרה,המנוח פרץ,052-2745678,,1970-01-01,כן,,,",
    "3,דוד,פרץ זל,050-2945679,,1970-01-01,כן,,,",
    '4,רחל,"פרץ-ז""ל",053-2945671,,1970-01-01,כן,,,',
    "5,יוסי,פרץ ז''ל,054-6345901,,1970-01-01,כן,,,",
    "6,דנה,פרץ ז״ל,054-6345922,,1970-01-01,כן,,,",
    '7,אבי,"(ע""ה)",054-6345933,,1970-01-01,כן,,,',
    '8,רון,"כץ נ""ע",054-6345944,,1970-01-01,כן,,,',
    "9,נועה,שלום,054-6345955,,1970-01-01,כן,,,נפטרה",
    "10,תמר,חדד,054-6345966,,1970-01-01,כן,,,נפטר/ה בשנה שעברה",
    "11,גיל,גולן,054-6345977,,1970-01-01,כן,,,Deceased 2024",
    "12,זלמן,זליג,054-6345988,,1970-01-01,כן,,,לקוח ותיק",  # זלמן and זליג are names, not ז\"ל
]


def test_every_spelling_of_deceased_keeps_a_member_off_the_list(tmp_path: Path) -> None:
    table, summary = scrub(_file(tmp_path, DECEASED_ROWS), tmp_path, "--channel", "sms")
    assert sorted(table["phone"].to_list()) == ["+972546345988", "+972547314286"]
    assert summary["removed"]["deceased"] == 10


# -------------------------------------------------------------------------------------------- suppression


def _suppressed(members: Path, tmp_path: Path, dnc: Path) -> tuple[pl.DataFrame, dict]:  # type: ignore[type-arg]
    return scrub(members, tmp_path, "--channel", "sms", "--suppress", str(dnc))


def test_suppression_uses_every_sheet_of_a_workbook(members: Path, tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "dnc.xlsx"
    with xlsxwriter.Workbook(path) as book:
        book.add_worksheet("phones").write_column(0, 0, ["טלפון", "054-7654329"])
        book.add_worksheet("ids").write_column(0, 0, ["id", "231740705"])  # "id" is a member-number header
        book.add_worksheet("mails").write_column(0, 0, ["x", "Moshe@Gmail.com"])
    table, summary = _suppressed(members, tmp_path, path)
    assert summary["suppression"] == {"phones": 1, "emails": 1, "national_ids": 1}
    # row 1 (phone), row 9 (ID) and row 10 (row 1's phone) are suppressed
    assert summary["removed"]["suppressed"] == 3
    assert table["phone"].to_list() == ["+972522745678"]


def test_suppression_uses_every_phone_column(members: Path, tmp_path: Path) -> None:
    path = tmp_path / "dnc.csv"
    path.write_text("נייד,טלפון,טלפון 2,טלפון 3\n052-3456781,053-4567812,058-5678123,054-7654329\n", encoding="utf-8")
    table, summary = _suppressed(members, tmp_path, path)
    assert summary["suppression"]["phones"] == 4
    assert "+972547654329" not in table["phone"].to_list()  # the fourth phone column


def test_a_column_headed_id_holds_id_numbers(members: Path, tmp_path: Path) -> None:
    path = tmp_path / "dnc.csv"
    path.write_text("id\n231740705\n", encoding="utf-8")
    _, summary = _suppressed(members, tmp_path, path)
    assert summary["suppression"]["national_ids"] == 1
    assert summary["removed"]["suppressed"] == 1  # row 9


def test_a_one_cell_workbook_without_header(members: Path, tmp_path: Path) -> None:
    path = tmp_path / "dnc.xlsx"
    pl.DataFrame({"x": ["0547654329"]}).write_excel(path, include_header=False)
    table, summary = _suppressed(members, tmp_path, path)
    assert "+972547654329" not in table["phone"].to_list()
    assert summary["suppression"]["phones"] == 1


@pytest.mark.parametrize(
    ("text", "name"),
    [("", "dnc.csv"), ("שם,הערה\nמשה,לא להתקשר\n", "dnc.csv"), ("\n\n", "dnc.txt")],
)
def test_a_suppression_list_with_nothing_usable_is_exit_2(members: Path, tmp_path: Path, text: str, name: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    code, output = _run(members, tmp_path, "--channel", "sms", "--suppress", str(path))
    assert code == 2 and name in output
    assert not (tmp_path / "l.csv").exists()


def test_a_suppression_list_with_nothing_usable_counts_its_cells_once(members: Path, tmp_path: Path) -> None:
    """An audit: a one-cell list said "from its 2 values" (the cell, and the cell again as its one piece)."""
    path = tmp_path / "dnc.csv"
    path.write_text("שם\nמשה כהן\nלא להתקשר\n", encoding="utf-8")
    code, output = _run(members, tmp_path, "--channel", "sms", "--suppress", str(path))
    assert code == 2 and "from its 3 cells with a value" in output


def test_suppression_reads_a_large_list_by_whole_columns(tmp_path: Path) -> None:
    from pipeline.rulefile import load_rules
    from pipeline.suppression import load_suppression

    path = tmp_path / "big.csv"
    phones = [f"05{2 + i % 3}-{2000000 + i}" for i in range(50_000)]
    path.write_text("mobile;email\n" + "\n".join(f"{p};u{i}@example.co.il" for i, p in enumerate(phones)), "utf-8")
    found = load_suppression(path, rules=load_rules())
    assert len(found.phones) == 50_000 and len(found.emails) == 50_000


# ----------------------------------------------------------------------------------- option values and columns


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--channel", "sms", "--segment", "Champion"], ["--segment must be one of", "did you mean 'Champions'"]),
        (["--channel", "sms", "--age-band", "20-30"], ["--age-band must be one of", "16-24", "65+"]),
        (["--channel", "sms", "--city", "חיפהה"], ["--city", "did you mean", "חיפה"]),
        (["--channel", "smss"], ["--channel must be one of sms, email, call", "did you mean 'sms'"]),
        (["--channel", "sms", "--consent-since", "2025-13-45"], ["--consent-since '2025-13-45' is not a date"]),
    ],
)
def test_an_option_value_that_matches_nothing_is_exit_2(
    members: Path, tmp_path: Path, args: list[str], says: list[str]
) -> None:
    code, output = _run(members, tmp_path, *args)
    assert code == 2, output
    for text in says:
        assert text in output


def test_option_values_are_case_blind(members: Path, tmp_path: Path) -> None:
    table, _ = scrub(members, tmp_path, "--channel", "SMS")
    assert table.height == 3
    code, output = _run(members, tmp_path, "--channel", "Email", "--segment", "champions", "--segment", "LOST")
    assert code == 0, output


def test_consent_since_needs_a_consent_date_column(members: Path, tmp_path: Path) -> None:
    code, output = _run(members, tmp_path, "--channel", "sms", "--consent-since", "2025-01-01")
    assert code == 2 and "consent date column" in output and "--map" in output


def test_consent_since_takes_a_day_first_date(tmp_path: Path) -> None:
    header = "מספר חבר,שם פרטי,טלפון נייד,אישור SMS,תאריך הסכמה\n"
    rows = ["1,משה,054-7314286,כן,15/03/2025", "2,שרה,052-2745678,כן,20/12/2024", "3,דן,050-2945679,כן,"]
    table, summary = scrub(_file(tmp_path, rows, header), tmp_path, "--channel", "sms", "--consent-since", "1/1/2025")
    assert table["phone"].to_list() == ["+972547314286"]
    assert summary["removed"]["filtered_out"] == 2  # before the date, and no date at all


def test_no_consent_column_for_the_channel_is_exit_2_naming_close_columns(tmp_path: Path) -> None:
    # a consent header the mapper cannot place with confidence is held (not applied): scrub names it and says how
    # to map it (a header that names a channel, such as הסכמה לשיווק בהודעות, is mapped to it since issue 18)
    header = "מספר חבר,שם פרטי,טלפון נייד,הסכמה ללא ערוץ ממעבר,צבע\n"
    path = _file(tmp_path, ["1,משה,054-7314286,כן,אדום"], header)
    code, output = _run(path, tmp_path, "--channel", "sms")
    assert code == 2 and "no SMS consent column (sms_consent)" in output
    assert "look close: 'הסכמה ללא ערוץ ממעבר'" in output and "'צבע'" not in output
    assert '--map "הסכמה ללא ערוץ ממעבר=sms_consent"' in output
    code, output = _run(path, tmp_path, "--channel", "sms", "--map", "הסכמה ללא ערוץ ממעבר=sms_consent")
    assert code == 0, output


def test_a_filter_on_a_column_the_file_lacks_is_exit_2(members: Path, tmp_path: Path) -> None:
    code, output = _run(members, tmp_path, "--channel", "sms", "--age-band", "65+")
    assert code == 2 and "no birth date column (birth_date), which --age-band reads" in output


def test_an_empty_list_is_said_loudly(tmp_path: Path) -> None:
    rows = ["1,משה,054-7314286,לא,חיפה", "2,שרה,052-2745678,לא,חיפה", "3,דן,050-2945679,כן,עכו"]
    path = _file(tmp_path, rows, "מספר חבר,שם פרטי,טלפון נייד,אישור SMS,עיר\n")
    result = runner.invoke(
        app, ["scrub", str(path), "--out", str(tmp_path / "l.csv"), "--channel", "sms", "--city", "חיפה"]
    )
    assert result.exit_code == 0, result.output + result.stderr
    summary = json.loads((tmp_path / "l.summary.json").read_text(encoding="utf-8"))
    assert summary["sent"] == 0
    assert any("send list is empty" in w for w in summary["warnings"])
    assert "WARNING" in result.output and "send list is empty" in result.output


def test_a_reason_that_takes_almost_everyone_is_said_loudly(tmp_path: Path) -> None:
    rows = [f"{i},משה,054-76543{i:02d},לא" for i in range(1, 20)] + ["20,שרה,052-2745678,כן"]
    path = _file(tmp_path, rows, "מספר חבר,שם פרטי,טלפון נייד,אישור SMS\n")
    table, summary = scrub(path, tmp_path, "--channel", "sms")
    assert table.height == 1
    assert summary["warnings"] == [
        "no consent removed 19 of 20 members (95%): check the file, its column mapping and the options"
    ]
    quiet = runner.invoke(app, ["scrub", str(path), "--out", str(tmp_path / "q.csv"), "--channel", "sms", "-q"])
    assert "cleanse: warning: no consent removed 19 of 20" in quiet.stderr


def test_a_list_without_warnings_says_none(members: Path, tmp_path: Path) -> None:
    _, summary = scrub(members, tmp_path, "--channel", "sms")
    assert summary["warnings"] == []


# ------------------------------------------------------------------------------------- opt-out columns

OPTED = 'מספר חבר,שם פרטי,טלפון נייד,דוא"ל,אישור SMS,אישור דיוור,לא מאשר SMS,Unsubscribe Date\n'


def test_an_opt_out_column_keeps_who_refused_off_the_list(tmp_path: Path) -> None:
    """The file says consent yes for everyone, and an opt-out column says who withdrew it ("לא מאשר SMS": כן is
    "yes, I refuse"), and an unsubscribe date column whom to mail no more: they get nothing."""
    path = _file(
        tmp_path,
        [
            "1,משה,054-7654329,moshe@gmail.com,כן,כן,לא,",  # agreed, never refused: on both lists
            "2,שרה,052-2745678,sara@gmail.com,כן,כן,כן,",  # refused SMS: e-mail only
            "3,דוד,050-2945679,david@gmail.com,כן,כן,,03/02/2024",  # unsubscribed from everything
            "4,רחל,053-2945671,rachel@gmail.com,לא,לא,לא,",  # never agreed: not opting out gives no consent
        ],
        header=OPTED,
        name="opted.csv",
    )
    sms, summary = scrub(path, tmp_path, "--channel", "sms", name="sms.csv")
    assert sms["phone"].to_list() == ["+972547654329"]
    assert summary["removed"]["no_consent"] == 3
    mail, _ = scrub(path, tmp_path, "--channel", "email", name="mail.csv")
    assert sorted(mail["email"].to_list()) == ["moshe@gmail.com", "sara@gmail.com"]


def test_an_opt_out_column_is_never_offered_as_the_missing_consent(tmp_path: Path) -> None:
    path = _file(
        tmp_path, ["1,משה,054-7654329,כן", "2,שרה,052-2745678,לא"], header="מספר חבר,שם,טלפון נייד,לא מאשר SMS\n"
    )
    result = runner.invoke(app, ["scrub", str(path), "--channel", "sms", "--out", str(tmp_path / "l.csv")])
    assert result.exit_code == 2
    assert "no SMS consent column" in result.stderr
    assert '--map "לא מאשר SMS=sms_consent"' not in result.stderr
    assert "can withdraw consent, never give it" in result.stderr
    assert not (tmp_path / "l.csv").exists()


def test_a_member_is_suppressed_by_the_number_a_merge_left_out(tmp_path: Path) -> None:
    """One member written twice with two mobiles: the golden record keeps one, and the do-not-contact list names
    the other. The member was sent to on the kept number; every row a member merged is checked now."""
    path = _file(
        tmp_path,
        [
            "900001,אבנר,גולדברג,054-7654329,avner@gmail.com,03/03/1975,כן,,חיפה,",
            "900001,אבנר,גולדברג,052-2745678,avner@gmail.com,03/03/1975,כן,,חיפה,",
            "900002,שרה,לוי,053-2945671,,,כן,,חיפה,",
        ],
    )
    dnc = tmp_path / "dnc.txt"
    dnc.write_text("052-2745678\n", encoding="utf-8")
    table, summary = scrub(path, tmp_path, "--channel", "sms", "--suppress", str(dnc))
    assert table["phone"].to_list() == ["+972532945671"]
    assert summary["removed"]["suppressed"] == 1


def test_one_inbox_is_one_address_and_a_declined_inbox_declines_its_spellings(tmp_path: Path) -> None:
    """Gmail ignores dots and +tags: dana.levi@, danalevi@ and DanaLevi+club@googlemail.com are one inbox, sent
    once; gil.oz@ declined, so giloz@ (the same inbox) gets nothing either."""
    header = 'מספר חבר,שם פרטי,שם משפחה,דוא"ל,אישור דיוור\n'
    rows = [
        "1,דנה,לוי,dana.levi@gmail.com,כן",
        "2,רות,לוי,danalevi@gmail.com,כן",
        "3,אבי,כהן,DanaLevi+club@googlemail.com,כן",
        "4,גיל,עוז,gil.oz@gmail.com,לא",
        "5,טל,בן,giloz@gmail.com,כן",
    ]
    table, summary = scrub(_file(tmp_path, rows, header=header, name="g.csv"), tmp_path, "--channel", "email")
    assert table["email"].to_list() == ["dana.levi@gmail.com"]
    assert (summary["removed"]["duplicate_address"], summary["removed"]["opted_out_elsewhere"]) == (2, 1)


def test_a_column_the_run_could_not_place_is_a_warning_of_the_send_list(tmp_path: Path) -> None:
    """A notes column under an unusual header ("הערות נציג") was held, so a member noted as dead was sent to, and
    scrub printed nothing of it (run did). The held mapping is a warning of the list, in its summary too."""
    path = _file(
        tmp_path,
        ["1,דנה,054-7654329,כן,נפטרה", "2,משה,052-2745678,כן,"],
        header="מספר חבר,שם פרטי,טלפון נייד,אישור SMS,הערות נציג\n",
        name="n.csv",
    )
    _, summary = scrub(path, tmp_path, "--channel", "sms")
    assert any("הערות נציג" in w and "--map" in w for w in summary["warnings"])


def test_a_suppression_cell_is_read_in_its_pieces(tmp_path: Path) -> None:
    """Direction marks, a label, a note or two numbers in one cell: each number was lost, without a word."""
    from pipeline.rulefile import load_rules
    from pipeline.suppression import load_suppression

    cells = [
        "+972528128886\u200f",
        "\u200e0528129997",
        "טל: 052-8123456",
        "0528124444 (נייד)",
        "ת.ז. 039337423",
        "0528100000 / 0528101111",
        "0528102222 0528103333",
        "0528106666 או 0528107777",
        "0528108888 - 0528109999",
        "שם: דנה, dana@walla.co.il",
    ]
    path = tmp_path / "dnc.txt"
    path.write_text("\n".join(cells) + "\n", encoding="utf-8")
    found = load_suppression(path, rules=load_rules())
    assert found.phones >= {
        "+972528128886",
        "+972528129997",
        "+972528123456",
        "+972528124444",
        *(f"+97252810{n}" for n in ("0000", "1111", "2222", "3333", "6666", "7777", "8888", "9999")),
    }
    assert "039337423" in found.national_ids and "dana@walla.co.il" in found.emails


def test_a_suppression_list_with_cells_it_cannot_read_is_a_warning(members: Path, tmp_path: Path) -> None:
    # a do-not-contact export: one good number, a number cut short, an ID with a wrong check digit, an address
    # with no domain; its dates and member numbers are no addresses and are not counted
    path = tmp_path / "dnc.csv"
    path.write_text(
        "טלפון,ת.ז.,מייל,תאריך הסרה,מספר חבר\n"
        "054-7654329,,,2025-03-01,1234567\n"
        "052-812345,231740706,dana@,01/02/2025 10:22,7654321\n",
        encoding="utf-8",
    )
    _, summary = _suppressed(members, tmp_path, path)
    assert summary["removed"]["suppressed"] >= 1  # the good number still suppresses its member
    unread = [w for w in summary["warnings"] if w.startswith("suppression list dnc.csv")]
    assert len(unread) == 1 and "3 cell(s)" in unread[0] and "NOT suppressed" in unread[0]
    assert "at line 3 (" in unread[0]  # where they are: all three on the file's third line
    assert "812345" not in unread[0]  # the example is masked


def test_an_unreadable_suppression_cell_in_a_workbook_is_pointed_at_by_sheet_and_column(
    members: Path, tmp_path: Path
) -> None:
    import xlsxwriter

    path = tmp_path / "dnc.xlsx"
    with xlsxwriter.Workbook(path) as book:
        good = book.add_worksheet("הסרות")
        good.write_column(0, 0, ["טלפון", "054-7654329"])
        bad = book.add_worksheet("ישן")
        bad.write_column(0, 0, ["מספר חבר", "1234567"])
        bad.write_column(0, 1, ["מייל", "dana@"])
    _, summary = _suppressed(members, tmp_path, path)
    unread = [w for w in summary["warnings"] if w.startswith("suppression list dnc.xlsx")]
    assert len(unread) == 1 and "1 cell(s)" in unread[0] and "at sheet 'ישן', column B (" in unread[0]


def test_a_clean_suppression_list_gives_no_warning(members: Path, tmp_path: Path) -> None:
    path = tmp_path / "dnc.csv"
    path.write_text("טלפון,תאריך הסרה,מספר חבר\n054-7654329,2025-03-01,1234567\n", encoding="utf-8")
    _, summary = _suppressed(members, tmp_path, path)
    assert not [w for w in summary["warnings"] if w.startswith("suppression list")]


def test_a_removal_time_beside_the_phones_is_a_date_not_an_unread_address(members: Path, tmp_path: Path) -> None:
    """A date with its time has 9 to 13 digits ("01/03/2025 10:30": twelve); read as the date cleaner reads dates,
    it is no address that failed."""
    path = tmp_path / "dnc.csv"
    path.write_text("טלפון,הוסר\n054-7654329,01/03/2025 10:30\n052-2745678,2025-03-01T10:30:00\n", encoding="utf-8")
    _, summary = _suppressed(members, tmp_path, path)
    assert not [w for w in summary["warnings"] if w.startswith("suppression list")]


def test_a_parquet_list_is_pointed_at_by_column_and_a_header_that_is_a_number_is_masked(
    members: Path, tmp_path: Path
) -> None:
    # a list saved without headers by a tool that took its first row for them: the column is named by a phone
    path = tmp_path / "dnc.parquet"
    pl.DataFrame({"0547654329": ["054-7654329", "052-812345"]}).write_parquet(path)
    _, summary = _suppressed(members, tmp_path, path)
    unread = [w for w in summary["warnings"] if w.startswith("suppression list dnc.parquet")]
    assert len(unread) == 1 and "at column '054-***-4329' (" in unread[0]
    assert "0547654329" not in unread[0]
