"""Composes the stages, times them, reports progress, and does the I/O at the two ends."""

from __future__ import annotations

import datetime as dt
import resource
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, Protocol, TypeVar

import polars as pl

from pipeline import export, gates
from pipeline import ledger as ledger_
from pipeline.ingest import RawTable, SourceInfo, read_member_file
from pipeline.mapping import ColumnMapping, HeaderMatcher, map_columns, require_identifying
from pipeline.rules import Rules
from pipeline.stages import StageResult
from pipeline.stages.clean import clean, phone_counts
from pipeline.stages.conform import conform
from pipeline.stages.dedupe import DedupeOutcome, deduplicate
from pipeline.stages.dedupe.decisions import Decisions, read_decisions
from pipeline.stages.enrich import enrich
from pipeline.stages.quarantine import quarantine
from pipeline.stages.score import NAIVE_COLUMNS, as_of_date, club_figures, rfm_and_value, score
from pipeline.stages.validate import validate
from pipeline.stages.value import summarise_transactions
from pipeline.transactions import read_transactions, summary_by, with_summary

T = TypeVar("T")


class Progress(Protocol):
    def start(self, stage: str, rows: int) -> None: ...
    def done(self, stage: str, rows_out: int, seconds: float) -> None: ...


class _Silent:
    def start(self, stage: str, rows: int) -> None:
        pass

    def done(self, stage: str, rows_out: int, seconds: float) -> None:
        pass


@dataclass(frozen=True)
class RunOptions:
    sheet: str | None = None
    overrides: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    show_pii: bool = False
    lang: str | None = None  # report.html's language, "he" or "en"; by default the language of the file's headers
    reference_date: dt.date | None = None  # for ages, "in the future" and the scoring date; default today
    transactions: Path | None = None  # member number, date, amount: the value model's summary columns, exactly
    check_dns: bool = False
    xlsx_max_rows: int = 50_000  # xlsx is slow to write in every library; parquet and CSV always written
    stop_after: Literal["quarantine", "all"] = "all"  # `cleanse check` needs no golden records or scores
    decisions: Path | None = None  # review.xlsx with a person's decisions, replayed by deduplication
    previous: Path | None = None  # last run's output folder: its golden ids are kept for the same members
    # the stages before deduplication take this many rows at a time: their working memory is a chunk's, not the
    # file's (the result is the same; a file of up to this many rows is one chunk)
    chunk_rows: int = 500_000
    # where a file of more than one chunk spills its ledger while it runs (a temporary folder, removed with the
    # result); the system's temporary folder by default, which can be in memory: the CLI spills beside the output
    spill_dir: Path | None = None

    def __post_init__(self) -> None:
        if self.chunk_rows < 1:
            raise ValueError(f"chunk_rows must be at least 1, not {self.chunk_rows}")


@dataclass(frozen=True)
class StageTiming:
    stage: str
    rows_in: int
    rows_out: int
    seconds: float
    peak_rss_mb: float = 0.0  # the process's peak memory so far, after this stage


@dataclass(frozen=True)
class RunResult:
    source: SourceInfo
    mapping: ColumnMapping
    rows_in: int
    members: pl.DataFrame  # golden records
    merge_map: pl.DataFrame
    quarantine: pl.DataFrame
    ledger: pl.LazyFrame  # lazy: a big file's ledger is read from disk (``spill``) by whatever needs it
    timings: tuple[StageTiming, ...]
    stats: Mapping[str, Mapping[str, Any]]
    raw_headers: tuple[str, ...] = ()
    pairs: pl.LazyFrame = field(default_factory=pl.LazyFrame)  # lazy: a big file's are read from disk (``spill``)
    review: pl.DataFrame = field(default_factory=pl.DataFrame)
    spill: _Spill | None = None  # holds what ``ledger`` and ``pairs`` read while the result lives

    @property
    def accounted(self) -> bool:
        """Nothing lost: every input row is in the merge map or in quarantine, exactly once."""
        rows = pl.concat([self.merge_map.select("source_row"), self.quarantine.select("source_row")])
        return rows.height == self.rows_in and rows.get_column("source_row").n_unique() == self.rows_in


class _Clock:
    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.timings: list[StageTiming] = []

    def run(self, stage: str, rows: int, fn: Callable[[], T], rows_out: Callable[[T], int], *, part: str = "") -> T:
        """Run one stage (``part``: which chunk of the rows, "3/20"; a stage's chunks add up to one timing)."""
        label = f"{stage} {part}" if part else stage
        self.progress.start(label, rows)
        t0 = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - t0
        n = rows_out(out)
        peak = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        self.progress.done(label, n, seconds)
        for k, old in enumerate(self.timings):
            if old.stage == stage:
                self.timings[k] = StageTiming(stage, old.rows_in + rows, old.rows_out + n, old.seconds + seconds, peak)
                return out
        self.timings.append(StageTiming(stage, rows, n, seconds, peak))
        return out


@dataclass(frozen=True)
class _Front:
    """What the stages between mapping and deduplication leave of some rows of the file."""

    kept: pl.DataFrame
    quarantined: pl.DataFrame
    naive: pl.LazyFrame  # the NAIVE_COLUMNS of every validated row: the club as the file shows it
    ledger: pl.LazyFrame  # clean, validate and quarantine, in row order
    stats: dict[str, Mapping[str, Any]]  # clean, validate, quarantine


def _front(
    raw: RawTable,
    members: pl.DataFrame,
    *,
    rules: Rules,
    options: RunOptions,
    clock: _Clock,
    part: str = "",
    phones: dict[str, pl.DataFrame] | None = None,
) -> _Front:
    """Clean, validate and quarantine ``members`` (the mapped rows of ``raw``): the whole file, or a chunk of it
    with ``phones``, the phone numbers of the whole file (see ``clean``)."""
    cleaned: StageResult = clock.run(
        "clean",
        members.height,
        partial(
            clean,
            members,
            rules=rules,
            reference_date=options.reference_date,
            check_dns=options.check_dns,
            phones_in_file=phones,
        ),
        lambda r: r.table.height,
        part=part,
    )
    validated: StageResult = clock.run(
        "validate",
        members.height,
        partial(validate, cleaned.table, rules=rules, reference_date=options.reference_date),
        lambda r: r.table.height,
        part=part,
    )
    field_ledger = ledger_.concat([cleaned.ledger, validated.ledger])
    kept, quarantined = clock.run(
        "quarantine",
        members.height,
        partial(quarantine, validated.table, raw=raw, rules=rules, ledger=field_ledger),
        lambda r: r[0].table.height,
        part=part,
    )
    return _Front(
        kept=kept.table,
        quarantined=quarantined,
        # a projection: shares the columns, drops the rest
        naive=validated.table.select(NAIVE_COLUMNS).lazy(),
        ledger=ledger_.concat([field_ledger, kept.ledger]).lazy(),
        stats={"clean": cleaned.stats, "validate": validated.stats, "quarantine": kept.stats},
    )


class _Spill:
    """A temporary folder where a file of more than one chunk parks what is read only at the end (the ledger,
    the before-cleansing figures, the scored pairs): at ten million rows that is 5 GB the stages between would
    otherwise have to find room beside. Removed with the result that holds it, or by ``cleanup``."""

    def __init__(self, parent: Path | None) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix=".cleanse-spill-", dir=parent, ignore_cleanup_errors=True)
        self.path = Path(self._folder.name)

    def park(self, frame: pl.DataFrame | pl.LazyFrame, name: str) -> pl.LazyFrame:
        """``frame`` written to the folder, and read back lazily."""
        path = self.path / f"{name}.parquet"
        frame.lazy().sink_parquet(path, maintain_order=True)
        return pl.scan_parquet(path)

    def cleanup(self) -> None:
        self._folder.cleanup()


def _chunked_front(
    raw: RawTable, members: pl.DataFrame, *, rules: Rules, options: RunOptions, clock: _Clock, spill: _Spill | None
) -> _Front:
    """``_front`` a chunk of rows at a time when there is a ``spill`` (the file is more than one chunk), so the
    stages' working memory is a chunk's, not the file's; each chunk's ledger and before-cleansing figures are
    parked as soon as the chunk is done.

    The one thing a row's cleaning reads from other rows, how many rows share each phone number, is counted over
    the whole file first. The result equals one ``_front`` of the file."""
    if spill is None:
        return _front(raw, members, rules=rules, options=options, clock=clock)
    size = options.chunk_rows
    starts = range(0, members.height, size)
    phones = clock.run(
        "clean",
        0,
        partial(phone_counts, members, rules=rules, chunk_rows=size),
        lambda _: 0,
        part="(phone numbers of the whole file)",
    )
    kept, quarantined, stats, ledgers, naive = [], [], [], [], []
    for k, start in enumerate(starts, start=1):
        part = _front(
            replace(raw, frame=raw.frame.slice(start, size)),
            members.slice(start, size),
            rules=rules,
            options=options,
            clock=clock,
            part=f"{k}/{len(starts)}",
            phones=phones,
        )
        kept.append(part.kept)
        quarantined.append(part.quarantined)
        stats.append(part.stats)
        ledgers.append(spill.park(part.ledger, f"ledger-{k:05d}"))
        naive.append(spill.park(part.naive, f"naive-{k:05d}"))
        del part
    return _Front(
        kept=pl.concat(kept),
        quarantined=pl.concat(quarantined),
        naive=pl.concat(naive),
        ledger=pl.concat(ledgers),  # each in row order, and the chunks are too
        stats={stage: _summed([s[stage] for s in stats]) for stage in stats[0]},
    )


def _summed(stats: list[Mapping[str, Any]]) -> dict[str, Any]:
    """One stage's counts for the whole file from its counts per chunk (nested ones by key)."""
    out: dict[str, Any] = {}
    for figures in stats:
        for key, value in figures.items():
            if isinstance(value, Mapping):
                out[key] = _summed([out.get(key, {}), value])
            else:
                out[key] = out.get(key, 0) + value
    return out


def process(
    path: Path | str, *, rules: Rules, options: RunOptions | None = None, progress: Progress | None = None
) -> RunResult:
    """Read, map, clean and quarantine a member file, and build its golden records. Writes nothing."""
    options = options or RunOptions()
    clock = _Clock(progress or _Silent())
    # a decisions or transactions file that cannot be used is refused before the work, not after cleaning the file
    decisions = _read_decisions(options.decisions) if options.decisions and options.stop_after == "all" else None
    purchases = read_transactions(options.transactions, as_of=options.reference_date) if options.transactions else None
    matcher = HeaderMatcher(rules.columns)
    raw: RawTable = clock.run(
        "ingest",
        0,
        lambda: read_member_file(
            path,
            score_header=matcher.recognised,
            sheet=options.sheet,
            max_cells=rules.checks.max_cells,
            max_columns=rules.checks.max_columns,
        ),
        lambda r: r.height,
    )
    mapping = map_columns(raw.headers, rules=rules.columns, overrides=options.overrides)
    require_identifying(mapping, path=path)
    # the mapped table is a selection of the raw columns (no copy): the whole file is mapped at once, and cleaned
    # a chunk at a time
    conformed: StageResult = clock.run(
        "map", raw.height, partial(conform, raw, mapping=mapping), lambda r: r.table.height
    )
    spill = _Spill(options.spill_dir) if raw.height > options.chunk_rows else None
    front = _chunked_front(raw, conformed.table, rules=rules, options=options, clock=clock, spill=spill)
    short = ledger_.from_mask(
        raw.short_rows, pl.lit(True), field="*", code="csv-short-row", before=pl.lit(None), after=pl.lit(None)
    )
    skipped = [
        ledger_.from_mask(
            raw.skipped, pl.col("check") == code, field="*", code=code, before=pl.col("before"), after=pl.lit(None)
        )
        for code in raw.skipped.get_column("check").unique(maintain_order=True)
    ]
    ingest_ledger = ledger_.finish([short, *skipped], severities=rules.checks.severity)
    source, rows_in, raw_headers = raw.source, raw.height, raw.headers
    # the raw and mapped tables are done with: letting them go here lowers the peak of deduplication by their size
    map_stats = conformed.stats
    del raw, conformed
    kept, quarantined, naive = front.kept, front.quarantined, front.naive
    kept_ledger = ledger_.merged([ingest_ledger, front.ledger])
    stats: dict[str, Any] = {"map": map_stats, **front.stats}
    del front
    gate_figures = gates.figures(
        members=kept,
        ledger=kept_ledger,
        rows_in=rows_in,
        quarantined=quarantined.height,
        complete_before=map_stats.get("complete_before", {}),
    )
    result = partial(
        RunResult,
        source=source,
        mapping=mapping,
        rows_in=rows_in,
        quarantine=quarantined,
        raw_headers=raw_headers,
        spill=spill,
    )
    if options.stop_after == "quarantine":
        return result(
            members=kept,
            merge_map=kept.select("source_row", pl.lit(None, pl.String).alias("golden_id")),
            ledger=kept_ledger,
            timings=tuple(clock.timings),
            stats=MappingProxyType({**stats, "gates": gate_figures}),
        )
    previous = _read_previous(options.previous) if options.previous else None
    member_ids = kept.select("source_row", "member_id") if purchases else None
    deduped: DedupeOutcome = clock.run(
        "dedupe",
        kept.height,
        partial(
            deduplicate,
            kept,
            rules=rules,
            decisions=decisions,
            previous=previous,
            park=spill.park if spill else None,
        ),
        lambda r: r.result.table.height,
    )
    del kept  # the golden records are a copy: the kept rows are done with
    golden, merge_map = deduped.result, deduped.merge_map
    today = options.reference_date or dt.date.today()
    golden_table, naive_table, tx_notes = golden.table, naive.collect(), []
    if purchases is not None and member_ids is not None:
        keys = member_ids.join(merge_map.select("source_row", "golden_id"), on="source_row").select(
            "member_id", "golden_id"
        )
        summary, unmatched = summary_by(keys, purchases.rows, key="golden_id")
        golden_table = with_summary(golden_table, summary, key="golden_id")
        # before cleansing: each row's member number with its own purchases, as the file shows them
        naive_table = with_summary(naive_table, summarise_transactions(purchases.rows), key="member_id")
        left_out = {**purchases.left_out, **unmatched}
        used = purchases.rows.height - sum(unmatched.values())
        tx_notes = [
            f"transactions file: {used:,} purchases used"
            + ("; left out: " + ", ".join(f"{n:,} {why}" for why, n in left_out.items()) if left_out else "")
        ]
    # the scoring date: --reference-date when given, else the rules' date or the latest purchase in the file
    as_of = options.reference_date or as_of_date(golden_table, rules.scoring, today)
    enriched: StageResult = clock.run(
        "enrich",
        golden_table.height,
        lambda: enrich(golden_table, rules=rules, reference_date=today, as_of=as_of),
        lambda r: r.table.height,
    )
    ledger = ledger_.merged([kept_ledger, ledger_.concat([golden.ledger, enriched.ledger])])
    scored: StageResult = clock.run(
        "score",
        enriched.table.height,
        lambda: score(enriched.table, rules=rules, ledger=ledger, merge_map=merge_map, as_of=as_of),
        lambda r: r.table.height,
    )
    # before cleansing: every row of the file is a member, scored as the club would have scored it
    before_table, before_model = rfm_and_value(naive_table, s=rules.scoring, as_of=as_of)
    before = club_figures(before_table, naive=True, model=before_model)
    del before_table
    return result(
        members=scored.table,
        merge_map=merge_map,
        ledger=ledger,
        timings=tuple(clock.timings),
        stats=MappingProxyType(
            {
                **stats,
                "dedupe": deduped.stats,
                "enrich": enriched.stats,
                "score": scored.stats,
                "transactions": {"notes": tx_notes},
                "club_before": before,
                "gates": gate_figures,
            }
        ),
        pairs=deduped.pairs,
        review=deduped.review,
    )


def _with_titles(ledger: pl.LazyFrame) -> pl.LazyFrame:
    """The ledger as a person reads it: each code with its title in words (why), next to before and after.

    Lazy, and a map of the codes rather than a join: the CSV writer streams it, so the millions of before/after
    strings are never copied whole."""
    from pipeline.catalogue import all_checks

    titles = {code: c.title for code, c in all_checks().items()}
    return ledger.select(
        "source_row",
        "field",
        "check",
        pl.col("check").replace_strict(titles, default=None, return_dtype=pl.String).alias("why"),
        "severity",
        "action",
        "before",
        "after",
    )


def _read_previous(folder: Path) -> pl.DataFrame:
    """Last run's golden records (``members_clean.parquet`` in its output folder)."""
    from pipeline.errors import InputError

    path = Path(folder) / "members_clean.parquet"
    if not path.exists():
        raise InputError("is not a cleanse output folder (no members_clean.parquet in it)", path=folder)
    try:
        return pl.read_parquet(path)
    except Exception as exc:
        raise InputError(f"members_clean.parquet cannot be read ({exc})", path=folder) from exc


def _read_decisions(path: Path) -> Decisions:
    """A person's decisions: the review.xlsx of an earlier run with its decision column filled in."""
    from pipeline.errors import InputError

    if not Path(path).exists():
        raise InputError("decisions file does not exist", path=path)
    try:
        frame = (
            pl.read_excel(path, infer_schema_length=0)
            if Path(path).suffix.lower() in (".xlsx", ".xlsm")
            else pl.read_csv(path, infer_schema=False)
        )
    except Exception as exc:
        raise InputError(f"decisions file cannot be read ({exc})", path=path) from exc
    try:
        return read_decisions(frame)
    except InputError as exc:
        raise InputError(exc.message, path=path) from exc


def default_out(path: Path | str) -> Path:
    """``members.xlsx`` -> ``members_cleansed/`` beside it."""
    path = Path(path)
    return path.with_name(f"{path.stem}_cleansed")


def write_outputs(
    result: RunResult, out: Path, *, options: RunOptions | None = None
) -> tuple[list[str], dict[str, Any]]:
    """Write every output into ``out`` atomically. Returns the file names written, in order, and the report."""
    from pipeline.report import build_report, render_html
    from pipeline.review_sheet import language, write_review

    options = options or RunOptions()
    report = build_report(result, show_pii=options.show_pii, xlsx_max_rows=options.xlsx_max_rows)
    written: list[str] = []
    with export.atomic_folder(out) as tmp:

        def put(name: str, writer: Callable[[Path], object]) -> None:
            writer(tmp / name)
            written.append(name)

        put("members_clean.csv", lambda p: export.write_csv(result.members, p))
        put("members_clean.parquet", lambda p: export.write_parquet(result.members, p))
        if result.members.height <= options.xlsx_max_rows:
            put("members_clean.xlsx", lambda p: export.write_xlsx(result.members, p, sheet="members"))
        put("merge_map.csv", lambda p: export.write_csv(result.merge_map, p))
        if result.pairs.collect_schema().len():
            put("pairs.parquet", lambda p: export.write_parquet(result.pairs, p))
        if result.review.width:
            put(
                "review.xlsx",
                lambda p: write_review(
                    result.review, p, field_headers=result.mapping.by_field, lang=language(result.raw_headers)
                ),
            )
        put("quarantine.csv", lambda p: export.write_csv(result.quarantine, p))
        # a range of source rows at a time: a big file's ledger is tens of millions of entries on disk
        parts = ledger_.ranges(result.ledger)
        put("ledger.csv", lambda p: export.write_csv_parts([_with_titles(part) for part in parts], p))
        put("ledger.parquet", lambda p: export.write_parquet(pl.concat(parts), p))
        put("report.json", lambda p: p.write_text(_json(report), encoding="utf-8"))
        lang = options.lang or language(result.raw_headers)
        put("report.html", lambda p: p.write_text(render_html(report, lang=lang), encoding="utf-8"))
    return written, report


def _json(report: Mapping[str, Any]) -> str:
    import json

    return json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n"
