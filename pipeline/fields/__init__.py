"""Field kinds. Each module turns a raw string column into a clean value plus outcome codes.

The canonical fields and their kinds are fixed here (code); the rules only say which headers map to them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

# canonical field -> kind (the module that cleans it)
FIELDS: Final[dict[str, str]] = {
    "member_id": "text",
    "first_name": "name",
    "last_name": "name",
    "full_name": "name",
    "national_id": "national_id",
    "phone_mobile": "phone",
    "phone_other": "phone",
    "email": "email",
    "birth_date": "date",
    "gender": "gender",
    "city": "city",
    "street": "text",
    "house_number": "text",
    "zip": "zip",
    "join_date": "date",
    "last_purchase_date": "date",
    "purchase_count": "count",
    "total_spend": "money",
    "sms_consent": "consent",
    "email_consent": "consent",
    "consent_date": "date",
    "branch": "text",
    "notes": "text",
}

# field -> the column beside it that says what its value is worth (a ``Status``)
STATUS_COLUMNS: Final[dict[str, str]] = {
    "national_id": "national_id_status",
    "phone_mobile": "phone_mobile_status",
    "phone_other": "phone_other_status",
    "email": "email_status",
}


class Status(StrEnum):
    """The verdicts a field kind writes into a ``*_status`` column (a StrEnum: the column holds its text)."""

    VALID = "valid"
    INVALID = "invalid"
    FAKE = "fake"
    COMPANY = "company"  # an ID column holding a company number (ח.פ.)
    TOO_SHORT = "too_short"
    NOT_A_NUMBER = "not_a_number"
    SHARED = "shared"  # a phone shared by more members than the rules allow
    NOT_PERSONAL = "not_personal"
    DISPOSABLE = "disposable"
    ROLE = "role"  # info@, office@ ...: valid, but not a person's own
    UNDELIVERABLE = "undeliverable"


# Fields that identify a member on their own; a file with none of them cannot be processed.
IDENTIFYING: Final[frozenset[str]] = frozenset(
    {"member_id", "national_id", "phone_mobile", "phone_other", "email", "first_name", "last_name", "full_name"}
)
