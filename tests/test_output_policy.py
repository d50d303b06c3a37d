"""The output policy: no command writes onto an input, replaces or deletes a file cleanse did not write, or leaves
half-written files and spilled personal data behind; every refusal is one line and exit 2, before any work."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.errors import OutputError
from pipeline.leftovers import Terminated, owner_prefix, sweep
from pipeline.outputs import FILES, MARKER, atomic_file, atomic_folder, check_folder
from pipeline.writing import OUTPUT_FILES
from tests.conftest import SAMPLE

runner = CliRunner()
MEMBERS = "מספר חבר,שם פרטי,שם משפחה,טלפון נייד,אישור SMS\n1,משה,כהן,054-7654329,כן\n2,שרה,לוי,052-2745678,כן\n"
DNC = "טלפון\n052-2745678\n"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any reading of the member file fails the test: the refusals must come before the work."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the work started before the output policy refused")

    monkeypatch.setattr("pipeline.runner.process", refuse)


def _file(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _refused(result: object, *words: str) -> str:
    """Exit 2 and one line on stderr that says why."""
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("cleanse: error: "), lines
    for word in words:
        assert word in lines[0], lines[0]
    return str(lines[0])


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- 1. never onto an input -------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["same path", "symlink", "hard link"])
def test_scrub_never_writes_onto_the_member_file(tmp_path: Path, how: str, no_work: None) -> None:
    members = _file(tmp_path / "m.csv", MEMBERS)
    out = {
        "same path": members,
        "symlink": tmp_path / "link.csv",
        "hard link": tmp_path / "hard.csv",
    }[how]
    if how == "symlink":
        out.symlink_to(members)
    elif how == "hard link":
        os.link(members, out)
    before = _snapshot(tmp_path)
    result = runner.invoke(app, ["scrub", str(members), "--channel", "sms", "--out", str(out)])
    _refused(result, "is an input of this command", "never writes onto an input")
    assert _snapshot(tmp_path) == before


def test_scrub_never_writes_onto_a_suppression_list(tmp_path: Path, no_work: None) -> None:
    members = _file(tmp_path / "m.csv", MEMBERS)
    dnc = _file(tmp_path / "dnc.csv", DNC)
    before = _snapshot(tmp_path)
    result = runner.invoke(
        app, ["scrub", str(members), "--channel", "sms", "--out", str(dnc), "--suppress", str(dnc), "--force"]
    )
    _refused(result, "dnc.csv", "is an input of this command")  # --force never lets it write onto an input
    assert _snapshot(tmp_path) == before


def test_run_never_writes_its_profile_onto_the_transactions_file(tmp_path: Path, no_work: None) -> None:
    """--force lets a run replace a file cleanse did not write, never an input: the transactions file is one."""
    members = _file(tmp_path / "m.csv", MEMBERS)
    purchases = _file(tmp_path / "tx.csv", "member,date,amount\n1,2024-01-01,100\n")
    before = _snapshot(tmp_path)
    result = runner.invoke(
        app,
        [
            *("run", str(members), "--out", str(tmp_path / "o")),
            *("--transactions", str(purchases), "--profile", str(purchases), "--force"),
        ],
    )
    _refused(result, "tx.csv", "is an input of this command")
    assert _snapshot(tmp_path) == before


def test_scrub_never_writes_its_summary_onto_an_input(tmp_path: Path, no_work: None) -> None:
    members = _file(tmp_path / "list.summary.json", MEMBERS)  # an odd name for a member file, but an input
    before = _snapshot(tmp_path)
    result = runner.invoke(app, ["scrub", str(members), "--channel", "sms", "--out", str(tmp_path / "list.csv")])
    _refused(result, "list.summary.json", "is an input")
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "args",
    [
        ["run", "{out}/march.csv", "--out", "{out}"],
        ["run", "{out}/march.csv", "--out", "{link}"],  # the same folder through a symbolic link
        ["run", "{base}/feb.csv", "--out", "{out}", "--decisions", "{out}/review.xlsx"],
        ["run", "{base}/feb.csv", "--out", "{out}", "--previous", "{out}"],
        ["run", "{base}/feb.csv", "--out", "{out}", "--rules", "{out}/my-rules.yaml"],
        ["run", "{base}/feb.csv", "--out", "{base}/rules", "--rules", "{base}/rules", "--force"],
    ],
    ids=["member file", "through a link", "decisions", "previous", "rules file", "rules folder"],
)
def test_run_never_writes_a_folder_that_holds_an_input(tmp_path: Path, args: list[str], no_work: None) -> None:
    out = tmp_path / "out"
    _file(out / "march.csv", MEMBERS)
    _file(out / "review.xlsx", "a person's decisions")
    _file(out / "my-rules.yaml", "min_age: 16\n")
    _file(out / MARKER, "written by cleanse; this folder is replaced whole by the next run\n")  # an older cleanse's
    _file(tmp_path / "feb.csv", MEMBERS)
    _file(tmp_path / "rules" / "checks.yaml", "min_age: 16\n")
    (tmp_path / "link").symlink_to(out)
    before = _snapshot(tmp_path)
    argv = [a.format(out=out, base=tmp_path, link=tmp_path / "link") for a in args]
    _refused(runner.invoke(app, argv), "holds an input of this run", "choose another --out")
    assert _snapshot(tmp_path) == before


def test_run_refuses_a_folder_holding_its_input_under_another_name(tmp_path: Path, no_work: None) -> None:
    out = tmp_path / "out"
    _file(out / "members_clean.csv", MEMBERS)
    _file(out / MARKER, "written by cleanse\n")
    os.link(out / "members_clean.csv", tmp_path / "march.csv")  # a hard link: the same file
    before = _snapshot(tmp_path)
    result = runner.invoke(app, ["run", str(tmp_path / "march.csv"), "--out", str(out)])
    _refused(result, "the same file as the input", "hard link")
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("option", ["--junit", "--report"])
@pytest.mark.parametrize("onto", ["file", "baseline", "rules"])
def test_check_never_writes_onto_its_inputs(tmp_path: Path, option: str, onto: str, no_work: None) -> None:
    members = _file(tmp_path / "m.csv", MEMBERS)
    baseline = _file(tmp_path / "base.json", json.dumps({"schema": "cleanse.check", "gates": {"rows": 2}}))
    rules = _file(tmp_path / "gates.yaml", "gates:\n  - name: rows\n    metric: rows\n    min: {fail: 1}\n")
    target = {"file": members, "baseline": baseline, "rules": rules}[onto]
    before = _snapshot(tmp_path)
    argv = ["check", str(members), "--baseline", str(baseline), "--rules", str(rules), option, str(target)]
    _refused(runner.invoke(app, [*argv, "--force"]), "is an input of this command")
    assert _snapshot(tmp_path) == before


def test_check_refuses_junit_and_report_in_one_file(tmp_path: Path, no_work: None) -> None:
    members = _file(tmp_path / "m.csv", MEMBERS)
    same = str(tmp_path / "r.json")
    _refused(runner.invoke(app, ["check", str(members), "--junit", same, "--report", same]), "the same file")


# --- 2. never over, never deleting, a file cleanse did not write ---------------------------------------------------


def test_a_second_run_keeps_every_file_a_person_put_in_the_folder(tmp_path: Path) -> None:
    members = _file(tmp_path / "m.csv", MEMBERS)
    out = tmp_path / "out"
    assert runner.invoke(app, ["run", str(members), "--out", str(out), "--quiet"]).exit_code == 0
    listing = json.loads((out / MARKER).read_text(encoding="utf-8"))
    assert set(listing["files"]) == {p.name for p in out.iterdir()} - {MARKER}  # what cleanse wrote, listed
    notes = _file(out / "notes.txt", "call Moshe back")
    _file(out / "archive" / "january.csv", "last month")
    inode = notes.stat().st_ino
    _file(members, MEMBERS + "3,דוד,לוי,050-2945679,כן\n")
    result = runner.invoke(app, ["run", str(members), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output + result.stderr
    assert notes.read_text(encoding="utf-8") == "call Moshe back" and notes.stat().st_ino == inode  # the same file
    assert (out / "archive" / "january.csv").read_text(encoding="utf-8") == "last month"
    assert (out / "members_clean.csv").read_text(encoding="utf-8-sig").count("\n") == 4  # the new output
    assert "notes.txt" not in json.loads((out / MARKER).read_text(encoding="utf-8"))["files"]  # still theirs


def test_a_file_cleanse_wrote_and_a_person_changed_is_not_replaced_without_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = _file(tmp_path / "m.csv", MEMBERS)
    out = tmp_path / "out"
    assert runner.invoke(app, ["run", str(members), "--out", str(out), "--quiet"]).exit_code == 0
    filled = _file(out / "report.html", "<p>my notes on the report</p>")  # cleanse wrote it; a person changed it
    review = _file(out / "review.xlsx", "a review sheet a person filled in")  # an output's name, not cleanse's file
    before = _snapshot(out)
    with monkeypatch.context() as m:
        m.setattr("pipeline.runner.process", lambda *a, **k: pytest.fail("the work started before the refusal"))
        line = _refused(runner.invoke(app, ["run", str(members), "--out", str(out)]), "--force")
    assert "report.html (changed since cleanse wrote it)" in line and "review.xlsx" in line
    assert _snapshot(out) == before
    assert runner.invoke(app, ["run", str(members), "--out", str(out), "--force", "--quiet"]).exit_code == 0
    assert "my notes" not in filled.read_text(encoding="utf-8")  # --force replaced it with the report
    assert review.read_text(encoding="utf-8") == "a review sheet a person filled in"  # not an output of this run: kept


def test_a_folder_cleanse_never_wrote_is_refused_before_the_work(tmp_path: Path, no_work: None) -> None:
    members = _file(tmp_path / "m.csv", MEMBERS)
    thesis = _file(tmp_path / "docs" / "thesis.docx", "precious")
    result = runner.invoke(app, ["run", str(members), "--out", str(thesis.parent)])
    _refused(result, "not written by cleanse", "--force")
    assert [p.name for p in thesis.parent.iterdir()] == ["thesis.docx"]


def test_force_writes_into_a_foreign_folder_and_keeps_its_files(tmp_path: Path) -> None:
    members = _file(tmp_path / "m.csv", MEMBERS)
    thesis = _file(tmp_path / "docs" / "thesis.docx", "precious")
    result = runner.invoke(app, ["run", str(members), "--out", str(thesis.parent), "--force", "--quiet"])
    assert result.exit_code == 0, result.stderr
    assert thesis.read_text(encoding="utf-8") == "precious" and (thesis.parent / "members_clean.csv").exists()
    # the folder is cleanse's now, its own files listed: the next run needs no --force and still keeps the thesis
    assert runner.invoke(app, ["run", str(members), "--out", str(thesis.parent), "--quiet"]).exit_code == 0
    assert thesis.read_text(encoding="utf-8") == "precious"


def test_an_older_cleanse_folder_is_replaced_but_its_foreign_files_kept(tmp_path: Path) -> None:
    members = _file(tmp_path / "m.csv", MEMBERS)
    out = tmp_path / "out"
    _file(out / MARKER, "written by cleanse; this folder is replaced whole by the next run\n")
    _file(out / "members_clean.csv", "old output")
    _file(out / "notes.txt", "mine")
    assert runner.invoke(app, ["run", str(members), "--out", str(out), "--quiet"]).exit_code == 0
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (out / "members_clean.csv").read_text(encoding="utf-8") != "old output"


def test_the_sample_runs_twice_into_the_same_folder(tmp_path: Path) -> None:
    """``make run`` twice in a row: the folder is cleanse's own."""
    out = tmp_path / "out" / "members"
    for _ in range(2):
        result = runner.invoke(app, ["run", str(SAMPLE), "--out", str(out), "--quiet"])
        assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["members"]
    written = set(json.loads((out / MARKER).read_text(encoding="utf-8"))["files"])
    assert written <= set(OUTPUT_FILES) and "review.xlsx" in written  # what the policy checks before a run


def test_scrub_replaces_its_own_list_and_nothing_else(tmp_path: Path) -> None:
    members = _file(tmp_path / "m.csv", MEMBERS)
    out = tmp_path / "sms.csv"
    argv = ["scrub", str(members), "--channel", "sms", "--out", str(out), "--quiet"]
    for _ in range(2):  # its own list and summary, listed in .cleanse-files: replaced without --force
        assert runner.invoke(app, argv).exit_code == 0
    assert set(json.loads((tmp_path / FILES).read_text(encoding="utf-8"))["files"]) == {"sms.csv", "sms.summary.json"}
    _file(out, "phone\n0521111111\n")  # a person edited the list
    _refused(runner.invoke(app, argv), "sms.csv", "not written by cleanse", "--force")
    assert out.read_text(encoding="utf-8") == "phone\n0521111111\n"
    assert runner.invoke(app, [*argv, "--force"]).exit_code == 0
    assert "0521111111" not in out.read_text(encoding="utf-8-sig")


def test_scrub_refuses_to_replace_a_file_it_did_not_write(tmp_path: Path, no_work: None) -> None:
    members = _file(tmp_path / "m.csv", MEMBERS)
    campaign = _file(tmp_path / "campaign.csv", "the agency's file")
    result = runner.invoke(app, ["scrub", str(members), "--channel", "sms", "--out", str(campaign)])
    _refused(result, "campaign.csv", "not written by cleanse")
    assert campaign.read_text(encoding="utf-8") == "the agency's file"


def test_check_replaces_its_own_junit_but_not_a_foreign_file(tmp_path: Path) -> None:
    members = _file(tmp_path / "m.csv", MEMBERS)
    junit = tmp_path / "reports" / "cleanse.xml"
    for _ in range(2):
        assert runner.invoke(app, ["check", str(members), "--junit", str(junit), "--quiet"]).exit_code in (0, 1)
    other = _file(tmp_path / "reports" / "pytest.xml", "<testsuites/>")
    _refused(runner.invoke(app, ["check", str(members), "--junit", str(other)]), "not written by cleanse")
    assert other.read_text(encoding="utf-8") == "<testsuites/>"


# --- 3. atomic; what a killed run leaves behind ---------------------------------------------------------------------


def test_atomic_folder_replaces_only_on_success(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with atomic_folder(out) as tmp:
        (tmp / "a.csv").write_text("first")
    assert (out / "a.csv").read_text() == "first" and (out / MARKER).exists()
    with pytest.raises(RuntimeError), atomic_folder(out) as tmp:
        (tmp / "a.csv").write_text("half")
        raise RuntimeError("boom")
    assert (out / "a.csv").read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary folder left behind


def test_atomic_folder_refuses_a_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.docx").write_text("precious")
    with pytest.raises(OutputError, match="not written by cleanse"), atomic_folder(tmp_path / "mine"):
        pass
    assert (tmp_path / "mine" / "thesis.docx").read_text() == "precious"


def test_atomic_folder_refuses_a_file_a_person_added_while_it_worked(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with atomic_folder(out, names=["a.csv"]) as tmp:
        (tmp / "a.csv").write_text("first")
    with pytest.raises(OutputError, match=r"would replace a\.csv \(changed"), atomic_folder(out) as tmp:
        (out / "a.csv").write_text("edited meanwhile")
        (tmp / "a.csv").write_text("second")
    assert (out / "a.csv").read_text() == "edited meanwhile"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_swap_that_fails_halfway_puts_the_previous_output_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    with atomic_folder(out) as tmp:
        (tmp / "a.csv").write_text("first")
    real, calls = os.replace, []

    def second_rename_fails(a: object, b: object) -> None:
        calls.append(b)
        if len(calls) == 2:  # the new folder into place, after the previous one was set aside
            raise Terminated()
        real(a, b)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", second_rename_fails)
    with pytest.raises(Terminated), atomic_folder(out) as tmp:
        (tmp / "a.csv").write_text("second")
    monkeypatch.undo()
    assert (out / "a.csv").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_leftovers_of_a_killed_run_are_removed_and_said(tmp_path: Path) -> None:
    host, dead = owner_prefix("x").split("-")[1], _dead_pid()
    stale = [
        f".out.cleanse-{host}-{dead}-a1b2c3d4.partial",  # a run's output folder being written
        f".cleanse-spill-{host}-{dead}-k2j3h4g5",  # a run's spilled ledger
        f".sms.csv.cleanse-{host}-{dead}-z9y8x7w6.partial.csv",  # a send list being written
    ]
    for name in stale[:2]:
        _file(tmp_path / name / "ledger-00001.parquet", "personal data")
    _file(tmp_path / stale[2], "0521234567")
    alive = _file(tmp_path / f".cleanse-spill-{host}-{os.getpid()}-q1w2e3r4" / "x", "a run still working")
    elsewhere = _file(tmp_path / f".cleanse-spill-0000beef-{dead}-q1w2e3r4" / "x", "another machine's run")
    legacy = _file(tmp_path / ".out.k2j3h4g5.partial" / "x", "an older cleanse's")
    members = _file(tmp_path / "m.csv", MEMBERS)
    result = runner.invoke(app, ["run", str(members), "--out", str(tmp_path / "out"), "--quiet"])
    assert result.exit_code == 0, result.stderr
    for name in stale:
        assert not (tmp_path / name).exists()
    assert alive.exists() and elsewhere.exists() and legacy.exists()  # not provably ours and stale: left alone
    result = runner.invoke(app, ["run", str(members), "--out", str(tmp_path / "out")])
    line = sweep(tmp_path).line()
    assert line is not None and ".out.k2j3h4g5.partial" in line and "older cleanse" in line
    assert "leftover" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_an_output_in_folders_yet_to_be_made_sweeps_where_it_spills(tmp_path: Path) -> None:
    host, dead = owner_prefix("x").split("-")[1], _dead_pid()
    stale = _file(tmp_path / f".cleanse-spill-{host}-{dead}-k2j3h4g5" / "ledger-00001.parquet", "personal data")
    members = _file(tmp_path / "m.csv", MEMBERS)
    out = tmp_path / "reports" / "march" / "out"  # the run spills in tmp_path, the nearest folder that exists
    result = runner.invoke(app, ["run", str(members), "--out", str(out), "--chunk-rows", "1"])
    assert result.exit_code == 0, result.stderr
    assert not stale.parent.exists() and "removed 1 leftover(s)" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.csv", "reports"]  # its own spill gone too


def test_a_swap_cut_short_is_put_back(tmp_path: Path) -> None:
    host, dead = owner_prefix("x").split("-")[1], _dead_pid()
    aside = _file(tmp_path / f".out.cleanse-{host}-{dead}-a1b2c3d4.old" / "members_clean.csv", "last month")
    swept = sweep(tmp_path)
    assert swept.restored == ("out",) and not aside.parent.exists()
    assert (tmp_path / "out" / "members_clean.csv").read_text(encoding="utf-8") == "last month"


def _cleanse(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(folder: Path, pattern: str, process: subprocess.Popen[str], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not list(folder.glob(pattern)):
        assert process.poll() is None, f"the run ended before {pattern} appeared: {process.stderr.read()}"  # type: ignore[union-attr]
        assert time.monotonic() < deadline, f"no {pattern} after {seconds} s"
        time.sleep(0.05)


def test_sigterm_removes_the_spilled_personal_data(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = _cleanse("run", str(SAMPLE), "--out", str(out), "--chunk-rows", "50", "--quiet")
    _wait_for(tmp_path, ".cleanse-spill-*/ledger-*.parquet", run)
    run.send_signal(signal.SIGTERM)
    _, stderr = run.communicate(timeout=120)
    assert run.returncode == 128 + signal.SIGTERM, stderr
    assert stderr.strip() == "cleanse: stopped by SIGTERM; nothing half-written was left behind"
    assert list(tmp_path.iterdir()) == []  # no spill, no partial output, no output


def test_sigterm_while_writing_removes_the_partial_folder(tmp_path: Path) -> None:
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from pipeline.leftovers import terminate_as_exception\nfrom pipeline.outputs import atomic_folder\n"
        "with terminate_as_exception(), atomic_folder(Path(sys.argv[1])) as tmp:\n"
        "    (tmp / 'members_clean.csv').write_text('half of the members')\n"
        "    time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "out")], cwd=ROOT, stderr=subprocess.PIPE)
    _wait_for(tmp_path, ".out.cleanse-*.partial/members_clean.csv", child)  # type: ignore[arg-type]
    child.send_signal(signal.SIGTERM)
    child.communicate(timeout=60)
    assert child.returncode != 0 and list(tmp_path.iterdir()) == []


def test_after_sigkill_the_next_run_removes_the_spill(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = _cleanse("run", str(SAMPLE), "--out", str(out), "--chunk-rows", "50", "--quiet")
    _wait_for(tmp_path, ".cleanse-spill-*/ledger-*.parquet", run)
    run.kill()
    run.communicate(timeout=60)
    spill = [p.name for p in tmp_path.glob(".cleanse-spill-*")]
    assert spill, "SIGKILL leaves the spill behind (nothing can run on SIGKILL)"
    members = _file(tmp_path / "m.csv", MEMBERS)
    result = runner.invoke(app, ["run", str(members), "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert f"removed 1 leftover(s) of a killed cleanse run: {spill[0]}" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.csv", "out"]


# --- 4. unwritable places: one line and exit 2 --------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--junit", "--report"])
def test_check_output_under_a_file_is_one_line_exit_2(tmp_path: Path, option: str, no_work: None) -> None:
    members = _file(tmp_path / "m.csv", MEMBERS)
    blocker = _file(tmp_path / "reports", "a file where a folder should be")
    result = runner.invoke(app, ["check", str(members), option, str(blocker / "ci" / "cleanse.xml")])
    _refused(result, "cannot write here", "is a file, not a folder")


def test_run_and_scrub_under_a_file_are_one_line_exit_2(tmp_path: Path, no_work: None) -> None:
    members = _file(tmp_path / "m.csv", MEMBERS)
    blocker = _file(tmp_path / "results", "a file")
    _refused(runner.invoke(app, ["run", str(members), "--out", str(blocker / "march")]), "is a file, not a folder")
    _refused(runner.invoke(app, ["run", str(members), "--out", str(blocker)]), "exists and is not a folder")
    result = runner.invoke(app, ["scrub", str(members), "--channel", "sms", "--out", str(blocker / "sms.csv")])
    _refused(result, "is a file, not a folder")


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc (Linux)")
def test_a_place_no_file_can_be_made_in_is_refused_before_the_work(
    tmp_path: Path, no_work: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/proc passes ``os.access`` for root, yet no file can be made there: an audit's ``run --out /proc/x`` ran the
    whole pipeline before it was refused. A file is now made and removed there first. ``os.access`` says yes here
    whoever runs the test, so the refusal is the probe's."""
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: True)
    members = _file(tmp_path / "m.csv", MEMBERS)
    _refused(runner.invoke(app, ["run", str(members), "--out", "/proc/cleanse-out"]), "cannot write here")
    result = runner.invoke(app, ["scrub", str(members), "--channel", "sms", "--out", "/proc/cleanse-sms.csv"])
    _refused(result, "cannot write here")
    _refused(runner.invoke(app, ["check", str(members), "--junit", "/proc/cleanse.xml"]), "cannot write here")


@pytest.mark.parametrize("option", ["--junit", "--report"])
def test_a_pipe_is_never_replaced_even_with_force(tmp_path: Path, option: str, no_work: None) -> None:
    """``check --junit /dev/full --force`` once put a regular file where the device was: a device, a pipe or a
    socket is not a file cleanse may replace, whatever --force says."""
    members = _file(tmp_path / "m.csv", MEMBERS)
    pipe, send_list = tmp_path / "ci.xml", tmp_path / "sms.csv"
    os.mkfifo(pipe)
    os.mkfifo(send_list)
    _refused(runner.invoke(app, ["check", str(members), option, str(pipe), "--force"]), "a pipe")
    result = runner.invoke(app, ["scrub", str(members), "--channel", "sms", "--out", str(send_list), "--force"])
    _refused(result, "a pipe")
    assert pipe.is_fifo() and send_list.is_fifo()


def test_a_write_that_fails_is_an_output_error_not_a_crash(tmp_path: Path) -> None:
    blocker = _file(tmp_path / "reports", "a file")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        atomic_file(blocker / "x.json", "{}")
    with pytest.raises(OutputError, match="not a folder"):
        check_folder(blocker, names=())
