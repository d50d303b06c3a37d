"""review.xlsx as a marketing person works in it: the decision first, with a drop-down; both records side by side
with every difference highlighted; headers in the language of the member file; a frozen header row.

The columns that replay a decision (``decision``, the row numbers, member numbers and fingerprints) keep one
name per language, and ``machine_names`` turns either back into the names ``read_decisions`` reads, so a sheet
saved in Hebrew replays as one saved in English.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from pipeline.export import safe_frame

# (English, Hebrew) header of each column the sheet writes besides the records' fields
HEADERS: dict[str, tuple[str, str]] = {
    "decision": ("decision", "החלטה"),
    "match_probability": ("probability", "הסתברות"),
    "reason": ("why they may be one member", "למה ייתכן שזה אותו חבר"),
    "member_id_a": ("member number A", "מספר חבר א"),
    "member_id_b": ("member number B", "מספר חבר ב"),
    "because": ("why a person decides", "למה נדרשת החלטה"),
    "agreed": ("agreed", "מה זהה"),
    "disagreed": ("differed", "מה שונה"),
    "source_row_a": ("source_row_a", "שורה א"),
    "source_row_b": ("source_row_b", "שורה ב"),
    "fingerprint_a": ("fingerprint_a", "טביעה א"),
    "fingerprint_b": ("fingerprint_b", "טביעה ב"),
}
# (English, Hebrew) name of a field the member file has no column of (a number moved into phone_other, say)
FIELD_NAMES: dict[str, tuple[str, str]] = {
    "member_id": ("member number", "מספר חבר"),
    "first_name": ("first name", "שם פרטי"),
    "last_name": ("last name", "שם משפחה"),
    "full_name": ("full name", "שם מלא"),
    "national_id": ("ID number", 'ת"ז'),
    "phone_mobile": ("mobile", "טלפון נייד"),
    "phone_other": ("other phone", "טלפון נוסף"),
    "email": ("e-mail", 'דוא"ל'),
    "birth_date": ("birth date", "תאריך לידה"),
    "gender": ("gender", "מין"),
    "city": ("city", "עיר"),
    "street": ("street", "רחוב"),
    "house_number": ("house number", "מספר בית"),
    "zip": ("zip code", "מיקוד"),
}
# why a pair is a person's to decide (``decide.REVIEW_BECAUSE``), in each language: a pair scored 100% may be a
# parent and child of one name, and the sheet says so beside the probability
BECAUSE: dict[str, tuple[str, str]] = {
    "family_facts": (
        "one name with only a family's facts (two different mobiles, or only a home's landline) and no birth date "
        "to compare: a parent and child of one name look the same",
        "אותו שם עם פרטים של משפחה בלבד (שני ניידים שונים, או רק הטלפון של הבית) ואין תאריך לידה להשוואה: "
        "כך נראים הורה וילד באותו שם",
    ),
    "alike_first_names": (
        "first names only alike, and no ID number, mobile or e-mail of one person: twins of alike names look the same",
        'שמות פרטיים דומים בלבד, ואין ת"ז, נייד או דוא"ל של אדם אחד: כך נראים תאומים בשמות דומים',
    ),
    "no_identifier": (
        "names and places alone: no ID number, phone, e-mail or birth date agrees",
        'שמות ומקום בלבד: אין ת"ז, טלפון, דוא"ל או תאריך לידה זהים',
    ),
    "between_bands": (
        "the evidence does not settle it either way",
        "הראיות לא מכריעות לאף צד",
    ),
}
# a pair's evidence (``explain.PHRASES``, ``address.ADDRESS_LEVELS``) in Hebrew; the English is the phrases themselves
REASON_HE: dict[str, str] = {
    "id_same": 'אותה ת"ז',
    "id_typo": 'ת"ז שונה בספרה אחת',
    "mobile_same": "אותו נייד",
    "landline_same": "אותו טלפון בבית",
    "phone_same": "אותו טלפון",
    "landline_two_mobiles": "אותו טלפון בבית, שני ניידים",
    "phone_typo": "טלפון שונה בספרה אחת",
    "two_mobiles": "שני ניידים שונים",
    "email_same": 'אותו דוא"ל',
    "swapped": "שם פרטי ושם משפחה הפוכים",
    "first_equal": "אותו שם פרטי",
    "first_alias": "שם פרטי ~ (כינוי או תעתיק)",
    "first_close": "שם פרטי ~",
    "last_equal": "אותו שם משפחה",
    "last_alias": "שם משפחה ~ (תעתיק)",
    "last_close": "שם משפחה ~",
    "born_equal": "אותו תאריך לידה",
    "born_typo": "תאריך לידה עם טעות הקלדה",
}
ADDRESS_HE = ("מקום אחר", "אותו יישוב, רחוב אחר", "אותו יישוב", "אותו מיקוד", "אותו רחוב", "אותה כתובת")
# (English, Hebrew) name of a comparison that is no one column of the file (agreed / differed)
COMPARISON_NAMES: dict[str, tuple[str, str]] = {"phone": ("phone", "טלפון"), "address": ("address", "כתובת")}
# the words of the drop-down (every one is read back by read_decisions: "skip" leaves the pair undecided)
CHOICES = {"en": ("same", "different", "skip"), "he": ("כן", "לא", "דלג")}
_SIDE = {"en": ("A", "B"), "he": ("א", "ב")}


def language(headers: tuple[str, ...] | list[str]) -> str:
    """ "he" when most headers of the member file are written in Hebrew, else "en"."""
    hebrew = sum(1 for h in headers if re.search("[\u0590-\u05ff]", h))
    return "he" if hebrew * 2 >= max(len(headers), 1) and hebrew else "en"


def machine_names(columns: list[str]) -> dict[str, str]:
    """A renaming of the sheet's headers (either language) to the names ``read_decisions`` reads."""
    back = {label: name for name, labels in HEADERS.items() for label in labels}
    return {c: back[c.strip()] for c in columns if c.strip() in back and back[c.strip()] != c}


@functools.lru_cache(maxsize=1)
def _hebrew_words() -> tuple[tuple[str, str], ...]:
    """(English phrase, Hebrew) of a pair's evidence, the longest phrase first (two phrases hold a comma, and "same
    landline" is the start of another)."""
    from pipeline.stages.dedupe.address import ADDRESS_LEVELS
    from pipeline.stages.dedupe.phrases import PHRASES

    words = {PHRASES[key]: hebrew for key, hebrew in REASON_HE.items()}
    words |= dict(zip(ADDRESS_LEVELS, ADDRESS_HE, strict=True))
    return tuple(sorted(words.items(), key=lambda w: len(w[0]), reverse=True))


def _hebrew_reason(text: str) -> str:
    """A pair's evidence in Hebrew: each phrase replaced whole; a similarity (~0.93) stays as it is."""
    for english, hebrew in _hebrew_words():
        text = text.replace(english, hebrew)
    return text


def _worded(review: pl.DataFrame, *, field_headers: Mapping[str, str], lang: str) -> pl.DataFrame:
    """The sheet's words in the member file's language: why a person decides, the evidence (in Hebrew for a Hebrew
    file), and what agreed and differed under the file's own headers."""
    k = 0 if lang == "en" else 1

    def field(name: str) -> str:
        named = COMPARISON_NAMES.get(name) or FIELD_NAMES.get(name)
        return field_headers.get(name) or (named[k] if named else name)

    def fields(text: str | None) -> str | None:
        return ", ".join(field(n.strip()) for n in text.split(",") if n.strip()) if text else text

    out = review
    if "because" in out.columns:
        out = out.with_columns(pl.col("because").replace_strict({c: w[k] for c, w in BECAUSE.items()}, default=None))
    # each distinct text is worded once (a few thousand pairs hold a few hundred reasons)
    worded = {"agreed": fields, "disagreed": fields} | ({"reason": _hebrew_reason} if lang == "he" else {})
    for column, word in worded.items():
        if column in out.columns:
            texts = out.get_column(column).cast(pl.String)
            distinct = texts.drop_nulls().unique().to_list()
            out = out.with_columns(
                texts.replace_strict(distinct, [word(t) for t in distinct], default=None, return_dtype=pl.String)
            )
    return out


def write_review(review: pl.DataFrame, path: Path, *, field_headers: Mapping[str, str], lang: str) -> None:
    """Write the review pairs (``_review``'s table: ``a_<field>``/``b_<field>`` side by side) to ``path``.

    ``field_headers``: each field's header in the member file (the mapping), so a person reads the fields under
    the names they know."""
    import xlsxwriter

    fields = [c[2:] for c in review.columns if c.startswith("a_") and f"b_{c[2:]}" in review.columns]
    ids = [c for c in ("member_id_a", "member_id_b") if c in review.columns]
    order = [
        "decision",
        "match_probability",
        "reason",
        "because",
        *ids,
        *[f"{s}_{f}" for f in fields for s in ("a", "b")],
        "agreed",
        "disagreed",
        "source_row_a",
        "source_row_b",
        "fingerprint_a",
        "fingerprint_b",
    ]
    worded = _worded(review, field_headers=field_headers, lang=lang)
    table = safe_frame(worded.select([c for c in order if c in worded.columns]))
    k = 0 if lang == "en" else 1
    side = _SIDE[lang]

    def header(column: str) -> str:
        if column in HEADERS:
            return HEADERS[column][k]
        which, name = column[0], column[2:]
        named = field_headers.get(name) or (FIELD_NAMES[name][k] if name in FIELD_NAMES else name)
        return f"{named} ({side[0] if which == 'a' else side[1]})"

    options = {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    with xlsxwriter.Workbook(str(path), options) as wb:
        ws = wb.add_worksheet("review" if lang == "en" else "לבדיקה")
        if lang == "he":
            ws.right_to_left()
        bold = wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7", "border": 1})
        decide = wb.add_format({"bg_color": "#FFF2CC", "border": 1})
        percent = wb.add_format({"num_format": "0%"})
        differs = wb.add_format({"bg_color": "#F8CBAD"})
        for c, column in enumerate(table.columns):
            ws.write_string(0, c, header(column), bold)
        for r, row in enumerate(table.iter_rows(), start=1):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, float):
                    ws.write_number(r, c, value, percent if table.columns[c] == "match_probability" else None)
                elif isinstance(value, int):
                    ws.write_number(r, c, value)
                else:
                    ws.write_string(r, c, str(value), decide if table.columns[c] == "decision" else None)
        last = max(table.height, 1)
        ws.freeze_panes(1, 1)
        ws.set_row(0, 45)
        ws.autofilter(0, 0, last, len(table.columns) - 1)
        if table.height:
            ws.data_validation(
                1,
                0,
                last,
                0,
                {
                    "validate": "list",
                    "source": list(CHOICES[lang]),
                    "input_title": HEADERS["decision"][k],
                    "input_message": " / ".join(CHOICES[lang]),
                },
            )
        widths = {"decision": 11, "match_probability": 10, "reason": 40, "because": 40, "agreed": 24, "disagreed": 24}
        for c, column in enumerate(table.columns):
            if column.startswith(("source_row", "fingerprint")):
                ws.set_column(c, c, 12, None, {"hidden": column.startswith("fingerprint")})
            else:
                ws.set_column(c, c, widths.get(column, 16))
        # a difference between the two records lights both cells (a formula of the sheet, so it follows edits)
        for f in fields:
            a, b = table.columns.index(f"a_{f}"), table.columns.index(f"b_{f}")
            col_a, col_b = xlsxwriter.utility.xl_col_to_name(a), xlsxwriter.utility.xl_col_to_name(b)
            ws.conditional_format(
                1,
                a,
                last,
                b,
                {
                    "type": "formula",
                    "criteria": f'=AND(${col_a}2<>"",${col_b}2<>"",${col_a}2<>${col_b}2)',
                    "format": differs,
                },
            )
