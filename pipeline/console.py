"""Terminal rendering: stage progress and the end-of-run summary (rich). Nothing here computes figures.

Every text that may come from the member file (headers, sheet names, notes, reasons) goes through :func:`shown`:
a header ``[/]`` would otherwise be Rich markup (a crash after all the work), ``[link=...]`` a clickable link,
and an escape sequence would drive the terminal.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.status import Status
from rich.table import Table

from pipeline.errors import printable
from pipeline.mapping import ColumnMapping
from pipeline.privacy import mask_text


def shown(text: object) -> str:
    """Text from a file, safe to print with Rich: no markup, no escape sequences, no control characters."""
    return escape(printable(str(text)))


class StageProgress:
    """Shows a spinner while a stage runs and one line per finished stage (implements timing.Progress)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._status: Status | None = None
        # Live progress is for a person at a terminal; logs get the per-stage times in the summary instead.
        self.live = console.is_terminal and not console.quiet

    def start(self, stage: str, rows: int) -> None:
        if not self.live:
            return
        label = f"{stage} ({rows:,} rows)" if rows else stage
        self._status = self.console.status(f"[bold]{label}[/]…")
        self._status.start()

    def done(self, stage: str, rows_out: int, seconds: float) -> None:
        if not self.live:
            return
        if self._status is not None:
            self._status.stop()
            self._status = None
        self.console.print(f"  [green]✓[/] {stage:<11} {rows_out:>11,} rows  {seconds:7.2f} s", highlight=False)


def _how(method: str, values: str | None) -> str:
    return method + (", values agree" if values == "agree" and method != "values" else "")


def print_mapping(console: Console, mapping: ColumnMapping, *, show_pii: bool = False) -> None:
    """The mapping of every column with its method and confidence; held mappings as warnings that cannot be missed.
    A header that is a phone, e-mail or ID number (a header row that is a member) is masked unless ``show_pii``."""

    def cell(text: str) -> str:
        return shown(text if show_pii else mask_text(text))

    table = Table(title="Column mapping", title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("column in the file", no_wrap=True, overflow="fold")
    table.add_column("field")
    table.add_column("how")
    table.add_column("confidence", justify="right")
    for m in mapping.matches:
        table.add_row(cell(m.header), m.field, _how(m.method, m.values), f"{m.confidence:.2f}")
    held = {m.header: m for m in mapping.held}
    refusals = {m.header: m for m in mapping.opt_outs}
    for header in mapping.unmapped:
        if header in refusals:
            m = refusals[header]
            table.add_row(
                cell(header), f"{m.field} (withdraws consent)", _how(m.method, m.values), f"{m.confidence:.2f}"
            )
        elif header in held:
            m = held[header]
            table.add_row(cell(header), f"[yellow]— ({m.field}?)[/]", "[yellow]not used[/]", f"{m.confidence:.2f}")
        else:
            table.add_row(cell(header), "—", "carried through", "")
    console.print(table)
    for note in mapping.notes:
        console.print(f"[yellow]note:[/] {cell(note)}", highlight=False)
    for warning in mapping.warnings:
        console.print(f"[bold yellow]warning:[/] {cell(warning)}", highlight=False)


def print_summary(console: Console, report: dict[str, Any], *, out: str, files: list[str]) -> None:
    s = report["summary"]
    table = Table(title="Result", title_justify="left", show_header=False, show_edge=False, pad_edge=False)
    table.add_column(justify="left")
    table.add_column(justify="right")
    table.add_row("rows in", f"{s['rows_in']:,}")
    table.add_row("clean member records", f"{s['golden_records']:,}")
    table.add_row("rows merged", f"{s['rows_merged']:,}")
    table.add_row("rows quarantined", f"{s['rows_quarantined']:,}")
    for reason, n in report["quarantine"].items():
        table.add_row(f"  {shown(reason)}", f"{n:,}")
    for label, actions in (
        ("values fixed", ("fixed", "moved")),
        ("values reformatted", ("normalised",)),
        ("values flagged", ("flagged",)),
    ):
        table.add_row(label, f"{sum(c['count'] for c in report['checks'] if c['action'] in actions):,}")
    console.print(table)
    stages = Table(title="Stages", title_justify="left", show_edge=False, pad_edge=False)
    for name in ("stage", "rows in", "rows out", "seconds"):
        stages.add_column(name, justify="left" if name == "stage" else "right")
    for t in report["stages"]:
        stages.add_row(t["stage"], f"{t['rows_in']:,}", f"{t['rows_out']:,}", f"{t['seconds']:.2f}")
    stages.add_row("total", "", "", f"{sum(t['seconds'] for t in report['stages']):.2f}")
    console.print(stages)
    ok = "[green]nothing lost[/]" if s["accounted"] else "[red bold]ROWS UNACCOUNTED FOR[/]"
    console.print(
        f"{s['rows_in']:,} rows in = {s['rows_kept']:,} in the merge map + {s['rows_quarantined']:,} in "
        f"quarantine: {ok}"
    )
    for note in report.get("notes", []):
        console.print(f"[yellow]note:[/] {shown(note)}")
    for warning in report.get("warnings", []):
        console.print(f"[bold yellow]warning:[/] {shown(warning)}", soft_wrap=True)  # one line, for grep
    console.print(f"Results in [bold]{shown(out)}[/]: {', '.join(files)}")


def print_gates(console: Console, results: list[Any]) -> None:
    """One line per gate (results of pipeline.gates.evaluate) and a verdict."""
    style = {"pass": "green", "warn": "yellow", "fail": "red bold", "skip": "dim"}
    table = Table(title="Quality gates", title_justify="left", show_edge=False, pad_edge=False)
    for name in ("gate", "result", "figure"):
        table.add_column(name)
    for r in results:
        table.add_row(shown(r.gate.name), f"[{style[r.outcome]}]{r.outcome}[/]", shown(r.message))
    console.print(table)
    counts = {k: sum(1 for r in results if r.outcome == k) for k in style}
    console.print(
        f"{counts['pass']} passed, {counts['warn']} warned, {counts['fail']} failed, {counts['skip']} skipped"
    )


def print_scrub(console: Console, summary: dict[str, Any], *, out: str) -> None:
    table = Table(
        title=f"Send list for {summary['channel']}",
        title_justify="left",
        show_header=False,
        show_edge=False,
        pad_edge=False,
    )
    table.add_column()
    table.add_column(justify="right")
    table.add_row("members", f"{summary['members']:,}")
    for reason, n in summary["removed"].items():
        table.add_row(f"  removed: {shown(reason.replace('_', ' '))}", f"{n:,}")
    table.add_row("on the send list", f"{summary['sent']:,}")
    console.print(table)
    for warning in summary.get("warnings", []):
        console.print(f"[bold red]WARNING:[/] {shown(warning)}")
    console.print(f"Send list in [bold]{shown(out)}[/]; the summary beside it")


def print_inspection(console: Console, found: Any) -> None:
    """``cleanse inspect``: the file, then one row per column (an ``Inspection`` of pipeline.inspect)."""
    s = found.source
    where = f"sheet {s.sheet!r} of {len(s.sheets)}, " if s.sheet else ""
    how = ", ".join(x for x in (s.encoding, f"{s.delimiter}-separated" if s.delimiter else None) if x)
    rows = f"{found.rows:,}" if found.rows_exact else f"about {found.rows:,}"
    console.print(
        f"[bold]{shown(s.path)}[/] ({s.format}{', ' + how if how else ''}): {where}header on row {s.header_row}, "
        f"{rows} rows; {found.rows_read:,} read for this preview in {found.seconds:.2f} s"
    )
    table = Table(show_edge=False, pad_edge=False)
    for name in ("column in the file", "field", "how", "confidence", "filled", "sample values"):
        table.add_column(name, justify="right" if name in ("confidence", "filled") else "left")
    for c in found.columns:
        if c.status == "mapped":
            field, how = c.field, _how(c.method, c.values)
        elif c.status == "held":
            field, how = f"[yellow]— ({c.field}?)[/]", "[yellow]not used[/]"
        else:
            field, how = "—", "carried through"
        confidence = f"{c.confidence:.2f}" if c.confidence is not None else ""
        samples = shown(", ".join(c.samples))
        table.add_row(shown(c.header), field, how, confidence, f"{c.filled:.0%}", samples)
    console.print(table)
    for note in found.notes:
        console.print(f"[yellow]note:[/] {shown(note)}")
    for warning in found.warnings:
        console.print(f"[bold yellow]warning:[/] {shown(warning)}")
    carried = [c.header for c in found.columns if c.status != "mapped"]
    if carried:
        console.print(f"carried through unchanged: {shown(', '.join(carried))}")
    if found.pii_masked:
        console.print("[dim]sample values masked; --show-pii shows them[/]")
