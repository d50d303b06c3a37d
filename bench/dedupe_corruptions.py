"""Dedupe on corruption classes the sample generator does not make, with Splink beside cleanse on the same file.

Written before any tuning against it (issue 19): each duplicate carries exactly one of these classes, and the
file also holds look-alikes that are two people (twins, a parent and child of one name, siblings on one family
e-mail), so precision is measured where it hurts a club.

    make bench-dedupe-corruptions      # .venv-bench (Splink) as for make bench-dedupe

Classes of duplicate (the second record of one person):
- ``birth_weeks``: the same e-mail, the birth date typed 1-20 weeks off (not a one-digit slip);
- ``swap_typo``: first and last name swapped, and one of them with a letter dropped or doubled;
- ``two_missing``: two of phone, e-mail, ID number and birth date left empty at once, and the street too;
- ``new_contact``: a new mobile and a new e-mail since sign-up, the ID number kept.
Look-alikes (two people, never to merge):
- ``twins``: one last name, birth date, address and landline; two first names, mobiles and e-mails;
- ``parent_child``: one first and last name and address, birth dates 25-35 years apart, one family e-mail;
- ``siblings_email``: one family e-mail and last name, two first names, birth dates 2-8 years apart.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

import polars as pl

from bench.dedupe_febrl import cluster_pairs, f1
from sample_data.generate import FIRST_NAMES, HEADERS, Generator, Person, to_frame

HERE = Path(__file__).resolve().parent
DUPLICATE_CLASSES = ("birth_weeks", "swap_typo", "two_missing", "new_contact")
LOOKALIKE_CLASSES = ("twins", "parent_child", "siblings_email")


def _typo(text: str, r: random.Random) -> str:
    if len(text) < 4:
        return text + text[-1]
    i = r.randrange(1, len(text) - 1)
    return text[:i] + text[i + 1 :] if r.random() < 0.5 else text[:i] + text[i] + text[i:]


def _clean(g: Generator, p: Person, *, duplicate: bool = False) -> dict[str, object]:
    """A record of ``p`` with the generator's everyday dirt (phone formats, nicknames, Latin spellings, city
    variants, dates in five styles); the classes add what the generator never does."""
    return g.record(p, duplicate=duplicate)


def _duplicate(g: Generator, p: Person, kind: str) -> dict[str, object]:
    r = g.r
    rec = _clean(g, p, duplicate=True)
    if kind == "birth_weeks":
        if p.birth is None:
            p.birth = g.today - dt.timedelta(days=r.randrange(20 * 365, 70 * 365))
            rec["birth_date"] = f"{p.birth:%d/%m/%Y}"
        off = dt.timedelta(days=r.choice([-1, 1]) * r.randrange(7, 140))
        rec["birth_date"] = f"{p.birth + off:%d/%m/%Y}"
        rec["email"] = f"{p.email_local}@{p.domain}"
        rec["phone_mobile"] = None if r.random() < 0.5 else rec["phone_mobile"]
        rec["national_id"] = None
    elif kind == "swap_typo":
        first, last = str(rec["first_name"]), str(rec["last_name"])
        if r.random() < 0.5:
            first = _typo(first, r)
        else:
            last = _typo(last, r)
        rec["first_name"], rec["last_name"] = last, first
        rec["national_id"] = None if r.random() < 0.5 else rec["national_id"]
    elif kind == "two_missing":
        for column in r.sample(["phone_mobile", "email", "national_id", "birth_date"], 2):
            rec[column] = None
        rec["street"] = rec["house_number"] = None
    else:  # new_contact
        rec["phone_mobile"] = g.mobile()
        rec["email"] = f"{p.email_local}{r.randrange(10, 99)}@{r.choice(['gmail.com', 'walla.co.il'])}"
        rec["national_id"] = p.national_id
        if p.national_id is None:
            p.national_id = g.national_id()
            rec["national_id"] = p.national_id
    return rec


def _lookalike(g: Generator, p: Person, kind: str, pid: int) -> tuple[Person, dict[str, object], dict[str, object]]:
    """A second person who shares a family's facts with ``p``, and a record of each."""
    r = g.r
    q = g.person(pid)
    q.last, q.city, q.street, q.house, q.zip = p.last, p.city, p.street, p.house, p.zip
    if kind == "twins":
        while q.first == p.first:
            q.first = r.randrange(len(FIRST_NAMES))
        q.birth = p.birth or g.today - dt.timedelta(days=r.randrange(20 * 365, 60 * 365))
        p.birth = q.birth
        q.landline = p.landline = p.landline or g.landline()
    elif kind == "parent_child":
        q.first = p.first
        base = p.birth or g.today - dt.timedelta(days=r.randrange(55 * 365, 75 * 365))
        p.birth = base
        shift = dt.timedelta(days=r.randrange(25 * 365, 35 * 365))
        # the younger one is born before today (a child born in the future is an implausible date, which cleaning
        # empties: the pair would lose the very fact that tells a parent from a child)
        q.birth = base + shift if base + shift <= g.today - dt.timedelta(days=365) else base - shift
        q.email_local, q.domain = p.email_local, p.domain
    else:  # siblings_email
        while q.first == p.first:
            q.first = r.randrange(len(FIRST_NAMES))
        base = p.birth or g.today - dt.timedelta(days=r.randrange(20 * 365, 50 * 365))
        p.birth = base
        q.birth = base + dt.timedelta(days=r.randrange(2 * 365, 8 * 365))
        q.email_local, q.domain = p.email_local, p.domain
    return q, _clean(g, p), _clean(g, q)


def build(people: int, *, seed: int = 19) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the member file as Hebrew-headed strings, truth: source_row -> person, class)."""
    g = Generator(seed, dt.date(2026, 10, 1))
    records: list[dict[str, object]] = []
    truth: list[tuple[int, str]] = []
    pid = 0
    for _ in range(people):
        p = g.person(pid)
        roll = g.r.random()
        if roll < 0.30:
            kind = DUPLICATE_CLASSES[int(roll / 0.30 * len(DUPLICATE_CLASSES))]
            first = _clean(g, p)
            if kind == "birth_weeks":  # the class is one e-mail on both records
                first["email"] = f"{p.email_local}@{p.domain}"
            records += [first, _duplicate(g, p, kind)]
            truth += [(pid, kind), (pid, kind)]
            pid += 1
        elif roll < 0.45:
            kind = LOOKALIKE_CLASSES[int((roll - 0.30) / 0.15 * len(LOOKALIKE_CLASSES))]
            _, a, b = _lookalike(g, p, kind, pid + 1)
            records += [a, b]
            truth += [(pid, kind), (pid + 1, kind)]
            pid += 2
        else:
            records.append(_clean(g, p))
            truth.append((pid, "single"))
            pid += 1
    order = list(range(len(records)))
    g.r.shuffle(order)
    frame = to_frame([records[k] for k in order]).drop(
        [HEADERS[c] for c in HEADERS if c not in records[0]], strict=False
    )
    labels = pl.DataFrame(
        {
            "source_row": [k + 2 for k in range(len(order))],  # header is row 1
            "person": [truth[k][0] for k in order],
            "class": [truth[k][1] for k in order],
        }
    )
    return frame, labels


def run_cleanse(path: Path) -> tuple[pl.DataFrame, float]:
    from pipeline.rulefile import load_rules
    from pipeline.runner import process

    t0 = time.perf_counter()
    result = process(path, rules=load_rules())
    return result.merge_map.select("source_row", pl.col("golden_id").alias("cluster")), time.perf_counter() - t0


def run_splink(frame: pl.DataFrame) -> tuple[pl.DataFrame, float]:
    """Splink with the comparisons its documentation recommends for people (names, date of birth, e-mail,
    phone, ID, city, street), on the same values lightly standardised (digits of phones and IDs, ISO dates)."""
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on

    try:
        from splink.backends.duckdb import DuckDBAPI
    except ImportError:
        from splink import DuckDBAPI  # type: ignore[attr-defined,no-redef]

    english = {HEADERS[c]: c for c in HEADERS}
    df = (
        frame.rename({h: english[h] for h in frame.columns})
        .with_row_index("source_row", offset=2)
        .with_columns(
            pl.col("source_row").cast(pl.Int64),
            pl.col("phone_mobile").str.replace_all(r"\D", ""),
            pl.col("national_id").str.replace_all(r"\D", "").str.zfill(9),
            pl.col("email").str.to_lowercase(),
            pl.col("birth_date").str.strptime(pl.Date, "%d/%m/%Y", strict=False).cast(pl.String),
        )
        .to_pandas()
    )
    settings = SettingsCreator(
        unique_id_column_name="source_row",
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "last_name"),
            block_on("last_name", "birth_date"),
            block_on("first_name", "birth_date"),
            block_on("email"),
            block_on("phone_mobile"),
            block_on("national_id"),
            block_on("street", "house_number"),
        ],
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("last_name"),
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
            cl.EmailComparison("email"),
            cl.ExactMatch("phone_mobile"),
            cl.DamerauLevenshteinAtThresholds("national_id", [1]),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.ExactMatch("street"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    t0 = time.perf_counter()
    api = DuckDBAPI()
    linker = Linker(api.register(df), settings) if hasattr(api, "register") else Linker(df, settings, db_api=api)
    linker.training.estimate_probability_two_random_records_match([block_on("email")], recall=0.6)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    for rule in (block_on("first_name", "last_name"), block_on("birth_date")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.95)
    labels = pl.from_pandas(clusters.as_pandas_dataframe()).select(  # type: ignore[attr-defined]
        pl.col("source_row").cast(pl.Int64), pl.col("cluster_id").cast(pl.String).alias("cluster")
    )
    return labels, time.perf_counter() - t0


def score(labels: pl.DataFrame, truth: pl.DataFrame) -> dict[str, object]:
    rows = labels.join(truth, on="source_row").with_columns(pl.col("source_row").cast(pl.String))
    found = cluster_pairs(rows, "source_row", "cluster")
    true = cluster_pairs(rows.with_columns(pl.col("person").cast(pl.String)), "source_row", "person")
    p, r, f = f1(found, true)
    cls = dict(zip(rows["source_row"], rows["class"], strict=True))
    per_class = {}
    for kind in DUPLICATE_CLASSES:
        t = {x for x in true if cls[x[0]] == kind}
        per_class[kind] = f"{len(t & found)}/{len(t)}"
    for kind in LOOKALIKE_CLASSES:
        merged = {x for x in found - true if cls[x[0]] == kind and cls[x[1]] == kind}
        per_class[kind] = f"{len(merged)} merged"
    return {"p": p, "r": r, "f1": f, "per_class": per_class}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--no-splink", action="store_true")
    args = parser.parse_args(argv)
    work = HERE / "data"
    work.mkdir(parents=True, exist_ok=True)
    frame, truth = build(args.people)
    path = work / f"corruptions_{args.people}.csv"
    frame.write_csv(path)
    runs = {"cleanse": run_cleanse(path)}
    if not args.no_splink:
        try:
            runs["splink"] = run_splink(frame)
        except Exception as exc:  # a peer's failure must not hide our own figures
            print(f"splink failed: {exc}", file=sys.stderr)
    head = ["tool", "cluster P", "cluster R", "cluster F1", "s", *DUPLICATE_CLASSES, *LOOKALIKE_CLASSES]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for tool, (labels, seconds) in runs.items():
        s = score(labels, truth)
        cells = [tool, f"{s['p']:.4f}", f"{s['r']:.4f}", f"{s['f1']:.4f}", f"{seconds:.1f}"]
        cells += list(s["per_class"].values())  # type: ignore[attr-defined]
        lines.append("| " + " | ".join(cells) + " |")
    counts = truth.group_by("class").len().sort("class")
    text = (
        f"# Dedupe on corruption classes the generator does not make\n\n{frame.height:,} records, "
        f"{truth['person'].n_unique():,} people; records per class: "
        + ", ".join(f"{c} {n}" for c, n in counts.iter_rows())
        + f".\nCommand: python -m bench.dedupe_corruptions {' '.join(argv or sys.argv[1:])}\n\n"
        + "Duplicate classes: true pairs found / true pairs. Look-alike classes: pairs of two people merged.\n\n"
        + "\n".join(lines)
        + "\n"
    )
    (HERE / "dedupe_corruptions_results.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
