"""Text member files: bytes to text (which encoding), and text to records (CSV) that one bad quote cannot swallow.

Encodings: UTF-8 (BOM or not), UTF-16 with a BOM, then the legacy ones Israeli and other Windows machines write:
Windows-1255 (Microsoft's whole table: byte 0xCA is U+05BA, which Python's codec leaves out), ISO-8859-8, and
Windows-1252 / Latin-1. The legacy encodings decode almost any bytes, so the text decides: Hebrew letters between
Latin letters inside one word (``Josי``, ``Pיrez``) are Windows-1252's accents read as Windows-1255. A file that
is mostly Windows-1255 with a few UTF-8 lines (two exports pasted together) is decoded line by line, and says so.

Records: well-formed files are split by polars over whole columns (see ``csvtable``); only files with a quote left
open at the end of some line go through Python's csv module, here, record by record. A record spanning lines
whose quote closes where no CSV writer closes one (the open quote swallowed the lines after it until some quote
inside a later field, ``ת"א``, ended it: the record overflows the header), or that runs to the end of the file,
has a broken quote: its first line is set apart whole (it is quarantined with its raw text) and reading goes on
from the next line.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import InputError

# Python's csv refuses fields over 131,072 characters (exit 3 on one long cell, or in the delimiter sniffer on a
# long line tried with the wrong delimiter): a long cell is a value like any other.
csv.field_size_limit(2**31 - 1)

_CP1255_MISSING = {0xCA: "\u05ba"}  # HEBREW POINT HOLAM HASER FOR VAV: in Microsoft's table, not in Python's


def _cp1255_missing(exc: UnicodeError) -> tuple[str, int]:
    if isinstance(exc, UnicodeDecodeError) and exc.encoding in ("charmap", "cp1255"):
        bad = exc.object[exc.start : exc.end]
        if all(b in _CP1255_MISSING for b in bad):
            return "".join(_CP1255_MISSING[b] for b in bad), exc.end
    raise exc


codecs.register_error("cleanse-cp1255", _cp1255_missing)

# name -> (codec, errors): tried in this order; the text decides between the Hebrew ones and Windows-1252
_LEGACY = {
    "cp1255": ("cp1255", "cleanse-cp1255"),
    "iso-8859-8": ("iso-8859-8", "strict"),
    "cp1252": ("cp1252", "strict"),
}
_WORD = re.compile(r"[^\W\d_]+")
_HEBREW = re.compile("[\u0590-\u05ff]")
_LATIN = re.compile("[A-Za-z]")
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
TELL_SAMPLE = 1_000_000  # characters of the text the encoding is judged on


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    notes: tuple[str, ...] = ()


def decode(data: bytes, *, path: Path) -> Decoded:
    """Bytes -> text, naming the encoding (see module docstring).

    Raises:
        InputError: binary data, a byte-order mark the bytes contradict, or bytes no supported encoding reads
            (naming the first line that does not decode).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return Decoded(_decode_as(data[3:], "utf-8", "utf-8-sig", path), "utf-8-sig")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Decoded(_decode_as(data, "utf-16", "utf-16", path), "utf-16")
    if b"\x00" in data[:4096]:
        raise InputError("is a binary file, not a text table", path=path)
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    if _UTF8_SEQUENCE.search(data):
        mixed = _decode_lines(data, path=path)
        if mixed is not None:
            return mixed
    encoding = _legacy_encoding(data, path=path)
    codec, errors = _LEGACY[encoding]
    return Decoded(data.decode(codec, errors), encoding)


def _decode_as(data: bytes, codec: str, name: str, path: Path) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise InputError(f"claims {name} (byte-order mark) but is not valid {name}: {exc.reason}", path=path) from exc


def latin_read_as_hebrew(text: str) -> bool:
    """Whether ``text`` (decoded as a Hebrew encoding) shows Latin accents read as Hebrew letters: more words mix
    Latin and Hebrew letters (``Josי``) than are Hebrew alone."""
    mixed = hebrew = 0
    for word in _WORD.findall(text[:TELL_SAMPLE]):
        if _HEBREW.search(word):
            if _LATIN.search(word):
                mixed += 1
            else:
                hebrew += 1
    return mixed > hebrew


def _legacy_encoding(data: bytes, *, path: Path) -> str:
    """The legacy encoding of bytes that are not UTF-8 (see module docstring)."""
    decodes: dict[str, str] = {}
    for name, (codec, errors) in _LEGACY.items():
        try:
            decodes[name] = data.decode(codec, errors)
        except UnicodeDecodeError:
            continue
    hebrew = [name for name in ("cp1255", "iso-8859-8") if name in decodes]
    for name in hebrew:
        if not latin_read_as_hebrew(decodes[name]):
            return name
    if "cp1252" in decodes:
        return "cp1252"
    if hebrew:
        return hebrew[0]
    raise InputError(
        f"text encoding is not UTF-8, Windows-1255, ISO-8859-8 or Windows-1252: line {_first_bad_line(data)} "
        "does not decode in any of them",
        path=path,
    )


def _first_bad_line(data: bytes) -> int:
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
            continue
        except UnicodeDecodeError:
            pass
        try:
            line.decode("cp1255", "cleanse-cp1255")
        except UnicodeDecodeError:
            return number
    return 1


def _decode_lines(data: bytes, *, path: Path) -> Decoded | None:
    """Lines that are valid UTF-8 as UTF-8, the others in the file's legacy encoding; None when no line with
    non-ASCII characters is UTF-8 (the file is plain legacy)."""
    lines = data.split(b"\n")
    is_utf8 = []
    for line in lines:
        if line.isascii():
            is_utf8.append(False)
            continue
        try:
            line.decode("utf-8")
            is_utf8.append(True)
        except UnicodeDecodeError:
            is_utf8.append(False)
    utf8_lines = [i for i, u in enumerate(is_utf8) if u]
    if not utf8_lines:
        return None
    rest = b"\n".join(line for line, u in zip(lines, is_utf8, strict=True) if not u)
    encoding = _legacy_encoding(rest, path=path)
    codec, errors = _LEGACY[encoding]
    text = "\n".join(
        line.decode("utf-8") if u else line.decode(codec, errors) for line, u in zip(lines, is_utf8, strict=True)
    )
    where = ", ".join(str(i + 1) for i in utf8_lines[:5]) + (" ..." if len(utf8_lines) > 5 else "")
    note = (
        f"{len(utf8_lines):,} line(s) of this {encoding} file are UTF-8 (lines {where}): each line was decoded in "
        "its own encoding"
    )
    return Decoded(text, f"{encoding}+utf-8", (note,))


# ------------------------------------------------------------------------------------------------ records


@dataclass(frozen=True)
class Records:
    """Every record of a text, in order: its fields, the line it starts on, and (broken records only) the raw
    line that was set apart."""

    rows: list[list[str]]
    starts: list[int]
    broken: list[str | None]


def split_with_csv(lines: list[str], *, delimiter: str) -> Records:
    """Records of ``lines`` (without line ends) through Python's csv, a broken quote costing one line.

    A record that spans lines is broken when a quote in it closes where no CSV writer would close one (see
    ``_closes_cleanly``), or when it runs to the end of the file: the quote left open on its first line took in
    the lines after it. That line becomes a record of
    its own (its fields as the line alone reads, the raw line kept) and reading starts again on the next line.
    """
    rows: list[list[str]] = []
    starts: list[int] = []
    broken: list[str | None] = []
    position = 0
    while position < len(lines):
        fed = _Feed(lines, position)
        reader = csv.reader(fed, delimiter=delimiter)
        while True:
            start = fed.next
            try:
                row = next(reader)
            except StopIteration:
                position = len(lines)
                break
            except csv.Error as exc:  # not raised with the default dialect; kept one line all the same
                raise InputError(f"CSV cannot be parsed at line {start + 1}: {exc}") from exc
            end = fed.next - 1
            if fed.ended or (end > start and not _closes_cleanly(lines[start : end + 1], delimiter)):
                rows.append(next(csv.reader([lines[start]], delimiter=delimiter), []))
                starts.append(start + 1)
                broken.append(lines[start])
                position = start + 1
                break
            rows.append(row)
            starts.append(start + 1)
            broken.append(None)
    return Records(rows, starts, broken)


def _closes_cleanly(lines: list[str], delimiter: str) -> bool:
    """Whether a record spanning ``lines`` is one a CSV writer makes: every quoted field closed by a quote that a
    delimiter or the line's end follows. A quote left open swallows the next lines until some quote closes it,
    and that one is almost always inside a later field (``ת"א``, ``"name"``): csv's strict mode refuses it."""
    try:
        for _ in csv.reader([line + "\n" for line in lines], delimiter=delimiter, strict=True):
            pass
    except csv.Error:
        return False
    return True


class _Feed:
    """Lines for csv.reader from ``position`` on, counting how many it took and whether it asked past the end."""

    def __init__(self, lines: list[str], position: int) -> None:
        self.lines = lines
        self.next = position
        self.ended = False

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self.next >= len(self.lines):
            self.ended = True
            raise StopIteration
        line = self.lines[self.next]
        self.next += 1
        return line + "\n"
