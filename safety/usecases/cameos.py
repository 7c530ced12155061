"""Cameos and consent: enrollment, who may use a likeness, restrictions, an owner's view of their uses, deletion.

Every consent change runs in one transaction with the purge of what it no longer allows (`reconcile_in`), so no
reader ever sees the new consent beside a video it forbids; the files go after the commit. Enrollment itself is
`usecases.cameo_enrollment` (its methods here hand their calls to it): face templates are kept only for accepted
cameos, and reference crops are written to a pending folder renamed into place only when the rows commit.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from policies import MatchThresholds, PolicyBook
from policies.restrictions import RestrictionTaxonomy
from safety.access import hidden
from safety.checks.speech import Transcriber
from safety.domain import ConsentLevel, VideoStatus
from safety.enrollment import EnrollmentAssessment
from safety.errors import ConflictError, SubmissionError
from safety.faces.engine import FaceEngine
from safety.handles import normalise_handle
from safety.mediastore import MediaStore
from safety.records import CameoRecord, ChallengeRecord, GrantKind, OwnerAppearance, ProtectionKind, TemplateSubject
from safety.restrictions import RestrictionJudge, parse_restriction
from safety.revocation import PurgeReceipt
from safety.storage import Store, Transaction
from safety.usecases.cameo_enrollment import CameoEnrollment, EnrollmentResult
from safety.usecases.revocation import finish, purge_in, receipt_of, reconcile_in
from safety.voices import VoiceEmbedder

ConsentChange = Callable[[Transaction, str], None]
RESTRICTION_MAX_CHARS = 500


@dataclass(frozen=True)
class RestrictionResult:
    """What `cameo restrict` answers: what was understood from the owner's text."""

    topics: tuple[str, ...]
    """Topics of the taxonomy the text names (enforced on meaning, in every language)."""
    phrases: tuple[str, ...]
    """Text that names no topic, matched word for word and by meaning."""
    receipts: tuple[PurgeReceipt, ...]
    """What the new restriction purged."""


@dataclass(frozen=True)
class CameoDeletion:
    """What deleting a cameo did."""

    cameo_id: str
    """The deleted cameo."""
    kept_protection: bool
    """One template stayed in the protected bank."""
    receipts: tuple[PurgeReceipt, ...]
    """Others' videos of the owner that were purged."""

    @property
    def purged(self) -> tuple[str, ...]:
        """Every video the deletion purged."""
        return tuple(v for r in self.receipts for v in r.purged)


class Cameos:
    """Enrollment and every consent control an owner has."""

    def __init__(
        self,
        store: Store,
        media: MediaStore,
        policies: PolicyBook,
        faces: FaceEngine,
        thresholds: Callable[[], MatchThresholds],
        *,
        taxonomy: RestrictionTaxonomy,
        restrictions: RestrictionJudge,
        voices: Callable[[], VoiceEmbedder] | None = None,
        transcriber: Callable[[], Transcriber] | None = None,
        scan: Callable[[TemplateSubject, str], str] | None = None,
    ) -> None:
        # Enrollment is its own use case; the methods below hand it their calls, so callers keep one door per owner.
        self._enrollment = CameoEnrollment(
            store, media, policies, faces, thresholds, voices=voices, transcriber=transcriber, scan=scan
        )
        self._taxonomy = taxonomy
        self._restrictions = restrictions
        self._store = store
        self._media = media
        self._policies = policies

    # enrollment (`CameoEnrollment`)

    @property
    def _scan(self) -> Callable[[TemplateSubject, str], str] | None:
        """What starts the retroactive scan for a new cameo (None: no scan); enrollment reads it."""
        return self._enrollment._scan

    @_scan.setter
    def _scan(self, scan: Callable[[TemplateSubject, str], str] | None) -> None:
        self._enrollment._scan = scan

    def issue_challenge(self, handle: str) -> ChallengeRecord:
        """A liveness challenge for an enrollment: digits to say and head turns to make, in order."""
        return self._enrollment.issue_challenge(handle)

    def enroll_cameo(self, handle: str, video: Path, challenge_id: str | None = None) -> EnrollmentResult:
        """Enroll a cameo from a verification video (one live person, not anyone else)."""
        return self._enrollment.enroll_cameo(handle, video, challenge_id)

    def enroll_cameo_from_images(self, handle: str, images: Sequence[Path]) -> EnrollmentResult:
        """Operator-verified enrollment from photos, where the operator has verified the person another way."""
        return self._enrollment.enroll_cameo_from_images(handle, images)

    def _hear_challenge(self, video: Path, digits: str, assessment: EnrollmentAssessment) -> EnrollmentAssessment:
        """Whether the challenge's digits are heard in the verification video (`CameoEnrollment._hear_challenge`)."""
        return self._enrollment._hear_challenge(video, digits, assessment)

    # consent

    def change_consent(
        self,
        owner: str,
        change: ConsentChange,
        reason: str,
        *,
        creator: str | None = None,
        purge: bool = True,
        actor: str | None = None,
    ) -> list[PurgeReceipt]:
        """Apply a consent change and purge what it no longer allows, in one transaction; then remove files.
        With `creator`, only that creator's videos are reconsidered (a revocation or block of one person). Every
        change to who may use a likeness goes through here: the owner's, a guardian's, an account's deletion."""
        owner = normalise_handle(owner)
        with self._store.transaction() as tx:
            # Locks the owner's cameo row (PostgreSQL) so a publish reading consent is ordered with this change.
            tx.consent.snapshot(owner, owner)
            change(tx, owner)
            jobs = (
                reconcile_in(
                    tx,
                    self._policies,
                    owner,
                    reason=reason,
                    actor=actor or owner,
                    creator=creator,
                    media_root=self._media.root,
                    restrictions=self._restrictions,
                )
                if purge
                else []
            )
        # Files are removed after the commit: the job rows make the removal durable, so a crash here is finished by the
        # sweeper, and the consent change never waits on the disk.
        return [finish(self._store, self._media, job) for job in jobs]

    def set_consent_level(self, owner: str, level: ConsentLevel) -> list[PurgeReceipt]:
        """Set who may use the cameo; lowering it purges what it no longer allows, raising it purges nothing."""
        current = self.cameo_status(owner)
        if current is None:
            raise ConflictError(f"`{owner}` has no active cameo")
        with self._store.transaction() as tx:
            cap = tx.accounts.get(normalise_handle(owner)).cameo_level_cap
        if cap is not None and level.rank > cap.rank:
            raise ConflictError(f"`{owner}`'s guardian allows their cameo up to `{cap.value}`, not `{level.value}`")
        # The levels nest (only_me < approved < mutuals < everyone): a higher level allows a superset of creators.
        raising = level.rank >= current.level.rank
        return self.change_consent(
            owner, lambda tx, o: tx.consent.set_level(o, level), "consent_level_lowered", purge=not raising
        )

    def delete_account(self, handle: str) -> list[PurgeReceipt]:
        """Delete an account: its cameo (others' videos of the person are purged), every video it created and
        what derives from them (purged, with a receipt), and its follows; the handle stays taken. Receipts of
        every purge."""
        handle = normalise_handle(handle)
        receipts: list[PurgeReceipt] = []
        if self.cameo_status(handle) is not None:
            receipts += self.delete_cameo(handle).receipts
        with self._store.transaction() as tx:
            tx.accounts.mark_deleted(handle)
            # Every video the account made: the limit only bounds an ordinary listing.
            own = [
                v.id for v in tx.videos.recent(creator=handle, limit=1_000_000) if v.status is not VideoStatus.PURGED
            ]
            jobs = (
                [
                    purge_in(
                        tx,
                        own,
                        owner=handle,
                        creator=handle,
                        reason="account_deleted",
                        actor=handle,
                        media_root=self._media.root,
                    )
                ]
                if own
                else []
            )
        return receipts + [finish(self._store, self._media, job) for job in jobs]

    def unfollow(self, follower: str, followee: str) -> list[PurgeReceipt]:
        """`follower` stops following `followee`. They are no longer mutuals, so each one's videos of the other
        that only a `mutuals` cameo allowed are purged, in the same transaction, with a receipt for the owner."""
        follower, followee = normalise_handle(follower), normalise_handle(followee)
        with self._store.transaction() as tx:
            # Sorted, so two unfollows between the same pair lock the owners' rows in one order and cannot deadlock.
            owners = sorted(o for o in (follower, followee) if tx.consent.active_cameo(o) is not None)
            for owner in owners:
                tx.consent.snapshot(owner, owner)  # orders this with a publish reading the owner's consent
            if not tx.accounts.unfollow(follower, followee):
                return []
            jobs = [
                job
                for owner in owners
                for job in reconcile_in(
                    tx,
                    self._policies,
                    owner,
                    reason="unfollowed",
                    actor=follower,
                    creator=followee if owner == follower else follower,
                    media_root=self._media.root,
                    restrictions=self._restrictions,
                )
            ]
        return [finish(self._store, self._media, job) for job in jobs]

    def set_approve_each_use(self, owner: str, on: bool) -> None:
        """Whether the owner approves every use before it publishes (videos then wait in `pending_owner`). Turning
        it on applies to videos still to publish; what is already published stays (revoke to take it down)."""
        with self._store.transaction() as tx:
            tx.consent.set_approve_each_use(normalise_handle(owner), on)

    def approve(self, owner: str, user: str) -> None:
        """Approve one user to use the owner's cameo."""
        with self._store.transaction() as tx:
            tx.consent.set_grant(normalise_handle(owner), normalise_handle(user), GrantKind.APPROVE)

    def revoke(self, owner: str, user: str) -> list[PurgeReceipt]:
        """Withdraw one user's approval and purge what it allowed."""
        user = normalise_handle(user)

        def withdraw(tx: Transaction, o: str) -> None:
            tx.consent.revoke_grant(o, user, GrantKind.APPROVE)

        return self.change_consent(owner, withdraw, "consent_revoked", creator=user)

    def block(self, owner: str, user: str) -> list[PurgeReceipt]:
        """Block one user from ever using the owner's cameo; their videos of the owner are purged."""
        user = normalise_handle(user)
        if user == normalise_handle(owner):
            raise SubmissionError("an owner cannot block themselves; delete the cameo instead")
        return self.change_consent(
            owner, lambda tx, o: tx.consent.set_grant(o, user, GrantKind.BLOCK), "creator_blocked", creator=user
        )

    def restrict(self, owner: str, text: str) -> RestrictionResult:
        """Restrict what the cameo may be used for; existing videos that break it are purged."""
        if len(text) > RESTRICTION_MAX_CHARS:
            raise SubmissionError(f"a restriction has at most {RESTRICTION_MAX_CHARS} characters, got {len(text)}")
        parsed = parse_restriction(text, self._taxonomy)
        if not parsed.stored():
            raise SubmissionError('the restriction says nothing to restrict (e.g. "no politics, no alcohol")')
        receipts = self.change_consent(
            owner, lambda tx, o: tx.consent.set_restrictions(o, parsed.stored()), "restriction_added"
        )
        return RestrictionResult(parsed.topics, parsed.phrases, tuple(receipts))

    # the owner's view

    def cameo_uses(self, owner: str) -> list[OwnerAppearance]:
        """Every video the owner appears in, identified or declared, whatever its status or creator."""
        owner = normalise_handle(owner)
        with self._store.transaction() as tx:
            tx.accounts.get(owner)
            return tx.videos.with_owner(owner)

    def remove_video(
        self, owner: str, video_id: str, *, actor: str | None = None, reason: str = "owner_removed"
    ) -> PurgeReceipt:
        """The owner (or their guardian, `actor`) takes down one video they appear in, and everything derived
        from it."""
        owner = normalise_handle(owner)
        with self._store.transaction() as tx:
            # Asked about a video they are not in, the owner learns nothing of it: the answer an unknown id gets.
            if owner not in tx.videos.owners_in(video_id):
                raise hidden(video_id)
            video = tx.videos.get(video_id)
            job = purge_in(
                tx,
                [video_id],
                owner=owner,
                creator=video.creator,
                reason=reason,
                actor=actor or owner,
                media_root=self._media.root,
            )
        return finish(self._store, self._media, job)

    def delete_cameo(self, owner: str, *, keep_protection: bool = False) -> CameoDeletion:
        """Delete a cameo: templates, reference crops and verification media; with `keep_protection` one
        template stays in the protected bank so the person stays protected. Others' videos of them are purged."""
        owner = normalise_handle(owner)
        with self._store.transaction() as tx:
            # One template is enough to recognise the person; keeping fewer keeps less of their biometrics.
            kept = tx.templates.templates_of(TemplateSubject.CAMEO, owner)[:1] if keep_protection else []
            info = tx.consent.delete_cameo(owner)
            removed = tx.templates.delete_templates(TemplateSubject.CAMEO, owner)
            tx.audit.append(owner, "cameo.deleted", info.id, {"templates_removed": removed})
            if kept:
                name = f"@{owner}"
                tx.templates.add_protected(name, ProtectionKind.OPT_OUT)
                tx.templates.add_templates(TemplateSubject.PROTECTED, name, kept[0].model_id, [kept[0].vector])
            jobs = reconcile_in(
                tx,
                self._policies,
                owner,
                reason="cameo_deleted",
                actor=owner,
                media_root=self._media.root,
                restrictions=self._restrictions,
            )
        # After the commit: the rows go first, so a crash leaves only files no row points at, which the sweeper
        # removes as orphans.
        shutil.rmtree(self._media.area("cameos") / info.id, ignore_errors=True)
        receipts = tuple(finish(self._store, self._media, job) for job in jobs)
        return CameoDeletion(info.id, bool(kept), receipts)

    def receipts(self, owner: str) -> list[PurgeReceipt]:
        """Every purge receipt of the owner, oldest first."""
        owner = normalise_handle(owner)
        with self._store.transaction() as tx:
            tx.accounts.get(owner)
            return [receipt_of(job) for job in tx.purges.jobs_of(owner)]

    def cameo_status(self, owner: str) -> CameoRecord | None:
        """The owner's active cameo and consent settings, or None."""
        with self._store.transaction() as tx:
            return tx.consent.active_cameo(normalise_handle(owner))

    def cameo_reference_images(self, owner: str) -> list[Path]:
        """Reference face crops of an owner's active cameo (what the generator composites)."""
        cameo = self.cameo_status(owner)
        if cameo is None:
            raise ConflictError(f"`{owner}` has no active cameo")
        return list(cameo.reference_paths)


__all__ = [
    "RESTRICTION_MAX_CHARS",
    "CameoDeletion",
    "Cameos",
    "ConsentChange",
    "EnrollmentResult",
    "RestrictionResult",
]
