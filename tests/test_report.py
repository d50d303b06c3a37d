"""The report: every section, no personal data unmasked by default, and a real browser renders it cleanly."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from tests.conftest import SAMPLE

SECTIONS = (
    "summary",
    "fields",
    "issues",
    "duplicates",
    "scores",
    "club",
    "segments",
    "reach",
    "quarantine",
    "mapping",
    "stages",
)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("reports")
    runner = CliRunner()
    for name, extra in (("masked", []), ("pii", ["--show-pii"])):
        result = runner.invoke(app, ["run", str(SAMPLE), "--out", str(base / name), "--quiet", *extra])
        assert result.exit_code == 0, result.output
    return {"masked": base / "masked", "pii": base / "pii"}


def _personal_values(folder: Path) -> set[str]:
    """Every phone, e-mail and ID number of the input, raw and cleaned, long enough to identify someone."""
    clean = pl.read_parquet(folder / "members_clean.parquet")
    ledger = pl.read_parquet(folder / "ledger.parquet")
    values: set[str] = set()
    for field in ("phone_mobile", "phone_other", "email", "national_id"):
        values |= set(clean[field].drop_nulls().to_list())
        values |= set(ledger.filter(pl.col("field") == field)["before"].drop_nulls().to_list())
    digits = {re.sub(r"\D", "", v) for v in values if "@" not in v}
    return {v for v in values | digits if len(re.sub(r"\W", "", v)) >= 7}


def test_no_phone_email_or_id_appears_unmasked(reports: dict[str, Path]) -> None:
    personal = _personal_values(reports["masked"])
    assert len(personal) > 3000
    for name in ("report.html", "report.json"):
        text = (reports["masked"] / name).read_text(encoding="utf-8")
        leaked = [v for v in personal if v in text]
        assert not leaked, f"{name} shows {leaked[:5]}"
    shown = (reports["pii"] / "report.html").read_text(encoding="utf-8")
    assert any(v in shown for v in personal)  # --show-pii really shows them
    assert json.loads((reports["pii"] / "report.json").read_text(encoding="utf-8"))["pii_masked"] is False


def test_every_section_and_no_external_requests(reports: dict[str, Path]) -> None:
    html = (reports["masked"] / "report.html").read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f'<section id="{section}">' in html, section
    assert "<script" not in html and "<link" not in html and "<img" not in html
    urls = set(re.findall(r"https?://[^\s\"'<>]+", html))
    assert urls <= {"http://www.w3.org/2000/svg"}  # the SVG namespace is a name, never fetched
    assert html.count("<svg") >= 4


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
    html = (reports["masked"] / "report.html").read_text(encoding="utf-8")
    assert "How they were found" in html and "<code>national_id_typo</code>" in html


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
    ):
        assert key in report, key
    summary = report["summary"]
    assert summary["rows_in"] == summary["rows_kept"] + summary["rows_quarantined"]
    assert summary["quality_grade"] in "ABCDEF"


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium installed (apt-get install -y chromium); .ci/run installs it")
def test_renders_in_headless_chromium_without_console_errors(reports: dict[str, Path], tmp_path: Path) -> None:
    page = (reports["masked"] / "report.html").as_uri()
    done = subprocess.run(
        [
            str(CHROMIUM),
            *FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=3000",
            "--dump-dom",
            page,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    summary = json.loads((reports["masked"] / "report.json").read_text(encoding="utf-8"))["summary"]
    assert f"{summary['rows_in']:,}" in dom and f"{summary['golden_records']:,}" in dom
    for section in SECTIONS:
        assert f'id="{section}"' in dom
    console = [line for line in done.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not console, console


def test_reach_funnel_starts_at_the_members_and_narrows(reports: dict[str, Path]) -> None:
    report = json.loads((reports["masked"] / "report.json").read_text(encoding="utf-8"))
    members = report["summary"]["golden_records"]
    assert set(report["reach"]) == {"sms", "email"}
    for channel, steps in report["reach"].items():
        counts = [n for _, n in steps]
        assert steps[0] == ["members", members], channel
        assert all(a >= b for a, b in itertools.pairwise(counts)), (channel, counts)
        assert 0 < counts[-1] < counts[0], (channel, counts)
    html = (reports["masked"] / "report.html").read_text(encoding="utf-8")
    section = html[html.index('<section id="reach">') :]
    section = section[: section.index("</section>")]
    shares = [int(s) for s in re.findall(r"\((\d+)%\)", section)]
    assert shares and max(shares) == 100 and shares.count(100) == 2  # only the first step of each channel
    assert f"{members:,} (100%)" in section


def test_reach_funnel_of_a_small_table() -> None:
    from pipeline.report.figures import _funnels

    members = pl.DataFrame(
        {
            "contact_sms": [True, False, False, False, True],
            "phone_mobile": ["+972521234567", "+972521234568", None, "+97231234567", "+972541234567"],
            "phone_mobile_status": ["valid", "invalid", None, "valid", "valid"],
            "phone_mobile_type": ["mobile", "mobile", None, "fixed_line", "mobile"],
            "sms_consent": [True, True, True, True, True],
            "email": ["a@b.co.il", None, None, None, "c@d.com"],
            "email_status": ["valid", None, None, None, "valid"],
            "email_consent": [True, None, False, False, False],
            "deceased": [False, False, False, False, True],
        }
    )
    assert _funnels(members) == {
        "sms": [["members", 5], ["with a mobile", 4], ["valid mobile", 2], ["SMS consent", 2], ["alive: reachable", 1]],
        "email": [
            ["members", 5],
            ["with an e-mail", 2],
            ["valid personal address", 2],
            ["e-mail consent", 1],
            ["alive: reachable", 1],
        ],
    }
