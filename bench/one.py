"""One measured run in its own process, so peak memory (RSS) belongs to that run alone.

python -m bench.one FILE OUT_DIR [DECISIONS]   -> prints one JSON line

DECISIONS: a filled-in review.xlsx (or its CSV) replayed as ``cleanse run --decisions`` does.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def main() -> None:
    source, out = Path(sys.argv[1]), Path(sys.argv[2])
    decisions = Path(sys.argv[3]) if len(sys.argv) > 3 else None
    t0 = time.perf_counter()
    from pipeline.rulefile import load_rules
    from pipeline.runner import RunOptions, process
    from pipeline.writing import write_outputs

    rules = load_rules()
    t1 = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    result = process(source, rules=rules, options=RunOptions(spill_dir=out.parent, decisions=decisions))
    t2 = time.perf_counter()
    rss_process = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before any output is written
    write_outputs(result, out, options=RunOptions())
    t3 = time.perf_counter()
    print(
        json.dumps(
            {
                "rows": result.rows_in,
                "accounted": result.accounted,
                "import_s": t1 - t0,
                "stages": {t.stage: t.seconds for t in result.timings},
                "stage_peak_rss_mb": {t.stage: t.peak_rss_mb for t in result.timings},
                "write_s": t3 - t2,
                "total_s": t3 - t0,
                "peak_rss_process_mb": rss_process,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
