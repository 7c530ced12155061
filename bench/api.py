"""Throughput of the platform API: submissions per minute through Celery workers against the synchronous hook.

Measured in one run, on PostgreSQL and RabbitMQ (the local services), with the same clips:
- the synchronous hook: `POST /v1/check` one after another, by one caller;
- asynchronous submissions (`POST /v1/submissions`) decided by one `cameoguard worker`, then by two;
- the first submission a freshly started worker decides against a warm one (models load before it takes work);
- the callback delay after each decision (p50, p95): every submission names a receiver on loopback, and a
  `cameoguard worker --callbacks-only` runs beside the check workers, as the integration guide says;
- submissions per minute per core, for these 3 s 640x360 clips and for the speed bench's 10 s 1280x720 clip of a
  still group photo (one worker): submissions divided by the CPU minutes the workers and their model processes
  spent on them, which is what a core decides in a minute when the machine is kept busy (sizing a fleet).

    .venv/bin/python -m bench.api [--submissions N] [--json]
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse
import json
import os
import signal
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from bench.clips import still_photo_clip
from bench.speed import tree_cpu
from generator.render import RenderSpec, render_video
from safety import Settings, build
from safety.edges.http import create_app
from safety.records import Scope

POSTGRES = os.environ.get("CAMEOGUARD_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BROKER = os.environ.get("CAMEOGUARD_BENCH_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")


def _schema() -> tuple[str, str]:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with create_engine(POSTGRES).begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {name}"))
    separator = "&" if "?" in POSTGRES else "?"
    return name, f"{POSTGRES}{separator}options=-csearch_path%3D{name}"


def _drop(name: str) -> None:
    with create_engine(POSTGRES).begin() as conn:
        conn.execute(text(f"DROP SCHEMA {name} CASCADE"))


class Receiver:
    """A webhook receiver on loopback that notes when each submission's decision arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                event = json.loads(self.rfile.read(int(self.headers.get("content-length", "0"))))
                if event["type"] == "submission.decided":
                    outer.arrived.setdefault(event["data"]["submission_id"], time.time())
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _workers(count: int, env: dict[str, str], logs: Path) -> list[subprocess.Popen[bytes]]:
    cameoguard = Path(sys.executable).with_name("cameoguard")
    commands = [["worker", "--concurrency", "2"]] * count + [["worker", "--callbacks-only", "--concurrency", "4"]]
    started = [
        subprocess.Popen(
            [str(cameoguard), *command],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(logs / f"worker{i}.log").open("w"),
        )
        for i, command in enumerate(commands)
    ]
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if all(" ready." in (logs / f"worker{i}.log").read_text() for i in range(len(commands))):
            return started
        time.sleep(0.3)
    raise SystemExit("workers did not start")


def _stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()


def run_async(clips: list[Path], root: Path, workers: int) -> dict[str, Any]:
    schema, url = _schema()
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    home = root / f"async{workers}"
    env = {
        **os.environ,
        "CAMEOGUARD_HOME": str(home),
        "CAMEOGUARD_DATABASE_URL": url,
        "CAMEOGUARD_BROKER_URL": BROKER,
        "CAMEOGUARD_BROKER_QUEUE": queue,
        "CAMEOGUARD_CALLBACK_ALLOWED_HOSTS": "127.0.0.1",
    }
    settings = Settings(
        home=home,
        database_url=url,
        broker_url=BROKER,
        broker_queue=queue,
        hook_allowed_dirs=(root,),
        callback_allowed_hosts=("127.0.0.1",),
    )
    receiver = Receiver()
    try:
        with build(settings) as guard:
            guard.accounts.add_user("bench")
            token = guard.accounts.issue_client("pipeline", [Scope.GENERATE]).token
            started_workers = _workers(workers, env, home.parent)
            try:
                api = TestClient(create_app(guard), headers={"Authorization": f"Bearer {token}"})
                # One submission first, alone: a freshly started worker's first decision.
                first_started = time.perf_counter()
                first = _submit(api, clips[0], 0, receiver.url)
                _wait_done(guard, [first])
                first_s = time.perf_counter() - first_started
                cpu = sum(tree_cpu(w.pid) for w in started_workers)
                started = time.perf_counter()
                ids = [_submit(api, clip, i + 1, receiver.url) for i, clip in enumerate(clips)]
                _wait_done(guard, ids)
                elapsed = time.perf_counter() - started
                cpu_s = sum(tree_cpu(w.pid) for w in started_workers) - cpu
                one_s = time.perf_counter()
                _wait_done(guard, [_submit(api, clips[0], len(clips) + 1, receiver.url)])
                warm_s = time.perf_counter() - one_s
                delays = _callback_delays(guard, receiver, ids)
            finally:
                _stop(started_workers)
    finally:
        receiver.close()
        _drop(schema)
    return {
        "per_minute": round(len(clips) * 60 / elapsed, 1),
        "per_minute_per_core": round(len(clips) * 60 / cpu_s, 1),
        "cpu_s_per_submission": round(cpu_s / len(clips), 2),
        "first_s": first_s,
        "warm_s": warm_s,
        **delays,
    }


def _callback_delays(guard: Any, receiver: Receiver, ids: list[str]) -> dict[str, float]:
    """Seconds from each decision (its submission's last update, in the database) to its callback's arrival."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not all(i in receiver.arrived for i in ids):
        time.sleep(0.1)
    delays = []
    for submission_id in ids:
        decided: datetime = guard.submissions.get(submission_id).updated_at
        if submission_id in receiver.arrived:
            delays.append(receiver.arrived[submission_id] - decided.astimezone(UTC).timestamp())
    if not delays:
        return {"callback_p50_s": float("nan"), "callback_p95_s": float("nan")}
    ordered = sorted(delays)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"callback_p50_s": round(statistics.median(ordered), 3), "callback_p95_s": round(p95, 3)}


def _submit(api: TestClient, clip: Path, i: int, callback_url: str) -> str:
    body = {"creator": "bench", "prompt": f"a calm lake, {i}", "video_path": str(clip), "callback_url": callback_url}
    answer = api.post("/v1/submissions", json=body)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["submission_id"])


def _wait_done(guard: Any, ids: list[str]) -> None:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if all(guard.submissions.get(i).state.value in ("done", "failed") for i in ids):
            return
        time.sleep(0.2)
    raise SystemExit("submissions were not decided in time")


def run_sync(clips: list[Path], root: Path) -> float:
    schema, url = _schema()
    try:
        with build(Settings(home=root / "sync", database_url=url, hook_allowed_dirs=(root,))) as guard:
            guard.accounts.add_user("bench")
            guard.warm_up()
            token = guard.accounts.issue_client("pipeline", [Scope.GENERATE]).token
            api = TestClient(create_app(guard), headers={"Authorization": f"Bearer {token}"})
            started = time.perf_counter()
            for i, clip in enumerate(clips):
                body = {"creator": "bench", "prompt": f"a calm lake, {i}", "video_path": str(clip)}
                assert api.post("/v1/check", json=body).status_code == 200
            elapsed = time.perf_counter() - started
    finally:
        _drop(schema)
    return round(len(clips) * 60 / elapsed, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--submissions", type=int, default=8)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-api-") as scratch:
        root = Path(scratch)
        clips = [
            render_video(RenderSpec(f"a calm lake at dawn {i}", seed=i, duration_s=3.0), root / f"clip{i}.mp4")
            for i in range(args.submissions)
        ]
        sync = run_sync(clips, root)
        one = run_async(clips, root, 1)
        two = run_async(clips, root, 2)
        bar_clip = still_photo_clip(root / "bar.mp4")
        bar = run_async([bar_clip] * max(2, args.submissions // 2), root, 1)
    report = {
        "clips": f"{args.submissions} x 3 s 640x360",
        "sync_hook_per_minute": sync,
        "one_worker_per_minute": one["per_minute"],
        "two_workers_per_minute": two["per_minute"],
        "per_minute_per_core": {
            "3 s 640x360": one["per_minute_per_core"],
            "10 s 1280x720 still group photo": bar["per_minute_per_core"],
        },
        "cpu_s_per_submission": {
            "3 s 640x360": one["cpu_s_per_submission"],
            "10 s 1280x720 still group photo": bar["cpu_s_per_submission"],
        },
        "bar_clip_one_worker_per_minute": bar["per_minute"],
        "first_after_start_s": round(one["first_s"], 2),
        "warm_s": round(one["warm_s"], 2),
        "first_over_warm": round(one["first_s"] / one["warm_s"], 2),
        "callback_p50_s": {"one_worker": one["callback_p50_s"], "two_workers": two["callback_p50_s"]},
        "callback_p95_s": {"one_worker": one["callback_p95_s"], "two_workers": two["callback_p95_s"]},
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{report['clips']} clips on PostgreSQL and RabbitMQ, one run:")
    print(f"  synchronous hook, one caller         {sync:6.1f} submissions/min")
    print(f"  submissions, one worker (2 threads)  {one['per_minute']:6.1f} /min")
    print(f"  submissions, two workers             {two['per_minute']:6.1f} /min")
    print(
        f"  a fresh worker's first submission    {one['first_s']:6.2f} s, a warm one {one['warm_s']:.2f} s "
        f"({report['first_over_warm']}x)"
    )
    for clip, per_core in report["per_minute_per_core"].items():
        print(
            f"  per core, {clip:31s} {per_core:6.1f} submissions/min "
            f"({report['cpu_s_per_submission'][clip]} CPU s each, workers and model processes)"
        )
    print(f"  10 s 1280x720 clips, one worker      {bar['per_minute']:6.1f} /min")
    for label, run in (("one worker", one), ("two workers", two)):
        print(
            f"  callback after the decision, {label:11s} p50 {run['callback_p50_s']:.2f} s, "
            f"p95 {run['callback_p95_s']:.2f} s"
        )


if __name__ == "__main__":
    main()
