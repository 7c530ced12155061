"""One BLAS thread per process (safety/math_threads.py): a threaded OpenBLAS called from the gate's parallel checks
can spin for ever inside a matrix product."""

from __future__ import annotations

import json
import subprocess
import sys


def test_every_blas_library_runs_one_thread_once_the_limit_is_set() -> None:
    # In a fresh process: this one may have set the limit already, and the test must see it change.
    script = (
        "import json, numpy\n"
        "from threadpoolctl import threadpool_info\n"
        "from safety.math_threads import one_blas_thread\n"
        "before = [i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas']\n"
        "one_blas_thread(); one_blas_thread()\n"
        "import scipy.linalg\n"  # a BLAS library loaded after the limit
        "after = [i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas']\n"
        "print(json.dumps([before, after]))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "2"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
    before, after = json.loads(out.stdout)
    assert before and max(before) == 2
    assert after and set(after) == {1}, after
