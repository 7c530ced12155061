"""Retroactive scans: when a cameo is enrolled or a person protected, search what is already published for them.

The gate keeps every checked video's face-track and speech embeddings (`tx.tracks`), so a scan decodes nothing: it
pages through published videos by id, compares their stored embeddings with the person's new templates
(`faces.retro.nearest_by_video`) and acts on each video that shows them, as the creator's policy says for the code
that applies, through the paths that already exist:
- a cameo owner who does not consent to that creator: the consent verdict's code (`likeness.no_consent`, …); a
  `block` purges the video and what derives from it, with a receipt for the owner; a `review` holds it;
- a protected person: `likeness.protected_person` (`likeness.protected_voice` for a voice), taken down or held;
- a near match: `likeness.uncertain`, held for a reviewer.
An owner who does consent is recorded as appearing in the video (a later revocation then finds it). A scan runs as
background work (`cameoguard.retro_scan`), one runner at a time (a named lease), and records its cursor after each
page, so a scan interrupted by a crash resumes where it stopped (the sweeper sends stale ones again); acting is
idempotent because only still-published videos are searched.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np

from policies import Action, PolicyBook, PolicyPack
from safety.clock import Clock
from safety.consent import consent_verdict
from safety.decision import decide
from safety.domain import Decision, Finding
from safety.engine import RETRO_SCAN
from safety.errors import SafetyError
from safety.faces.retro import nearest_by_video, stack
from safety.mediastore import MediaStore
from safety.records import RetroScanRecord, RetroScanState, TemplateSubject, VideoRecord
from safety.restrictions import RestrictionJudge
from safety.storage import Store
from safety.usecases.revocation import finish, purge_in
from safety.usecases.videos import Videos

log = logging.getLogger("cameoguard.scans")

SCANNER = "scanner"
# Videos read per transaction of a scan: a scan over years of videos is many short transactions, each small enough not
# to hold back writers, and a crash loses at most one page of progress.
PAGE_VIDEOS = 500
LEASE = timedelta(minutes=10)


class RetroScans:
    """Start, run and resume retroactive scans."""

    def __init__(
        self,
        store: Store,
        policies: PolicyBook,
        videos: Videos,
        media: MediaStore,
        clock: Clock,
        *,
        restrictions: RestrictionJudge,
        page_videos: int = PAGE_VIDEOS,
    ) -> None:
        self._store = store
        self._policies = policies
        self._videos = videos
        self._media = media
        self._clock = clock
        self._restrictions = restrictions
        self.page_videos = page_videos
        self.send: Callable[..., None] | None = None
        """Sends the scan to the engine; without one, `start` runs it at once."""

    def start(self, subject_kind: TemplateSubject, subject: str) -> str:
        """Record a scan for a person just enrolled or protected and send it to run; its id."""
        with self._store.transaction() as tx:
            scan_id = tx.tracks.start_scan(subject_kind.value, subject)
        # Sent after the commit: a worker that picks the task up must find the scan row, and a lost message is caught by
        # `resume_stale`.
        self._dispatch(scan_id)
        return scan_id

    def _dispatch(self, scan_id: str) -> None:
        if self.send is not None:
            self.send(RETRO_SCAN, scan_id)
        else:
            self.run(scan_id)

    def start_here(
        self, subject_kind: TemplateSubject, subject: str, *, on_page: Callable[[int], None] | None = None
    ) -> RetroScanRecord:
        """Record a scan and run it in this process (the CLI), reporting videos searched after each page."""
        with self._store.transaction() as tx:
            scan_id = tx.tracks.start_scan(subject_kind.value, subject)
        return self.run(scan_id, on_page=on_page)

    def get(self, scan_id: str) -> RetroScanRecord:
        """One scan."""
        with self._store.transaction() as tx:
            return tx.tracks.scan(scan_id)

    def all(self) -> list[RetroScanRecord]:
        """Every scan, oldest first."""
        with self._store.transaction() as tx:
            return tx.tracks.scans()

    def resume_stale(self, older_than: timedelta = LEASE) -> list[str]:
        """Send again the running scans nobody advanced lately (their runner died); their ids."""
        cutoff = self._clock.now() - older_than
        with self._store.transaction() as tx:
            stale = [s.id for s in tx.tracks.scans(state=RetroScanState.RUNNING, updated_before=cutoff)]
        for scan_id in stale:
            self._dispatch(scan_id)
        return stale

    def run(self, scan_id: str, *, on_page: Callable[[int], None] | None = None) -> RetroScanRecord:
        """Run (or resume) a scan to its end; returns it as it stands (unchanged when another runner holds it)."""
        # One lease per scan, not one for all scans: scans of different people run side by side, while a scan resent by
        # `resume_stale` to a second worker finds the first still at it and returns.
        holder = f"{socket.gethostname()}:{os.getpid()}:{scan_id}"
        lease = f"scan:{scan_id.removeprefix('scan_')}"
        with self._store.transaction() as tx:
            scan = tx.tracks.scan(scan_id)
            # Renewed before every page: a long scan keeps its lease for as long as it makes progress, while a dead
            # runner's lapses within `LEASE`.
            if scan.state is RetroScanState.DONE or not tx.locks.try_lease(lease, holder, LEASE):
                return scan
            kind = TemplateSubject(scan.subject_kind)
            templates = tx.templates.templates_of(kind, scan.subject)
        try:
            models = sorted({t.model_id for t in templates})
            # The cursor is "model index:last video id": a resumed scan skips the models it finished and continues
            # inside the one it was in, so a crash costs at most the page it was on.
            done, _, after = scan.cursor.partition(":")
            first = int(done) if done else 0
            for index, model in enumerate(models):
                if index < first:
                    continue
                matrix = stack([t.vector for t in templates if t.model_id == model])
                cursor = after if index == first else ""
                while True:
                    with self._store.transaction() as tx:
                        tx.locks.try_lease(lease, holder, LEASE)
                        ids, rows = tx.tracks.published_page(model, after_video=cursor, videos=self.page_videos)
                    if not ids:
                        break
                    # Searched outside any transaction: the distance computation over a page is the slow part, and
                    # holding a transaction open through it would hold back writers.
                    found = self._search(scan, model, matrix, rows)
                    cursor = ids[-1]
                    with self._store.transaction() as tx:
                        tx.tracks.advance_scan(scan_id, f"{index}:{cursor}", len(ids), found)
                    if on_page is not None:
                        on_page(len(ids))
                with self._store.transaction() as tx:
                    # This model is done: the next resume starts at the next model from its first video.
                    tx.tracks.advance_scan(scan_id, f"{index + 1}:", 0, [])
            with self._store.transaction() as tx:
                tx.tracks.finish_scan(scan_id)
                return tx.tracks.scan(scan_id)
        finally:
            with self._store.transaction() as tx:
                # Released however the scan ended; a scan that failed part way is left `running` and resumed from its
                # cursor by `resume_stale`.
                tx.locks.release(lease, holder)

    def _search(
        self, scan: RetroScanRecord, model: str, templates: np.ndarray, rows: list[tuple[str, str, bytes]]
    ) -> list[dict[str, Any]]:
        kind = rows[0][1]
        nearest = nearest_by_video([r[0] for r in rows], stack([r[2] for r in rows]), templates, kind=kind)
        # Only videos within some pack's near-match distance are looked at further (one read each).
        # -1 when no pack knows this model: no distance is below it, so nothing is looked at rather than everything.
        reach = max(
            (t.uncertain_distance for p in self._policies.all_packs() if (t := p.likeness.models.get(model))),
            default=-1.0,
        )
        found: list[dict[str, Any]] = []
        for video_id, distance in nearest.items():
            if distance > reach:
                continue
            try:
                outcome = self._act(scan, video_id, model, kind, distance)
            except SafetyError as exc:
                # The video moved on while we looked (purged, taken down): nothing left to do for it.
                outcome = {"video_id": video_id, "distance": round(distance, 4), "code": "", "action": f"none ({exc})"}
            if outcome is not None:
                found.append(outcome)
        return found

    def _act(
        self, scan: RetroScanRecord, video_id: str, model: str, kind: str, distance: float
    ) -> dict[str, Any] | None:
        subject = scan.subject
        with self._store.transaction() as tx:
            video = tx.videos.get(video_id)
            policy = self._policies.for_user(tx.accounts.get(video.creator))
            owners = set(tx.videos.owners_in(video_id)) | set(video.declared_cameos)
        # The video's own policy decides, not the widest reach used to pick candidates: a stricter pack may have let
        # this video through at a distance a looser one would flag.
        thresholds = policy.likeness.models.get(model)
        if thresholds is None or distance > thresholds.uncertain_distance:
            return None
        is_cameo = scan.subject_kind == TemplateSubject.CAMEO.value
        if is_cameo and (subject == video.creator or subject in owners):
            return None  # their consent was decided when it was published
        report = {"video_id": video_id, "distance": round(distance, 4), "kind": kind}
        # Between the match and near-match distances: too close to ignore, too far to act on alone, so a person decides.
        if distance > thresholds.match_distance:
            return {
                **report,
                "code": "likeness.uncertain",
                "action": self._hold(video, policy, "likeness.uncertain", subject, report),
            }
        if not is_cameo:
            code = "likeness.protected_voice" if kind == "voice" else "likeness.protected_person"
            return {**report, "code": code, "action": self._enforce(video, policy, code, subject, report)}
        with self._store.transaction() as tx:
            # The owner appears in it from now on: a later revocation finds this video too.
            tx.videos.add_cameo_edge(video_id, subject)
            snapshot = tx.consent.snapshot(subject, video.creator)
            owner_policy = self._policies.for_user(tx.accounts.get(subject))
        verdict = consent_verdict(snapshot, owner_policy, video.prompt, restrictions=self._restrictions)
        if verdict.allowed:
            return {**report, "code": "likeness.identified", "action": "kept (the owner consents)"}
        code = "likeness.voice_no_consent" if kind == "voice" else str(verdict.code)
        return {**report, "code": code, "action": self._enforce(video, policy, code, subject, report, owner=subject)}

    def _enforce(
        self,
        video: VideoRecord,
        policy: PolicyPack,
        code: str,
        subject: str,
        evidence: dict[str, Any],
        *,
        owner: str | None = None,
    ) -> str:
        rule = policy.reason(code)
        # A code the pack does not name is blocked: failing closed, as the gate does for a reason it cannot place.
        action = rule.action if rule is not None else Action.BLOCK
        if action is Action.PUBLISH:
            return "kept (the policy publishes it)"
        if action is Action.REVIEW:
            return self._hold(video, policy, code, subject, evidence)
        if owner is not None:
            # A cameo owner's likeness without consent: purged with what derives from it, and a receipt for them.
            with self._store.transaction() as tx:
                job = purge_in(
                    tx,
                    [video.id],
                    owner=owner,
                    creator=video.creator,
                    reason="retroactive_scan",
                    actor=SCANNER,
                    media_root=self._media.root,
                )
            # Files go after the commit that recorded the purge: if this process dies in between, the sweeper finishes
            # the job from its row.
            receipt = finish(self._store, self._media, job)
            return f"purged (receipt {receipt.receipt_id})"
        self._videos.take_down(video.id, self._decision(video, policy, code, subject, evidence), SCANNER)
        return "taken down (blocked)"

    def _hold(self, video: VideoRecord, policy: PolicyPack, code: str, subject: str, evidence: dict[str, Any]) -> str:
        rule = policy.reason(code)
        self._videos.take_down(
            video.id,
            self._decision(video, policy, code, subject, evidence),
            SCANNER,
            hold_for=(code,),
            # A day when the pack sets no deadline for this code: the queue orders by due time, so a held item must
            # carry one.
            sla_hours=rule.sla_hours if rule is not None else 24.0,
        )
        return "held for review"

    def _decision(
        self, video: VideoRecord, policy: PolicyPack, code: str, subject: str, evidence: dict[str, Any]
    ) -> Decision:
        finding = Finding(
            code,
            "scan",
            f"a retroactive scan found {subject} in this published video",
            score=max(0.0, 1.0 - float(evidence["distance"])),
            evidence={**evidence, "person": subject, "source": "retroactive_scan"},
        )
        with self._store.transaction() as tx:
            earlier = tx.decisions.for_video(video.id)
        # Judged against the checks that ran when it was published: only the scan's finding is new.
        checks_run = tuple(earlier[-1].checks_run) if earlier else ("scan",)
        return decide([finding], policy, checks_run, {})
