"""The command line: outputs, the mapping it prints, and one-line errors with exit code 2 for bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from tests.conftest import SAMPLE

runner = CliRunner()
OUTPUTS = {
    "members_clean.csv",
    "members_clean.xlsx",
    "members_clean.parquet",
    "merge_map.csv",
    "quarantine.csv",
    "ledger.csv",
    "ledger.parquet",
    "report.json",
    "report.html",
}


def test_run_writes_every_output_and_accounts_for_every_row(tmp_path: Path) -> None:
    out = tmp_path / "result"
    result = runner.invoke(app, ["run", str(SAMPLE), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} >= OUTPUTS
    assert "nothing lost" in result.output
    assert "טלפון נייד" in result.output and "phone_mobile" in result.output  # the mapping it chose
    merge = pl.read_csv(out / "merge_map.csv", infer_schema=False)
    quarantine = pl.read_csv(out / "quarantine.csv", infer_schema=False)
    truth = pl.read_csv(SAMPLE.with_name("members_truth.csv"))
    assert merge.height + quarantine.height == truth.height == 2000
    rows = sorted(int(r) for r in [*merge["source_row"], *quarantine["source_row"]])
    assert rows == truth["source_row"].to_list()


def test_chunk_rows_changes_memory_not_the_result(tmp_path: Path) -> None:
    outs = {n: tmp_path / f"chunks_{n}" for n in (500_000, 700)}  # the sample's 2,000 rows: one chunk, three
    for n, out in outs.items():
        result = runner.invoke(app, ["run", str(SAMPLE), "--out", str(out), "--chunk-rows", str(n)])
        assert result.exit_code == 0, result.output
    for name in ("members_clean.csv", "merge_map.csv", "quarantine.csv", "ledger.csv"):
        assert (outs[700] / name).read_bytes() == (outs[500_000] / name).read_bytes(), name
    # three chunks spilled their ledgers beside the output while they ran; nothing of that is left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chunks_500000", "chunks_700"]


def test_default_out_is_beside_the_input(tmp_path: Path) -> None:
    path = tmp_path / "club.csv"
    path.write_text("שם פרטי,טלפון נייד\nמשה,0547654329\n", encoding="utf-8")
    assert runner.invoke(app, ["run", str(path), "--quiet"]).exit_code == 0
    assert (tmp_path / "club_cleansed" / "members_clean.csv").exists()


def test_quiet_prints_nothing(tmp_path: Path) -> None:
    path = tmp_path / "club.csv"
    path.write_text("שם פרטי,טלפון נייד\nמשה,0547654329\n", encoding="utf-8")
    result = runner.invoke(app, ["run", str(path), "--quiet", "--out", str(tmp_path / "o")])
    assert result.exit_code == 0 and result.output == ""


def test_map_override_and_unmapped_columns_are_carried(tmp_path: Path) -> None:
    path = tmp_path / "club.csv"
    path.write_text("שם פרטי,טלפון נייד,עיר מגורים,תחביבים\nמשה,0547654329,חיפה,=1+1\n", encoding="utf-8")
    out = tmp_path / "o"
    result = runner.invoke(app, ["run", str(path), "--out", str(out), "--map", "עיר מגורים=city"])
    assert result.exit_code == 0, result.output
    clean = pl.read_csv(out / "members_clean.csv", infer_schema=False)
    assert clean["city"].to_list() == ["חיפה"]
    assert clean["תחביבים"].to_list() == ["'=1+1"]


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def _xlsx_bytes(tmp_path: Path) -> bytes:
    frame = pl.DataFrame({"שם פרטי": ["משה"], "נייד": ["0547654329"]})
    frame.write_excel(tmp_path / "good.xlsx")
    return (tmp_path / "good.xlsx").read_bytes()


BAD_INPUTS = {
    "missing": (None, "no such file"),
    "empty.csv": (b"", "is empty (0 bytes)"),
    "zero.xlsx": (b"", "is empty (0 bytes)"),
    "text.xlsx": ("שם פרטי,טלפון\nמשה,052\n", "is not an Excel workbook"),
    "corrupt.xlsx": ("CORRUPT", "is a damaged Excel workbook"),
    "members.json": ('{"a": 1}', "unknown file type '.json'"),
    "header_only.csv": ("שם פרטי,טלפון נייד\n", "has a header row but no member rows"),
    "unknown_cols.csv": ("צבע,גובה\nאדום,180\n", "no recognisable identifying column"),
    "blank.csv": ("\n\n  \n", "has no text"),
    "binary.csv": (b"\x00\x01\x02\x03", "binary file"),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_is_one_line_exit_2_and_no_output(tmp_path: Path, name: str) -> None:
    data, message = BAD_INPUTS[name]
    if name == "corrupt.xlsx":
        good = _xlsx_bytes(tmp_path)
        path = _write(tmp_path, name, good[: len(good) // 2])  # a truncated workbook
    elif data is None:
        path = tmp_path / "nowhere.xlsx"
    else:
        path = _write(tmp_path, name, data)
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cleanse: error: ") and message in lines[0], result.stderr
    assert str(path) in lines[0]
    assert "Traceback" not in result.output + result.stderr
    assert not out.exists()


def test_bad_rules_file_is_exit_2(tmp_path: Path) -> None:
    rules = _write(tmp_path, "checks.yaml", "min_agee: 3\n")
    result = runner.invoke(app, ["run", str(SAMPLE), "--rules", str(rules), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "line 1: unknown key 'min_agee' (did you mean 'min_age'?)" in result.stderr


def test_failed_run_keeps_previous_output(tmp_path: Path) -> None:
    good = _write(tmp_path, "m.csv", "שם פרטי,טלפון נייד\nמשה,0547654329\n")
    out = tmp_path / "o"
    assert runner.invoke(app, ["run", str(good), "--out", str(out)]).exit_code == 0
    before = (out / "members_clean.csv").read_bytes()
    bad = _write(tmp_path, "bad.csv", "שם פרטי,טלפון נייד\n")
    assert runner.invoke(app, ["run", str(bad), "--out", str(out)]).exit_code == 2
    assert (out / "members_clean.csv").read_bytes() == before


def test_real_console_script_error_has_no_traceback_unless_verbose(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "pipeline", "run", str(tmp_path / "missing.csv")]
    plain = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert plain.returncode == 2
    assert plain.stderr.strip() == f"cleanse: error: {tmp_path / 'missing.csv'}: no such file"
    verbose = subprocess.run([*cmd, "--verbose"], capture_output=True, text=True, check=False)
    assert verbose.returncode != 0 and "Traceback" in verbose.stderr


def test_every_command_has_help_text() -> None:
    import typer.main

    group = typer.main.get_command(app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        assert command.help, f"command {name} has no help text"


def test_xlsx_output_is_a_real_workbook(tmp_path: Path) -> None:
    out = tmp_path / "o"
    runner.invoke(app, ["run", str(SAMPLE), "--out", str(out), "--quiet"])
    assert zipfile.is_zipfile(out / "members_clean.xlsx")
    back = pl.read_excel(out / "members_clean.xlsx")
    assert back.height == pl.read_parquet(out / "members_clean.parquet").height


def test_profile_is_written(tmp_path: Path) -> None:
    import pstats

    result = runner.invoke(
        app, ["run", str(SAMPLE), "--out", str(tmp_path / "o"), "--quiet", "--profile", str(tmp_path / "run.prof")]
    )
    assert result.exit_code == 0
    stats = pstats.Stats(str(tmp_path / "run.prof"))
    assert any("deduplicate" in name for _, _, name in stats.stats)  # type: ignore[attr-defined]


def test_version_and_short_help() -> None:
    from pipeline import __version__

    assert runner.invoke(app, ["--version"]).stdout.strip() == f"cleanse {__version__}"
    for args in (["-h"], ["run", "-h"], ["check", "-h"], ["scrub", "-h"]):
        shown = runner.invoke(app, args)
        assert shown.exit_code == 0 and "Usage" in shown.stdout


def test_check_lists_its_choices_in_help_and_takes_them_in_any_case(tmp_path: Path) -> None:
    shown = runner.invoke(app, ["check", "--help"], terminal_width=200).stdout
    assert "fail|warn" in shown and "text|github" in shown
    path = _write(tmp_path, "m.csv", "מספר חבר,טלפון נייד\n1,0521234567\n")
    done = runner.invoke(app, ["check", str(path), "--fail-on", "WARN", "--format", "GitHub"])
    assert done.exit_code in (0, 1), done.output
    assert runner.invoke(app, ["check", str(path), "--format", "xml"]).exit_code == 2


def test_a_header_that_is_a_member_s_details_is_masked_unless_asked(tmp_path: Path) -> None:
    """A header row holding an e-mail, a phone and an ID number (a member's, pasted above the real header) was
    printed and written to report.json as it was."""
    path = tmp_path / "m.csv"
    path.write_text("dana.levi@gmail.com,0528810009,039337423,מספר חבר\na,b,c,1\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "o" / "report.json").read_text(encoding="utf-8"))
    for shown in (result.output, json.dumps(report, ensure_ascii=False)):
        assert "dana.levi@gmail.com" not in shown and "0528810009" not in shown and "039337423" not in shown
    assert "d***@gmail.com" in report["unmapped_columns"]
    shown_all = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "p"), "--show-pii"])
    assert "dana.levi@gmail.com" in shown_all.output


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["run", "m.csv", "--chunk-rows", "0"], "--chunk-rows"),
        (["run", "m.csv", "--xlsx-max-rows", "-5"], "--xlsx-max-rows"),
        (["scrub", "m.csv", "--bogus"], "--bogus"),
        (["frobnicate"], "frobnicate"),
    ],
)
def test_a_usage_error_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str], named: str
) -> None:
    """The console script: an option value the parser refuses is one line on stderr and exit 2 like every other
    refusal, not the parser's usage box (an audit: ``--chunk-rows 0`` printed a framed panel, and
    ``--xlsx-max-rows -5`` was taken, to say later "8 rows is more than -5")."""
    from pipeline.cli import main

    monkeypatch.setattr(sys, "argv", ["cleanse", *args])
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 2
    out = capsys.readouterr()
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cleanse: error: ") and named in lines[0], lines
    assert out.out == ""


def test_the_console_script_passes_a_command_s_exit_code_through(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from pipeline.cli import main

    for argv, code in ((["--version"], 0), (["check", str(tmp_path / "missing.csv")], 2)):
        monkeypatch.setattr(sys, "argv", ["cleanse", *argv])
        with pytest.raises(SystemExit) as stopped:
            main()
        assert stopped.value.code == code, argv
    assert "cleanse 0." in capsys.readouterr().out
