"""One hook replica for the concurrency simulation: the real HTTP app and gate on the shared database and media
store, with deterministic fake models and two pause points the simulation controls.

    python -m tests.safety.sim.replica --name a --port 8701 --home H --database-url URL --allowed-dir D

A submission whose prompt carries `op-N` stops twice: inside the checks (`checks:op-N`, the window where the
video is `checking` and no transaction is open) and after marking and signing, before the publishing transaction
(`publish:op-N`). The controller lists who waits (`GET /_sim/waiting`) and lets one go on
(`POST /_sim/release/{key}`); that is how a seeded schedule decides the order of every step. A check times out
when the schedule says so (`?outcome=timeout`): the simulation's "check timed out" fault. `POST /_sim/fault/disk`
makes the next staging write fail as a full disk does; `POST /_sim/fault/database` drops the connection under the
replica's next write.
"""

from __future__ import annotations

import argparse
import re
import threading
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy import event, text

from provenance import Publication
from safety import Settings, build
from safety.checks import CheckContext, CheckOutcome
from safety.edges.http import create_app
from safety.errors import CheckTimeout, StorageError
from safety.faces.fake import FakeFaceAnalyzer
from safety.fakes import FakeFingerprinter, FakeMarker, FakeSigner, fake_models
from safety.publishing import MarkedDraft, PreparedPublication, Publisher, load_keys
from safety.wiring import CameoGuard

_OP = re.compile(r"\bop-[0-9x]+\b")
# Shorter than the simulation pack's `sim_hold` timeout: a pause lasts until the schedule ends it.
_HOLD_S = 100.0


class Barriers:
    """Named pause points: `wait` blocks until `release` (which may come first) or a timeout."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[str, threading.Event] = {}
        self._outcomes: dict[str, str] = {}

    def wait(self, key: str, timeout_s: float) -> str:
        """Block until released; the outcome the controller chose (`go` or `timeout`), or `expired`."""
        event = threading.Event()
        with self._lock:
            if key in self._outcomes:
                return self._outcomes.pop(key)
            self._waiting[key] = event
        try:
            if not event.wait(timeout_s):
                return "expired"
            with self._lock:
                return self._outcomes.pop(key, "go")
        finally:
            with self._lock:
                self._waiting.pop(key, None)

    def release(self, key: str, outcome: str = "go") -> None:
        with self._lock:
            self._outcomes[key] = outcome
            event = self._waiting.get(key)
            if event is not None:
                event.set()

    def waiting(self) -> list[str]:
        with self._lock:
            return sorted(k for k, e in self._waiting.items() if not e.is_set())


def op_of(prompt: str) -> str | None:
    found = _OP.search(prompt)
    return found.group(0) if found else None


class HoldCheck:
    """Pauses a submission inside the checks until the controller releases it."""

    name = "sim_hold"

    def __init__(self, barriers: Barriers) -> None:
        self.barriers = barriers

    def run(self, context: CheckContext) -> CheckOutcome:
        op = op_of(context.submission.prompt)
        if op is not None and self.barriers.wait(f"checks:{op}", _HOLD_S) == "timeout":
            # The "check timed out" fault, at the moment the schedule chose (a real timer would make the moment,
            # and with it the run, depend on the machine's speed).
            raise CheckTimeout("no result within the check's time (simulated)")
        return CheckOutcome()


class HoldingPublisher(Publisher):
    """Pauses after signing, before the publishing transaction reads consent again."""

    barriers: Barriers
    services: CameoGuard | None = None

    def finish(
        self, marked: MarkedDraft, publication: Publication, *, parent_file: Path | None = None
    ) -> PreparedPublication:
        prepared = super().finish(marked, publication, parent_file=parent_file)
        if self.services is not None:
            with self.services.store.transaction() as tx:
                op = op_of(tx.videos.get(publication.video_id).prompt)
            if op is not None:
                self.barriers.wait(f"publish:{op}", _HOLD_S)
        return prepared


class DatabaseFaults:
    """Drops this replica's connection, server side, under its next write, once: the transaction fails as it does
    when PostgreSQL restarts or a proxy cuts the connection."""

    def __init__(self, services: CameoGuard) -> None:
        self.armed = False
        engine = services.database.engine

        def before_write(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if not self.armed or not statement.lstrip().upper().startswith(("UPDATE", "INSERT")):
                return
            self.armed = False
            pid = conn.connection.dbapi_connection.info.backend_pid
            with engine.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                other.commit()

        event.listen(engine, "before_cursor_execute", before_write)


class DiskFaults:
    """Makes the next staging write fail, once."""

    def __init__(self, services: CameoGuard) -> None:
        self.armed = False
        self._stage = services.media.stage
        services.media.stage = self.stage  # type: ignore[method-assign]

    def stage(self, source: Path, area: str, video_id: str) -> tuple[Path, Path]:
        if self.armed:
            self.armed = False
            raise StorageError(f"cannot stage {area} file: [Errno 28] No space left on device: '{source}'")
        return self._stage(source, area, video_id)


def serve(name: str, port: int, home: Path, database_url: str, allowed: Path, policy: Path) -> None:
    settings = Settings(
        home=home,
        database_url=database_url,
        adult_policy=str(policy),
        teen_policy=str(policy),
        hook_allowed_dirs=(allowed,),
        mark_during_checks=False,
        stale_checking_s=3600.0,
    )
    barriers = Barriers()
    publisher = HoldingPublisher(
        load_keys(settings), marker=FakeMarker(), signer=FakeSigner(), fingerprinter=FakeFingerprinter()
    )
    publisher.barriers = barriers
    # Every model faked: the simulation is about who writes what when, and a real model in each replica only slows
    # the run (the real ones are exercised by their own tests).
    models = fake_models()
    services = build(settings, face_analyzer=FakeFaceAnalyzer(), publisher=publisher, models=models)
    publisher.services = services
    services.gate.checks = (*services.gate.checks, HoldCheck(barriers))
    disk = DiskFaults(services)
    database = DatabaseFaults(services)
    app = create_app(services)

    def waiting() -> dict[str, Any]:
        armed = [kind for kind, fault in (("disk", disk), ("database", database)) if fault.armed]
        return {"replica": name, "waiting": barriers.waiting(), "armed": armed}

    def release(key: str, outcome: str = "go") -> dict[str, Any]:
        barriers.release(key, outcome)
        return {"released": key, "outcome": outcome}

    def disk_fault() -> dict[str, Any]:
        disk.armed = True
        return {"armed": "disk"}

    def database_fault() -> dict[str, Any]:
        database.armed = True
        return {"armed": "database"}

    app.add_api_route("/_sim/fault/database", database_fault, methods=["POST"], include_in_schema=False)
    app.add_api_route("/_sim/waiting", waiting, methods=["GET"], include_in_schema=False)
    app.add_api_route("/_sim/release/{key}", release, methods=["POST"], include_in_schema=False)
    app.add_api_route("/_sim/fault/disk", disk_fault, methods=["POST"], include_in_schema=False)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--allowed-dir", type=Path, required=True)
    parser.add_argument("--policy", type=Path, required=True)
    args = parser.parse_args()
    serve(args.name, args.port, args.home, args.database_url, args.allowed_dir, args.policy)


if __name__ == "__main__":
    main()
