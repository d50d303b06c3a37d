"""A table as a one-sheet xlsx workbook, its cells written as XML by polars over whole columns.

xlsxwriter writes a cell in about 13 microseconds of Python: a club's 10,000 members and their 85 columns took 9.5
s, most of a run of that file, and 50,000 members (the largest file written as xlsx) 45 s. The sheet here is the
same workbook (text as inline strings, never formulas; numbers, Booleans and dates as typed cells; a bold header
row, frozen; right to left when asked) with each column's cells made by one string expression, a slice of rows
at a time. ``review.xlsx``, with its drop-down lists and formats, stays xlsxwriter's.
"""

from __future__ import annotations

import html
import zipfile
from pathlib import Path

import polars as pl

from pipeline.workbook import EXCEL_EPOCH, EXCEL_EPOCH_TIME, column_letters

# Excel's limits: a cell's text, a sheet's rows
MAX_TEXT = 32_767
MAX_ROWS = 1_048_576
ROWS_PER_SLICE = 10_000

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# cell styles (cellXfs): 0 plain, 1 bold (the header), 2 a date
_STYLES = (
    f'{_XML}<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_CONTENT_TYPES = (
    f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    f'{_XML}<Relationships xmlns="{_PACKAGE_RELS}">'
    f'<Relationship Id="rId1" Type="{_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    f'{_XML}<Relationships xmlns="{_PACKAGE_RELS}">'
    f'<Relationship Id="rId1" Type="{_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_RELS}/styles" Target="styles.xml"/></Relationships>'
)

# characters XML 1.0 cannot hold, and text that already looks like the escape Excel uses for them (_x0001_)
# (a carriage return too: an XML reader turns it into a line feed); U+FFFE and U+FFFF, no characters at all, become
# U+FFFD, the replacement character (readers do not decode their escape)
_CONTROL = "[\x00-\x08\x0b-\x1f]"
_NONCHARACTERS = "[\ufffe\uffff]"
_ESCAPE_LIKE = r"_(x[0-9A-Fa-f]{4}_)"


def escape_text(text: pl.Expr) -> pl.Expr:
    """Text as it goes into a cell's XML: ``& < >`` escaped, a character XML cannot hold written as Excel writes it
    (``_x0001_``, read back as the character), and text shaped like that escape kept as it was (``_x005F_``)."""
    text = text.str.slice(0, MAX_TEXT).str.replace_all(_ESCAPE_LIKE, "_x005F_${1}")
    text = text.str.replace_all("&", "&amp;", literal=True).str.replace_all("<", "&lt;", literal=True)
    text = text.str.replace_all(">", "&gt;", literal=True).str.replace_all(_NONCHARACTERS, "\ufffd")
    return pl.when(text.str.contains(_CONTROL)).then(_controls_escaped(text)).otherwise(text)


def _controls_escaped(text: pl.Expr) -> pl.Expr:
    for code in [*range(0x00, 0x09), *range(0x0B, 0x20)]:
        text = text.str.replace_all(chr(code), f"_x{code:04X}_", literal=True)
    return text


def _cell(name: str, dtype: pl.DataType, letters: str) -> pl.Expr:
    """Each row's cell of column ``name`` as XML (null where the cell is empty); rows numbered in ``__row``."""
    ref = pl.lit(letters) + pl.col("__row").cast(pl.String)
    value = pl.col(name)
    if dtype == pl.Boolean:
        return pl.format('<c r="{}" t="b"><v>{}</v></c>', ref, value.cast(pl.Int8))
    if dtype.is_integer():
        return pl.format('<c r="{}"><v>{}</v></c>', ref, value)
    if dtype.is_float():
        # NaN and infinity are no number a sheet can hold; a number is written in the fewest digits that read back
        # as the same number (xlsxwriter's 16 significant digits changed a sum of amounts by its last bit)
        finite = pl.when(value.is_finite()).then(value)
        return pl.format('<c r="{}"><v>{}</v></c>', ref, finite)
    if dtype == pl.Date:
        return pl.format('<c r="{}" s="2"><v>{}</v></c>', ref, (value - pl.lit(EXCEL_EPOCH)).dt.total_days())
    if isinstance(dtype, pl.Datetime):
        days = (value.dt.replace_time_zone(None) - pl.lit(EXCEL_EPOCH_TIME)).dt.total_milliseconds()
        return pl.format('<c r="{}" s="2"><v>{}</v></c>', ref, days / 86_400_000)
    text = escape_text(value.cast(pl.String))
    cell = pl.format('<c r="{}" t="inlineStr"><is><t xml:space="preserve">{}</t></is></c>', ref, text)
    return pl.when(value.cast(pl.String) != "").then(cell)  # empty text is no cell, as in xlsxwriter


def write_sheet(table: pl.DataFrame, path: Path, *, sheet: str, right_to_left: bool = False) -> None:
    """``table`` (already formula-safe, no list columns) as a workbook of one sheet named ``sheet``."""
    if table.height + 1 > MAX_ROWS:
        raise ValueError(f"{table.height:,} rows do not fit in a sheet ({MAX_ROWS - 1:,} at most)")
    letters = [column_letters(k + 1) for k in range(table.width)]
    header = "".join(
        f'<c r="{letters[k]}1" s="1" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
        for k, text in enumerate(pl.select(escape_text(pl.lit(pl.Series(table.columns, dtype=pl.String)))).to_series())
    )
    cells = [_cell(n, t, letters[k]).fill_null("") for k, (n, t) in enumerate(table.schema.items())]
    last = f"{letters[-1]}{table.height + 1}" if table.width else "A1"
    view = ' rightToLeft="1"' if right_to_left else ""
    name = html.escape(sheet)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr(
            "xl/workbook.xml",
            f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_RELS}"><bookViews><workbookView/></bookViews>'
            f'<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        zf.writestr("xl/styles.xml", _STYLES)
        with zf.open("xl/worksheets/sheet1.xml", "w") as out:
            out.write(
                (
                    f'{_XML}<worksheet xmlns="{_MAIN}" xmlns:r="{_RELS}"><dimension ref="A1:{last}"/>'
                    f'<sheetViews><sheetView{view} workbookViewId="0">'
                    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                    '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
                    '<sheetFormatPr defaultRowHeight="15"/><sheetData>'
                    f'<row r="1">{header}</row>'
                ).encode()
            )
            numbered = table.with_row_index("__row", offset=2)
            for part in numbered.iter_slices(ROWS_PER_SLICE):
                rows = part.select(pl.format('<row r="{}">', "__row") + pl.concat_str(cells) + pl.lit("</row>"))
                out.write("".join(rows.to_series().to_list()).encode())
            out.write(b"</sheetData></worksheet>")
