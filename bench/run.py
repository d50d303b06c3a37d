"""`make bench`: the full pipeline on generated member files of growing size, as a table.

Generates files with the sample generator (cached in bench/data/), runs `cleanse` on each in a fresh process,
prints seconds per stage, rows per second and peak memory, and writes the table to bench/results.md so figures
can be compared between commits.

    python -m bench.run                      # 10k, 100k, 1M rows (CSV and parquet) and 100k xlsx
    python -m bench.run --sizes 10000,100000 --formats parquet
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
OUT = HERE / "out"
STAGES = ("ingest", "map", "clean", "validate", "quarantine", "dedupe", "enrich", "score")


PART_ROWS = 1_000_000  # the generator holds a file's records in memory: a bigger file is made of parts this size


# a club's members include their families: twins, parents and children, spouses and siblings, who share a home,
# a last name and sometimes an e-mail, and must never be merged (issue 19); the generator makes one new person in
# ten a relative of someone already there
FAMILIES = 0.1


def ensure_file(rows: int, fmt: str, seed: int = 1) -> Path:
    path = DATA / f"members_{rows}_{seed}_families.{fmt}"
    if not path.exists() and rows > PART_ROWS:
        _assemble(path, rows, fmt, seed)
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "sample_data.generate",
                "--rows",
                str(rows),
                "--seed",
                str(seed),
                "--out",
                str(path),
                "--families",
                str(FAMILIES),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(f"  generated {path.name} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return path


def _assemble(path: Path, rows: int, fmt: str, seed: int) -> None:
    """A file of ``rows`` (a multiple of ``PART_ROWS``) from generated parts of seeds ``seed, seed + 1, ...``, one
    after another: each part's people are its own (their person ids are offset), as in a club of many branches
    whose exports were joined. The parts are streamed into the file, never held together."""
    import polars as pl

    if rows % PART_ROWS or fmt not in ("parquet", "csv"):
        raise SystemExit(f"a file over {PART_ROWS:,} rows is made of {PART_ROWS:,}-row parts, as parquet or csv")
    parts = [ensure_file(PART_ROWS, "parquet", seed + k) for k in range(rows // PART_ROWS)]
    t = time.perf_counter()
    joined = pl.concat([pl.scan_parquet(p) for p in parts])
    if fmt == "parquet":
        joined.sink_parquet(path)
    else:
        joined.sink_csv(path)
    truth = pl.concat(
        [
            pl.scan_csv(p.with_name(p.stem + "_truth.csv")).with_columns(
                pl.col("record") + k * PART_ROWS,
                pl.col("source_row") + k * PART_ROWS,
                pl.when(pl.col("person_id") >= 0).then(pl.col("person_id") + k * PART_ROWS).otherwise(-1),
                pl.when(pl.col("family_id") >= 0).then(pl.col("family_id") + k * PART_ROWS).otherwise(-1),
            )
            for k, p in enumerate(parts)
        ]
    )
    truth.sink_csv(path.with_name(path.stem + "_truth.csv"))
    print(f"  assembled {path.name} from {len(parts)} parts in {time.perf_counter() - t:.1f} s", file=sys.stderr)


def truth_of(path: Path) -> tuple[Path, int]:
    """The generator's ground truth beside a member file, and the file row of its first record (the generator's
    xlsx has a title and a blank row on top)."""
    return path.with_name(path.stem + "_truth.csv"), 4 if path.suffix == ".xlsx" else 2


def _known(truth: Path, first_row: int) -> pl.DataFrame:
    """The truth by ``source_row``: one truth file (by ``record``) serves every format of the same data."""
    import polars as pl

    known = pl.read_csv(truth)
    if "record" in known.columns:
        known = known.with_columns((pl.col("record") + first_row).alias("source_row"))
    return known


def measure(path: Path) -> dict[str, object]:
    out = OUT / path.stem
    t = time.perf_counter()
    # stderr is passed through: a failed run says why (a 10M run once stopped on a full disk, and said nothing)
    done = subprocess.run(
        [sys.executable, "-m", "bench.one", str(path), str(out)], check=True, stdout=subprocess.PIPE, text=True
    )
    figures: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    figures["process_s"] = time.perf_counter() - t
    truth, first_row = truth_of(path)
    figures |= dedupe_quality(out / "merge_map.csv", truth, first_row=first_row)
    return figures


def dedupe_quality(merge_map: Path, truth: Path, *, first_row: int) -> dict[str, object]:
    """Cluster F1 and precision (pairs implied by the golden records) against the generator's ground truth, and
    the look-alike groups merged: golden records that hold two people of one family (twins, a parent and child)."""
    import polars as pl

    if not merge_map.exists() or not truth.exists():
        return {"f1": None, "precision": None, "lookalikes_merged": None}
    known = _known(truth, first_row)
    family = ["family_id"] if "family_id" in known.columns else []
    known = known.select("source_row", "person_id", *family)
    mm = pl.read_csv(merge_map, columns=["source_row", "golden_id"]).join(known, on="source_row")
    mm = mm.filter(pl.col("person_id") >= 0)

    def pairs(*cols: str) -> int:
        g = mm.group_by(*cols).len()
        return int((g["len"] * (g["len"] - 1) // 2).sum())

    tp = pairs("golden_id", "person_id")
    precision, recall = tp / max(pairs("golden_id"), 1), tp / max(pairs("person_id"), 1)
    merged = None
    if family:  # a golden record with two people of one family
        people = mm.select("golden_id", "person_id", "family_id").unique()
        merged = people.group_by("golden_id", "family_id").len().filter(pl.col("len") > 1).height
    return {
        "f1": round(2 * precision * recall / max(precision + recall, 1e-9), 4),
        "precision": round(precision, 5),
        "lookalikes_merged": merged,
    }


def review_worked(path: Path, out: Path, truth: Path, *, first_row: int) -> dict[str, object]:
    """The run again with its review queue decided by a person who knows the truth (review.xlsx's decision column
    filled in from the generator's ground truth and replayed with ``--decisions``, as a club's reviewer would):
    how many pairs a person decides, and the cluster figures after. Not timed."""
    import polars as pl

    from pipeline.review_sheet import machine_names

    sheet = out / "review.xlsx"
    if not sheet.exists() or not truth.exists():
        return {"review_pairs": None, "f1_reviewed": None, "precision_reviewed": None}
    review = pl.read_excel(sheet, infer_schema_length=0)
    review = review.rename(machine_names(review.columns))
    known = _known(truth, first_row).select("source_row", "person_id")
    person = lambda side: known.rename({"source_row": f"source_row_{side}", "person_id": f"person_{side}"})  # noqa: E731
    decided = (
        review.with_columns(pl.col("source_row_a", "source_row_b").cast(pl.Int64))
        .join(person("a"), on="source_row_a", how="left")
        .join(person("b"), on="source_row_b", how="left")
        .with_columns(
            pl.when((pl.col("person_a") == pl.col("person_b")) & (pl.col("person_a") >= 0))
            .then(pl.lit("same"))
            .otherwise(pl.lit("different"))
            .alias("decision")
        )
        .drop("person_a", "person_b")
    )
    decisions = out.with_name(out.name + "_decisions.csv")
    decided.write_csv(decisions)
    again = out.with_name(out.name + "_reviewed")
    subprocess.run(
        [sys.executable, "-m", "bench.one", str(path), str(again), str(decisions)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    quality = dedupe_quality(again / "merge_map.csv", truth, first_row=first_row)
    return {"review_pairs": review.height, "f1_reviewed": quality["f1"], "precision_reviewed": quality["precision"]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--formats", default="csv,parquet")
    parser.add_argument("--xlsx-rows", type=int, default=100_000, help="also an xlsx run at this size (0: none)")
    parser.add_argument("--out", type=Path, default=HERE / "results.md", help="where the table is written")
    parser.add_argument(
        "--review-formats",
        default="parquet",
        help="formats whose run is replayed with its review queue decided from the truth ('' for none)",
    )
    args = parser.parse_args(argv)
    plan = [(int(n), fmt) for n in args.sizes.split(",") for fmt in args.formats.split(",")]
    if args.xlsx_rows:
        plan.append((args.xlsx_rows, "xlsx"))
    rows_out = []
    for rows, fmt in sorted(plan):
        path = ensure_file(rows, fmt)
        print(f"running {path.name} ...", file=sys.stderr)
        f = measure(path)
        f |= dict.fromkeys(("review_pairs", "f1_reviewed", "precision_reviewed"))
        if fmt in args.review_formats.split(","):
            print(f"  replaying {path.name} with its review queue decided ...", file=sys.stderr)
            truth, first_row = truth_of(path)
            f |= review_worked(path, OUT / path.stem, truth, first_row=first_row)
        stages = f["stages"]
        assert isinstance(stages, dict)
        total = float(f["process_s"])  # type: ignore[arg-type]
        rows_out.append(
            f"| {rows:,} | {fmt} | "
            + " | ".join(f"{stages.get(s, 0):.2f}" for s in STAGES)
            + f" | {float(f['write_s']):.2f} | {total:.1f} | {rows / total:,.0f} | {float(f['peak_rss_mb']):,.0f} |"  # type: ignore[arg-type]
            + f" {'yes' if f['accounted'] else 'NO'} | {f['f1'] if f['f1'] is not None else 'n/a'} |"
            + f" {f['precision'] if f['precision'] is not None else 'n/a'} |"
            + f" {f['lookalikes_merged'] if f['lookalikes_merged'] is not None else 'n/a'} |"
            + "".join(
                f" {f[k]:,} |" if isinstance(f[k], int) else f" {f[k] if f[k] is not None else '-'} |"
                for k in ("review_pairs", "f1_reviewed", "precision_reviewed")
            )
        )
    header = (
        "| rows | format | "
        + " | ".join(f"{s} s" for s in STAGES)
        + " | write s | wall s | rows/s | peak RSS MB | nothing lost | dedupe F1 | precision | look-alikes merged"
        + " | review pairs | F1 after review | precision after review |\n"
        + "|"
        + "---|" * (len(STAGES) + 13)
    )
    table = header + "\n" + "\n".join(rows_out)
    meta = (
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        "wall s is the whole `cleanse run` process (start-up, all stages, every output written). "
        "Dedupe F1 and precision are cluster figures (pairs implied by the golden records) against the generator's "
        f"ground truth; the files hold families ({FAMILIES:.0%} of new people are a relative of a member: twins, "
        "parents and children, spouses, siblings), and look-alikes merged counts golden records holding two people "
        "of one family. After review: the same file run again with review.xlsx's pairs decided from the ground "
        "truth and replayed with `--decisions`, as a club's reviewer would (not timed)."
    )
    args.out.write_text(f"# Benchmark results\n\n{meta}\n\n{table}\n", encoding="utf-8")
    print(table)
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
