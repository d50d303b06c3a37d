"""Shared fixtures: the default rules and the same generated member data written in every format."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl
import pytest
from hypothesis import settings

from pipeline.rulefile import load_rules
from pipeline.rules import Rules
from sample_data.generate import generate, to_frame

# a property test is judged by what it asserts, not by how fast one example ran on a loaded two-core machine:
# hypothesis's 200 ms deadline failed idempotence tests of names and dates while other jobs ran
settings.register_profile("cleanse", deadline=None)
settings.load_profile("cleanse")

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data" / "members.xlsx"


@pytest.fixture(scope="session")
def rules() -> Rules:
    return load_rules()


@pytest.fixture(scope="session")
def member_frame() -> pl.DataFrame:
    """300 generated members as a Hebrew-headed table of strings (✓ made V: Windows-1255 has no ✓)."""
    records, _ = generate(300, seed=11)
    frame = to_frame(records)
    return frame.with_columns(pl.col(pl.String).str.replace_all("✓", "V"))


def write_csv_text(frame: pl.DataFrame, *, delimiter: str = ",") -> str:
    return frame.write_csv(separator=delimiter)


def write_xlsx_strings(
    frame: pl.DataFrame,
    path: Path,
    *,
    titles: Sequence[str] = (),
    blank_rows: int = 0,
    sheet: str = "members",
    sheets_before: Sequence[str] = (),
) -> int:
    """Write every cell as text under optional title and blank rows. Returns the header's sheet row."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    for name in sheets_before:
        other = wb.add_worksheet(name)
        other.write_string(0, 0, "סיכום")
        other.write_string(1, 0, "נוצר אוטומטית")
    ws = wb.add_worksheet(sheet)
    for i, title in enumerate(titles):
        ws.write_string(i, 0, title)
    header = len(titles) + blank_rows
    for c, name in enumerate(frame.columns):
        ws.write_string(header, c, name)
    for r, row in enumerate(frame.iter_rows(), start=header + 1):
        for c, value in enumerate(row):
            if value is not None:
                ws.write_string(r, c, value)
    wb.close()
    return header + 1
