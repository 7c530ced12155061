"""One BLAS thread per process, set once before any check runs.

The gate runs its checks in parallel threads, and several of them multiply matrices with numpy's OpenBLAS at the same
time (Whisper's mel filter, the sentence encoder, the speaker encoder, the staydown hash). A threaded OpenBLAS called
from several threads at once can spin for ever inside one product (numpy issue 17752; seen here as two speech checks
stuck in Whisper's feature extractor at full CPU for half an hour), and changing its thread count while another thread
multiplies is not safe either. So the count is set to one, once, for the whole process; the parallelism that pays on
a few cores is the checks' own. OpenMP thread counts (torch, CTranslate2) are per calling thread and are limited where
each model runs.
"""

from __future__ import annotations

import os
import threading

_lock = threading.Lock()
_applied = threading.Event()


def one_blas_thread() -> None:
    """Make every BLAS library of this process, loaded or still to load, use one thread. Idempotent."""
    if _applied.is_set():
        return  # the common case, on every encoder call: no lock taken
    with _lock:
        if _applied.is_set():
            return
        # Read by OpenBLAS when a library loads: covers those imported later (scipy's own copy, for one).
        os.environ["OPENBLAS_NUM_THREADS"] = "1"
        from threadpoolctl import threadpool_limits

        # Not used as a context manager on purpose: the limit stays for the life of the process.
        threadpool_limits(limits=1, user_api="blas")
        _applied.set()


__all__ = ["one_blas_thread"]
