"""Text hygiene shared by every field: invisible marks, odd spaces, NFC, placeholders."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.fields.text import clean_text, hygiene, hygiene_column

PLACEHOLDERS = ["-", "NULL", "#N/A", "לא ידוע"]


@pytest.mark.parametrize(
    ("raw", "clean", "codes"),
    [
        ("משה", "משה", set()),
        ("  משה  ", "משה", {"whitespace-trimmed"}),
        ("משה   כהן", "משה כהן", {"whitespace-trimmed"}),
        ("\u200fכהן\u200e", "כהן", {"invisible-chars-removed"}),
        ("\u202bלוי\u202c", "לוי", {"invisible-chars-removed"}),
        ("\u2067דוד\u2069", "דוד", {"invisible-chars-removed"}),
        ("שרה\u00a0לוי", "שרה לוי", {"whitespace-trimmed"}),
        ("a\u200bb", "ab", {"invisible-chars-removed"}),
        ("\ufeffmail@x.com", "mail@x.com", {"invisible-chars-removed"}),
        ("e\u0301", "é", {"unicode-normalised"}),
        ("null", None, {"placeholder-emptied"}),
        (" #n/a ", None, {"placeholder-emptied", "whitespace-trimmed"}),
        ("לא ידוע", None, {"placeholder-emptied"}),
        ("", None, set()),
        ("   ", None, set()),
        ("--x", "--x", set()),
        ("tab\there", "tab here", {"whitespace-trimmed"}),
        ("מ\x07שה", "משה", {"control-chars-removed"}),
        ("כ\x08הן\x7f", "כהן", {"control-chars-removed"}),
        ("\x1b[31mלוי\x1b[0m", "לוי", {"control-chars-removed"}),
        ("\x1b]0;pwned\x07דנה", "דנה", {"control-chars-removed"}),
    ],
)
def test_hygiene(raw: str, clean: str | None, codes: set[str]) -> None:
    value, flags = hygiene(pl.col("x"), placeholders=PLACEHOLDERS)
    out = pl.DataFrame({"x": [raw]}).select(value.alias("v"), *[e.alias(k) for k, e in flags.items()])
    assert out["v"].item() == clean
    assert {k for k in flags if out[k].item()} == codes


def test_clean_text_for_headers() -> None:
    assert clean_text("\u200f שם\u00a0 פרטי ") == "שם פרטי"


ODD = ["\u200f", "\u200e", "\u00a0", "\t", "\u05b0", "\u05bc", "\u0301", "\ufeff", "\ufb2a"]
SIGNS = "\u05f3\u05f4\u20aa\u2713\u2714\u2717\u2718\u00d7\u2013\u2014"  # the screen lets these through
TEXT = st.text(alphabet=st.sampled_from([*"אבגדהמשכ abcXYZ019-.#@'\"/", *SIGNS, *ODD]), max_size=10)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), TEXT, st.sampled_from([*PLACEHOLDERS, "null", " - "])), min_size=1, max_size=30))
def test_screened_column_equals_full_hygiene(values: list[str | None]) -> None:
    """The fast path (chain only on screened rows) gives exactly what the chain gives on every row."""
    frame = pl.DataFrame(
        {"source_row": list(range(2, len(values) + 2)), "x": values}, schema={"source_row": pl.Int64, "x": pl.String}
    )
    fast, entries = hygiene_column(frame, "x", placeholders=PLACEHOLDERS)
    value, flags = hygiene(pl.col("x"), placeholders=PLACEHOLDERS)
    full = frame.select(value.alias("v"), *[e.fill_null(False).alias(k) for k, e in flags.items()])
    assert fast.to_list() == full["v"].to_list()
    expected = {(row, code) for code in flags for row, hit in zip(frame["source_row"], full[code], strict=True) if hit}
    assert set(zip(entries["source_row"], entries["check"], strict=True)) == expected


@given(TEXT)
def test_hygiene_is_idempotent(raw: str) -> None:
    value, _ = hygiene(pl.col("x"), placeholders=PLACEHOLDERS)
    once = pl.DataFrame({"x": [raw]}).select(value).item()
    twice = pl.DataFrame({"x": [once]}, schema={"x": pl.String}).select(value).item()
    assert once == twice
