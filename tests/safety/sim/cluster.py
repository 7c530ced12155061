"""The concurrency simulation: two hook replicas (separate processes) on one PostgreSQL and one media store, with
a reviewer and a sweeper in this process, driven by a seeded schedule, with faults injected; the invariants of
`safety.invariants` are checked after every step and, once everything has drained and a sweep has run, the
quiescent ones too.

Determinism, in the manner of FoundationDB's simulation: every submission stops at two pause points in its replica
(inside the checks, and between signing and the publishing transaction; see `replica.py`). A step either starts
something, lets exactly one paused submission go on, runs one synchronous action (a revocation, a block, a cameo
deletion, a restriction, a report, an appeal, a review decision, a sweep) or injects one fault (a replica killed
with SIGKILL and restarted, its database connection dropped under its next write, its next disk write failing, a
check left to time out). After each step the schedule waits until every submission is paused again or done, so
the order in which transactions meet is the schedule's, and a seed replays the same run: the same steps, the same
outcomes, the same final states (`Simulation.trace`).

Besides the database invariants, the run checks what clients saw: every submission ends in a decision (or, when a
fault hit it, an error that names no internal path and leaves the video unpublished), and a video is never
published while, for the whole time its request was open, the controller's model of consent said no.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from generator.render import RenderSpec, render_video
from safety import Settings, build
from safety.clock import SYSTEM_CLOCK, FakeClock
from safety.domain import CameoStatus, ConsentLevel, VideoStatus
from safety.edges.sweeps import sweep_once
from safety.invariants import Violation, check_invariants
from safety.records import Scope

PACKS = Path(__file__).resolve().parents[3] / "policies" / "packs"
CREATORS = ("cora", "dev", "eli")
OWNERS = ("maya", "noor", "ola")
SCENES = ("a walk by the lake", "a picnic in the mountains", "a quiet street at night", "a beach at noon")
_REVIEWER, _PASSWORD = "rita", "sim-reviewer-pass"
_ROW_ID = re.compile(r"\b(vid|rev|dec|job|apl|pjb)_[0-9a-f]{8,}\b")
_PATHLIKE = re.compile(r"/(tmp|home|work|root|var)/")
# Faults: a replica killed, a connection dropped, a disk write failing, a check timing out.
FAULTS = ("kill", "database", "disk", "timeout")


@dataclass
class Op:
    """One submission through a replica's synchronous hook."""

    id: str
    replica: str
    creator: str
    owners: tuple[str, ...]
    remix_of: str | None
    started_step: int
    future: Future[httpx.Response]
    started_at: float
    timeout_fault: bool = False
    hit_by: set[str] = field(default_factory=set)
    """Faults that struck while it was in flight (its outcome may then be an error)."""
    finished_at: float | None = None
    status: str | None = None
    """`published`, `held`, `blocked`, `purged`, or `error:<HTTP status>` / `error:lost`."""
    video_id: str | None = None


@dataclass
class SimReport:
    """What a run did and found."""

    seed: int
    steps: int
    actions: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    interleavings: Counter[str] = field(default_factory=Counter)
    """`<action> while <phase>`: an action taken while some submission was paused at `phase`."""
    violations: list[Violation] = field(default_factory=list)
    trace: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "steps": self.steps,
            "actions": dict(sorted(self.actions.items())),
            "outcomes": dict(sorted(self.outcomes.items())),
            "interleavings_covered": len(self.interleavings),
            "interleavings": dict(sorted(self.interleavings.items())),
            "violations": [v.__dict__ for v in self.violations],
        }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Replica:
    """A `replica.py` process."""

    def __init__(self, name: str, workdir: Path, database_url: str, policy: Path) -> None:
        self.name = name
        self.workdir = workdir
        self.policy = policy
        separator = "&" if "?" in database_url else "?"
        self.database_url = f"{database_url}{separator}application_name=sim-{name}"
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        # Longer than a pause can last (the replica's hold, 100 s) plus the work around it on a busy machine: a request
        # cut by the client's own timeout would read as a connection lost without a kill.
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=300)
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = open(self.workdir / f"replica-{self.name}-{self.starts}.log", "wb")  # noqa: SIM115 - the child's
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.safety.sim.replica",
                "--name",
                self.name,
                "--port",
                str(self.port),
                "--home",
                str(self.workdir / "home"),
                "--database-url",
                self.database_url,
                "--allowed-dir",
                str(self.workdir),
                "--policy",
                str(self.policy),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parents[3],
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"replica {self.name} exited: see {log.name}")
            try:
                if self.http.get("/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"replica {self.name} did not start in 90 s")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def waiting(self) -> tuple[set[str], set[str]]:
        """Pause points with a submission waiting, and faults armed but not yet fired."""
        body = self.http.get("/_sim/waiting", timeout=10).json()
        return set(body["waiting"]), set(body["armed"])


class Simulation:
    """One seeded run; use as a context manager (it starts and stops the replicas)."""

    def __init__(self, seed: int, database_url: str, workdir: Path, *, faults: bool = True) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.database_url = database_url
        self.workdir = workdir
        self.faults = faults
        self.report = SimReport(seed, 0)
        self.ops: list[Op] = []
        self.published: list[str] = []
        self.pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="sim-op")
        self.replicas: dict[str, Replica] = {}
        self.consent_log: list[tuple[float, str, str, bool]] = []
        self._cameo: dict[str, tuple[bool, str]] = {}
        self._grants: dict[tuple[str, str], str] = {}
        self._fault_windows: list[list[Any]] = []
        """[replica, fault, armed at, fired at or None]"""
        self._op_seq = 0
        self._ids: dict[str, str] = {}

    # setup

    def __enter__(self) -> Simulation:
        self.workdir.mkdir(parents=True, exist_ok=True)
        policy = self.workdir / "sim-pack.yaml"
        pack = (PACKS / "default.yaml").read_text()
        marker = "checks:\n"
        hold = "  sim_hold:\n    required: false\n    timeout_s: 120\n    on_error: review\n"
        models = "  models:\n"
        fake_model = "    fake-squares-v1: {match_distance: 0.04, uncertain_distance: 0.12, refine_jitters: 0}\n"
        policy.write_text(pack.replace(marker, marker + hold, 1).replace(models, models + fake_model, 1))
        self.settings = Settings(
            home=self.workdir / "home",
            database_url=self.database_url,
            adult_policy=str(policy),
            teen_policy=str(policy),
            hook_allowed_dirs=(self.workdir,),
            mark_during_checks=False,
            stale_checking_s=3600.0,
        )
        self.services = build(self.settings)
        # The sweeper runs "two hours later": it settles whatever a killed replica left `checking` (and may take a
        # submission paused in its checks for a dead one, as a real sweeper may take a slow check).
        late = FakeClock(SYSTEM_CLOCK.now() + timedelta(hours=2))
        self.late_services = build(self.settings, clock=late)
        self.clip = render_video(
            RenderSpec("a calm lake", seed=3, duration_s=1.0, width=96, height=64), self.workdir / "clip.mp4"
        )
        for handle in (*CREATORS, *OWNERS):
            self.services.accounts.add_user(handle)
        with self.services.store.transaction() as tx:
            for owner in OWNERS:
                tx.consent.create_cameo(owner, face_model="test", status=CameoStatus.ACTIVE)
                tx.consent.set_level(owner, ConsentLevel.APPROVED)
        for owner in OWNERS:
            self._cameo[owner] = (True, "approved")
            for creator in CREATORS:
                self.services.cameos.approve(owner, creator)
                self._grants[(owner, creator)] = "approve"
            self._model_changed(owner)
        token = self.services.accounts.issue_client("sim", (Scope.GENERATE, Scope.APP)).token
        reviews = self.reviews = self.services.review_service(rng=random.Random(self.seed))
        reviews.add_reviewer(_REVIEWER, "senior", _PASSWORD)
        self.reviewer = reviews.whoami(reviews.login(_REVIEWER, _PASSWORD, client="sim"))
        for name in ("a", "b"):
            replica = Replica(name, self.workdir, self.database_url, policy)
            replica.http.headers["Authorization"] = f"Bearer {token}"
            replica.start()
            self.replicas[name] = replica
        return self

    def __exit__(self, *_exc: object) -> None:
        for replica in self.replicas.values():
            replica.kill()
            replica.http.close()
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.services.close()
        self.late_services.close()

    # the model of consent, as the clients changed it

    def _model_changed(self, owner: str) -> None:
        """Log what the model now says for every creator of `owner`. It may say yes where the service says no (it
        ignores restrictions, and assumes a restored cameo kept its grants) but never the other way round, so it
        can only miss a violation, never invent one."""
        active, level = self._cameo.get(owner, (False, "only_me"))
        now = time.monotonic()
        for creator in CREATORS:
            grant = self._grants.get((owner, creator), "none")
            allowed = active and level == "approved" and grant == "approve"
            self.consent_log.append((now, owner, creator, allowed))

    def _allowed_during(self, owner: str, creator: str, start: float, end: float) -> bool:
        state = False
        for at, o, c, allowed in self.consent_log:
            if (o, c) != (owner, creator):
                continue
            if at <= start:
                state = allowed
            elif at <= end and allowed:
                return True
        return state

    # running

    def run(self, steps: int) -> SimReport:
        for step in range(steps):
            self.report.steps = step + 1
            action = self._choose()
            self._note_interleavings(action)
            detail = self._do(action, step)
            self.settle()
            self.report.actions[action] += 1
            self.report.trace.append(self._stable(f"{step}:{action}:{detail}"))
            self._check(quiescent=False, step=step)
            if self.report.violations:
                break
        self._drain()
        return self.report

    def _in_flight(self) -> list[Op]:
        return [op for op in self.ops if op.status is None]

    def paused(self) -> dict[str, str]:
        """op id → the pause point it waits at."""
        paused: dict[str, str] = {}
        now = time.monotonic()
        for replica in self.replicas.values():
            waiting, armed = replica.waiting()
            for key in waiting:
                phase, op = key.split(":", 1)
                paused[op] = phase
            for window in self._fault_windows:
                if window[0] == replica.name and window[3] is None and window[1] not in armed:
                    window[3] = now
        return paused

    def _choose(self) -> str:
        weights = {
            "submit": 6,
            "remix": 2,
            "release": 8,
            "revoke": 2,
            "approve": 2,
            "block": 1,
            "level": 1,
            "delete_cameo": 1,
            "restore_cameo": 1,
            "restrict": 1,
            "report": 1,
            "appeal": 1,
            "review": 3,
            "sweep": 1,
        }
        if self.faults:
            weights |= {"fault_kill": 1, "fault_database": 1, "fault_disk": 1, "fault_timeout": 1}
        names = sorted(weights)
        return self.rng.choices(names, weights=[weights[n] for n in names])[0]

    def _note_interleavings(self, action: str) -> None:
        if action in ("submit", "remix", "release"):
            return
        for phase in sorted(set(self.paused().values())):
            self.report.interleavings[f"{action} while {phase}"] += 1

    def _do(self, action: str, step: int) -> str:
        handler = getattr(self, f"_act_{action}")
        return str(handler(step))

    def _replica(self) -> Replica:
        return self.replicas[self.rng.choice(sorted(self.replicas))]

    def submit(
        self,
        step: int,
        *,
        remix_of: str | None = None,
        timeout_fault: bool = False,
        creator: str | None = None,
        owners: tuple[str, ...] | None = None,
        replica_name: str | None = None,
    ) -> str:
        """Send one submission (the schedule's choices unless given); it runs until its first pause point."""
        self._op_seq += 1
        op_id = f"op-{self.seed}x{self._op_seq}"
        creator = creator or self.rng.choice(CREATORS)
        if owners is None:
            owners = tuple(sorted(self.rng.sample(OWNERS, self.rng.choice((0, 1, 1, 2)))))
        replica = self.replicas[replica_name] if replica_name else self._replica()
        body = {
            "creator": creator,
            "prompt": f"{op_id} {self.rng.choice(SCENES)}",
            "video_path": str(self.clip),
            "cameos": list(owners),
            "remix_of": remix_of,
        }
        future = self.pool.submit(replica.http.post, "/v1/check", json=body)
        self.ops.append(
            Op(op_id, replica.name, creator, owners, remix_of, step, future, time.monotonic(), timeout_fault)
        )
        return f"{op_id}@{replica.name}:{creator}:{','.join(owners)}"

    def _act_submit(self, step: int) -> str:
        return self.submit(step)

    def _act_remix(self, step: int) -> str:
        with self.services.store.transaction() as tx:
            live = sorted(v.id for v in tx.videos.in_status(VideoStatus.PUBLISHED))
        if not live:
            return self.submit(step)
        return self.submit(step, remix_of=self.rng.choice(live))

    def _act_fault_timeout(self, step: int) -> str:
        sent = self.submit(step, timeout_fault=True)
        self.settle()
        op = self.ops[-1]
        if self.paused().get(op.id) == "checks":
            self.replicas[op.replica].http.post(f"/_sim/release/checks:{op.id}", params={"outcome": "timeout"})
        return sent

    def release(self, op_id: str, phase: str) -> None:
        """Let one paused submission go on."""
        op = next(o for o in self.ops if o.id == op_id)
        self.replicas[op.replica].http.post(f"/_sim/release/{phase}:{op_id}")

    def _act_release(self, _step: int) -> str:
        paused = self.paused()
        candidates = sorted((op.id, paused[op.id], op.replica) for op in self._in_flight() if op.id in paused)
        if not candidates:
            return "nothing paused"
        op_id, phase, replica = self.rng.choice(candidates)
        self.replicas[replica].http.post(f"/_sim/release/{phase}:{op_id}")
        return f"{op_id}:{phase}"

    def app(self, method: str, path: str, acting: str, body: dict[str, Any] | None = None) -> httpx.Response:
        replica = self._replica()
        return replica.http.request(method, path, json=body, headers={"X-Acting-User": acting})

    def _act_revoke(self, _step: int) -> str:
        owner, creator = self.rng.choice(OWNERS), self.rng.choice(CREATORS)
        response = self.app("POST", f"/v1/users/{owner}/cameo/revoked", owner, {"user": creator})
        if response.status_code == 200:
            self._grants[(owner, creator)] = "revoked"
            self._model_changed(owner)
        return f"{owner}-{creator}:{response.status_code}"

    def _act_approve(self, _step: int) -> str:
        owner, creator = self.rng.choice(OWNERS), self.rng.choice(CREATORS)
        response = self.app("POST", f"/v1/users/{owner}/cameo/approved", owner, {"user": creator})
        # Approval lifts a block; it does not bring back a deleted cameo or a level of `only_me`.
        if response.status_code == 200:
            self._grants[(owner, creator)] = "approve"
            self._model_changed(owner)
        return f"{owner}-{creator}:{response.status_code}"

    def _act_block(self, _step: int) -> str:
        owner, creator = self.rng.choice(OWNERS), self.rng.choice(CREATORS)
        response = self.app("POST", f"/v1/users/{owner}/cameo/blocked", owner, {"user": creator})
        if response.status_code == 200:
            self._grants[(owner, creator)] = "block"
            self._model_changed(owner)
        return f"{owner}-{creator}:{response.status_code}"

    def _act_level(self, _step: int) -> str:
        owner = self.rng.choice(OWNERS)
        level = self.rng.choice(["only_me", "approved"])
        response = self.app("PUT", f"/v1/users/{owner}/cameo/level", owner, {"level": level})
        if response.status_code == 200:
            self._cameo[owner] = (self._cameo.get(owner, (False, level))[0], level)
            self._model_changed(owner)
        return f"{owner}:{level}:{response.status_code}"

    def _act_delete_cameo(self, _step: int) -> str:
        owner = self.rng.choice(OWNERS)
        response = self.app("DELETE", f"/v1/users/{owner}/cameo", owner)
        if response.status_code == 200:
            self._cameo[owner] = (False, "only_me")
            self._model_changed(owner)
        return f"{owner}:{response.status_code}"

    def _act_restore_cameo(self, _step: int) -> str:
        owner = self.rng.choice(OWNERS)
        with self.services.store.transaction() as tx:
            if tx.consent.active_cameo(owner) is not None:
                return f"{owner}:active"
            tx.consent.create_cameo(owner, face_model="test", status=CameoStatus.ACTIVE)
            tx.consent.set_level(owner, ConsentLevel.APPROVED)
        self._cameo[owner] = (True, "approved")
        self._model_changed(owner)
        return f"{owner}:restored"

    def _act_restrict(self, _step: int) -> str:
        owner = self.rng.choice(OWNERS)
        phrase = self.rng.choice(["mountains", "street", "politics"])
        response = self.app("PUT", f"/v1/users/{owner}/cameo/restrictions", owner, {"text": phrase})
        return f"{owner}:{phrase}:{response.status_code}"

    def _act_report(self, _step: int) -> str:
        if not self.published:
            return "nothing published"
        video = self.rng.choice(sorted(self.published))
        response = self.app("POST", f"/v1/videos/{video}/reports", self.rng.choice(OWNERS), {"reason": "not me"})
        return f"{video}:{response.status_code}"

    def _act_appeal(self, _step: int) -> str:
        blocked = sorted((op for op in self.ops if op.status == "blocked" and op.video_id), key=lambda o: o.id)
        if not blocked:
            return "nothing blocked"
        op = self.rng.choice(blocked)
        response = self.app("POST", f"/v1/videos/{op.video_id}/appeals", op.creator, {"text": "it is fine"})
        return f"{op.video_id}:{response.status_code}"

    def _act_review(self, _step: int) -> str:
        reviews = self.reviews
        item = reviews.claim_next(self.reviewer)
        if item is None:
            return "queue empty"
        if item.source.value == "appeal":
            outcome = self.rng.choice(["uphold", "overturn"])
        else:
            outcome = self.rng.choice(["approve", "reject"])
        codes = reviews.reason_codes(item, outcome)
        if not codes:
            reviews.release(self.reviewer, item.id)
            return f"{item.id}:no code for {outcome}"
        try:
            result = reviews.decide(self.reviewer, item.id, outcome, codes[0])
        except Exception as exc:
            return f"{item.id}:{outcome}:{exc.__class__.__name__}"
        if result.status is VideoStatus.PUBLISHED:
            self.published.append(item.video_id)
        return f"{item.id}:{outcome}:{result.status.value}"

    def _act_sweep(self, _step: int) -> str:
        report = sweep_once(self.late_services)
        return f"stale={len(report.stale_settled)}"

    def _act_fault_kill(self, _step: int) -> str:
        replica = self._replica()
        for op in self._in_flight():
            if op.replica == replica.name:
                op.hit_by.add("kill")
        replica.kill()
        now = time.monotonic()
        for window in self._fault_windows:
            if window[0] == replica.name and window[3] is None:
                window[3] = now  # the armed fault died with the process
        replica.start()
        return replica.name

    def _act_fault_database(self, _step: int) -> str:
        replica = self._replica()
        replica.http.post("/_sim/fault/database")
        self._fault_windows.append([replica.name, "database", time.monotonic(), None])
        return replica.name

    def _act_fault_disk(self, _step: int) -> str:
        replica = self._replica()
        replica.http.post("/_sim/fault/disk")
        self._fault_windows.append([replica.name, "disk", time.monotonic(), None])
        return replica.name

    # waiting and judging

    def settle(self, limit_s: float = 30.0) -> None:
        """Wait until every submission is paused or done (a timed-out check: done)."""
        deadline = time.monotonic() + limit_s
        while True:
            paused = self.paused()
            busy = []
            for op in self._in_flight():
                if op.future.done():
                    self._finish(op)
                elif op.id not in paused:
                    busy.append(op)
            if not busy:
                return
            if time.monotonic() > deadline:
                for op in busy:
                    self.report.violations.append(Violation("decision_always", op.id, "no answer within 30 s"))
                return
            time.sleep(0.02)

    def _finish(self, op: Op) -> None:
        op.finished_at = end = time.monotonic()
        # A fault armed on this replica strikes whatever writes there next: any op open while it was armed.
        for name, fault, armed_at, fired_at in self._fault_windows:
            if name == op.replica and armed_at <= end and (fired_at is None or fired_at >= op.started_at):
                op.hit_by.add(fault)
        try:
            response = op.future.result()
        except httpx.HTTPError as exc:
            op.status = "error:lost"
            if "kill" not in op.hit_by:
                detail = f"connection lost without a kill ({type(exc).__name__})"
                self.report.violations.append(Violation("decision_always", op.id, detail))
            self.report.outcomes[op.status] += 1
            return
        if response.status_code != 200:
            op.status = f"error:{response.status_code}"
            text = response.text
            if _PATHLIKE.search(text):
                self.report.violations.append(Violation("no_internal_paths", op.id, text[:200]))
            expected = response.status_code == 503 and op.hit_by & {"database", "disk"}
            # The parent went before intake: unknown to the pipeline, as any video that is not published.
            lineage = response.status_code == 404 and op.remix_of is not None
            if not (expected or lineage):
                self.report.violations.append(
                    Violation("decision_always", op.id, f"HTTP {response.status_code}: {text[:200]}")
                )
        else:
            body = response.json()
            op.status, op.video_id = body["status"], body["video_id"]
            if op.status == "published":
                self.published.append(body["video_id"])
                for owner in op.owners:
                    if owner != op.creator and not self._allowed_during(
                        owner, op.creator, op.started_at, op.finished_at
                    ):
                        self.report.violations.append(
                            Violation("consent_seen_by_clients", op.id, f"published while {owner} refused throughout")
                        )
        self.report.outcomes[op.status] += 1

    def _check(self, *, quiescent: bool, step: int) -> None:
        result = check_invariants(self.services.store, self.services.media, self.services.policies, quiescent=quiescent)
        for violation in result.violations:
            self.report.violations.append(
                Violation(violation.invariant, violation.subject, f"after step {step}: {violation.detail}")
            )

    def _drain(self) -> None:
        """Let everything finish, settle what faults left, sweep with no grace, and check the quiescent invariants."""
        for _round in range(200):
            # One at a time, as every step: a drain that let everything go at once would race, and a seed would
            # no longer replay exactly.
            paused = self.paused()
            waiting = sorted((op.id, paused[op.id], op.replica) for op in self._in_flight() if op.id in paused)
            if waiting:
                op_id, phase, holder = waiting[0]
                self.replicas[holder].http.post(f"/_sim/release/{phase}:{op_id}")
            self.settle(limit_s=60.0)
            if not self._in_flight():
                break
        for replica in self.replicas.values():
            replica.kill()
        # Nothing is in flight now, so no grace is needed: whatever is unreferenced is an orphan.
        settings = self.settings.model_copy(update={"orphan_grace_s": 0.0})
        with build(settings, clock=FakeClock(SYSTEM_CLOCK.now() + timedelta(hours=2))) as final:
            sweep_once(final)
        self._check(quiescent=True, step=self.report.steps)
        with self.services.store.transaction() as tx:
            left = tx.videos.in_status(VideoStatus.CHECKING)
        for video in left:
            self.report.violations.append(Violation("decision_always", video.id, "still checking after the sweep"))
        states = {op.id: op.status for op in self.ops}
        self.report.trace.append(self._stable("final:" + json.dumps(states, sort_keys=True)))

    def _stable(self, line: str) -> str:
        """Random row ids replaced by their order of first appearance, so two runs of a seed compare equal."""

        def name(match: re.Match[str]) -> str:
            return self._ids.setdefault(match.group(0), f"{match.group(1)}#{len(self._ids) + 1}")

        return _ROW_ID.sub(name, line)


def database_for_run(admin_url: str) -> tuple[str, Any]:
    """A fresh schema on `admin_url` for one run, and a function that drops it."""
    from sqlalchemy import create_engine, text

    schema = f"sim_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin_url)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in admin_url else "?"

    def drop() -> None:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()

    return f"{admin_url}{separator}options=-csearch_path%3D{schema}", drop


def environment_ready() -> str | None:
    """Why the simulation cannot run here, or None."""
    if not os.environ.get("CAMEOGUARD_TEST_POSTGRES_URL"):
        return "the simulation runs two replicas on PostgreSQL: set CAMEOGUARD_TEST_POSTGRES_URL"
    return None
