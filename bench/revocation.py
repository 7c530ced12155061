"""Revocation cost against the size of the platform, measured in one run.

Builds SQLite stores of 100k and 1M videos (most with lineage: remix chains of unrelated creators), with one
owner's cameo in a video that 999 others were derived from (a tree of remixes). Times a revocation that purges
that derived set of 1,000 and a sweep over the same store. The purge uses one recursive query over indexed
lineage edges, so its cost should follow the 1,000 derived videos, not the total: the ratio of purge times at
1M and 100k is printed. (Files are not written: the media work per purged video is the same at any size.)

    .venv/bin/python -m bench.revocation [--sizes 100000,1000000] [--json]
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
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from safety import CameoGuard, Settings, build
from safety.edges.sweeps import sweep_once

DERIVED = 1000


def populate(services: CameoGuard, total: int) -> str:
    """`total` videos; the first 1,000 form maya's tree (one root with cameo edge, 999 remixes)."""
    now = datetime.now(UTC).isoformat(sep=" ")
    with services.database.engine.begin() as conn:
        for handle in ("maya", "theo", "other"):
            conn.execute(
                text("INSERT INTO users (handle, age_band, created_at) VALUES (:h, 'adult', :t)"),
                {"h": handle, "t": now},
            )
        conn.execute(
            text(
                "INSERT INTO cameos (id, owner, status, level, face_model, restrictions, reference_paths, created_at, "
                "updated_at) VALUES ('cam_maya', 'maya', 'active', 'approved', 'x', '[]', '[]', :t, :t)"
            ),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO consent_grants (owner, grantee, kind, created_at) VALUES ('maya', 'theo', 'approve', :t)"
            ),
            {"t": now},
        )
        batch = 20000
        for start in range(0, total, batch):
            videos, edges = [], []
            for i in range(start, min(total, start + batch)):
                creator = "theo" if i < DERIVED else "other"
                videos.append({"id": f"vid_{i:09d}", "creator": creator, "t": now, "sha": f"{i:064x}"})
                if i == 0:
                    edges.append(
                        {"child": "vid_000000000", "kind": "contains_cameo_of", "parent": None, "owner": "maya"}
                    )
                elif i < DERIVED:
                    edges.append(
                        {
                            "child": f"vid_{i:09d}",
                            "kind": "remix_of",
                            "parent": f"vid_{(i - 1) // 3:09d}",
                            "owner": None,
                        }
                    )
                elif i > DERIVED and i % 2 == 1:
                    edges.append(
                        {"child": f"vid_{i:09d}", "kind": "remix_of", "parent": f"vid_{i - 1:09d}", "owner": None}
                    )
            conn.execute(
                text(
                    "INSERT INTO videos (id, creator, prompt, status, content_sha256, size_bytes, duration_s, width,"
                    " height, declared_cameos, policy_ref, created_at, updated_at) VALUES (:id, :creator, 'p',"
                    " 'published', :sha, 1, 1.0, 64, 64, '[]', 'default@bench', :t, :t)"
                ),
                videos,
            )
            conn.execute(
                text(
                    "INSERT INTO lineage_edges (child_video_id, kind, parent_video_id, cameo_owner, created_at) VALUES "
                    "(:child, :kind, :parent, :owner, '" + now + "')"
                ),
                edges,
            )
    return "vid_000000000"


def measure(total: int) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="bench-revocation-") as scratch,
        build(Settings(home=Path(scratch))) as services,
    ):
        started = time.perf_counter()
        populate(services, total)
        build_s = time.perf_counter() - started
        started = time.perf_counter()
        receipts = services.cameos.revoke("maya", "theo")
        purge_s = time.perf_counter() - started
        purged = sum(len(r.purged) for r in receipts)
        started = time.perf_counter()
        report = sweep_once(services)
        sweep_s = time.perf_counter() - started
    return {
        "videos": total,
        "build_s": round(build_s, 1),
        "purged": purged,
        "purge_s": round(purge_s, 3),
        "sweep_s": round(sweep_s, 3),
        "sweep_ran": report.ran,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = [measure(int(size)) for size in args.sizes.split(",")]
    result = {
        "rows": rows,
        "purge_ratio_largest_over_smallest": round(rows[-1]["purge_s"] / rows[0]["purge_s"], 2),
        "size_ratio": rows[-1]["videos"] / rows[0]["videos"],
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for row in rows:
        print(
            f"{row['videos']:>9} videos: purge of {row['purged']} derived {row['purge_s']} s; sweep {row['sweep_s']} s "
            f"(store built in {row['build_s']} s)"
        )
    print(
        f"purge time ratio {result['purge_ratio_largest_over_smallest']} for a {result['size_ratio']:.0f}x larger store"
    )


if __name__ == "__main__":
    main()
