"""Timing the stages of a run: each stage's rows in and out, seconds and peak memory, and progress as it goes."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, TypeVar

from pipeline.results import StageTiming

T = TypeVar("T")


class Progress(Protocol):
    def start(self, stage: str, rows: int) -> None: ...
    def done(self, stage: str, rows_out: int, seconds: float) -> None: ...


class Silent:
    def start(self, stage: str, rows: int) -> None:
        pass

    def done(self, stage: str, rows_out: int, seconds: float) -> None:
        pass


class Clock:
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


def longest_first(names: Iterable[str], measured: Sequence[str]) -> list[str]:
    """``names`` in the order of ``measured`` (jobs measured longest first), the others after them in their own
    order: started in this order, a pool of threads does not end on the longest job alone."""
    names = list(names)
    return sorted(names, key=lambda n: measured.index(n) if n in measured else len(measured) + names.index(n))
