"""The gate as the use cases see it: one object holding the stores, policies, checks and publisher, whose methods run
the steps of `safety.gate` in order (see the package's docstring for the steps and their transactions)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from policies import Action, PolicyBook
from safety.checks import Check
from safety.checks.base import WarmsUp
from safety.domain import Decision, Finding, GateResult, Submission
from safety.gate import deciding, settling
from safety.gate.checking import run_all
from safety.gate.deciding import judge, persist
from safety.gate.intake import ingest, intake
from safety.gate.metrics import GateMetrics
from safety.gate.premark import Premark
from safety.gate.publishing import act
from safety.gate.run import GateRun, label
from safety.gate.withholding import moved, release_draft
from safety.mediastore import MediaStore
from safety.publishing import Publisher
from safety.restrictions import LiteralRestrictions, RestrictionJudge
from safety.storage import Store, Transaction


class Gate:
    """Runs submissions through intake, checks, decision and action."""

    def __init__(
        self,
        store: Store,
        media: MediaStore,
        policies: PolicyBook,
        checks: Sequence[Check],
        *,
        publisher: Publisher,
        fail_checks: frozenset[str] = frozenset(),
        check_workers: int = 4,
        mark_during_checks: bool = True,
        restrictions: RestrictionJudge | None = None,
    ) -> None:
        self.restrictions: RestrictionJudge = restrictions or LiteralRestrictions()
        self.mark_during_checks = mark_during_checks
        self.metrics = GateMetrics()
        self.warmed = False
        self.publisher = publisher
        self.store = store
        self.media = media
        self.policies = policies
        self.checks: tuple[Check, ...] = tuple(checks)
        self.fail_checks = fail_checks
        self.check_workers = check_workers

    def warm_up(self) -> dict[str, float]:
        """Load and run every check's models once for each pack, so the first submission is not the one that pays
        for loading them; seconds per check. A model that fails to load raises here (a service should not start
        without it); a check would report it as `check.error` anyway."""
        spent: dict[str, float] = {}
        for check in self.checks:
            if isinstance(check, WarmsUp):
                started = time.perf_counter()
                for policy in (self.policies.adult, self.policies.teen):
                    check.warm_up(policy)
                spent[check.name] = round(time.perf_counter() - started, 3)
        self.warmed = True
        return spent

    def prepublish(self, submission: Submission, *, video_id: str | None = None, rerun: bool = False) -> GateResult:
        """Decide on a submission and act on the decision; raises `SubmissionError` for undecidable input.
        `video_id` names the new video when the id was promised before the gate ran (asynchronous submissions);
        with `rerun`, a row of that id left `checking` by a run that was cut short is checked again from the start."""
        started = time.perf_counter()
        admitted = intake(self, submission)
        ingested = ingest(self, submission, admitted, video_id, rerun=rerun)
        ingest_ms = (time.perf_counter() - started) * 1000
        premark = (
            Premark(
                self.publisher, ingested.draft.path, self.media.area("published") / ingested.video_id, label(submission)
            )
            if self.mark_during_checks
            else None
        )
        try:
            checked = run_all(self, ingested.feed, ingested.context)
            judgement = judge(self, submission, admitted.policy, checked, started, ingest_ms)
            decision_id = persist(self, ingested.video_id, judgement, checked)
            if decision_id is None:
                release_draft(self, ingested.draft)
                return moved(self, ingested.video_id, judgement.decision, submission, judgement.subjects)
            if judgement.decision.action is not Action.PUBLISH and premark is not None:
                premark.drop()  # before the draft moves to quarantine
            run = GateRun(
                ingested.video_id, decision_id, judgement.decision, submission, ingested.draft, judgement.subjects
            )
            return act(self, run, admitted.policy, premark)
        finally:
            # Whatever happened, no re-encode outlives the run (a publish has taken it already).
            if premark is not None:
                premark.drop()

    def settle_stale(self, video_id: str, *, actor: str, why: str | None = None) -> GateResult | None:
        """Hold (or block) a video a dead process left `checking`; None when it is no longer `checking`."""
        if why is None:
            return settling.settle_stale(self, video_id, actor=actor)
        return settling.settle_stale(self, video_id, actor=actor, why=why)

    def settle_owner_requests(self, video_id: str, *, actor: str) -> GateResult | None:
        """After an owner answers (or a request expires): blocked on a no, published once every owner approved;
        None while an owner has still to answer, or when the video is no longer waiting."""
        return settling.settle_owner_requests(self, video_id, actor=actor)

    def publish_reviewed(self, video_id: str, decision: Decision, actor: str, note: str = "") -> GateResult:
        """A reviewer's approval of a held (or, on appeal, blocked) video, through the gate's own publish."""
        return settling.publish_reviewed(self, video_id, decision, actor, note)

    def _consent_findings(
        self, tx: Transaction, submission: Submission, owners: Sequence[str], *, stage: str, spoken: Sequence[str] = ()
    ) -> list[Finding]:
        # The one seam every consent read of the steps goes through (see `GateParts`).
        return deciding.consent_findings(self, tx, submission, owners, stage=stage, spoken=spoken)
