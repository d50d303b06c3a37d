"""Generate a realistic dirty Israeli loyalty-club member file, with its ground truth.

Every person is invented: names are drawn from common-name pools, ID numbers from random digits with a correct
check digit, phones from allocated mobile blocks. The dirt is what real CRM/POS exports carry: Hebrew headers
under a title row, phones that Excel stripped of their leading zero, IDs stored as numbers, day-first dates in
five styles, city spelling variants, invisible direction marks, honorifics, test rows, duplicates of the same
person (nickname, transliteration, new phone, typo, swapped names), opt-outs and formula-like text. And the
failure classes found on files written by others: phones Excel wrote in scientific notation (some with digits
cut), ``Name <addr>`` and upper-case e-mails, Gmail dots and ``+tags`` on a person's second record, official,
GeoNames, abbreviated, former and Arabic spellings of localities, street prefixes and house numbers inside the
street, and a future birth date on one record of a person.

    python -m sample_data.generate --rows 2000 --seed 7 --out sample_data/members.xlsx

Writes the member file and ``<name>_truth.csv`` beside it: source_row -> person_id, and each record's true
contact values (``true_phone_mobile`` as E.164, ``true_email``, ``true_city_code``, ``true_birth_date``; empty
where the cell holds nothing recoverable) for measuring the golden records' field accuracy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers
import polars as pl

HEADERS = {
    "member_id": "מספר חבר",
    "first_name": "שם פרטי",
    "last_name": "שם משפחה",
    "national_id": 'ת"ז',
    "phone_mobile": "טלפון נייד",
    "phone_other": "טלפון נוסף",
    "email": 'דוא"ל',
    "birth_date": "תאריך לידה",
    "gender": "מין",
    "city": "עיר",
    "street": "רחוב",
    "house_number": "מס' בית",
    "zip": "מיקוד",
    "join_date": "תאריך הצטרפות",
    "last_purchase_date": "תאריך קנייה אחרונה",
    "purchase_count": "מספר קניות",
    "total_spend": 'סה"כ קניות',
    "sms_consent": "אישור SMS",
    "email_consent": "אישור דיוור",
    "branch": "סניף",
    "notes": "הערות",
}

# (hebrew, latin, sex, nicknames)
FIRST_NAMES = [
    ("יוסף", "Yosef", "M", ["יוסי"]),
    ("משה", "Moshe", "M", ["מושיקו"]),
    ("אברהם", "Avraham", "M", ["אבי"]),
    ("יעקב", "Yaakov", "M", ["קובי"]),
    ("יצחק", "Yitzhak", "M", ["איציק", "צחי"]),
    ("דוד", "David", "M", ["דודו"]),
    ("מרדכי", "Mordechai", "M", ["מוטי"]),
    ("שלמה", "Shlomo", "M", ["שלומי"]),
    ("בנימין", "Binyamin", "M", ["בני"]),
    ("רפאל", "Refael", "M", ["רפי"]),
    ("שמואל", "Shmuel", "M", ["שמוליק"]),
    ("יהושע", "Yehoshua", "M", ["שוקי"]),
    ("אורי", "Uri", "M", []),
    ("איתי", "Itai", "M", []),
    ("עומר", "Omer", "M", []),
    ("אלון", "Alon", "M", []),
    ("רון", "Ron", "M", []),
    ("גיא", "Guy", "M", []),
    ("חיים", "Haim", "M", []),
    ("מיכאל", "Michael", "M", ["מיקי"]),
    ("אריאל", "Ariel", "M", []),
    ("נועם", "Noam", "M", []),
    ("אליהו", "Eliyahu", "M", ["אלי"]),
    ("שרה", "Sarah", "F", []),
    ("רחל", "Rachel", "F", []),
    ("מרים", "Miriam", "F", []),
    ("נועה", "Noa", "F", []),
    ("מיכל", "Michal", "F", []),
    ("תמר", "Tamar", "F", []),
    ("יעל", "Yael", "F", []),
    ("שירה", "Shira", "F", []),
    ("אסתר", "Esther", "F", []),
    ("רבקה", "Rivka", "F", ["ריקי"]),
    ("אורית", "Orit", "F", []),
    ("לאה", "Leah", "F", []),
    ("חנה", "Hana", "F", []),
    ("דנה", "Dana", "F", []),
    ("מאיה", "Maya", "F", []),
    ("טל", "Tal", "F", []),
    ("חן", "Chen", "F", []),
    ("אביגיל", "Avigail", "F", ["אבי"]),
    ("רות", "Ruth", "F", []),
    ("מוחמד", "Mohammad", "M", []),
    ("אחמד", "Ahmad", "M", []),
    ("פאטמה", "Fatma", "F", []),
]
LAST_NAMES = [
    ("כהן", "Cohen"),
    ("לוי", "Levi"),
    ("מזרחי", "Mizrahi"),
    ("פרץ", "Peretz"),
    ("ביטון", "Biton"),
    ("דהן", "Dahan"),
    ("אברהם", "Avraham"),
    ("פרידמן", "Friedman"),
    ("אזולאי", "Azulay"),
    ("מלכה", "Malka"),
    ("כץ", "Katz"),
    ("יוסף", "Yosef"),
    ("דוד", "David"),
    ("עמר", "Amar"),
    ("אוחיון", "Ohayon"),
    ("חדד", "Hadad"),
    ("גבאי", "Gabay"),
    ("בן דוד", "Ben David"),
    ("שפירא", "Shapira"),
    ("רוזנברג", "Rosenberg"),
    ("כהן-לוי", "Cohen-Levi"),
    ("אשכנזי", "Ashkenazi"),
    ("ויסמן", "Weissman"),
    ("חסון", "Hasson"),
    ("אלמוג", "Almog"),
    ("שלום", "Shalom"),
    ("נחום", "Nahum"),
    ("גולן", "Golan"),
    ("סויסה", "Swisa"),
    ("אבו חמד", "Abu Hamad"),
    ("חורי", "Khoury"),
    ("ברגר", "Berger"),
]
# canonical city -> spellings seen in exports
CITIES = {
    "תל אביב - יפו": ["תל אביב", 'ת"א', "תל-אביב יפו", "Tel Aviv", "תל אביב יפו", "ת״א"],
    "ירושלים": ["ירושלים", "ירושליים", "י-ם", "Jerusalem"],
    "חיפה": ["חיפה", "Haifa"],
    "ראשון לציון": ["ראשון לציון", 'ראשל"צ', "ראשון", "Rishon LeZion"],
    "פתח תקווה": ["פתח תקווה", "פתח תקוה", 'פ"ת', "Petah Tikva"],
    "באר שבע": ["באר שבע", 'ב"ש', "Beer Sheva"],
    "רמת גן": ["רמת גן", 'ר"ג', "Ramat Gan"],
    "בני ברק": ["בני ברק", 'ב"ב'],
    "חולון": ["חולון", "Holon"],
    "נתניה": ["נתניה", "Netanya"],
    "אשדוד": ["אשדוד", "Ashdod"],
    "הרצליה": ["הרצליה", "הרצלייה", "Herzliya"],
    "כפר סבא": ["כפר סבא", 'כ"ס', "Kfar Saba"],
    "רעננה": ["רעננה", "Raanana"],
    "קריית גת": ["קריית גת", "קרית גת", 'ק"ג'],
    "קריית שמונה": ["קריית שמונה", "קרית שמונה", 'ק"ש'],
    "נוף הגליל": ["נוף הגליל", "נצרת עילית"],
    "מודיעין-מכבים-רעות": ["מודיעין", "מודיעין מכבים רעות"],
    "אילת": ["אילת", "Eilat"],
    "נהריה": ["נהריה", "Nahariya"],
}
# CBS locality code of each canonical city, and the spellings of files written by others: the other official
# spelling, GeoNames', English, abbreviations, former and Arabic names
CITY_CODES = {
    "תל אביב - יפו": "5000",
    "ירושלים": "3000",
    "חיפה": "4000",
    "ראשון לציון": "8300",
    "פתח תקווה": "7900",
    "באר שבע": "9000",
    "רמת גן": "8600",
    "בני ברק": "6100",
    "חולון": "6600",
    "נתניה": "7400",
    "אשדוד": "70",
    "הרצליה": "6400",
    "כפר סבא": "6900",
    "רעננה": "8700",
    "קריית גת": "2630",
    "קריית שמונה": "2800",
    "נוף הגליל": "1061",
    "מודיעין-מכבים-רעות": "1200",
    "אילת": "2600",
    "נהריה": "9100",
    "ביתר עילית": "3780",
    "שפרעם": "8800",
    "עספיא": "534",
    "פרדס חנה-כרכור": "7800",
    "אום אל-פחם": "2710",
    "סח'נין": "7500",
}
HARD_SPELLINGS = {
    "תל אביב - יפו": ["תל אביב -יפו", "Tel Aviv-Yafo", "TEL AVIV - YAFO"],
    "ירושלים": ["JERUSALEM", "ירושלם"],
    "פתח תקווה": ["Petah Tiqwa", "פתח-תקווה"],
    "באר שבע": ["Be'er Sheva", "באר-שבע", "ב״ש"],
    "הרצליה": ["Herzliyya", "הרצלייה"],
    "קריית שמונה": ["Qiryat Shemona", "קרית שמונה"],
    "קריית גת": ["Qiryat Gat", "קרית-גת"],
    "נוף הגליל": ["נצרת עילית", "נצרת-עילית", "Nazareth Illit"],
    "נהריה": ["נהרייה", "Nahariyya"],
    "ביתר עילית": ["ביתר עילית", "Betar Illit", "ביתר"],
    "שפרעם": ["שפרעמ", "Shefar'am", "Shfaram"],
    "עספיא": ["חוסיפה", "עוספיה", "Isfiya"],
    "פרדס חנה-כרכור": ["פרדס חנה כרכור", "פרדס חנה", "Pardes Hanna-Karkur"],
    "אום אל-פחם": ["אום אל פחם", "Umm al-Fahm"],
    "סח'נין": ["סחנין", "סכנין", "Sakhnin"],
}
NEW_CITIES = ["ביתר עילית", "שפרעם", "עספיא", "פרדס חנה-כרכור", "אום אל-פחם", "סח'נין"]
STREETS = [
    "הרצל",
    "ויצמן",
    "בן גוריון",
    "ז'בוטינסקי",
    "רוטשילד",
    "הנשיא",
    "סוקולוב",
    "אחד העם",
    "העצמאות",
    "הגפן",
    "התאנה",
    "הזית",
    "הרימון",
    "יהודה הלוי",
    "אלנבי",
    "דיזנגוף",
    'הפלמ"ח',
    'קק"ל',
]
BRANCHES = ["קניון עזריאלי", "דיזנגוף סנטר", "גרנד קניון", "קניון הזהב", "אונליין", "קניון רמת אביב"]
DOMAINS = (
    ["gmail.com"] * 10
    + ["walla.co.il"] * 3
    + ["hotmail.com"] * 2
    + ["yahoo.com", "bezeqint.net", "012.net.il", "outlook.com", "netvision.net.il"]
)
DOMAIN_TYPOS = {
    "gmail.com": ["gmial.com", "gmail.co", "gmai.com", "gmail.con"],
    "walla.co.il": ["wala.co.il", "walla.co.il.", "walla.com"],
    "hotmail.com": ["hotmial.com", "hotmail.co"],
}
TRUE_FIELDS = ("phone_mobile", "email", "city_code", "birth_date")
MOBILE_PREFIXES = ["050", "052", "053", "054", "055", "058"]
NIQQUD = {"משה": "מֹשֶׁה", "שרה": "שָׂרָה", "דוד": "דָּוִד", "רחל": "רָחֵל"}


@dataclass
class Person:
    pid: int
    first: int  # index into FIRST_NAMES
    last: int
    national_id: str | None
    mobile: str | None  # national format 05XXXXXXXX
    landline: str | None
    email_local: str
    domain: str
    birth: dt.date | None
    city: str
    street: str
    house: int
    zip: str | None
    join: dt.date
    last_purchase: dt.date | None
    purchases: int
    spend: float
    sms: bool
    mail: bool
    branch: str
    extra: dict[str, object] = field(default_factory=dict)


def id_check_digit(body8: str) -> str:
    total = 0
    for i, ch in enumerate(body8):
        d = int(ch) * (1 if i % 2 == 0 else 2)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def _national(cell: object) -> str | None:
    """The national significant number a generated mobile cell means (None for junk, star and foreign cells)."""
    if cell is None:
        return None
    text = str(int(cell)) if isinstance(cell, int | float) else str(cell)
    digits = "".join(ch for ch in text if ch.isdigit())
    if digits.startswith("972"):
        digits = digits[3:]
    digits = digits.lstrip("0")
    if digits.startswith("57") and len(digits) == 9:
        digits = "53" + digits[2:]  # the retired prefix: the same person's number, now 053
    if len(digits) != 9 or not digits.startswith("5") or text.startswith("*"):
        return None
    number = phonenumbers.parse("0" + digits, "IL")
    fake = len(set(digits[2:])) == 1 or digits in ("500000000", "541111111", "521234567", "501234567")
    return digits if phonenumbers.is_valid_number(number) and not fake else None


def _true_email(cell: object) -> str | None:
    """The address a generated e-mail cell means, lower-cased (None for broken, disposable and role cells)."""
    if not isinstance(cell, str):
        return None
    text = cell.strip().lower()
    for domain, typos in DOMAIN_TYPOS.items():
        for typo in typos:
            if text.endswith("@" + typo):
                text = text[: -len(typo)] + domain
    if text.count("@") != 1 or " " in text or text.split("@")[1] not in DOMAINS:
        return None
    if text.split("@")[0] in ("info", "office", "sales"):
        return None
    return text


class Generator:
    def __init__(self, seed: int, today: dt.date) -> None:
        self.r = random.Random(seed)
        # the failure classes added later draw from their own stream, so the older dirt stays as it was
        self.d = random.Random(seed * 7919 + 1)
        # families (twins, parents and children, spouses, siblings) draw from a stream of their own too
        self.f = random.Random(seed * 104729 + 3)
        self.today = today
        self.mailboxes: set[str] = set()
        self.family_names: dict[int, set[int]] = {}  # the first names each family has given

    # ---- people
    def relative(self, base: Person, pid: int) -> Person:
        """A second person of ``base``'s family: a twin, a parent or child, a spouse or a sibling. They share the
        home (address, landline) and mostly the last name; each has a first name, a birth date, a mobile, an
        e-mail and an ID number of their own, except a family e-mail (10%) or mobile (5%) shared as in life."""
        f = self.f
        q = self.person(pid)
        kind = f.choices(["twin", "parent_child", "spouse", "sibling"], weights=[12, 38, 30, 20])[0]
        q.city, q.street, q.house, q.zip, q.landline = base.city, base.street, base.house, base.zip, base.landline
        if kind != "spouse" or f.random() < 0.7:
            q.last = base.last
        # parents do not give two children one name (two relatives of one member were once twins of one name):
        # a first name is new to the family, except a father and son of one name, rarely; a family grown past
        # half the names (only a chain of random picks makes one so big) only avoids the member's own
        family = int(base.extra.get("family", base.pid))  # type: ignore[call-overload]
        taken = self.family_names.setdefault(family, {base.first})
        avoid = taken if len(taken) < len(FIRST_NAMES) // 2 else {base.first}
        while q.first in avoid and not (kind == "parent_child" and q.first == base.first and f.random() < 0.05):
            q.first = f.randrange(len(FIRST_NAMES))
        taken.add(q.first)

        def years(lo: int, hi: int) -> dt.timedelta:
            return dt.timedelta(days=f.choice([-1, 1]) * f.randrange(lo * 365, hi * 365 + 1))

        if base.birth is not None:
            shift = {
                "twin": dt.timedelta(0),
                "parent_child": years(22, 40),
                "spouse": years(0, 6),
                "sibling": years(1, 12),
            }[kind]
            # a relative who would be born in the last five years is born as far the other way (a child becomes a
            # parent): clamped to one date, such relatives were twins of one birth date
            youngest = self.today - dt.timedelta(days=365 * 5)
            born = base.birth + shift if base.birth + shift <= youngest else base.birth - shift
            q.birth = min(born, youngest)
        if f.random() < 0.10:
            q.email_local, q.domain = base.email_local, base.domain
        if f.random() < 0.05:
            q.mobile = base.mobile
        q.extra["family"] = base.extra.get("family", base.pid)
        q.extra["relation"] = kind
        return q

    def national_id(self) -> str:
        # personal IDs start with 0-3 (5 is for companies); older ones start with 0 and lose it in Excel
        body = f"{self.r.choice('0000123333')}{self.r.randrange(0, 10**7):07d}"
        return body + id_check_digit(body)

    def mobile(self) -> str:
        while True:
            number = self.r.choice(MOBILE_PREFIXES) + f"{self.r.randrange(2_000_000, 9_999_999):07d}"
            if phonenumbers.is_valid_number(phonenumbers.parse(number, "IL")):
                return number

    def landline(self) -> str:
        while True:
            number = self.r.choice(["02", "03", "04", "08", "09"]) + f"{self.r.randrange(5_000_000, 9_999_999)}"
            if phonenumbers.is_valid_number(phonenumbers.parse(number, "IL")):
                return number

    def person(self, pid: int) -> Person:
        r = self.r
        first = r.randrange(len(FIRST_NAMES))
        last = r.randrange(len(LAST_NAMES))
        birth = self.today - dt.timedelta(days=r.randrange(17 * 365, 85 * 365)) if r.random() < 0.88 else None
        join = self.today - dt.timedelta(days=r.randrange(30, 12 * 365))
        purchases = max(1, int(r.paretovariate(1.3))) if r.random() < 0.92 else 0
        last_purchase = (
            min(self.today, join + dt.timedelta(days=r.randrange(0, max(1, (self.today - join).days))))
            if purchases
            else None
        )
        spend = round(sum(r.uniform(40, 650) for _ in range(min(purchases, 60))), 2)
        latin_first = FIRST_NAMES[first][1].lower()
        latin_last = LAST_NAMES[last][1].lower().replace(" ", "").replace("-", "")
        style = r.randrange(4)
        local = [
            f"{latin_first}.{latin_last}",
            f"{latin_first}{r.randrange(1, 999)}",
            f"{latin_first[0]}{latin_last}",
            f"{latin_last}{latin_first}{r.randrange(10, 99)}",
        ][style]
        while local in self.mailboxes:  # a mailbox belongs to one person: namesakes add digits, as in life
            local = f"{local}{r.randrange(1, 100)}"
        self.mailboxes.add(local)
        city = r.choice(list(CITIES))
        if self.d.random() < 0.12:
            city = self.d.choice(NEW_CITIES)
        return Person(
            pid=pid,
            first=first,
            last=last,
            national_id=self.national_id() if r.random() < 0.8 else None,
            mobile=self.mobile() if r.random() < 0.93 else None,
            landline=self.landline() if r.random() < 0.25 else None,
            email_local=local,
            domain=r.choice(DOMAINS),
            birth=birth,
            city=city,
            street=r.choice(STREETS),
            house=r.randrange(1, 120),
            zip=f"{r.randrange(1_000_000, 9_999_999)}" if r.random() < 0.5 else None,
            join=join,
            last_purchase=last_purchase,
            purchases=purchases,
            spend=spend,
            sms=r.random() < 0.7,
            mail=r.random() < 0.6,
            branch=r.choice(BRANCHES),
        )

    # ---- how a record of a person is written (this is where the dirt is)
    def record(self, p: Person, *, duplicate: bool) -> dict[str, object]:
        r = self.r
        heb_first, lat_first, sex, nicks = FIRST_NAMES[p.first]
        heb_last, lat_last = LAST_NAMES[p.last]
        latin = r.random() < (0.25 if duplicate else 0.06)
        first = lat_first if latin else heb_first
        last = lat_last if latin else heb_last
        if duplicate and nicks and not latin and r.random() < 0.4:
            first = r.choice(nicks)
        if not latin and first in NIQQUD and r.random() < 0.3:
            first = NIQQUD[first]
        if r.random() < 0.03:
            first = r.choice({"M": ["מר ", 'ד"ר ', 'עו"ד '], "F": ["גב' ", 'ד"ר ', "גברת "]}[sex]) + first
        if r.random() < 0.03:
            last = "\u200f" + last + "\u200e"  # direction marks from copy-paste
        if r.random() < 0.02:
            last = last + "  "
        if duplicate and r.random() < 0.15:
            first, last = last, first  # swapped columns
        if duplicate and r.random() < 0.15 and len(last) > 3:
            i = r.randrange(1, len(last) - 1)
            last = last[:i] + last[i + 1 :]  # a dropped letter
        rec: dict[str, object] = {"first_name": first, "last_name": last}
        rec["member_id"] = str(100000 + r.randrange(900000))
        rec["national_id"] = self._id_cell(p.national_id, duplicate)
        rec["phone_mobile"] = self._phone_cell(p.mobile, duplicate)
        rec["phone_other"] = self._phone_cell(p.landline, False) if p.landline else None
        rec["email"] = self._email_cell(p, duplicate)
        rec["birth_date"] = self._date_cell(p.birth, birth=True)
        rec["gender"] = self._gender_cell(sex)
        variants = CITIES.get(p.city, [p.city])
        rec["city"] = r.choice(variants) if r.random() < 0.6 else p.city
        rec["street"] = p.street if r.random() < 0.85 else None
        rec["house_number"] = str(p.house) if rec["street"] else None
        rec["zip"] = (p.zip if r.random() < 0.9 else p.zip[2:]) if p.zip else None
        rec["join_date"] = self._date_cell(p.join, birth=False)
        rec["last_purchase_date"] = self._date_cell(p.last_purchase, birth=False) if p.last_purchase else None
        rec["purchase_count"] = p.purchases if r.random() < 0.7 else str(p.purchases)
        rec["total_spend"] = self._money_cell(p.spend)
        opt_out = duplicate and r.random() < 0.2
        rec["sms_consent"] = self._consent_cell(p.sms and not opt_out)
        rec["email_consent"] = self._consent_cell(p.mail)
        rec["branch"] = p.branch
        rec["notes"] = None
        if r.random() < 0.01:
            rec["notes"] = r.choice(
                ['=HYPERLINK("http://example.invalid","לחץ כאן")', "+1 הנחה", "@מנהל סניף", "-לקוח VIP", "=1+1"]
            )
        elif r.random() < 0.05:
            rec["notes"] = r.choice(["לקוח ותיק", "ביקש לא להתקשר בשבת", "VIP", "הועבר מסניף אחר"])
        if r.random() < 0.004:
            rec["last_name"] = heb_last + ' ז"ל'
        self._new_dirt(p, rec, duplicate=duplicate, latin_name=f"{lat_first} {lat_last}")
        return rec

    def _new_dirt(self, p: Person, rec: dict[str, object], *, duplicate: bool, latin_name: str) -> None:
        """The failure classes of files written by others, and each record's true contact values (``__true_*``)."""
        d = self.d
        # phones: Excel's scientific notation, whole (9.72547654329E+11) or cut to 6 digits (9.72545E+11)
        national = _national(rec["phone_mobile"])
        rec["__true_phone_mobile"] = f"+972{national}" if national else None
        if national and national.startswith("5") and d.random() < 0.04:
            if d.random() < 0.5:
                rec["phone_mobile"] = f"{float('972' + national):.11E}"
            else:
                rec["phone_mobile"] = f"{float('972' + national):.5E}"
                rec["__true_phone_mobile"] = None  # the digits are gone
        # e-mails: Gmail dots and +tags on a second record, upper case, "Name <addr>"
        email = rec["email"]
        true_email = _true_email(email)
        if isinstance(email, str) and true_email:
            local, domain = true_email.split("@")
            if duplicate and domain == "gmail.com" and d.random() < 0.3:
                local = d.choice([local.replace(".", ""), local + "+club", ".".join(local)])
                email = true_email = f"{local}@{domain}"
            if d.random() < 0.04:
                email = email.upper()
            if d.random() < 0.04:
                email = f"{latin_name} <{email.strip()}>"
            rec["email"] = email
        rec["__true_email"] = true_email
        # localities as others spell them
        rec["__true_city_code"] = CITY_CODES.get(p.city)
        if p.city in HARD_SPELLINGS and (p.city in NEW_CITIES or d.random() < 0.12):
            rec["city"] = d.choice(HARD_SPELLINGS[p.city])
        # streets: a prefix, or the house number written in the street
        if rec["street"]:
            roll = d.random()
            if roll < 0.08:
                rec["street"] = d.choice(["רח' ", "רחוב ", "רח׳ "]) + str(rec["street"])
            elif roll < 0.14:
                rec["street"] = f"{rec['street']} {rec['house_number']}{d.choice(['', '', 'א'])}"
                rec["house_number"] = None
        # a future birth date on one record of a person: 1973-06-05 typed as 2033-06-05
        birth_ok = isinstance(rec["birth_date"], dt.datetime | str) and p.birth is not None
        birth_ok = birth_ok and rec["birth_date"] not in ("01/01/1900", f"31/02/{p.birth.year if p.birth else 0}")
        rec["__true_birth_date"] = p.birth.isoformat() if birth_ok and p.birth else None
        if duplicate and p.birth and d.random() < 0.06:
            year = p.birth.year + 60 if p.birth.year + 60 > self.today.year else self.today.year + d.randrange(1, 10)
            rec["birth_date"] = f"{min(p.birth.day, 28):02d}/{p.birth.month:02d}/{year}"
            rec["__true_birth_date"] = None

    def _id_cell(self, value: str | None, duplicate: bool) -> object:
        r = self.r
        if value is None:
            return None
        roll = r.random()
        if roll < 0.35:
            return int(value)  # a number cell: leading zeros gone
        if roll < 0.37:
            return value[:-1] + str((int(value[-1]) + 1) % 10)  # a typo breaks the check digit
        if roll < 0.38 and not duplicate:
            return r.choice(["123456782", "111111118", "000000018"])
        if roll < 0.40:
            return f"{value[:-1]}-{value[-1]}"
        return value

    def _phone_cell(self, value: str | None, duplicate: bool) -> object:
        r = self.r
        if value is None:
            return None
        if duplicate and value.startswith("05") and r.random() < 0.25:
            value = self.mobile()  # a new phone since the first sign-up
        roll = r.random()
        national = value[1:]
        if roll < 0.25:
            return f"{value[:3]}-{value[3:]}" if value.startswith("05") else f"{value[:2]}-{value[2:]}"
        if roll < 0.40:
            return value
        if roll < 0.55:
            return int(national)  # Excel dropped the leading zero
        if roll < 0.63:
            return f"+972-{national[:2]}-{national[2:]}"
        if roll < 0.68:
            return f"972{national}"
        if roll < 0.76:
            return f"{value[:3]} {value[3:6]} {value[6:]}"
        if roll < 0.78:
            return float(national)  # a float cell
        if roll < 0.80:
            return r.choice(["0500000000", "0541111111", "1234567", "0521234567", "050-1234567"])
        if roll < 0.81 and value.startswith("05"):
            return "057" + value[3:]  # the retired 057 prefix
        if roll < 0.82:
            return "*" + str(r.randrange(2000, 9999))  # a business star number
        return f"({value[:3]}) {value[3:]}"

    def _email_cell(self, p: Person, duplicate: bool) -> object:
        r = self.r
        if r.random() < 0.25:
            return None
        local, domain = p.email_local, p.domain
        if duplicate and r.random() < 0.2:
            local = local + str(r.randrange(1, 9))
        roll = r.random()
        if roll < 0.04 and domain in DOMAIN_TYPOS:
            domain = r.choice(DOMAIN_TYPOS[domain])
        elif roll < 0.05:
            return f"{local}@{r.choice(['mailinator.com', 'guerrillamail.com', '10minutemail.com'])}"
        elif roll < 0.06:
            return r.choice(["info", "office", "sales"]) + "@" + p.email_local.split(".")[0] + ".co.il"
        elif roll < 0.075:
            return r.choice(
                [f"{local}@{domain.split('.')[0]}", f"{local}.{domain}", f"{local}@@{domain}", f"{local} @{domain}"]
            )
        text = f"{local}@{domain}"
        if r.random() < 0.08:
            text = text.upper() if r.random() < 0.5 else text.capitalize()
        if r.random() < 0.04:
            text = " " + text + " "
        return text

    def _date_cell(self, value: dt.date | None, *, birth: bool) -> object:
        r = self.r
        if value is None:
            return None
        roll = r.random()
        if birth and roll < 0.01:
            return "01/01/1900"
        if birth and roll < 0.02:
            return f"31/02/{value.year}"
        if roll < 0.35:
            return f"{value.day:02d}/{value.month:02d}/{value.year}"
        if roll < 0.50:
            return dt.datetime(value.year, value.month, value.day)  # a real date cell
        if roll < 0.62:
            return f"{value.day}.{value.month}.{value.year % 100:02d}"
        if roll < 0.72:
            return f"{value.day:02d}-{value.month:02d}-{value.year}"
        if roll < 0.82:
            return value.isoformat()
        if roll < 0.90:
            return f"{value.day}/{value.month}/{value.year}"
        return str((value - dt.date(1899, 12, 30)).days)  # an Excel serial number as text

    def _gender_cell(self, sex: str) -> object:
        r = self.r
        if r.random() < 0.2:
            return None
        options = {"M": ["ז", "זכר", "M", "male", "1"], "F": ["נ", "נקבה", "F", "female", "2"]}[sex]
        return r.choice(options)

    def _money_cell(self, value: float) -> object:
        r = self.r
        roll = r.random()
        if roll < 0.5:
            return value
        if roll < 0.7:
            return f"₪{value:,.2f}"
        if roll < 0.85:
            return f'{value:,.0f} ש"ח'
        return f"{value:.2f}"

    def _consent_cell(self, yes: bool) -> object:
        r = self.r
        if r.random() < 0.12:
            return None
        return r.choice(["כן", "V", "1", "TRUE", "Y", "✓"] if yes else ["לא", "0", "FALSE", "N", "לא מאשר"])


def generate(
    rows: int, *, seed: int = 7, today: dt.date = dt.date(2026, 10, 1), families: float = 0.0
) -> tuple[list[dict[str, object]], list[int]]:
    """(records in file order, person id per record). Some records are empty or carry no identity.

    ``families``: the share of new people who join as a relative of someone already in the club (twins, parents
    and children, spouses, siblings; about 0.1 in a real club). Each record then holds its family in
    ``__family`` (``main`` writes it to the truth file). With 0 (the default) the file is as it always was."""
    g = Generator(seed, today)
    people: list[Person] = []
    records: list[dict[str, object]] = []
    truth: list[int] = []
    while len(records) < rows:
        roll = g.r.random()
        if roll < 0.004:
            records.append({k: None for k in HEADERS})  # an empty row
            truth.append(-1)
            continue
        if roll < 0.008:
            rec = {k: None for k in HEADERS}
            rec["first_name"] = g.r.choice(["בדיקה", "test", "ישראל"])
            rec["last_name"] = g.r.choice(["בדיקה", "ישראלי", "test"])
            records.append(rec)  # a test row with no identity at all
            truth.append(-1)
            continue
        if people and roll < 0.12:
            p = g.r.choice(people)
            records.append(g.record(p, duplicate=True))
            truth.append(p.pid)
            continue
        if families and people and g.f.random() < families:
            p = g.relative(g.f.choice(people), len(people))
        else:
            p = g.person(len(people))
        people.append(p)
        records.append(g.record(p, duplicate=False))
        truth.append(p.pid)
    if families:
        family = {p.pid: int(p.extra.get("family", p.pid)) for p in people}  # type: ignore[call-overload]
        for record, pid in zip(records, truth, strict=True):
            record["__family"] = family.get(pid, -1)
    return records, truth


def to_frame(records: list[dict[str, object]]) -> pl.DataFrame:
    """Records as a table of Hebrew-headed string columns (how a CSV export would hold them)."""

    def text(v: object) -> str | None:
        if v is None:
            return None
        if isinstance(v, dt.datetime):
            return f"{v.day:02d}/{v.month:02d}/{v.year}"
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    return pl.DataFrame(
        {HEADERS[k]: [text(rec.get(k)) for rec in records] for k in HEADERS},
        schema={h: pl.String for h in HEADERS.values()},
    )


def write_xlsx(records: list[dict[str, object]], path: Path, *, title_rows: int = 2) -> int:
    """Write like a CRM export: a title row and a blank row above the header, numbers and dates as typed
    cells. Returns the sheet row of the header."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(
        str(path), {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    )
    ws = wb.add_worksheet("חברי מועדון")
    ws.right_to_left()
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    if title_rows:
        ws.write_string(0, 0, "ייצוא חברי מועדון")
    header_row = title_rows
    for c, h in enumerate(HEADERS.values()):
        ws.write_string(header_row, c, h)
    for i, rec in enumerate(records, start=header_row + 1):
        for c, key in enumerate(HEADERS):
            v = rec.get(key)
            if v is None:
                continue
            if isinstance(v, dt.datetime):
                ws.write_datetime(i, c, v, date_fmt)
            elif isinstance(v, int | float):
                ws.write_number(i, c, v)
            else:
                ws.write_string(i, c, str(v))
    # A second sheet after the members, as exports often carry
    ws2 = wb.add_worksheet("סיכום")
    ws2.write_string(0, 0, 'סה"כ חברים')
    ws2.write_number(0, 1, len(records))
    wb.close()
    return header_row + 1


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("sample_data/members.xlsx"))
    parser.add_argument("--families", type=float, default=0.0, help="share of new people who are a relative")
    args = parser.parse_args(argv)
    records, truth = generate(args.rows, seed=args.seed, families=args.families)
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        header = write_xlsx(records, out)
        first_row = header + 1
    else:
        frame = to_frame(records)
        if suffix == ".parquet":
            frame.write_parquet(out)
            first_row = 2
        else:
            frame.write_csv(out, separator="\t" if suffix == ".tsv" else ",")
            first_row = 2  # no multi-line cells in generated data, so record i is on line i + 2
    # "record" is the position in the data (the same in every format); source_row is this file's row number
    true = {f"true_{f}": [rec.get(f"__true_{f}") for rec in records] for f in TRUE_FIELDS}
    pl.DataFrame(
        {
            "record": range(len(truth)),
            "source_row": [first_row + i for i in range(len(truth))],
            "person_id": truth,
            **({"family_id": [rec.get("__family", -1) for rec in records]} if args.families else {}),
            **true,
        },
        schema_overrides={k: pl.String for k in true},
    ).write_csv(out.with_name(out.stem + "_truth.csv"))
    print(f"wrote {len(records):,} rows to {out}")


if __name__ == "__main__":
    main()
