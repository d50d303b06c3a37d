"""A delimited text file (.csv, .tsv, .txt) as a raw table: which delimiter, which line is the header, and
records that may be ragged, short or broken by a quote never closed.

``textfile`` turns the bytes into text; here the text becomes rows. Well-formed files are split by polars over
whole columns, so a million lines cost one vectorised split; only quoted lines go through Python's csv module.
A record with more fields than the header keeps the rest in ``EXTRA_FIELDS`` (quarantined), one with fewer is
listed in ``short_rows`` (its missing fields left empty), and a line whose quote never closes is set apart whole
in ``RAW_LINE`` (quarantined) instead of swallowing the lines after it.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from pipeline.errors import InputError
from pipeline.rawtable import (
    EXTRA_FIELDS,
    HEADER_SEARCH_ROWS,
    RAW_LINE,
    HeaderScorer,
    RawTable,
    SourceInfo,
    drop_repeated_headers,
    find_header,
    too_wide,
    unique_headers,
)
from pipeline.textfile import decode, split_with_csv

DELIMITERS = (",", ";", "\t", "|")
FIELD_COUNT = "__field_count"
_UNIT = "\x1f"  # ASCII unit separator: never in member data; checked before use


def sniff_delimiter(lines: Sequence[str], *, score_header: HeaderScorer | None = None, default: str = ",") -> str:
    """The delimiter among ``, ; TAB |`` for the first lines of a text file.

    The delimiter that splits some line into the most recognised headers wins (we know what member headers
    look like); failing that, the one that splits the lines into the most, most consistent fields.
    """
    sample = [ln for ln in lines[:50] if ln.strip()]
    if not sample:
        return default
    best, best_key = default, (0, 0, 0.0)
    for delim in DELIMITERS:
        split = [next(csv.reader([ln], delimiter=delim)) for ln in sample]
        counts = [len(cells) - 1 for cells in split]
        if max(counts) == 0:
            continue
        recognised = max(score_header(cells) for cells in split[:HEADER_SEARCH_ROWS]) if score_header else 0
        mode = max(set(counts), key=counts.count)
        consistent = sum(1 for c in counts if c == mode) / len(counts) if mode > 0 else 0.0
        key = (recognised, 1 if consistent >= 0.8 else 0, consistent * max(counts))
        if key > best_key:
            best, best_key = delim, key
    return best


def _split_records(text: str, delim: str) -> tuple[pl.Series, pl.Series, pl.Series | None]:
    """(fields as List[String], first line number, raw line of a broken record or null) for every record.

    Lines without a quote character are split by polars over the whole column; only quoted lines go through
    Python's csv module. A quote left open at the end of a line (a record spanning lines, or a broken quote) makes
    the whole file go through ``textfile.split_with_csv``, which sets a broken quote's line apart.
    """
    lines = _lines(text)
    quotes = lines.str.count_matches('"', literal=True)
    if (quotes % 2 == 1).any() or _UNIT in text:
        return _split_with_csv(lines, delim)
    # Unquoted lines are split by polars; quoted ones are parsed by csv and re-joined with a separator that
    # cannot occur in the text, so that one vectorised split handles every line.
    joined = lines.str.replace_all(delim, _UNIT, literal=True)
    quoted = quotes > 0
    if quoted.any():
        parsed = _plainly_quoted(lines.filter(quoted), delim)
        if parsed is None:  # a quote in the middle of a field: every quoted line goes through csv, as it reads it
            rows = [_UNIT.join(row) for row in csv.reader(lines.filter(quoted).to_list(), delimiter=delim)]
            if len(rows) != int(quoted.sum()):  # a quote opened mid-field ran on into the next quoted line
                return _split_with_csv(lines, delim)
            parsed = pl.Series(rows, dtype=pl.String)
        joined = joined.scatter(quoted.arg_true(), parsed)
    fields = joined.str.split(_UNIT)
    fields = pl.select(pl.when(lines == "").then(pl.lit([], pl.List(pl.String))).otherwise(fields)).to_series()
    numbers = pl.Series("source_row", range(1, lines.len() + 1), dtype=pl.Int64)
    return fields, numbers, None


def _plainly_quoted(lines: pl.Series, delim: str) -> pl.Series | None:
    """Quoted lines' fields joined by ``_UNIT``, as Python's csv module reads them, when every line is quoted plainly
    (each field either quoted whole, ``""`` for a quote inside, or holding no quote); None otherwise.

    Plainly quoted lines are read by polars' CSV reader: a third of a million took 0.4 s, where the csv module and
    the Python strings around it took 1.5 s. A hypothesis test holds the two to the same fields."""
    sep = re.escape(delim)
    field = f'(?:"(?:[^"]|"")*"|[^"{sep}]*)'
    if not lines.str.contains(f"^{field}(?:{sep}{field})*$").all() or lines.str.contains("[\r\x00]").any():
        return None
    counts = lines.str.replace_all('"(?:[^"]|"")*"', "").str.count_matches(delim, literal=True) + 1
    width = int(counts.max())  # type: ignore[arg-type]
    header = delim.join(f"c{k}" for k in range(width))  # the widest line's fields: shorter lines end in nulls
    body = header + "\n" + lines.str.join("\n").item()
    read = pl.read_csv(body.encode(), has_header=True, separator=delim, quote_char='"', infer_schema=False)
    if read.height != lines.len():
        return None
    joined = read.select(pl.concat_str(pl.all().fill_null(""), separator=_UNIT)).to_series()
    # a shorter line's missing fields are the last separators: taken off
    return joined.str.slice(0, joined.str.len_chars() - (width - counts))


def _lines(text: str) -> pl.Series:
    """The text's lines, without their line ends (``\n``, ``\r\n``); a blank line at the very end may be left
    out, as blank lines at the end are no records.

    Split by polars' CSV reader with a separator the text does not hold and no quote character (every line one
    field, as it is): 0.7 s for a million lines, where ``str.split`` and a Series of its list took 1.5 s."""
    if _UNIT in text:
        lines = pl.Series("line", text.split("\n"), dtype=pl.String).str.strip_suffix("\r")
    else:
        read = pl.read_csv(
            text.encode(),
            has_header=False,
            separator=_UNIT,
            quote_char=None,
            infer_schema=False,
            new_columns=["line"],
            raise_if_empty=False,
        )
        lines = read.to_series().fill_null("") if read.width else pl.Series("line", [], dtype=pl.String)
    if lines.len() and lines[-1] == "":
        lines = lines.slice(0, lines.len() - 1)
    return lines


def _split_with_csv(lines: pl.Series, delim: str) -> tuple[pl.Series, pl.Series, pl.Series | None]:
    records = split_with_csv(lines.to_list(), delimiter=delim)
    broken = (
        pl.Series(RAW_LINE, records.broken, dtype=pl.String) if any(b is not None for b in records.broken) else None
    )
    return (
        pl.Series("fields", records.rows, dtype=pl.List(pl.String)),
        pl.Series("source_row", records.starts, dtype=pl.Int64),
        broken,
    )


def read_text(path: Path, *, score_header: HeaderScorer, max_columns: int) -> RawTable:
    decoded = decode(path.read_bytes(), path=path)
    text, notes = decoded.text, list(decoded.notes)
    if not text.strip():
        raise InputError("has no text (only blank lines)", path=path)
    if "\r" in text and "\n" not in text:
        text = text.replace("\r", "\n")
        notes.append("lines end in a carriage return only (old Mac line endings): read as lines")
    head = text[:200_000].splitlines()
    delim = "\t" if path.suffix.lower() == ".tsv" else sniff_delimiter(head, score_header=score_header)
    try:
        fields, numbers, broken = _split_records(text, delim)
    except InputError as exc:
        raise InputError(exc.message, path=path) from exc

    # header: the best-recognised of the first records
    first = [list(f) if f is not None else [] for f in fields.head(HEADER_SEARCH_ROWS).to_list()]
    idx = find_header([[c or None for c in r] for r in first], score_header)
    header_cells = first[idx]
    width = len(header_cells)
    too_wide(width, max_columns, path)
    names = unique_headers([c or None for c in header_cells])

    body = pl.DataFrame({"fields": fields.slice(idx + 1), "source_row": numbers.slice(idx + 1)})
    if broken is not None:
        body = body.with_columns(broken.slice(idx + 1))
    # blank lines at the end of a file are not records
    counts = body.get_column("fields").list.len()
    non_empty = (counts > 0).arg_true()
    body = body.slice(0, int(non_empty.max()) + 1 if non_empty.len() else 0)  # type: ignore[arg-type]
    body = body.with_columns(pl.col("fields").list.len().alias(FIELD_COUNT))
    columns = [pl.col("fields").list.get(i, null_on_oob=True).alias(n) for i, n in enumerate(names)]
    extra = (
        pl.when(pl.col(FIELD_COUNT) > width)
        .then(pl.col("fields").list.slice(width).list.join(delim))
        .otherwise(pl.lit(None, pl.String))
        .alias(EXTRA_FIELDS)
    )
    frame = body.select("source_row", *columns, extra, FIELD_COUNT, *([RAW_LINE] if broken is not None else []))
    # a blank line inside the data is an empty record: its cells are null, so it is quarantined as empty
    # an empty field is an empty cell, as in a sheet
    frame = frame.with_columns(
        [
            pl.when((pl.col(FIELD_COUNT) == 0) | (pl.col(n) == "")).then(None).otherwise(pl.col(n)).alias(n)
            for n in names
        ]
    )
    # trailing fields that are all empty are not ragged: Excel writes them for blank trailing cells
    frame = frame.with_columns(
        pl.when(pl.col(EXTRA_FIELDS).str.replace_all(f"[{_re_escape(delim)} ]", "") == "")
        .then(None)
        .otherwise(pl.col(EXTRA_FIELDS))
        .alias(EXTRA_FIELDS)
    )
    frame, skipped = drop_repeated_headers(frame, names=names, header_cells=header_cells)
    short = frame.filter((pl.col(FIELD_COUNT) > 1) & (pl.col(FIELD_COUNT) < width))
    if broken is not None:
        short = short.filter(pl.col(RAW_LINE).is_null())
        notes.append(
            f"{broken.is_not_null().sum():,} line(s) open a quote that is never closed: each is quarantined "
            "(csv-unclosed-quote) and reading went on from the next line"
        )
    short = short.select("source_row")
    frame = frame.drop(FIELD_COUNT)
    if frame.get_column(EXTRA_FIELDS).null_count() == frame.height:
        frame = frame.drop(EXTRA_FIELDS)
    kind = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}[delim]
    source = SourceInfo(
        path=str(path),
        format="csv",
        encoding=decoded.encoding,
        delimiter=kind,
        header_row=int(numbers[idx]),
        notes=tuple(notes),
    )
    return RawTable(frame=frame, headers=tuple(names), source=source, short_rows=short, skipped=skipped)


def _re_escape(char: str) -> str:
    return "\\t" if char == "\t" else "\\" + char
