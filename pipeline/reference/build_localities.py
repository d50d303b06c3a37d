"""Build the official localities and streets shipped with the package from the government files.

    python -m pipeline.reference.build_localities [SOURCE_DIR]

SOURCE_DIR (default ``../shared/reference``) holds the unmodified downloads (see README.md in this folder):
``datagov_localities_yishuvim_cp1255.csv`` and ``datagov_streets_cp1255.csv`` (data.gov.il, Windows-1255, values
padded with spaces) and ``cbs_bycode2024.xlsx`` (Central Bureau of Statistics). Writes:

- ``localities.csv`` (UTF-8): one row per CBS code: ``name`` (the CBS spelling, else data.gov.il's), ``name_alt``
  (the other official spelling where the two differ), ``name_en`` (CBS), ``name_en_alt`` (data.gov.il's upper-case
  transliteration), ``district`` (from the sub-district code's first digit), ``subdistrict``, ``population`` and
  ``aliases``: the GeoNames names of the same place (``geonames_localities.csv``), found by their Hebrew names.
- ``streets.parquet``: ``locality_code``, ``street_code``, ``street`` (63,563 rows; about 0.5 MB).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import polars as pl

HERE = Path(__file__).parent
DISTRICTS = {
    "1": "ירושלים",
    "2": "הצפון",
    "3": "חיפה",
    "4": "המרכז",
    "5": "תל אביב",
    "6": "הדרום",
    "7": "יהודה ושומרון",
}
HEADER = (
    "# Israeli localities by CBS code. Source: data.gov.il (Population and Immigration Authority) and the Central\n"
    "# Bureau of Statistics; data.gov.il licence and CBS open-information licence (reuse with attribution).\n"
    "# Built by pipeline/reference/build_localities.py; GeoNames names (CC BY 4.0) added as aliases.\n"
)


def _datagov(path: Path) -> pl.DataFrame:
    """A data.gov.il CSV: Windows-1255, CRLF, every value padded with spaces."""
    text = path.read_bytes().decode("cp1255")
    frame = pl.read_csv(io.StringIO(text), infer_schema=False, quote_char=None)  # names hold bare quotes
    return frame.select(pl.col(c).str.strip_chars().alias(c.strip()) for c in frame.columns)


def _cbs(path: Path) -> pl.DataFrame:
    import fastexcel

    sheet = fastexcel.read_excel(path).load_sheet(0, dtypes="string").to_polars()
    return sheet.select(
        pl.col("סמל יישוב").cast(pl.Int32).alias("code"),
        pl.col("שם יישוב").str.strip_chars().alias("cbs_name"),
        pl.col("שם יישוב באנגלית").str.strip_chars().alias("name_en"),
        pl.col("סמל נפה").alias("cbs_subdistrict_code"),
        pl.col("שם נפה").str.strip_chars().alias("cbs_subdistrict"),
        pl.col("סך הכל אוכלוסייה 2024").cast(pl.Int64).alias("population"),
    )


def _geonames_aliases(official: pl.DataFrame) -> pl.DataFrame:
    """GeoNames' names, joined to a CBS code where GeoNames' Hebrew name (or one of its Hebrew aliases) is an
    official spelling, letter for letter once spaces and hyphens are ignored."""
    from pipeline.fields.places import place_key

    text = (HERE / "geonames_localities.csv").read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    geo = pl.read_csv(body.encode(), infer_schema=False)
    by_key: dict[str, int] = {}
    for code, *names in official.select("code", "name", "name_alt").iter_rows():
        for name in names:
            if name:
                by_key.setdefault(place_key(name), code)
    rows = []
    for row in geo.iter_rows(named=True):
        names = [row["name"], *(row["aliases"] or "").split("|")]
        hebrew = [n for n in names if n and not n.isascii()]
        code = next((by_key[place_key(n)] for n in hebrew if place_key(n) in by_key), None)
        if code is not None:
            rows.append({"code": code, "aliases": "|".join(sorted({row["name_en"], *names}))})
    return pl.DataFrame(rows, schema={"code": pl.Int32, "aliases": pl.String}).unique("code", keep="first")


def build(source: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    gov = _datagov(source / "datagov_localities_yishuvim_cp1255.csv").select(
        pl.col("סמל_ישוב").cast(pl.Int32).alias("code"),
        pl.col("שם_ישוב").alias("gov_name"),
        pl.col("שם_ישוב_לועזי").alias("name_en_alt"),
        pl.col("סמל_נפה").alias("gov_subdistrict_code"),
        pl.col("שם_נפה").alias("gov_subdistrict"),
    )
    gov = gov.filter(pl.col("code") != 0)  # "לא רשום": a placeholder
    streets_raw = _datagov(source / "datagov_streets_cp1255.csv")
    streets = streets_raw.select(
        pl.col("סמל_ישוב").cast(pl.Int32).alias("locality_code"),
        pl.col("סמל_רחוב").cast(pl.Int32).alias("street_code"),
        pl.col("שם_רחוב").alias("street"),
    ).sort("locality_code", "street_code")
    # localities founded after the March localities list appear only in the streets list
    street_localities = streets_raw.select(
        pl.col("סמל_ישוב").cast(pl.Int32).alias("code"), pl.col("שם_ישוב").alias("street_list_name")
    ).unique("code")
    cbs = _cbs(source / "cbs_bycode2024.xlsx")
    table = (
        cbs.join(gov, on="code", how="full", coalesce=True)
        .join(street_localities, on="code", how="full", coalesce=True)
        .with_columns(
            # the CBS spelling (the Academy's full spelling: הרצלייה, קריית), unless the two differ only in spacing
            # or a marker (CBS's "תל אביב -יפו", "מחנה הילה*"): then data.gov.il's
            pl.when(
                pl.col("cbs_name").str.replace_all(r"[\s\-*]", "") == pl.col("gov_name").str.replace_all(r"[\s\-*]", "")
            )
            .then(pl.col("gov_name"))
            .otherwise(pl.coalesce("cbs_name", "gov_name", "street_list_name"))
            .alias("name"),
            pl.coalesce("cbs_subdistrict_code", "gov_subdistrict_code").alias("subdistrict_code"),
            pl.coalesce("cbs_subdistrict", "gov_subdistrict").alias("subdistrict"),
        )
        .with_columns(
            pl.when(pl.col("gov_name") != pl.col("name"))
            .then(pl.col("gov_name"))
            .when(pl.col("cbs_name") != pl.col("name"))
            .then(pl.col("cbs_name"))
            .alias("name_alt"),
            pl.col("subdistrict_code")
            .str.slice(0, 1)
            .replace_strict(DISTRICTS, default=None, return_dtype=pl.String)
            .alias("district"),
        )
    )
    table = table.join(_geonames_aliases(table), on="code", how="left").select(
        "code",
        "name",
        "name_alt",
        "name_en",
        "name_en_alt",
        "district",
        "subdistrict",
        pl.col("population").fill_null(0),
        "aliases",
    )
    return table.sort("population", "code", descending=[True, False]), streets


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[1] / ".." / "shared" / "reference"
    localities, streets = build(source)
    (HERE / "localities.csv").write_text(HEADER + localities.write_csv(), encoding="utf-8")
    streets.write_parquet(HERE / "streets.parquet", compression="zstd", compression_level=19, statistics=False)
    print(f"wrote {localities.height} localities and {streets.height} streets to {HERE}")


if __name__ == "__main__":
    main()
