"""Resolving a soft binding value at the size of a platform: one indexed lookup, on SQLite and PostgreSQL.

Builds a manifest repository of N published videos (default 1M) on each database: the videos, their registry
records, their manifests and two soft bindings each (watermark and fingerprint digest), inserted in bulk
(executemany, a batch per transaction). Then times `find_binding` through the store, the path
`GET /matches/byBinding` and `cameoguard verify` take, for random watermark and fingerprint values present in the
repository and for absent ones, against a baseline measured in the same run on the same database: a registry
status read by primary key (`tx.registry.status`), the cheapest read a store makes. The query plan is printed to
show the (alg, value) index is used. Target: a lookup under 10 ms at 1M manifests, a small multiple of the
baseline.

    .venv/bin/python -m bench.resolution [--manifests 1000000] [--postgres URL] [--json]

PostgreSQL gets a database of its own (created and dropped) on the server `--postgres` names (default: the
development server, postgresql+psycopg://postgres@127.0.0.1:5432/postgres); `--postgres none` skips it.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this folder comes first on sys.path, and bench/provenance.py would shadow the `provenance`
# package; the repository root goes there instead. (`python -m bench.NAME` needs none of this.)
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse
import json
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import create_engine, make_url, text

from provenance.softbinding import FINGERPRINT_ALG, WATERMARK_ALG, manifest_label, watermark_value
from safety.records import manifest_store_name
from safety.storage.sql import open_database
from safety.storage.sql.unit import Store

BATCH = 20_000
QUERIES = 2_000
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _fingerprint(i: int) -> str:
    # A distinct 32-byte digest per video, base64 as the registry stores it.
    import base64
    import hashlib

    return base64.b64encode(hashlib.sha256(i.to_bytes(8, "big")).digest()).decode("ascii")


def populate(store: Store, total: int) -> float:
    """`total` published videos with manifests and two bindings each; seconds taken."""
    started = time.perf_counter()
    now = datetime.now(UTC).isoformat(sep=" ")
    engine = store.database.engine
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (handle, age_band, created_at) VALUES ('bench', 'adult', :t)"), {"t": now})
    for first in range(0, total, BATCH):
        ids = range(first, min(first + BATCH, total))
        videos, records, manifests, bindings = [], [], [], []
        for i in ids:
            video = f"vid_{i:020d}"
            label = manifest_label(video, i)
            videos.append({"id": video, "sha": f"{i:064x}", "t": now})
            records.append({"id": video, "sha": f"{i:064x}", "token": i, "t": now})
            manifests.append(
                {"m": label, "id": video, "sha": f"{i:064x}", "p": manifest_store_name(video, label), "t": now}
            )
            bindings.append({"alg": WATERMARK_ALG, "v": watermark_value(i), "id": video, "m": label})
            bindings.append({"alg": FINGERPRINT_ALG, "v": _fingerprint(i), "id": video, "m": label})
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO videos (id, creator, prompt, status, content_sha256, size_bytes, duration_s, width,"
                    " height, declared_cameos, policy_ref, created_at, updated_at) VALUES (:id, 'bench', 'p',"
                    " 'published', :sha, 1, 1.0, 64, 64, '[]', 'default@bench', :t, :t)"
                ),
                videos,
            )
            conn.execute(
                text(
                    "INSERT INTO published_records (video_id, sha256, watermark_token, manifest_signed, status,"
                    " created_at) VALUES (:id, :sha, :token, true, 'live', :t)"
                ),
                records,
            )
            conn.execute(
                text(
                    "INSERT INTO manifests (manifest_id, video_id, sha256, store_path, created_at)"
                    " VALUES (:m, :id, :sha, :p, :t)"
                ),
                manifests,
            )
            conn.execute(
                text("INSERT INTO soft_bindings (alg, value, video_id, manifest_id) VALUES (:alg, :v, :id, :m)"),
                bindings,
            )
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


def _timed(store: Store, queries: list[Any], ask: Callable[[Any, Any], object]) -> dict[str, float]:
    """Milliseconds per lookup, each in its own transaction as a request makes it."""
    times = []
    for query in queries:
        started = time.perf_counter()
        with store.transaction() as tx:
            ask(tx, query)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 3),
        "p95_ms": round(times[int(len(times) * 0.95)], 3),
        "max_ms": round(times[-1], 3),
    }


def measure(store: Store, total: int, *, postgres: bool) -> dict[str, Any]:
    rng = random.Random(33)
    picks = [rng.randrange(total) for _ in range(QUERIES)]
    # Warm the caches a service would have warm.
    _timed(store, picks[:200], lambda tx, i: tx.registry.find_binding(WATERMARK_ALG, watermark_value(i)))
    baseline = _timed(store, [f"vid_{i:020d}" for i in picks], lambda tx, v: tx.registry.status(v))
    watermark = _timed(store, picks, lambda tx, i: tx.registry.find_binding(WATERMARK_ALG, watermark_value(i)))
    fingerprint = _timed(store, picks, lambda tx, i: tx.registry.find_binding(FINGERPRINT_ALG, _fingerprint(i)))
    absent = _timed(
        store, [total + i for i in picks], lambda tx, i: tx.registry.find_binding(WATERMARK_ALG, watermark_value(i))
    )
    with store.transaction() as tx:
        found = tx.registry.find_binding(WATERMARK_ALG, watermark_value(picks[0]))
    assert [m.video_id for m in found] == [f"vid_{picks[0]:020d}"], found
    explain = "EXPLAIN" if postgres else "EXPLAIN QUERY PLAN"
    with store.database.engine.connect() as conn:
        plan = conn.execute(
            text(
                f"{explain} SELECT s.video_id, s.manifest_id, p.status FROM soft_bindings s"
                " LEFT JOIN published_records p ON p.video_id = s.video_id WHERE s.alg = :a AND s.value = :v"
            ),
            {"a": WATERMARK_ALG, "v": watermark_value(picks[0])},
        ).all()
    return {
        "baseline_pk_read": baseline,
        "watermark": watermark,
        "fingerprint": fingerprint,
        "absent": absent,
        "ratio_p50": round(watermark["p50_ms"] / baseline["p50_ms"], 2),
        "plan": [" ".join(str(c) for c in row) for row in plan],
    }


@contextmanager
def _postgres(server: str) -> Iterator[str]:
    name = f"cg_bench_resolution_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def run(url: str, total: int) -> dict[str, Any]:
    database = open_database(url)
    try:
        store = Store(database, audit_key=b"b" * 32)
        build_s = populate(store, total)
        result = {"manifests": total, "bindings": 2 * total, "build_s": round(build_s, 1)}
        result.update(measure(store, total, postgres=database.is_postgres))
        return result
    finally:
        database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifests", type=int, default=1_000_000)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="a server URL, or `none`")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: dict[str, Any] = {}

    def report(backend: str, r: dict[str, Any]) -> None:
        # Each backend as soon as it is measured: a 1M build takes minutes.
        results[backend] = r
        if args.json:
            return
        print(
            f"{backend}: {r['manifests']:,} manifests ({r['bindings']:,} bindings) built in {r['build_s']} s; "
            f"byBinding watermark p50 {r['watermark']['p50_ms']} ms p95 {r['watermark']['p95_ms']} ms, "
            f"fingerprint p50 {r['fingerprint']['p50_ms']} ms, absent p50 {r['absent']['p50_ms']} ms; "
            f"baseline (primary-key read) p50 {r['baseline_pk_read']['p50_ms']} ms, ratio {r['ratio_p50']}x",
            flush=True,
        )
        print("  plan: " + " | ".join(r["plan"]), flush=True)

    with tempfile.TemporaryDirectory() as folder:
        report("sqlite", run(f"sqlite:///{folder}/resolution.db", args.manifests))
    if args.postgres != "none":
        with _postgres(args.postgres) as url:
            report("postgresql", run(url, args.manifests))
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
