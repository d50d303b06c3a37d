"""Suppression lists (do-not-contact, unsubscribed, another club's opt-outs): every phone number, e-mail address and
ID number a file holds, in any format cleanse reads, with or without headers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipeline.errors import InputError
from pipeline.fields import Status
from pipeline.fields.dates import DATE_SHAPE
from pipeline.fields.emails import clean_emails, email_match_key
from pipeline.fields.ids import clean_national_ids
from pipeline.fields.phone_parse import parse_phones
from pipeline.fields.text import INVISIBLE_RE
from pipeline.ingest import EXCEL_EXTS, PARQUET_EXTS
from pipeline.privacy import mask_text
from pipeline.rules import Rules
from pipeline.textfile import decode
from pipeline.workbook import column_letters


@dataclass(frozen=True)
class Suppression:
    phones: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    national_ids: frozenset[str] = frozenset()
    warnings: tuple[str, ...] = ()  # a list's cells that look like an address and were read as none

    @property
    def size(self) -> int:
        return len(self.phones) + len(self.emails) + len(self.national_ids)

    def __or__(self, other: Suppression) -> Suppression:
        return Suppression(
            self.phones | other.phones,
            self.emails | other.emails,
            self.national_ids | other.national_ids,
            self.warnings + other.warnings,
        )


_PHONE_OR_ID = r"^[+(]?\d[\d \-().\/]*$"
# the pieces of a cell that may each be an address: an e-mail, or a run of digits with the separators a phone or
# ID number is written with (not " - ", " / " or a word, which part two numbers)
_PIECE = r"[^\s<>,;:\"'()]+@[^\s<>,;:\"'()]+|\+?\(?\d(?:[\d.\-)]|\s\d|\(\d)*"


def _suppression_from(values: pl.Series, *, rules: Rules) -> tuple[Suppression, pl.Series]:
    """Every distinct value as whatever it validly is: a phone number, an e-mail address, an ID number (a value
    can be more than one: ``039337423`` is an ID and a Tel Aviv landline; both are suppressed); and the values that
    were read as one."""
    cells = pl.DataFrame({"v": values.unique()}).with_row_index("source_row").cast({"source_row": pl.Int64})
    v = pl.col("v")
    numeric = v.str.replace(r"\.0+$", "")
    digits = numeric.str.replace_all(r"\D", "").str.len_chars()
    cells = cells.with_columns(
        (v.str.contains("@")).alias("at"),
        numeric.str.contains(_PHONE_OR_ID).alias("numeric"),
        v.str.contains(r"^\d(?:\.\d+)?[eE]\+?\d{1,2}$").alias("excel_sci"),  # 5.47654329E+08
        digits.alias("digits"),
    )
    # bare digits go to phonenumbers only in a shape an Israeli number can have (its zero lost or not): the
    # library's per-value long tail would otherwise read every ID number of a 500k-row list one by one
    bare = numeric.str.contains(r"^\d+$")
    phone_shape = numeric.str.contains(r"^(?:0?[57]\d{8}|0?[2-489]\d{7}|(?:00)?972[2-9]\d{7,8})$")
    cells = cells.with_columns((~bare | phone_shape).alias("phone_shape"))
    phones_in = cells.filter(
        (pl.col("numeric") & (pl.col("digits") >= 7) & pl.col("phone_shape")) | pl.col("excel_sci")
    )
    parsed = parse_phones(phones_in.get_column("v")).get_column("e164")
    phones = parsed.drop_nulls()
    emails_in = cells.filter(pl.col("at")).select("source_row", pl.col("v").alias("email"))
    emails = clean_emails(emails_in)
    email_read = emails.columns["email_status"] != Status.INVALID
    valid = emails.columns["email"].filter(email_read)
    valid_emails = pl.select(email_match_key(pl.lit(valid))).to_series()  # Gmail dots and +tags ignored
    ids_in = cells.filter(pl.col("numeric") & pl.col("digits").is_between(5, 9)).select(
        "source_row", pl.col("v").alias("national_id")
    )
    ids = clean_national_ids(
        ids_in, min_digits=rules.fields.national_id_min_digits, fakes=rules.fields.national_id_fakes
    )
    id_read = ids.columns["national_id_status"].is_in([Status.VALID, Status.FAKE, Status.COMPANY])
    valid_ids = ids.columns["national_id"].filter(id_read)
    read = pl.concat(
        [
            phones_in.get_column("v").filter(parsed.is_not_null()),
            emails_in.get_column("email").filter(email_read),
            ids_in.get_column("national_id").filter(id_read),
        ]
    )
    found = Suppression(
        frozenset(phones.to_list()),
        frozenset(valid_emails.drop_nulls().to_list()),
        frozenset(valid_ids.drop_nulls().to_list()),
    )
    return found, read


def _cells(path: Path) -> pl.DataFrame:
    """Every non-empty cell of every column of every sheet, header rows included (a list may have no header,
    and a header is never a phone, e-mail or ID number): its text (``v``) and where it is (``at``: a sheet's
    column, a parquet column, a line of text), for a warning to point at."""
    path = Path(path)
    if not path.exists():
        raise InputError("no such file", path=path)
    if path.is_dir():
        raise InputError("is a folder, not a suppression list", path=path)
    if path.stat().st_size == 0:
        raise InputError("is empty (0 bytes): a suppression list must hold phones, e-mails or ID numbers", path=path)
    ext = path.suffix.lower()
    columns: list[pl.DataFrame] = []
    if ext in EXCEL_EXTS:
        import fastexcel

        try:
            reader = fastexcel.read_excel(str(path))
            for name in reader.sheet_names:
                grid = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string").to_polars()
                columns += [
                    _placed(grid.get_column(c), f"sheet {mask_text(name)!r}, column {column_letters(k + 1)}")
                    for k, c in enumerate(grid.columns)
                ]
        except Exception as exc:  # fastexcel raises its own exception family for corrupt content
            raise InputError(
                f"cannot be read as an Excel workbook ({' '.join(str(exc).split())[:160]})", path=path
            ) from exc
    elif ext in PARQUET_EXTS:
        try:
            frame = pl.read_parquet(path)
        except Exception as exc:
            raise InputError(f"cannot be read as parquet ({' '.join(str(exc).split())[:160]})", path=path) from exc
        # a headerless export's "header" is a member's
        columns += [_placed(frame.get_column(c), f"column {mask_text(c)!r}") for c in frame.columns]
    else:  # text in any of the delimiters cleanse knows, or one value a line; values never hold a delimiter
        text = decode(path.read_bytes(), path=path).text
        lines = pl.DataFrame({"v": text.splitlines()}, schema={"v": pl.String}).with_row_index("line", offset=1)
        columns.append(
            lines.select(
                pl.col("v").str.extract_all(r"[^,;\t|]+"), pl.format("line {}", pl.col("line")).alias("at")
            ).explode("v")
        )
    if not columns:
        return pl.DataFrame(schema={"v": pl.String, "at": pl.String})
    # direction marks and zero-width characters, as text hygiene takes them off members' values: "\u200f0528129997"
    # was read as nothing
    cells = pl.concat(columns).with_columns(pl.col("v").str.replace_all(INVISIBLE_RE, ""))
    return cells.filter(pl.col("v").is_not_null() & (pl.col("v").str.strip_chars() != ""))


def _placed(column: pl.Series, at: str) -> pl.DataFrame:
    """A column's cells as text (``v``), each with where the column is (``at``)."""
    return pl.DataFrame({"v": column.cast(pl.String, strict=False)}).with_columns(pl.lit(at).alias("at"))


def _values(cells: pl.Series) -> pl.DataFrame:
    """What each cell (``k``, its place in ``cells``) may name an address as (``v``): the cell whole, and its pieces.

    "טל: 052-8123456", "052-8100000 / 052-8101111", "ת.ז. 040123456", "Dana <dana@x.co.il>" each name an address
    beside other words (a piece that is none is read as nothing); a cell that is one number already,
    5.47654329E+08 or 052.812.3456, is not cut into pieces."""
    frame = pl.DataFrame({"v": cells}).with_row_index("k")
    v = pl.col("v")
    one = v.str.contains(r"^\s*[+(]?\d[\d \-().]*$|^\s*\d(?:\.\d+)?[eE]\+?\d{1,2}\s*$")
    mixed = frame.filter(~one | (v.str.count_matches(r"\d") > 12))  # more digits than one phone number has
    pieces = pl.concat(
        [
            mixed.select("k", v.str.extract_all(_PIECE)).explode("v"),
            mixed.select("k", v.str.split(" ")).explode("v"),
        ]
    )
    values = pl.concat([frame, pieces]).with_columns(v.str.strip_chars(" \t\r\u00a0\"'<>:,;/"))
    return values.filter(v.is_not_null() & (v != ""))


def _unread(cells: pl.DataFrame, values: pl.DataFrame, read: pl.Series) -> pl.DataFrame:
    """The cells (``v``, ``at``) that look like a phone, e-mail or ID number and of which neither the whole nor a
    piece was read as one."""
    readable = values.filter(pl.col("v").is_in(read.implode())).get_column("k").unique()
    v = pl.col("v")
    # a cell that means to be an address: an @, or 9 to 13 digits that are no date (as the date cleaner reads dates:
    # "01/03/2025 10:30" has twelve); a member number of fewer digits or an amount is no address that failed
    looks = v.str.contains("@", literal=True) | (
        v.str.count_matches(r"\d").is_between(9, 13) & ~v.str.strip_chars().str.contains(DATE_SHAPE)
    )
    return cells.with_row_index("k").filter(looks & ~pl.col("k").is_in(readable.implode())).select("v", "at")


def load_suppression(path: Path, *, rules: Rules) -> Suppression:
    """A suppression list in any format cleanse reads: every phone number, e-mail address and ID number in
    every column of every sheet, whatever the headers say (or without any). A file from which none could be
    read is an error, never an empty list."""
    cells = _cells(path)
    values = _values(cells.get_column("v"))
    found, read = _suppression_from(values.get_column("v"), rules=rules)
    if not found.size:
        cells_read = values.get_column("k").n_unique()  # a cell is counted once, not once per piece of it
        raise InputError(
            f"no phone number, e-mail address or ID number could be read from its {cells_read:,} "
            f"{'cell' if cells_read == 1 else 'cells'} with a value; "
            "is it the right file?",
            path=path,
        )
    unread = _unread(cells, values, read)
    if not unread.height:
        return found
    places = unread.get_column("at").unique(maintain_order=True)
    where = " / ".join(places.head(3).to_list()) + (f" and {places.len() - 3:,} more" if places.len() > 3 else "")
    warning = (
        f"suppression list {path.name}: {unread.height:,} cell(s) look like a phone, e-mail or ID number but could "
        f"not be read as one, at {where} (e.g. {mask_text(str(unread.item(0, 'v')))!r}); the people they name are "
        "NOT suppressed"
    )
    return Suppression(found.phones, found.emails, found.national_ids, (warning,))
