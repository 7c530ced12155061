"""The pre-publish gate: the one path every generated video takes.

    intake   the creator exists, the file is a readable video, the parent exists      (errors, nothing stored)
    ingest   the file is copied into drafts; the video row is `checking`              (transaction 1)
    check    the draft is decoded once (safety.frames) and every check reads the frames it asked for; each
             check runs with its own timeout; failures become findings
    decide   findings + the creator's policy → Decision                               (pure, safety.decision)
    persist  the decision and every finding are stored before any file moves         (transaction 2)
    act      publish: the marked re-encode (started beside the checks, dropped if the video does not publish) is
             signed and staged, consent is read again, and the row turns `published` in the same
             transaction that renames the file into place; review/block: the file goes to quarantine and the
             row turns `held` (with a review item) or `blocked`                       (transaction 3)

If anything fails after ingest, the video is left unpublished: a storage failure while publishing removes the
staged file and raises, and the row stays `checking` for the sweeper to settle.

Other processes may move the video while the gate works on it: a revocation purges it, the sweeper settles it.
Every status move is a compare-and-set under the row's lock (`tx.videos.set_status(expected=...)`), so the gate
learns of it when it acts and answers with the decision that now holds (e.g. blocked for the consent that ended),
never with an error; the draft stays the gate's to remove until the row leaves `checking`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path

from policies import Action, PolicyBook, PolicyPack
from provenance import ProvenanceError, Publication
from safety.access import hidden
from safety.checks import Check, CheckContext, CheckRun, run_checks
from safety.checks.base import HearsSound, WarmsUp, WatchesFrames
from safety.checks.runner import DEFAULT_TIMEOUT_S
from safety.checks.speech import transcripts
from safety.consent import consent_verdict
from safety.decision import CHECK_ERROR, decide
from safety.domain import Decision, Finding, GateResult, MediaInfo, Reason, Submission, User, VideoStatus
from safety.errors import (
    CheckFailure,
    ConflictError,
    InvalidMediaError,
    StatusChanged,
    StorageError,
    SubmissionError,
    UnknownUserError,
)
from safety.frames import FrameFeed
from safety.gate_metrics import GateMetrics
from safety.media import probe, trial_decode
from safety.mediastore import MediaStore, StoredFile
from safety.publishing import MarkedDraft, PreparedPublication, Publisher
from safety.records import ReviewSource, UseRequestState, VideoRecord
from safety.restrictions import LiteralRestrictions, RestrictionJudge
from safety.storage import Store, Transaction

GATE_ACTOR = "gate"
# Intake decodes this many frames in a memory-capped child before any check decodes the file here; the first
# frames are where a decoder sizes its buffers.
_TRIAL_FRAMES = 4


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
        self.checks = tuple(checks)
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

    def prepublish(self, submission: Submission, *, video_id: str | None = None) -> GateResult:
        """Decide on a submission and act on the decision; raises `SubmissionError` for undecidable input.
        `video_id` names the new video when the id was promised before the gate ran (asynchronous submissions)."""
        started = time.perf_counter()
        creator, policy, info = self._intake(submission)
        # The checks read a private copy: the caller's file may change or vanish while they run.
        draft = self.media.put_draft(submission.video_path)
        with self.store.transaction() as tx:
            video_id = tx.videos.create(
                video_id=video_id,
                creator=creator.handle,
                prompt=submission.prompt,
                content_sha256=draft.sha256,
                size_bytes=draft.size,
                duration_s=info.duration_s,
                width=info.width,
                height=info.height,
                draft_path=draft.path,
                declared_cameos=submission.cameos,
                remix_of=submission.remix_of,
                policy_ref=policy.ref,
            )
            feed = self._feed(draft.path, policy, submission)
            # Declared owners' consent is read in the transaction that creates the row, so the checks judge the
            # consent that held when the video entered the gate; it is read again before any publish.
            context = self._context(tx, submission, creator, policy, info, draft.path, feed)
        ingest_ms = (time.perf_counter() - started) * 1000

        # No transaction is open while the checks run: they take seconds, and a row lock held that long would
        # stall revocations and reviewers.
        premark = (
            _Premark(self.publisher, draft.path, self.media.area("published") / video_id, _label(submission))
            if self.mark_during_checks
            else None
        )
        try:
            with feed:
                feed.start()
                run = run_checks(self.checks, context, fail_checks=self.fail_checks, max_workers=self.check_workers)
            return self._judge_and_act(submission, policy, video_id, draft, run, started, ingest_ms, premark)
        finally:
            if premark is not None:
                premark.drop()

    def _judge_and_act(
        self,
        submission: Submission,
        policy: PolicyPack,
        video_id: str,
        draft: StoredFile,
        run: CheckRun,
        started: float,
        ingest_ms: float,
        premark: _Premark | None,
    ) -> GateResult:
        identified = _identified_owners(run.findings, "likeness.identified")
        in_input = _identified_owners(run.findings, "input.identified")
        # Owners heard but neither declared nor seen: a voice is weaker evidence than a face, so a refusal holds
        # the video for a person (`likeness.voice_no_consent`) instead of blocking it.
        heard = [
            o
            for o in _identified_owners(run.findings, "likeness.voice_identified")
            if o not in identified and o not in submission.cameos
        ]
        with self.store.transaction() as tx:
            # Faces found but not declared: their owners' consent, read now from the database.
            undeclared = [o for o in identified if o not in submission.cameos]
            consent_findings = self._consent_findings(
                tx, submission, undeclared, stage="identified", spoken=transcripts(run.facts)
            )
            consent_findings += [
                replace(f, code="input.real_person_without_consent")
                for f in self._consent_findings(tx, submission, in_input, stage="input_image")
            ]
            if heard:
                consent_findings += [
                    replace(f, code="likeness.voice_no_consent", evidence={**f.evidence, "consent_code": f.code})
                    for f in self._consent_findings(tx, submission, heard, stage="voice", spoken=transcripts(run.facts))
                    if f.code != CHECK_ERROR
                ]
        timings = {"intake": ingest_ms, **run.timings_ms}
        decision = decide([*run.findings, *consent_findings], policy, run.checks_run, timings)
        decision = replace(
            decision, timings_ms={**timings, "total": (time.perf_counter() - started) * 1000}, facts=run.facts
        )

        self.metrics.record_decision(decision)
        subjects = tuple(dict.fromkeys([*submission.cameos, *identified, *in_input, *heard]))
        # Persisted before any file moves: if the process dies after this, the decision is on record and the
        # sweeper settles the row; nothing is published without it.
        with self.store.transaction() as tx:
            # Locked: a purge that landed during the checks has scrubbed this video, and a decision saved after
            # it would bring back the names it removed.
            moved = tx.videos.get(video_id, lock=True).status is not VideoStatus.CHECKING
            if not moved:
                decision_id = tx.decisions.save(video_id, decision, GATE_ACTOR)
                # Kept apart from the decision, for people enrolled or protected after this video is published.
                tx.tracks.add_embeddings(video_id, run.embeddings)
                # Identified owners join the lineage now, so their revocation finds this video even if it is held.
                for owner in dict.fromkeys([*identified, *heard]):
                    tx.videos.add_cameo_edge(video_id, owner)
        if moved:
            self._release_draft(draft)
            return self._moved(video_id, decision, submission, subjects)
        if decision.action is not Action.PUBLISH and premark is not None:
            premark.drop()  # before the draft moves to quarantine
        return self._act(video_id, decision_id, decision, submission, policy, draft, subjects, premark)

    def _intake(self, submission: Submission) -> tuple[User, PolicyPack, MediaInfo]:
        if not submission.creator:
            raise SubmissionError("a creator handle is required")
        with self.store.transaction() as tx:
            creator = tx.accounts.get(submission.creator)
            if creator.deleted:
                raise UnknownUserError(f"`{creator.handle}` has deleted their account")
            for owner in submission.cameos:
                tx.accounts.get(owner)
            if submission.remix_of is not None:
                parent = tx.videos.get(submission.remix_of)
                if parent.status is not VideoStatus.PUBLISHED:
                    # Only a published video can be remixed, and a pipeline may not learn others' statuses here.
                    raise hidden(parent.id)
        if submission.input_image_path is not None and not submission.input_image_path.is_file():
            raise InvalidMediaError(f"no such input image: {submission.input_image_path}")
        info = probe(submission.video_path)
        # The creator's age band picks the pack: a teen's video is judged by the teen pack whoever appears in it.
        policy = self.policies.for_user(creator)
        media_check = policy.checks.get("media")
        trial_decode(
            submission.video_path,
            frames=_TRIAL_FRAMES,
            memory_mb=policy.limits.max_decode_memory_mb,
            timeout_s=media_check.timeout_s if media_check is not None else DEFAULT_TIMEOUT_S,
        )
        return creator, policy, info

    def _feed(self, draft: Path, policy: PolicyPack, submission: Submission) -> FrameFeed:
        """The draft's one decode, with a reader for every check that looks at frames."""
        feed = FrameFeed(draft)
        for check in self.checks:
            if isinstance(check, WatchesFrames) and (need := check.frame_need(policy, submission)) is not None:
                feed.subscribe(check.name, need)
            if isinstance(check, HearsSound) and check.hears(policy, submission):
                feed.want_sound()
        return feed

    def _context(
        self,
        tx: Transaction,
        submission: Submission,
        creator: User,
        policy: PolicyPack,
        info: MediaInfo,
        draft: Path,
        feed: FrameFeed,
    ) -> CheckContext:
        consent = {owner: tx.consent.snapshot(owner, creator.handle) for owner in submission.cameos}
        owner_policies = {owner: self.policies.for_user(tx.accounts.get(owner)) for owner in submission.cameos}
        return CheckContext(
            submission=submission,
            creator=creator,
            video_path=draft,
            media=info,
            policy=policy,
            frames=feed,
            cameo_consent=consent,
            owner_policies=owner_policies,
        )

    def _act(
        self,
        video_id: str,
        decision_id: str,
        decision: Decision,
        submission: Submission,
        policy: PolicyPack,
        draft: StoredFile,
        consent_subjects: tuple[str, ...],
        premark: _Premark | None = None,
    ) -> GateResult:
        try:
            if decision.action is Action.PUBLISH:
                result = self._publish(
                    video_id, decision_id, decision, submission, draft, consent_subjects, premark=premark
                )
            else:
                result = self._withhold(video_id, decision_id, decision, policy, draft)
        except StatusChanged:
            result = self._moved(video_id, decision, submission, consent_subjects)
        self._release_draft(draft)
        return result

    def _publish(
        self,
        video_id: str,
        decision_id: str,
        decision: Decision,
        submission: Submission,
        draft: StoredFile,
        consent_subjects: tuple[str, ...],
        *,
        expected: VideoStatus = VideoStatus.CHECKING,
        actor: str = GATE_ACTOR,
        premark: _Premark | None = None,
    ) -> GateResult:
        # Owners who approve each use are asked before any marking: the video waits for them, not the CPU.
        with self.store.transaction() as tx:
            awaiting = self._awaiting(tx, video_id, submission, consent_subjects)
        if awaiting:
            if premark is not None:
                premark.drop()
            return self._await_owners(video_id, decision_id, decision, submission, draft, awaiting, expected, actor)
        # Marking and signing take seconds, so they happen before the publishing transaction, into a staged file
        # that is only renamed into place once consent has been read again inside that transaction.
        try:
            prepared = self._prepare(video_id, decision_id, decision, submission, draft, consent_subjects, premark)
        except _PublishRefused as refused:
            return self._refuse_at_publish(video_id, decision, refused.findings, submission, draft, expected)
        except ProvenanceError as exc:
            # A video that cannot be marked or signed is not published unmarked: it is withheld as a failed check.
            failure = Finding(
                CHECK_ERROR,
                "provenance",
                f"marking or signing failed: {exc}",
                evidence={"check": "provenance", "error": exc.__class__.__name__, "detail": str(exc)[:500]},
            )
            return self._refuse_at_publish(video_id, decision, [failure], submission, draft, expected)
        staged, final = prepared.staged, prepared.final
        try:
            with self.store.transaction() as tx:
                # Consent again, in the transaction that publishes: a revocation that landed during the checks wins.
                # Locks are taken in one order everywhere (owners' cameo rows, then video rows, then the audit
                # head), as a consent change takes them, so a publish and a purge never deadlock.
                refusals = self._consent_findings(
                    tx, submission, consent_subjects, stage="publish", spoken=transcripts(dict(decision.facts))
                )
                # The row lock orders this publish with a concurrent purge or review of the same video.
                video = tx.videos.get(video_id, lock=True)
                if video.status is not expected:
                    raise StatusChanged(video_id, video.status.value, [expected.value])
                refusals += self._lineage_findings(tx, submission)
                if refusals:
                    raise _PublishRefused(refusals)
                # An owner who turned on approval of each use while the checks ran is asked too.
                awaiting = self._awaiting(tx, video_id, submission, consent_subjects)
                if awaiting:
                    raise _AwaitOwners(awaiting)
                tx.videos.set_status(
                    video_id,
                    VideoStatus.PUBLISHED,
                    expected=expected,
                    actor=actor,
                    published_path=final,
                    details={"decision_id": decision_id, "sha256": prepared.sha256},
                )
                tx.registry.record_publication(
                    video_id,
                    sha256=prepared.sha256,
                    watermark_token=prepared.watermark_token,
                    frame_hashes=prepared.frame_hashes,
                )
                # Renamed inside the transaction: if the commit fails the file is removed below, so a published
                # file never exists without its row saying so.
                self.media.commit_staged(staged, final)
        except _PublishRefused as refused:
            self.media.discard(staged, final)
            return self._refuse_at_publish(video_id, decision, refused.findings, submission, draft, expected)
        except _AwaitOwners as waiting:
            self.media.discard(staged, final)
            return self._await_owners(
                video_id, decision_id, decision, submission, draft, waiting.owners, expected, actor
            )
        except BaseException:
            self.media.discard(staged, final)
            raise
        return GateResult(video_id, decision_id, decision, VideoStatus.PUBLISHED, final)

    @staticmethod
    def _awaiting(tx: Transaction, video_id: str, submission: Submission, owners: Sequence[str]) -> list[str]:
        """Owners in the video who approve each use of their likeness and have not approved this one."""
        approved = {r.owner for r in tx.consent.use_requests(video_id=video_id, state=UseRequestState.APPROVED)}
        return [
            owner
            for owner in sorted(set(owners))
            if owner != submission.creator
            and owner not in approved
            and tx.consent.snapshot(owner, submission.creator, lock=False).approve_each_use
        ]

    def _await_owners(
        self,
        video_id: str,
        decision_id: str,
        decision: Decision,
        submission: Submission,
        draft: StoredFile,
        owners: Sequence[str],
        expected: VideoStatus,
        actor: str,
    ) -> GateResult:
        """Every check passed, but owners approve each use: the video waits in quarantine (`pending_owner`), one
        request per owner, until they all approve (published), one declines or time runs out (blocked)."""
        staged, final = self.media.stage(draft.path, "quarantine", video_id)
        try:
            with self.store.transaction() as tx:
                tx.videos.set_status(
                    video_id,
                    VideoStatus.PENDING_OWNER,
                    expected=expected,
                    actor=actor,
                    quarantine_path=final,
                    details={"decision_id": decision_id, "awaiting": list(owners)},
                )
                for owner in owners:
                    tx.consent.request_use(video_id, owner, submission.creator)
                self.media.commit_staged(staged, final)
        except BaseException:
            self.media.discard(staged, final)
            raise
        return GateResult(
            video_id, decision_id, decision, VideoStatus.PENDING_OWNER, None, awaiting_owners=tuple(owners)
        )

    def settle_owner_requests(self, video_id: str, *, actor: str) -> GateResult | None:
        """After an owner answers (or a request expires): a decline or an expiry blocks the video; when every owner
        asked has approved it publishes through the same consent re-read, marking and signing as any publish.
        None while an owner has still to answer, or when the video is no longer waiting."""
        with self.store.transaction() as tx:
            video = tx.videos.get(video_id)
            if video.status is not VideoStatus.PENDING_OWNER or video.quarantine_path is None:
                return None
            requests = tx.consent.use_requests(video_id=video_id)
            latest = next(
                (d for d in reversed(tx.decisions.for_video(video_id)) if d.action == Action.PUBLISH.value), None
            )
            facts = tx.decisions.facts(latest.id) if latest is not None else {}
            subjects = tuple(dict.fromkeys([*video.declared_cameos, *tx.videos.owners_in(video_id)]))
        states = {r.owner: r.state for r in requests}
        refused = sorted(o for o, st in states.items() if st in (UseRequestState.DECLINED, UseRequestState.EXPIRED))
        if not refused and UseRequestState.PENDING in states.values():
            return None
        policy = self.policies.by_ref_or_adult(video.policy_ref)
        if refused:
            code = (
                "likeness.owner_declined"
                if any(states[o] is UseRequestState.DECLINED for o in refused)
                else "likeness.owner_approval_expired"
            )
            finding = Finding(
                code,
                "consent",
                f"{', '.join(refused)} did not approve this use of their likeness",
                evidence={"owners": refused, "states": {o: states[o].value for o in refused}},
            )
            # Judged against the checks that ran for it: only the owner's answer is new.
            decision = decide([finding], policy, tuple(latest.checks_run) if latest else ("consent",), {})
            with self.store.transaction() as tx:
                tx.videos.get(video_id, lock=True)
                decision_id = tx.decisions.save(video_id, decision, actor)
                tx.videos.set_status(
                    video_id,
                    VideoStatus.BLOCKED,
                    expected=VideoStatus.PENDING_OWNER,
                    actor=actor,
                    details={"decision_id": decision_id},
                )
            return GateResult(video_id, decision_id, decision, VideoStatus.BLOCKED, None)
        approved = sorted(states)
        reason = Reason(
            "likeness.owner_approved",
            Action.PUBLISH,
            1,
            f"{', '.join(approved)} approved this use of their likeness",
            "",
            {"owners": approved},
            "consent",
        )
        decision = Decision(Action.PUBLISH, (reason,), {}, ("consent",), video.policy_ref, facts=facts)
        with self.store.transaction() as tx:
            decision_id = tx.decisions.save(video_id, decision, actor)
        return self._publish_quarantined(video, decision_id, decision, subjects, actor=actor)

    def publish_reviewed(self, video_id: str, decision: Decision, actor: str, note: str = "") -> GateResult:
        """A reviewer's approval of a held (or, on appeal, blocked) video: the same marking, signing and consent
        re-check as the gate's own publish. A revocation while the item waited wins."""
        with self.store.transaction() as tx:
            video = tx.videos.get(video_id)
            if video.status not in (VideoStatus.HELD, VideoStatus.BLOCKED) or video.quarantine_path is None:
                raise ConflictError(f"video `{video_id}` is {video.status.value}; only held or blocked videos publish")
            subjects = tuple(dict.fromkeys([*video.declared_cameos, *tx.videos.owners_in(video_id)]))
            decision_id = tx.decisions.save(video_id, decision, actor, note=note)
        return self._publish_quarantined(video, decision_id, decision, subjects, actor=actor)

    def _publish_quarantined(
        self, video: VideoRecord, decision_id: str, decision: Decision, subjects: tuple[str, ...], *, actor: str
    ) -> GateResult:
        """Publish a video waiting in quarantine (held, blocked on appeal, or waiting for its owners), through the
        same marking, signing and consent re-read as the gate's own publish."""
        source = video.quarantine_path
        assert source is not None
        # Owners identified by the gate are re-checked too, not only those the creator declared.
        submission = Submission(video.creator, video.prompt, source, video.declared_cameos, video.remix_of)
        stored = StoredFile(source, video.content_sha256, source.stat().st_size if source.is_file() else 0)
        try:
            result = self._publish(
                video.id, decision_id, decision, submission, stored, subjects, expected=video.status, actor=actor
            )
        except StatusChanged:
            # Purged (or decided by someone else) meanwhile: the outcome says what holds now.
            return self._moved(video.id, decision, submission, subjects)
        if result.status is VideoStatus.PUBLISHED:
            self.media.discard(source)
        return result

    def _prepare(
        self,
        video_id: str,
        decision_id: str,
        decision: Decision,
        submission: Submission,
        draft: StoredFile,
        consent_subjects: tuple[str, ...],
        premark: _Premark | None = None,
    ) -> PreparedPublication:
        """Mark, sign and fingerprint the draft; the consented cameos go into the manifest as opaque ids."""
        with self.store.transaction() as tx:
            cameo_ids = tuple(c.id for owner in consent_subjects if (c := tx.consent.active_cameo(owner)) is not None)
            parent_file: Path | None = None
            if submission.remix_of is not None:
                lineage = self._lineage_findings(tx, submission)
                if lineage:
                    raise _PublishRefused(lineage)
                parent_file = tx.videos.get(submission.remix_of).published_path
        publication = Publication(
            video_id=video_id,
            decision_id=decision_id,
            policy=decision.policy_ref,
            cameo_ids=cameo_ids,
            parent_video_id=submission.remix_of,
        )
        if premark is not None:
            marked = premark.take()
        else:
            marked = self.publisher.mark(draft.path, self.media.area("published") / video_id, label=_label(submission))
        return self.publisher.finish(marked, publication, parent_file=parent_file)

    @staticmethod
    def _lineage_findings(tx: Transaction, submission: Submission) -> list[Finding]:
        """A remix may only be published while its parent still is."""
        if submission.remix_of is None:
            return []
        parent = tx.videos.get(submission.remix_of)
        if parent.status is VideoStatus.PUBLISHED and parent.published_path is not None:
            return []
        return [
            Finding(
                "lineage.parent_unavailable",
                "lineage",
                f"the parent video {parent.id} is {parent.status.value}, not published",
                evidence={"parent_video_id": parent.id, "parent_status": parent.status.value},
            )
        ]

    def _consent_findings(
        self,
        tx: Transaction,
        submission: Submission,
        owners: Sequence[str],
        *,
        stage: str,
        spoken: Sequence[str] = (),
    ) -> list[Finding]:
        """Consent of each owner for this creator, prompt and what the video says (`spoken`), read in `tx`; a
        finding for each refusal."""
        refusals: list[Finding] = []
        # Sorted: snapshots lock the owners' cameo rows, and two transactions locking them in different orders
        # could deadlock.
        for owner in sorted(set(owners)):
            owner_policy = self.policies.for_user(tx.accounts.get(owner))
            state = tx.consent.snapshot(owner, submission.creator)
            try:
                verdict = consent_verdict(state, owner_policy, submission.prompt, restrictions=self.restrictions)
                for said in spoken if verdict.allowed else ():
                    heard = consent_verdict(state, owner_policy, said, restrictions=self.restrictions)
                    if not heard.allowed:
                        verdict = replace(heard, evidence={**heard.evidence, "source": "speech", "text": said[:500]})
                        break
            except CheckFailure as exc:
                # The owner's restrictions could not be judged (no model): held for a person, never passed.
                refusals.append(
                    Finding(
                        CHECK_ERROR,
                        "consent",
                        f"{owner}'s restrictions could not be checked: {exc}",
                        evidence={"check": "consent", "error": exc.__class__.__name__, "owner": owner, "at": stage},
                    )
                )
                continue
            if verdict.code is not None:  # refused (a refusal always carries its code)
                refusals.append(
                    Finding(
                        verdict.code,
                        "consent",
                        verdict.explanation,
                        evidence={
                            "owner": owner,
                            "at": stage,
                            "declared": owner in submission.cameos,
                            **verdict.evidence,
                        },
                    )
                )
        return refusals

    def _refuse_at_publish(
        self,
        video_id: str,
        decision: Decision,
        findings: list[Finding],
        submission: Submission,
        draft: StoredFile,
        expected: VideoStatus = VideoStatus.CHECKING,
    ) -> GateResult:
        """Consent changed between the checks and the publish: record a superseding decision and withhold."""
        policy = self.policies.by_ref_or_adult(decision.policy_ref)
        judged = replace(decide(findings, policy, decision.checks_run, decision.timings_ms), facts=decision.facts)
        with self.store.transaction() as tx:
            current = tx.videos.get(video_id, lock=True).status
            if current is not expected:
                raise StatusChanged(video_id, current.value, [expected.value])
            new_id = tx.decisions.save(video_id, judged, GATE_ACTOR, note="consent re-read at publish")
        return self._withhold(video_id, new_id, judged, policy, draft, expected)

    def _withhold(
        self,
        video_id: str,
        decision_id: str,
        decision: Decision,
        policy: PolicyPack,
        draft: StoredFile,
        expected: VideoStatus = VideoStatus.CHECKING,
    ) -> GateResult:
        status = VideoStatus.HELD if decision.action is Action.REVIEW else VideoStatus.BLOCKED
        if status is expected:  # a reviewed video refused again at publish stays where it was
            return GateResult(video_id, decision_id, decision, status, None)
        try:
            staged, final = self.media.stage(draft.path, "quarantine", video_id)
        except StorageError:
            # The file may have gone with a purge of a video that is no longer `checking`: that is a decision.
            with self.store.transaction() as tx:
                current = tx.videos.get(video_id).status
            if current is not expected:
                raise StatusChanged(video_id, current.value, [expected.value]) from None
            raise
        try:
            with self.store.transaction() as tx:
                tx.videos.set_status(
                    video_id,
                    status,
                    expected=expected,
                    actor=GATE_ACTOR,
                    quarantine_path=final,
                    details={"decision_id": decision_id},
                )
                if status is VideoStatus.HELD:
                    held_for = [r for r in decision.reasons if r.action is Action.REVIEW] or list(decision.reasons)
                    sla = min(
                        (rule.sla_hours for r in held_for if (rule := policy.reason(r.code)) is not None), default=24.0
                    )
                    tx.review.open_item(
                        video_id,
                        source=ReviewSource.GATE,
                        reason_codes=[r.code for r in held_for],
                        severity=decision.severity,
                        sla_hours=sla,
                        policy_ref=decision.policy_ref,
                    )
                self.media.commit_staged(staged, final)
        except BaseException:
            self.media.discard(staged, final)
            raise
        return GateResult(video_id, decision_id, decision, status, None)

    def settle_stale(self, video_id: str, *, actor: str) -> GateResult | None:
        """Hold (or block, as the policy's `check.error` says) a video whose checks never finished because the
        process running them died; None when it is no longer `checking`. Never publishes."""
        with self.store.transaction() as tx:
            video = tx.videos.get(video_id, lock=True)
            if video.status is not VideoStatus.CHECKING:
                return None
            policy = self.policies.by_ref_or_adult(video.policy_ref)
            rule = policy.reason(CHECK_ERROR)
            # Held, not re-run: the file may be what killed the process, and a person decides what happens next.
            stopped = Reason(
                CHECK_ERROR,
                Action.REVIEW,
                rule.severity if rule else 4,
                "the checks did not finish: the process running them stopped",
                rule.text if rule else "",
                {"check": "gate", "error": "Interrupted", "detail": "settled by the sweeper"},
                "gate",
            )
            decision = Decision(Action.REVIEW, (stopped,), {}, (), policy.ref)
            decision_id = tx.decisions.save(video_id, decision, actor, note="settled after an interrupted check")
        draft = video.draft_path
        if draft is None or not draft.is_file():
            # Nothing left to review: block without a file rather than hold an item no one can look at.
            try:
                with self.store.transaction() as tx:
                    tx.videos.set_status(
                        video_id,
                        VideoStatus.BLOCKED,
                        expected=VideoStatus.CHECKING,
                        actor=actor,
                        details={"decision_id": decision_id},
                    )
            except StatusChanged:
                return None  # the gate (or a purge) got there first
            return GateResult(video_id, decision_id, decision, VideoStatus.BLOCKED, None)
        stored = StoredFile(draft, video.content_sha256, draft.stat().st_size)
        try:
            result = self._withhold(video_id, decision_id, decision, policy, stored)
        except StatusChanged:
            return None
        self._release_draft(stored)
        return result

    def _moved(self, video_id: str, decision: Decision, submission: Submission, subjects: Sequence[str]) -> GateResult:
        """Another process moved the video while this gate worked on it; the decision that holds now.

        Purged (a revocation, a cameo deletion or a parent's purge landed during the checks): blocked, for the
        consent or lineage reason that applies now, recorded and scrubbed as the purge scrubbed the rest. Settled by
        the sweeper or a reviewer: whatever they decided, as stored."""
        with self.store.transaction() as tx:
            # Consent first, then the video row: the lock order of every consent change.
            findings = self._consent_findings(tx, submission, subjects, stage="purged")
            video = tx.videos.get(video_id, lock=True)
            if video.status is VideoStatus.PURGED:
                findings += self._lineage_findings(tx, submission)
                if not findings:
                    findings = [
                        Finding(
                            "likeness.no_consent",
                            "consent",
                            "the video was purged while it was being checked: consent for it was withdrawn",
                            evidence={"at": "purged"},
                        )
                    ]
                policy = self.policies.by_ref_or_adult(decision.policy_ref)
                judged = decide(findings, policy, decision.checks_run, decision.timings_ms)
                if judged.action is not Action.BLOCK:
                    judged = replace(judged, action=Action.BLOCK)
                decision_id = tx.decisions.save(video_id, judged, GATE_ACTOR, note="purged while it was checked")
                tx.decisions.scrub(video_id)
                return GateResult(video_id, decision_id, judged, VideoStatus.PURGED, None)
            latest = tx.decisions.for_video(video_id)[-1]
        policy = self.policies.by_ref_or_adult(latest.policy_ref)
        held = replace(decision, action=Action(latest.action), policy_ref=policy.ref)
        return GateResult(video_id, latest.id, held, video.status, video.published_path)

    def _release_draft(self, draft: StoredFile) -> None:
        # Each submission has its own draft, so the one that made it removes it.
        self.media.discard(draft.path)


def _label(submission: Submission) -> str:
    return f"AI-generated | @{submission.creator}"


class _Premark:
    """The publish step's re-encode, started beside the checks. Most videos publish and the encode is the longest
    single step, so it overlaps the checks instead of following them; a video that is not published stops it at
    the next frame and leaves nothing behind. Nothing is signed or moved before the decision and the consent
    re-read: this only saves time."""

    def __init__(self, publisher: Publisher, source: Path, destination_dir: Path, label: str) -> None:
        self._publisher = publisher
        self._cancel = threading.Event()
        self._result: Future[MarkedDraft] = Future()
        self._taken = False
        self._thread = threading.Thread(
            target=self._run, args=(source, destination_dir, label), name="premark", daemon=True
        )
        self._thread.start()

    def _run(self, source: Path, destination_dir: Path, label: str) -> None:
        try:
            self._result.set_result(self._publisher.mark(source, destination_dir, label=label, cancelled=self._cancel))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever takes the result
            self._result.set_exception(exc)

    def take(self) -> MarkedDraft:
        """The marked draft (now the caller's to finish or discard); raises what marking raised."""
        self._taken = True
        return self._result.result()

    def drop(self) -> None:
        """Stop and remove it, unless it was taken; returns once nothing of it is left."""
        if self._taken:
            return
        self._taken = True
        self._cancel.set()
        try:
            marked = self._result.result()
        except BaseException:  # noqa: BLE001 - cancelled or failed: mark() left nothing behind
            return
        self._publisher.discard(marked)


def _identified_owners(findings: Sequence[Finding], code: str) -> list[str]:
    owners = [str(f.evidence["owner"]) for f in findings if f.code == code and "owner" in f.evidence]
    return list(dict.fromkeys(owners))


class _AwaitOwners(Exception):
    def __init__(self, owners: list[str]) -> None:
        super().__init__(", ".join(owners))
        self.owners = owners


class _PublishRefused(Exception):
    def __init__(self, findings: list[Finding]) -> None:
        super().__init__("publish refused")
        self.findings = findings
