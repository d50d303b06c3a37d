"""The report: every section, in Hebrew (default for Hebrew headers) and English, and no personal data unmasked
by default."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.report import render_html
from tests.conftest import SAMPLE

# the manager's first screen, then the data team's detail (each collapsible)
SECTIONS = (
    "summary",
    "reach",
    "segments",
    "scores",
    "fields",
    "issues",
    "duplicates",
    "quarantine",
    "mapping",
    "stages",
)
DETAIL_SECTIONS = SECTIONS[1:]
PERSONAL_FIELDS = ("first_name", "last_name", "full_name", "national_id", "phone_mobile", "phone_other", "email")


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("reports")
    runner = CliRunner()
    for name, extra in (("masked", []), ("pii", ["--show-pii"])):
        result = runner.invoke(app, ["run", str(SAMPLE), "--out", str(base / name), "--quiet", *extra])
        assert result.exit_code == 0, result.output
    # the English page of the same run: rendered from report.json as `--lang en` would (tested on a small file)
    report = json.loads((base / "masked" / "report.json").read_text(encoding="utf-8"))
    (base / "masked" / "report.en.html").write_text(render_html(report, lang="en"), encoding="utf-8")
    return {"masked": base / "masked", "pii": base / "pii"}


def _raw_sample(headers: set[str]) -> pl.DataFrame:
    """The sample as its cells are written (every cell a string), under the file's own headers (the first row
    that holds them: a title line comes before)."""
    grid = pl.read_excel(SAMPLE, has_header=False, infer_schema_length=0)
    for i, row in enumerate(grid.iter_rows()):
        if headers <= {str(c).strip() for c in row if c is not None}:
            return grid.slice(i + 1).rename({c: str(h) for c, h in zip(grid.columns, row, strict=True)})
    raise AssertionError("the sample's header row was not found")


def _digit_forms(value: str) -> set[str]:
    """A phone or ID as its digits could be shown: 0521234567, 521234567, 972521234567; 012345678, 12345678."""
    digits = re.sub(r"\D", "", value)
    forms = {digits, digits.lstrip("0")}
    if digits.startswith("972"):
        forms |= {"0" + digits[3:], digits[3:]}
    elif digits.startswith("0"):
        forms.add("972" + digits[1:])
    return {f for f in forms if len(f) >= 7}


def _date_forms(value: str) -> set[str]:
    """A birth date as the report could write it: as in the file, ISO, 14/03/1985, 14.3.1985, 14 Mar 1985."""
    forms = {value.strip()}
    m = re.search(r"((?:18|19|20)\d\d)-(\d\d)-(\d\d)", value)
    if m:
        y, mo, d = m.groups()
        months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        forms |= {f"{y}-{mo}-{d}", f"{d}/{mo}/{y}", f"{d}.{mo}.{y}", f"{int(d)}.{mo}.{y}", f"{int(d)}.{int(mo)}.{y}"}
        forms.add(f"{int(d)} {months[int(mo) - 1]} {y}")
    return {f for f in forms if len(f) >= 8}


def _personal(folder: Path) -> dict[str, set[str]]:
    """Every name, phone, e-mail, ID and birth date of the input: as the file wrote it, as the ledger saw it
    before a fix, and as the clean table holds it."""
    clean = pl.read_parquet(folder / "members_clean.parquet")
    ledger = pl.read_parquet(folder / "ledger.parquet")
    headers = {m["field"]: m["header"] for m in json.loads((folder / "report.json").read_text("utf-8"))["mapping"]}
    raw = _raw_sample(set(headers.values()))

    def values(field: str) -> set[str]:
        out: set[str] = set()
        if field in clean.columns:
            out |= {str(v) for v in clean[field].drop_nulls().to_list()}
        if field in headers:
            out |= set(raw[headers[field]].drop_nulls().to_list())
        for column in ("before", "after"):
            out |= set(ledger.filter(pl.col("field") == field)[column].drop_nulls().to_list())
        return {v.strip("\u200e\u200f\u202a\u202b\u202c ") for v in out if v and v.strip()}

    names = values("first_name") | values("last_name") | values("full_name")
    names |= {word for n in names for word in re.findall(r"[\w'\"׳״-]+", n)}
    # a test entry's name ("Test", "בדיקה") is a word of the report's own, not a person's; a word of a street or a
    # city ("בן" of "בן גוריון") is shown with the address, which is not masked
    places = values("street") | values("city")
    names -= _vocabulary() | {word for p in places for word in re.findall(r"[\w'\"׳״-]+", p)}
    full = {f"{a} {b}" for a, b in clean.select("first_name", "last_name").drop_nulls().iter_rows()}
    numbers: set[str] = set()
    for field in ("phone_mobile", "phone_other", "national_id"):
        for v in values(field):
            numbers |= _digit_forms(v)
    dates: set[str] = set()
    for v in values("birth_date"):
        dates |= _date_forms(v)
    return {
        "names": {n for n in names if len(n) >= 2},
        "full_names": full,
        "numbers": numbers,
        "emails": {e.lower() for e in values("email") if "@" in e},
        "birth_dates": dates,
    }


def _vocabulary() -> set[str]:
    """Every word the report writes of its own: the catalogues of both languages and the checks' titles."""
    from pipeline.catalogue import CATALOGUE
    from pipeline.report.i18n import LANGUAGES, catalogue

    texts = [t for lang in LANGUAGES for t in catalogue(lang).values()] + [c.title for c in CATALOGUE.values()]
    return {word for t in texts for word in re.findall(r"[\w'\"׳״-]+", t)}


def _html_values(html: str) -> list[str]:
    """What the page shows of the file: every isolated value (``<bdi>``), every cell, every SVG label."""
    found = re.findall(r"<(?:bdi|td|th|code|text|li|p)[^>]*>([^<]*)<", html)
    return [v.strip() for v in found if v.strip()]


def _json_strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield str(k)
            yield from _json_strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _json_strings(v)


def _leaks(texts: Iterable[str], whole: str, personal: dict[str, set[str]]) -> list[str]:
    texts = list(texts)
    lower = whole.lower()
    leaks = [e for e in personal["emails"] if e in lower]
    leaks += [d for d in personal["birth_dates"] if d in whole]
    leaks += [f for f in personal["full_names"] if f in whole]
    words = {w for t in texts for w in re.findall(r"[\w'\"׳״-]+", t)}
    leaks += sorted((personal["names"] & words) | (personal["names"] & set(texts)))
    numbers = personal["numbers"]
    for t in texts:
        digits = re.sub(r"\D", "", t)
        windows = {digits[i : i + n] for n in range(7, 13) for i in range(len(digits) - n + 1)}
        leaks += sorted(windows & numbers)
    return leaks


def test_no_personal_value_of_the_input_appears_in_the_default_report(reports: dict[str, Path]) -> None:
    personal = _personal(reports["masked"])
    # the sample has thousands of each: every one is looked for
    assert len(personal["names"]) > 250 and len(personal["numbers"]) > 3000, {k: len(v) for k, v in personal.items()}
    assert len(personal["emails"]) > 1000 and len(personal["birth_dates"]) > 1000
    for name in ("report.html", "report.en.html"):
        html = (reports["masked"] / name).read_text(encoding="utf-8")
        leaks = _leaks(_html_values(html), html, personal)
        assert not leaks, f"{name} shows {leaks[:8]}"
    text = (reports["masked"] / "report.json").read_text(encoding="utf-8")
    leaks = _leaks(_json_strings(json.loads(text)), text, personal)
    assert not leaks, f"report.json shows {leaks[:8]}"


def test_show_pii_really_shows_them(reports: dict[str, Path]) -> None:
    personal = _personal(reports["pii"])
    html = (reports["pii"] / "report.html").read_text(encoding="utf-8")
    leaks = _leaks(_html_values(html), html, personal)
    assert any("@" in v for v in leaks) and any(v.isdigit() for v in leaks) and personal["names"] & set(leaks)
    assert json.loads((reports["pii"] / "report.json").read_text(encoding="utf-8"))["pii_masked"] is False


def test_examples_show_names_as_initials_and_birth_dates_as_the_year(reports: dict[str, Path]) -> None:
    checks = json.loads((reports["masked"] / "report.json").read_text(encoding="utf-8"))["checks"]
    examples = [e for c in checks for e in c["examples"]]
    names = [e[k] for e in examples if e["field"] in PERSONAL_FIELDS[:3] for k in ("before", "after") if e[k]]
    births = [e[k] for e in examples if e["field"] == "birth_date" for k in ("before", "after") if e[k]]
    assert names and births
    assert all(re.fullmatch(r"(\w\. ?)+|\*\*\*", n.replace(" ", "") + ("" if n.endswith(".") else ".")) for n in names)
    assert all(re.fullmatch(r"(18|19|20)\d\d|\*\*\*", b) for b in births), births


def test_every_section_collapsible_and_no_external_requests(reports: dict[str, Path]) -> None:
    for name in ("report.html", "report.en.html"):
        html = (reports["masked"] / name).read_text(encoding="utf-8")
        for section in SECTIONS:
            assert f'<section id="{section}"' in html, (name, section)
        for section in DETAIL_SECTIONS:
            assert re.search(f'<section id="{section}"><details( open)?><summary>', html), (name, section)
        assert "<script" not in html and "<link" not in html and "<img" not in html
        urls = set(re.findall(r"https?://[^\s\"'<>]+", html))
        assert urls <= {"http://www.w3.org/2000/svg"}  # the SVG namespace is a name, never fetched
        assert html.count("<svg") >= 5
        assert "@page{size:A4" in html and "@media print" in html


def test_hebrew_page_is_right_to_left_and_every_file_value_is_isolated(reports: dict[str, Path]) -> None:
    he = (reports["masked"] / "report.html").read_text(encoding="utf-8")
    en = (reports["masked"] / "report.en.html").read_text(encoding="utf-8")
    assert '<html lang="he" dir="rtl">' in he and '<html lang="en" dir="ltr">' in en
    assert "המועדון במבט אחד" in he and "The club at a glance" in en
    report = json.loads((reports["masked"] / "report.json").read_text(encoding="utf-8"))
    # the file's headers and path, each in its own isolate
    for m in report["mapping"]:
        assert f"<bdi>{m['header']}</bdi>" in he.replace("&quot;", '"').replace("&#x27;", "'")
    assert f"<bdi>{report['input']['path']}</bdi>" in he
    # examples: old value, arrow in the reading direction, new value, each isolated
    assert re.search(r"<bdi>[^<]*</bdi> ← (<bdi>|<i>)", he) and re.search(r"<bdi>[^<]*</bdi> → (<bdi>|<i>)", en)
    # numbers written for Israel: thousands with a comma, the date of the figures as 30.09.2026
    assert f"{report['summary']['rows_in']:,}" in he
    y, m, d = report["club"]["as_of"].split("-")
    assert f"{int(d)}.{m}.{y}" in he


def test_first_screen_answers_the_managers_questions(reports: dict[str, Path]) -> None:
    report = json.loads((reports["masked"] / "report.json").read_text(encoding="utf-8"))
    en = (reports["masked"] / "report.en.html").read_text(encoding="utf-8")
    first = en[: en.index('<h2 class="detail-head">')]
    s, ov = report["summary"], report["overview"]
    assert f'{s["golden_records"]:,}</div><div class="l">real members' in first
    assert f"from {s['rows_in']:,} rows in the file" in first
    for channel in ("sms", "email"):
        assert ov["reachable"][channel] == report["reach"][channel][-1][1]
        assert f'data-figure="reach-{channel}"><div class="n">{ov["reachable"][channel]:,}<' in first
    assert f"₪{ov['value']['unreachable_clv']:,.0f}" in first
    for key in ("repeat_customer_rate", "churn_rate"):
        assert f"{100 * report['club']['before'][key]:.1f}%" in first
        assert f"{100 * report['club']['after'][key]:.1f}%" in first
    assert len(ov["actions"]) == 3 and first.count('<span class="gain">') == 3
    top = ov["actions"][0]
    assert top["members"] == max(a["members"] for a in ov["actions"])
    assert f"{top['members']:,} members have" in first


def test_report_says_how_duplicates_were_found(reports: dict[str, Path]) -> None:
    from pipeline.rulefile import load_rules

    report = json.loads((reports["masked"] / "report.json").read_text(encoding="utf-8"))
    matching = report["duplicates"]["matching"]
    rules = load_rules().dedupe
    assert [k["key"] for k in matching["keys"]] == list(rules.keys)
    # each candidate pair is new to exactly one key (the first that proposed it), and is decided exactly once
    assert sum(k["new_pairs"] for k in matching["keys"]) == matching["candidate_pairs"] > 0
    assert sum(matching["bands"].values()) == matching["candidate_pairs"]
    assert matching["bands"]["merge"] > 0
    assert list(matching["hard_rules"]) == list(rules.hard_rules)
    assert matching["bands"].get("never", 0) <= sum(matching["hard_rules"].values())
    pairs = pl.read_parquet(reports["masked"] / "pairs.parquet")
    assert pairs.height == matching["candidate_pairs"]
    en = (reports["masked"] / "report.en.html").read_text(encoding="utf-8")
    assert "How they were found" in en and "<code>national_id_typo</code>" in en
    he = (reports["masked"] / "report.html").read_text(encoding="utf-8")
    assert "איך נמצאו" in he and "<code>national_id_typo</code>" in he


def test_report_json_schema(reports: dict[str, Path]) -> None:
    report = json.loads((reports["masked"] / "report.json").read_text(encoding="utf-8"))
    assert (report["schema"], report["schema_version"]) == ("cleanse.report", 1)
    for key in (
        "input",
        "mapping",
        "summary",
        "quarantine",
        "fields",
        "checks",
        "stages",
        "gates",
        "duplicates",
        "reach",
        "club",
        "quality",
        "notes",
        "overview",
    ):
        assert key in report, key
    summary = report["summary"]
    assert summary["rows_in"] == summary["rows_kept"] + summary["rows_quarantined"]
    assert summary["quality_grade"] in "ABCDEF"
    assert set(report["overview"]) == {"reachable", "value", "actions", "alarms"}


def test_reach_funnel_starts_at_the_members_and_narrows(reports: dict[str, Path]) -> None:
    report = json.loads((reports["masked"] / "report.json").read_text(encoding="utf-8"))
    members = report["summary"]["golden_records"]
    assert set(report["reach"]) == {"sms", "email"}
    for channel, steps in report["reach"].items():
        counts = [n for _, n in steps]
        assert steps[0] == ["members", members], channel
        assert all(a >= b for a, b in itertools.pairwise(counts)), (channel, counts)
        assert 0 < counts[-1] < counts[0], (channel, counts)
    for name in ("report.html", "report.en.html"):
        html = (reports["masked"] / name).read_text(encoding="utf-8")
        section = html[html.index('<section id="reach">') :]
        section = section[: section.index("</section>")]
        shares = [int(s) for s in re.findall(r"\((\d+)%\)", section)]
        assert shares and max(shares) == 100 and shares.count(100) == 2  # only the first step of each channel
        assert f"{members:,} (100%)" in section


def test_reach_funnel_of_a_small_table() -> None:
    """The funnel's arithmetic, each step within the one before; its last step is enrichment's contact verdict as
    given (``test_the_report_s_reach_is_the_list_scrub_sends`` in test_scrub.py runs the real one): rows 5 and 6
    have a valid mobile, e-mail and consent, and enrichment said no (deceased, and under the minimum age)."""
    from pipeline.report.manager import reach_funnels as _funnels

    members = pl.DataFrame(
        {
            "contact_sms": [True, False, False, False, False, False],
            "contact_email": [True, False, False, False, False, False],
            "phone_mobile": ["+972521234567", "+972521234568", None, "+97231234567", "+972541234567", "+972541234560"],
            "phone_mobile_status": ["valid", "invalid", None, "valid", "valid", "valid"],
            "phone_mobile_type": ["mobile", "mobile", None, "fixed_line", "mobile", "mobile"],
            "sms_consent": [True, True, True, True, True, True],
            "email": ["a@b.co.il", None, None, None, "c@d.com", "e@f.com"],
            "email_status": ["valid", None, None, None, "valid", "valid"],
            "email_consent": [True, None, False, False, True, True],
        }
    )
    assert _funnels(members) == {
        "sms": [
            ["members", 6],
            ["with a mobile", 5],
            ["valid mobile", 3],
            ["SMS consent", 3],
            ["alive, of age: reachable", 1],
        ],
        "email": [
            ["members", 6],
            ["with an e-mail", 3],
            ["valid personal address", 3],
            ["e-mail consent", 3],
            ["alive, of age: reachable", 1],
        ],
    }


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("first_name", "Dana", "D."),
        ("last_name", "Cohen-Levi", "C. L."),
        ("full_name", "משה בן דוד", "מ. ב. ד."),
        ("first_name", "0541239876", "054-***-9876"),  # a phone typed as a name is masked as a phone
        # a whole line in one name cell (a stray quote): the words beside the phone and e-mail are initials still
        ("first_name", "שולמית,קרן,052-7654323,shula@gmail.com,חיפה", "ש.,ק.,052-***-4323,s***@gmail.com,ח."),
        ("last_name", "Dana0521234567", "D.052-***-4567"),
        ("first_name", "דנה 052 765 4323", "ד. 052-***-4323"),  # a phone typed with spaces is one phone
        ("birth_date", "14/03/1985", "1985"),
        ("birth_date", "1985-03-14", "1985"),
        ("birth_date", "14.3.85", "***"),  # no four-digit year: nothing of it shown
        ("phone_mobile", "1234567", "***"),  # too short for a prefix and four digits to hide anything
    ],
)
def test_names_as_initials_birth_dates_as_the_year(field: str, value: str, shown: str) -> None:
    from pipeline.privacy import mask_by_field

    frame = pl.DataFrame({"value": [value], "field": [field]})
    assert frame.select(mask_by_field(pl.col("value"), pl.col("field"))).item() == shown
