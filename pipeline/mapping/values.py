"""A column's values as a second opinion on its header: what kind of values the first few hundred are.

Only the first ``SAMPLE`` non-empty values of each column are looked at, as polars expressions, so the opinion
costs the same on a file of a hundred rows or ten million.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import polars as pl

from pipeline.fields import FIELDS

SAMPLE = 300
SCAN = 5_000  # rows looked through for SAMPLE non-empty values
AGREE = 0.8  # at least this share of the sample is of the expected kind
DISAGREE = 0.2  # at most this share is, while AGREE of it is of another kind

# the kind of value each field kind holds; fields whose kind is not here (names, cities, ...) get no opinion
EXPECTED = {
    "phone": "phone",
    "email": "email",
    "national_id": "national_id",
    "date": "date",
    "consent": "yes_no",
    "count": "integer",
    "money": "number",
}
# kinds clear enough to contradict a header (an integer column could be many things)
TELLING = ("email", "phone", "national_id", "date", "yes_no")
KIND_FIELD = {"email": "email", "national_id": "national_id", "mobile": "phone_mobile"}  # a kind that names its field

_DATE = r"^(?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{2}|\d{4})|\d{4}-\d{2}-\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"


def _luhn9(digits: pl.Expr) -> pl.Expr:
    """The Israeli ID check: weights 1,2,1,2,... over the number padded to 9 digits; two-digit products summed."""
    padded = digits.str.zfill(9)
    total = pl.lit(0)
    for i in range(9):
        product = padded.str.slice(i, 1).cast(pl.Int32, strict=False) * (1 + i % 2)
        total = total + product // 10 + product % 10
    return total % 10 == 0


def value_kinds(frame: pl.DataFrame, headers: Iterable[str], *, yes_no: Sequence[str]) -> dict[str, dict[str, float]]:
    """For each header, the share of its first non-empty values that look like each kind (empty when none)."""
    out: dict[str, dict[str, float]] = {}
    answers = [x.lower() for x in yes_no]
    for header in headers:
        if header not in frame.columns:
            continue
        # the first rows only: a column's first few hundred values are its opinion, whatever the file's length
        values = frame.get_column(header).head(SCAN).cast(pl.String).str.strip_chars()
        sample = values.filter(values.is_not_null() & (values != "")).head(SAMPLE)
        if sample.len() == 0:
            out[header] = {}
            continue
        v = pl.col("v")
        digits = v.str.replace_all(r"[\s\-.()/]", "").str.replace(r"^\+?972", "0")
        shares = (
            pl.DataFrame({"v": sample})
            .select(
                v.str.contains(r"[^@\s<>]+@[^@\s<>]+\.[A-Za-z]{2,}").mean().alias("email"),
                digits.str.contains(r"^0?(?:5\d{8}|[23489]\d{7}|7\d{8})$").mean().alias("phone"),
                digits.str.contains(r"^0?5\d{8}$").mean().alias("mobile"),
                (digits.str.contains(r"^\d{5,9}$") & _luhn9(digits)).fill_null(False).mean().alias("national_id"),
                v.str.contains(_DATE).mean().alias("date"),
                v.str.to_lowercase().is_in(answers).mean().alias("yes_no"),
                v.str.contains(r"^\d{1,6}$").mean().alias("integer"),
                v.str.replace_all(r"[₪,\s]", "").str.contains(r"^-?\d+(?:\.\d+)?$").mean().alias("number"),
            )
            .row(0, named=True)
        )
        out[header] = {k: float(s or 0.0) for k, s in shares.items()}
    return out


def verdict(field: str, shares: dict[str, float]) -> tuple[str | None, str | None]:
    """(``agree`` / ``disagree`` / None, the kind the values look like) for a field and a column's value shares."""
    expected = EXPECTED.get(FIELDS.get(field, ""))
    if not shares or expected is None:
        return None, None
    if shares.get(expected, 0.0) >= AGREE:
        return "agree", expected
    other = max(TELLING, key=lambda k: shares.get(k, 0.0))
    if shares.get(expected, 0.0) <= DISAGREE and other != expected and shares.get(other, 0.0) >= AGREE:
        return "disagree", other
    return None, None


def suggested_field(shares: dict[str, float]) -> tuple[str, float] | None:
    """The field a column of unknown header plainly holds by its values alone (e-mails, ID numbers, mobiles)."""
    for kind, field in KIND_FIELD.items():
        if shares.get(kind, 0.0) >= 0.9:
            return field, shares[kind]
    return None
