"""cleanse: a data-quality pipeline for Israeli loyalty-club member files."""

import os as _os
import sys as _sys

__version__ = "0.1.0"


def _tune_allocators() -> None:
    """Memory settings for polars' allocator (jemalloc) and OpenBLAS, set before either library is loaded.

    Each is a default only: a value already in the environment wins, and nothing changes once polars or numpy is
    imported (a library that imports ``pipeline`` late keeps its own settings).

    - jemalloc as polars ships it hands freed memory back to the system after half a second, so the next column
      of the same size is faulted in and zeroed again: at a million members that was 18-20 s of the run's system
      time. Keeping freed pages for 3 s, in one arena per core rather than four, cut it to 10-12 s and the whole
      run by 8-11 s (interleaved runs on 2 cores: 66.3/58.3 s before, 54.9/47.0 s after), for 150-250 MB more
      peak memory (3.24-3.33 GB to 3.42-3.49 GB; up to 3.63 GB in the machine's fastest hour, when more is freed
      within the 3 s). Kept 10 s, it came to 3.7-3.96 GB, too near the 4 GB target.
    - OpenBLAS starts a thread per core that spins while it waits. Our matrices are small (the value models' and
      the match weights' fits), so those threads only took cores from polars: the score stage went from
      5.2-5.8 s to 3.7-3.8 s with one thread.
    """
    if "polars" not in _sys.modules:
        cores = _os.cpu_count() or 1
        _os.environ.setdefault("_RJEM_MALLOC_CONF", f"dirty_decay_ms:3000,muzzy_decay_ms:3000,narenas:{cores}")
    if "numpy" not in _sys.modules:
        _os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


_tune_allocators()
