"""The words of a pair's evidence, apart from the code that picks them (``explain._reason``), so that review.xlsx
can word them in the member file's language without importing the dedupe stage."""

from __future__ import annotations

# the words of a pair's evidence (``_reason``); a similarity follows "~" where a level is only close (first name ~0.93).
# review.xlsx words each in the member file's language (``review_sheet.REASON_HE``)
PHRASES = {
    "id_same": "same ID number",
    "id_typo": "ID number one digit off",
    "mobile_same": "same mobile",
    "landline_same": "same landline",
    "phone_same": "same phone",
    "landline_two_mobiles": "same landline, two mobiles",
    "phone_typo": "phone one digit off",
    "two_mobiles": "two different mobiles",
    "email_same": "same e-mail",
    "swapped": "first and last name swapped",
    "first_equal": "first name equal",
    "first_alias": "first name ~ (nickname or transliteration)",
    "first_close": "first name ~",
    "last_equal": "last name equal",
    "last_alias": "last name ~ (transliteration)",
    "last_close": "last name ~",
    "born_equal": "birth date equal",
    "born_typo": "birth date typo",
}
