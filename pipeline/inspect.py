"""``cleanse inspect``: what a run would make of a file, from its first rows, in a second or two.

The sheet and header row a run would choose, each column's mapping with its method and confidence (or why it
would not be used), masked sample values, and the columns that would be carried through unchanged. Nothing is
cleaned and nothing is written: only the first rows are read (``pipeline.peek``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import polars as pl

from pipeline.fields import FIELDS
from pipeline.mapping import HeaderMatcher, map_columns
from pipeline.peek import read_head
from pipeline.privacy import is_contact, mask_email, mask_id, mask_name_text, mask_phone, mask_text
from pipeline.rawtable import SourceInfo
from pipeline.rules import Rules

SAMPLES = 3
Status = Literal["mapped", "held", "carried"]
# names, address and birth date: their first character only
_PERSONAL = frozenset({"first_name", "last_name", "full_name", "street", "house_number", "birth_date"})


@dataclass(frozen=True)
class ColumnPreview:
    header: str
    status: Status  # mapped: used as `field`; held: might be `field`, not used; carried: through unchanged
    field: str | None
    method: str | None
    confidence: float | None
    values: str | None  # the values' opinion of the mapping: agree / disagree / None
    reason: str
    filled: float  # share of the rows read with a value
    samples: tuple[str, ...]  # masked unless show_pii


@dataclass(frozen=True)
class Inspection:
    source: SourceInfo
    rows: int
    rows_exact: bool
    rows_read: int
    columns: tuple[ColumnPreview, ...]
    notes: tuple[str, ...]
    warnings: tuple[str, ...]
    seconds: float
    pii_masked: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "cleanse.inspect",
            "schema_version": 1,
            "file": self.source.path,
            "format": self.source.format,
            "encoding": self.source.encoding,
            "delimiter": self.source.delimiter,
            "sheet": self.source.sheet,
            "sheets": list(self.source.sheets),
            "header_row": self.source.header_row,
            "rows": self.rows,
            "rows_exact": self.rows_exact,
            "rows_read": self.rows_read,
            "pii_masked": self.pii_masked,
            "columns": [
                {
                    "header": c.header,
                    "status": c.status,
                    "field": c.field,
                    "method": c.method,
                    "confidence": c.confidence,
                    "values": c.values,
                    "reason": c.reason,
                    "filled": round(c.filled, 3),
                    "samples": list(c.samples),
                }
                for c in self.columns
            ],
            "carried": [c.header for c in self.columns if c.status != "mapped"],
            "notes": list(self.notes),
            "warnings": list(self.warnings),
            "seconds": round(self.seconds, 3),
        }


def _mask(values: pl.Series, field: str | None, *, members: bool = False) -> list[str]:
    """Sample values as a report may show them: phones, e-mails and IDs masked by their kind (or by their look,
    for a column of unknown field); names, addresses and dates down to their first character. ``members``: the
    file's header row is a member's record, so a column of unknown field is as personal as a name."""
    kind = FIELDS.get(field or "", "")
    v = pl.col("v")
    if field is None and members:
        masked = v.map_elements(mask_name_text, return_dtype=pl.String, skip_nulls=True)
    elif kind == "phone":
        masked = mask_phone(v)
    elif kind == "email":
        masked = mask_email(v)
    elif kind == "national_id":
        masked = mask_id(v)
    elif field in _PERSONAL:
        masked = v.str.replace_all(r"[\u200e\u200f\u202a-\u202e\u2066-\u2069]", "").str.slice(0, 1) + pl.lit("***")
    elif field is not None:  # a field that says nothing of the person alone: dates of purchase, city, sums
        masked = v
    else:
        digits = v.str.replace_all(r"\D", "").str.len_chars()
        masked = (
            pl.when(v.str.contains("@"))
            .then(mask_email(v))
            .when(digits >= 9)
            .then(mask_id(v))
            .when(digits >= 7)
            .then(mask_phone(v))
            .otherwise(v)
        )
    return [str(x) for x in pl.DataFrame({"v": values}).select(masked).to_series().to_list()]


_NO_HEADER = (
    "the header row holds a phone, an e-mail or an ID number: it looks like a member, not headers. If the file has "
    "no header row, add one (cleanse reads the first row it recognises as headers)"
)


def inspect_file(
    path: Path | str,
    *,
    rules: Rules,
    sheet: str | None = None,
    overrides: Mapping[str, str] | None = None,
    show_pii: bool = False,
) -> Inspection:
    """Preview the mapping of a member file from its first rows."""
    start = time.perf_counter()
    matcher = HeaderMatcher(rules.columns)
    head = read_head(path, score_header=matcher.recognised, sheet=sheet)
    raw = head.raw
    mapping = map_columns(raw.headers, rules=rules.columns, overrides=overrides, values=raw.frame)
    mapped = {m.header: m for m in mapping.matches}  # a general consent column: its first channel stands for all
    mapped |= {m.header: m for m in mapping.opt_outs}  # carried through, and read to withdraw consent
    held = {m.header: m for m in mapping.held}
    # a header row holding a phone, an e-mail or an ID number is a member's record (a file with no header row): its
    # other cells are that member's names, so every header is shown as a name is, and so are the columns below it
    members = any(is_contact(h) for h in raw.headers)
    hide = mask_name_text if members else mask_text

    def said(text: str) -> str:  # a note or warning: the headers it quotes hidden as the table hides them
        if members:
            for header in sorted(raw.headers, key=len, reverse=True):
                text = text.replace(header, hide(header))
        return mask_text(text)

    columns: list[ColumnPreview] = []
    for header in raw.headers:
        column = raw.frame.get_column(header)
        filled = float(column.str.strip_chars().fill_null("").ne("").sum()) / raw.height if raw.height else 0.0
        present = column.drop_nulls().str.strip_chars()
        distinct = present.filter(present != "").unique(maintain_order=True).head(SAMPLES)
        m = mapped.get(header) or held.get(header)
        fields_ = [x.field for x in mapping.matches if x.header == header]
        field = " + ".join(fields_) if len(fields_) > 1 else (m.field if m else None)
        samples = distinct.to_list() if show_pii else _mask(distinct, m.field if m else None, members=members)
        status: Status = "mapped" if header in mapped else "held" if header in held else "carried"
        columns.append(
            ColumnPreview(
                header=header if show_pii else hide(header),
                status=status,
                field=field,
                method=m.method if m else None,
                confidence=round(m.confidence, 3) if m else None,
                values=m.values if m else None,
                reason=m.reason if m else "",
                filled=filled,
                samples=tuple(str(s) for s in samples),
            )
        )
    return Inspection(
        source=raw.source,
        rows=head.rows,
        rows_exact=head.exact,
        rows_read=raw.height,
        columns=tuple(columns),
        notes=mapping.notes if show_pii else tuple(said(n) for n in mapping.notes),
        warnings=(mapping.warnings if show_pii else tuple(said(w) for w in mapping.warnings))
        + ((_NO_HEADER,) if members else ()),
        seconds=time.perf_counter() - start,
        pii_masked=not show_pii,
    )
