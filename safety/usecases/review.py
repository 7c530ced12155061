"""The review service: what the console offers people who decide held videos, reports and appeals.

Reviewers log in (Argon2 password hashes; sessions expire); roles limit what they may do (reviewers decide,
seniors also take escalations and appeals, admins also manage reviewers). Claiming an item takes a lease that
only one reviewer can hold (atomic on SQLite and PostgreSQL). Every decision needs a reason code from the policy
pack and goes to the audit log. Approving publishes through the gate's own marking, signing and consent re-check,
so a revocation while the item waited wins. A configurable share of decided items returns, blind, to another
reviewer; agreement is on the dashboard. The console (`review_ui`) calls only this service.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import random
import secrets
import wave
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from PIL import Image

from policies import Action, PolicyBook
from provenance import sampled_frames
from safety.access import Viewer, hidden, sees
from safety.clock import SYSTEM_CLOCK, Clock
from safety.domain import Decision, Reason, VideoStatus
from safety.errors import ConflictError, SafetyError, SubmissionError
from safety.faces.analyzer import FaceBox
from safety.faces.photos import face_crop
from safety.gate import Gate
from safety.handles import normalise_handle
from safety.media import AUDIO_RATE, read_audio
from safety.records import (
    AppealState,
    ReviewerRecord,
    ReviewItemRecord,
    ReviewSource,
    ReviewState,
)
from safety.storage import Store
from safety.usecases.accounts import token_hash
from safety.usecases.review_values import (
    AccessDenied,
    AppealCase,
    CaseFile,
    FaceEvidence,
    QueueEntry,
    ReviewDashboard,
    Reviewer,
    ReviewerPreferences,
    ReviewOutcome,
    StripFrame,
    UserHistory,
)
from safety.usecases.videos import Videos

ROLES = ("reviewer", "senior", "admin")
QUALITY_SLA_HOURS = 48.0
APPEAL_SLA_HOURS = 72.0
APPEAL_SEVERITY = 3
APPEAL_MAX_CHARS = 4000
LOGIN_FAILURES_ALLOWED = 10
LOGIN_LOCK = timedelta(minutes=15)
DUE_SOON = timedelta(hours=2)
BLUR_RANGE = (4, 64)
BULK_MAX_ITEMS = 200
# Columns of the decisions export (transparency reports): what was decided, by whom, when, citing what. Notes stay
# out: reviewers write them for each other, not for publication.
CSV_COLUMNS = (
    "item",
    "video_id",
    "source",
    "policy",
    "queue_reasons",
    "outcome",
    "code",
    "decided_by",
    "decided_at",
    "blind_of",
)
_HASHER = PasswordHasher()


class ReviewService:
    """Review operations: sessions, leases, cases and decisions."""

    def __init__(
        self,
        store: Store,
        policies: PolicyBook,
        videos: Videos,
        gate: Gate,
        *,
        lease_minutes: float = 10.0,
        session_minutes: float = 480.0,
        quality_share: float = 0.1,
        rng: random.Random | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._store = store
        self._policies = policies
        self._videos = videos
        self._gate = gate
        self._clock = clock
        self._failures: dict[str, list[datetime]] = {}
        self.lease = timedelta(minutes=lease_minutes)
        self.session = timedelta(minutes=session_minutes)
        self.quality_share = quality_share
        self.rng = rng or random.Random()
        self._decoded: dict[tuple[str, int, tuple[float, ...]], dict[float, Any]] = {}

    # people

    def add_reviewer(self, name: str, role: str, password: str) -> None:
        """Create a console account (admins; the CLI `review add-reviewer`); the password is stored as Argon2."""
        if role not in ROLES:
            raise SubmissionError(f"role is one of {', '.join(ROLES)}")
        if len(password) < 8:
            raise SubmissionError("a password has at least 8 characters")
        with self._store.transaction() as tx:
            tx.review.add_reviewer(normalise_handle(name), role, _HASHER.hash(password))

    def login(self, name: str, password: str, *, client: str = "unknown") -> str:
        """A session token; `AccessDenied` with one message for any failure (no user enumeration). After
        `LOGIN_FAILURES_ALLOWED` failures an account, or a client address, is locked for `LOGIN_LOCK`; every
        failure is audited (under a hash of the name typed, which may be a mistyped password)."""
        name = name.strip().casefold()
        keys = (f"account:{name}", f"client:{client}")
        if any(self._locked(key) for key in keys):
            self._audit_failure(name, client, "locked")
            raise AccessDenied(f"too many failed logins; try again in {LOGIN_LOCK.seconds // 60} minutes")
        with self._store.transaction() as tx:
            found = tx.review.reviewer(name)
        try:
            if found is None or not found.active:
                # The same Argon2 work as a real check, so an unknown name costs the same time as a known one.
                _HASHER.verify(_dummy_hash(), password + "\0")
            else:
                _HASHER.verify(found.password_hash, password)
        except VerificationError:
            for key in keys:
                self._failures.setdefault(key, []).append(self._clock.now())
            self._audit_failure(name, client, "wrong name or password")
            raise AccessDenied("wrong name or password") from None
        for key in keys:
            self._failures.pop(key, None)
        token = secrets.token_urlsafe(32)
        with self._store.transaction() as tx:
            tx.review.start_session(token_hash(token), name, self._clock.now() + self.session)
        return token

    def _locked(self, key: str) -> bool:
        since = self._clock.now() - LOGIN_LOCK
        recent = [at for at in self._failures.get(key, []) if at > since]
        self._failures[key] = recent
        return len(recent) >= LOGIN_FAILURES_ALLOWED

    def _audit_failure(self, name: str, client: str, why: str) -> None:
        typed = hashlib.sha256(name.encode()).hexdigest()[:16]
        with self._store.transaction() as tx:
            tx.audit.append("console", "reviewer.login_failed", typed, {"client": client[:64], "why": why})

    def whoami(self, token: str | None) -> Reviewer:
        """The reviewer holding a live session token; `AccessDenied` when there is none."""
        if not token:
            raise AccessDenied("not logged in")
        with self._store.transaction() as tx:
            name = tx.review.session_reviewer(token_hash(token))
            found = tx.review.reviewer(name) if name else None
        if name is None or found is None or not found.active:
            raise AccessDenied("session expired; log in again")
        return Reviewer(name, found.role)

    def logout(self, token: str) -> None:
        """End a session."""
        with self._store.transaction() as tx:
            tx.review.end_session(token_hash(token))

    def reviewers(self, by: Reviewer) -> list[ReviewerRecord]:
        """Every console account (admins only)."""
        _require(by.role == "admin", "only admins manage reviewers")
        with self._store.transaction() as tx:
            return tx.review.reviewers()

    # the queue

    def queue(self, by: Reviewer, *, reason: str | None = None, policy: str | None = None) -> list[ReviewItemRecord]:
        """Open items this reviewer may take: most severe first, then nearest deadline."""
        with self._store.transaction() as tx:
            items = tx.review.open_items()
            originals = {i.blind_of: tx.review.item(i.blind_of) for i in items if i.blind_of}
        visible = []
        for item in items:
            if item.needs_senior and not by.senior:
                continue
            if item.blind_of and originals[item.blind_of].decided_by == by.name:
                continue
            if reason and reason not in item.reason_codes:
                continue
            if policy and not item.policy_ref.startswith(policy):
                continue
            visible.append(item)
        return sorted(visible, key=lambda i: (-i.severity, i.due_at))

    def queue_entries(
        self,
        by: Reviewer,
        *,
        reason: str | None = None,
        policy: str | None = None,
        source: str | None = None,
        sla: str | None = None,
    ) -> list[QueueEntry]:
        """The queue as a reviewer reads it: each item with its prompt, creator, age and SLA state, filtered."""
        items = self.queue(by, reason=reason, policy=policy)
        now = self._clock.now()
        entries: list[QueueEntry] = []
        with self._store.transaction() as tx:
            for item in items:
                if source is not None and item.source.value != source:
                    continue
                video = tx.videos.get(item.video_id)
                state = "breached" if item.due_at < now else "due soon" if item.due_at - now < DUE_SOON else "on time"
                if sla is not None and state != sla:
                    continue
                age = (now - item.created_at).total_seconds() / 3600 if item.created_at else 0.0
                entries.append(
                    QueueEntry(
                        item,
                        video.prompt,
                        video.creator,
                        round(age, 2),
                        state,
                        video.quarantine_path or video.published_path,
                    )
                )
        return entries

    def appeal_cases(self, by: Reviewer) -> list[AppealCase]:
        """Open appeals with what was appealed: the text, the decision and its reasons, who holds each."""
        _require(by.senior, "appeals are for seniors")
        cases: list[AppealCase] = []
        with self._store.transaction() as tx:
            for item in tx.review.open_items():
                if item.source is not ReviewSource.APPEAL:
                    continue
                appeal = tx.review.appeal_for_item(item.id)
                decisions = tx.decisions.for_video(item.video_id)
                original = next((d for d in reversed(decisions) if d.action == Action.BLOCK.value), None)
                cases.append(
                    AppealCase(
                        item,
                        appeal.appellant if appeal else "",
                        appeal.text if appeal else "",
                        original.action if original else "",
                        tuple((str(r["code"]), str(r.get("message", ""))) for r in original.reasons)
                        if original
                        else (),
                        original.decided_by if original else "",
                        item.claimed_by if item.state is ReviewState.CLAIMED else None,
                    )
                )
        return cases

    def claim(self, by: Reviewer, item_id: str) -> bool:
        """Take an item's lease; False when someone else holds it or it needs a senior."""
        with self._store.transaction() as tx:
            return tx.review.claim(item_id, by.name, self.lease, senior=by.senior)

    def claim_next(self, by: Reviewer) -> ReviewItemRecord | None:
        """Claim the most urgent open item this reviewer may take, or None."""
        for item in self.queue(by):
            if item.state is ReviewState.OPEN and self.claim(by, item.id):
                with self._store.transaction() as tx:
                    return tx.review.item(item.id)
        return None

    def release(self, by: Reviewer, item_id: str) -> None:
        """Give a held item back to the queue."""
        with self._store.transaction() as tx:
            tx.review.release(item_id, by.name)

    def escalate(self, by: Reviewer, item_id: str, note: str) -> None:
        """Give a held item back for seniors only, with a note."""
        with self._store.transaction() as tx:
            tx.review.release(item_id, by.name, escalate=True, note=note)

    # the case

    def case(self, by: Reviewer, item_id: str) -> CaseFile:
        """Everything a reviewer sees about an item; a blind re-review hides the first reviewer's decision."""
        with self._store.transaction() as tx:
            item = tx.review.item(item_id)
            _require(not item.needs_senior or by.senior, "seniors only")
            video = tx.videos.get(item.video_id)
            history = [
                {"video_id": v.id, "status": v.status.value, "prompt": v.prompt, "at": v.created_at.isoformat()}
                for v in tx.videos.recent(creator=video.creator, limit=10)
            ]
            reports = tx.review.reports_for(video.id)
            appeal = tx.review.appeal_for_item(item_id)
            references: dict[tuple[str, str], list[str]] = {}
            for owner in tx.videos.owners_in(video.id):
                cameo = tx.consent.active_cameo(owner)
                references[("cameo", owner)] = [str(p) for p in cameo.reference_paths] if cameo else []
            for person in tx.templates.list_protected():
                references[("protected", person.name)] = [str(p) for p in person.photo_paths]
        shown = self._videos.show(video.id)
        policy = self._policies.by_ref_or_adult(item.policy_ref)
        decisions = shown.decisions
        if item.blind_of:
            # A blind re-review sees what the gate saw, not what the first reviewer decided.
            decisions = tuple(d for d in decisions if not d.decided_by.startswith("reviewer:"))
            shown = replace(shown, decisions=())
        latest = decisions[-1] if decisions else None
        reasons = []
        for reason in latest.reasons if latest else ():
            rule = policy.reason(str(reason["code"]))
            reasons.append({**reason, "policy_text": rule.text if rule else ""})
        faces = []
        with self._store.transaction() as tx:
            row_facts = tx.decisions.facts(latest.id) if latest else {}
        for face in row_facts.get("likeness", {}).get("faces", []):
            subject = face.get("nearest") or ""
            kind = face.get("nearest_kind") or face.get("identity_kind")
            found = references.get((kind, subject)) if kind else None
            if found is None:  # decided before faces recorded the nearest subject's kind
                found = references.get(("cameo", subject)) or references.get(("protected", subject)) or []
            faces.append({**face, "references": found})
        frames = sorted(
            {round(float(f["frame_t"]), 2) for f in faces}
            | {round(float(w["t"]), 2) for r in reasons for w in r.get("evidence", {}).get("worst_frames", [])}
        )
        return CaseFile(
            item=item,
            video=shown,
            media_path=video.quarantine_path or video.published_path,
            reasons=reasons,
            faces=faces,
            frames=[{"t": t} for t in frames] or [{"t": 0.0}],
            history=history,
            reports=reports,
            appeal=appeal,
            codes_by_outcome={
                outcome: self.reason_codes(item, outcome)
                for outcome in (("uphold", "overturn") if item.source is ReviewSource.APPEAL else ("approve", "reject"))
            },
        )

    def _frames_at(self, case: CaseFile, wanted: list[float]) -> list[tuple[float, Any]]:
        """The decoded frame nearest each wanted time. The strip and the face crops of one case come from one pass
        over the file, kept for the case's next requests (a page shows both, and reruns on every click)."""
        if case.media_path is None or not case.media_path.is_file() or not wanted:
            return []
        times = tuple(sorted({float(f["t"]) for f in case.frames} | {float(f["frame_t"]) for f in case.faces}))
        key = (str(case.media_path), case.media_path.stat().st_mtime_ns, times)
        decoded = self._decoded.get(key)
        if decoded is None:
            decoded = {}
            pending = list(times)
            for t, frame in sampled_frames(str(case.media_path), 0.25, 400):
                while pending and t + 0.13 >= pending[0]:
                    decoded[pending.pop(0)] = frame
                if not pending:
                    break
            self._decoded = {key: decoded}  # one case at a time: frames are not kept for long
        return [(t, decoded[t]) for t in sorted(wanted) if t in decoded]

    def frame_strip(self, case: CaseFile, limit: int = 6) -> list[StripFrame]:
        """Frames at the case's findings, each with the faces found near that time outlined and labelled."""
        wanted = sorted(float(f["t"]) for f in case.frames)[:limit]
        strip: list[StripFrame] = []
        for t, image in self._frames_at(case, wanted):
            boxes = tuple(
                (_box(face["box"]), f"{face.get('nearest') or 'unknown'} ({face['verdict']})")
                for face in case.faces
                if face.get("box") and abs(float(face["frame_t"]) - t) < 0.3
            )
            strip.append(StripFrame(t, image, boxes))
        return strip

    def face_evidence(self, case: CaseFile) -> list[FaceEvidence]:
        """Every face track: its crop from the video beside the matched cameo's reference or the protected
        person's photo, with the similarity."""
        frames = dict(self._frames_at(case, [float(f["frame_t"]) for f in case.faces]))
        evidence: list[FaceEvidence] = []
        for face in case.faces:
            t = float(face["frame_t"])
            box = _box(face.get("box") or [0, 0, 0, 0])
            image = frames.get(t)
            crop = None
            if image is not None and box[2] > box[0] and box[3] > box[1]:
                crop = face_crop(image, FaceBox(*box))
            references = face.get("references") or []
            evidence.append(
                FaceEvidence(
                    track=int(face.get("track", len(evidence))),
                    t=t,
                    box=box,
                    crop=crop,
                    subject=face.get("nearest"),
                    subject_kind=face.get("nearest_kind") or face.get("identity_kind"),
                    reference=Path(references[0]) if references else None,
                    similarity=face.get("similarity"),
                    verdict=str(face.get("verdict", "unknown")),
                )
            )
        return evidence

    def thumbnail(self, path: Path | None, width: int = 160) -> Any:
        """A small frame from early in a video (RGB array) for the queue, or None."""
        if path is None or not path.is_file():
            return None
        picked = None
        for t, frame in sampled_frames(str(path), 0.5, 3):
            picked = frame
            if t >= 0.5:
                break
        if picked is None:
            return None
        height = max(1, round(picked.shape[0] * width / picked.shape[1]))
        return np.asarray(Image.fromarray(picked).resize((width, height)), dtype=np.uint8)

    def audio_clip(self, case: CaseFile, t_start: float, t_end: float, *, margin_s: float = 0.3) -> bytes:
        """The case's sound from `t_start` to `t_end` (with a little margin) as a WAV file's bytes, for the console
        to play a speech finding inline; empty when the file or its sound is gone."""
        if case.media_path is None or not case.media_path.is_file():
            return b""
        audio = read_audio(case.media_path, max_seconds=t_end + margin_s)
        if audio is None:
            return b""
        start = max(0, int((t_start - margin_s) * AUDIO_RATE))
        stretch = np.clip(audio[start : int((t_end + margin_s) * AUDIO_RATE)], -1.0, 1.0)
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(AUDIO_RATE)
            out.writeframes((stretch * 32767).astype("<i2").tobytes())
        return buffer.getvalue()

    def renew(self, by: Reviewer, item_id: str) -> bool:
        """Extend the lease on an item this reviewer holds."""
        return self.claim(by, item_id)

    # decisions

    def decide(self, by: Reviewer, item_id: str, outcome: str, code: str, note: str = "") -> ReviewOutcome:
        """approve / reject (any item), uphold / overturn (appeals, seniors). Returns what happened."""
        with self._store.transaction() as tx:
            item = tx.review.item(item_id)
        policy = self._policies.by_ref_or_adult(item.policy_ref)
        if item.source is ReviewSource.APPEAL:
            _require(by.senior, "appeals are decided by seniors")
            _require(outcome in ("uphold", "overturn"), "an appeal is upheld or overturned")
        else:
            _require(outcome in ("approve", "reject"), "an item is approved or rejected")
        if code not in self.reason_codes(item, outcome):
            raise SubmissionError(f"`{code}` is not a reason code of {policy.ref} that a `{outcome}` may cite")
        with self._store.transaction() as tx:
            decided = tx.review.decide(item_id, by.name, outcome, code, note)
            if item.source is ReviewSource.APPEAL:
                tx.review.close_appeal(item_id, AppealState.OVERTURNED if outcome == "overturn" else AppealState.UPHELD)
        publish = outcome in ("approve", "overturn")
        status, published = self._apply(by, decided, publish, code, note, policy.ref)
        if item.source is not ReviewSource.QUALITY and self.rng.random() < self.quality_share:
            with self._store.transaction() as tx:
                tx.review.open_item(
                    decided.video_id,
                    source=ReviewSource.QUALITY,
                    reason_codes=decided.reason_codes,
                    severity=decided.severity,
                    sla_hours=QUALITY_SLA_HOURS,
                    policy_ref=decided.policy_ref,
                    blind_of=decided.id,
                )
        return ReviewOutcome(item_id, outcome, code, status, published)

    def _apply(
        self, by: Reviewer, item: ReviewItemRecord, publish: bool, code: str, note: str, policy_ref: str
    ) -> tuple[VideoStatus, Path | None]:
        video = self._videos.show(item.video_id).video
        if item.source is ReviewSource.QUALITY:
            return video.status, None
        actor = f"reviewer:{by.name}"
        action = Action.PUBLISH if publish else Action.BLOCK
        reason = Reason(code, action, 1, note or f"{by.name}: {action.value}", "", {"reviewer": by.name}, "review")
        decision = Decision(action, (reason,), {}, ("review",), policy_ref)
        # Only two paths publish: a held video's own gate item approved (the gate asked for review), and a senior
        # overturning a block on appeal. A report, or any other item, never publishes what the gate withheld.
        may_publish = (item.source is ReviewSource.GATE and video.status is VideoStatus.HELD) or (
            item.source is ReviewSource.APPEAL and video.status is VideoStatus.BLOCKED
        )
        if publish and may_publish:
            result = self._gate.publish_reviewed(video.id, decision, actor, note)
            return result.status, result.published_path
        if publish:
            # An approved report leaves the video as it is: a report cannot open a path to publishing.
            with self._store.transaction() as tx:
                tx.decisions.save(video.id, replace(decision, action=Action.REVIEW), actor, note=note)
            return video.status, None
        if not publish and video.status is VideoStatus.HELD:
            with self._store.transaction() as tx:
                tx.decisions.save(video.id, decision, actor, note=note)
                tx.videos.set_status(video.id, VideoStatus.BLOCKED, expected=VideoStatus.HELD, actor=actor)
            return VideoStatus.BLOCKED, None
        if not publish and video.status is VideoStatus.PUBLISHED:
            self._videos.take_down(video.id, decision, actor, note)
            return VideoStatus.BLOCKED, None
        with self._store.transaction() as tx:
            tx.decisions.save(video.id, decision, actor, note=note)
        return video.status, None

    def reason_codes(self, item: ReviewItemRecord, outcome: str) -> list[str]:
        """The codes a decision with this outcome may cite on this item, the item's own first. Approving cites a
        code whose policy action is `review` (only what the policy leaves to people can be approved); rejecting,
        upholding or overturning cites a `review` or `block` code."""
        policy = self._policies.by_ref_or_adult(item.policy_ref)
        wanted = {Action.REVIEW} if outcome == "approve" else {Action.REVIEW, Action.BLOCK}
        fitting = [code for code, rule in policy.reasons.items() if rule.action in wanted]
        own = [code for code in item.reason_codes if code in fitting]
        # A failed or missing check is a reason only on the item it held; elsewhere it would hide the real one.
        fitting = [code for code in fitting if code in own or not code.startswith("check.")]
        return [*own, *sorted(c for c in fitting if c not in own)]

    def decide_many(
        self, by: Reviewer, item_ids: list[str], outcome: str, code: str, note: str = ""
    ) -> list[tuple[str, ReviewOutcome | str]]:
        """A senior decides many items with one outcome and reason: each is claimed and decided on its own (a
        revocation or another reviewer still wins for that item); per item, the outcome or why it was not decided."""
        _require(by.senior, "bulk decisions are for seniors")
        if len(item_ids) > BULK_MAX_ITEMS:
            raise SubmissionError(f"at most {BULK_MAX_ITEMS} items at once")
        results: list[tuple[str, ReviewOutcome | str]] = []
        for item_id in dict.fromkeys(item_ids):
            try:
                if not self.claim(by, item_id):
                    results.append((item_id, "someone else holds it"))
                    continue
                results.append((item_id, self.decide(by, item_id, outcome, code, note or "bulk decision")))
            except SafetyError as exc:
                results.append((item_id, str(exc)))
        with self._store.transaction() as tx:
            done = [i for i, r in results if isinstance(r, ReviewOutcome)]
            tx.audit.append(by.name, "review.bulk_decided", outcome, {"code": code, "items": done})
        return results

    def decisions_csv(self, by: Reviewer, *, since: datetime | None = None, until: datetime | None = None) -> str:
        """Every decided item in a period as CSV (for transparency reports); seniors and admins."""
        _require(by.senior, "exports are for seniors")
        with self._store.transaction() as tx:
            decided = tx.review.items(decided=True, limit=1_000_000)
            tx.audit.append(by.name, "review.exported", "decisions", {"rows": len(decided)})
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for item in sorted(decided, key=lambda i: (i.decided_at or i.created_at or self._clock.now(), i.id)):
            at = item.decided_at
            if at is None or (since is not None and at < since) or (until is not None and at >= until):
                continue
            writer.writerow(
                [
                    item.id,
                    item.video_id,
                    item.source.value,
                    item.policy_ref,
                    " ".join(item.reason_codes),
                    item.outcome or "",
                    item.outcome_code or "",
                    item.decided_by or "",
                    at.isoformat(),
                    item.blind_of or "",
                ]
            )
        return buffer.getvalue()

    def user_history(self, by: Reviewer, handle: str) -> UserHistory:
        """An investigation of one user: their videos and decisions, reports filed and received, and the videos
        their likeness appears in. Every lookup is audited."""
        handle = normalise_handle(handle)
        with self._store.transaction() as tx:
            tx.accounts.get(handle)
            videos = []
            for video in tx.videos.recent(creator=handle, limit=200):
                decisions = tx.decisions.for_video(video.id)
                latest = decisions[-1] if decisions else None
                videos.append(
                    {
                        "video_id": video.id,
                        "status": video.status.value,
                        "prompt": video.prompt,
                        "at": video.created_at.isoformat(),
                        "decision": latest.action if latest else "",
                        "decided_by": latest.decided_by if latest else "",
                        "reasons": " ".join(dict.fromkeys(str(r["code"]) for r in latest.reasons)) if latest else "",
                    }
                )
            uses = [
                {
                    "video_id": use.video.id,
                    "creator": use.video.creator,
                    "status": use.video.status.value,
                    "prompt": use.video.prompt,
                    "declared": use.declared,
                    "at": use.video.created_at.isoformat(),
                }
                for use in tx.videos.with_owner(handle)
            ]
            filed = tx.review.reports_by(handle)
            received = tx.review.reports_against(handle)
            tx.audit.append(by.name, "review.investigated", handle, {})
        return UserHistory(handle, videos, filed, received, uses)

    def preferences(self, by: Reviewer) -> ReviewerPreferences:
        """The reviewer's wellness settings."""
        with self._store.transaction() as tx:
            found = tx.review.reviewer(by.name)
        if found is None:
            raise AccessDenied("no such reviewer")
        return ReviewerPreferences(found.grayscale, found.blur_px)

    def set_preferences(self, by: Reviewer, preferences: ReviewerPreferences) -> ReviewerPreferences:
        """Keep the reviewer's wellness settings (blur strength clamped to `BLUR_RANGE`)."""
        blur = min(max(int(preferences.blur_px), BLUR_RANGE[0]), BLUR_RANGE[1])
        with self._store.transaction() as tx:
            tx.review.set_preferences(by.name, grayscale=preferences.grayscale, blur_px=blur)
        return ReviewerPreferences(preferences.grayscale, blur)

    def appeal(self, video_id: str, by: str, text: str) -> str:
        """A creator appeals a block; a senior decides. A video the appellant may not know of (not published,
        neither theirs nor with them in it) is unknown to them, as an id that does not exist."""
        by = normalise_handle(by)
        if not text.strip():
            raise SubmissionError("an appeal needs a text")
        with self._store.transaction() as tx:
            video = tx.videos.find(video_id)
            if video is None or not sees(Viewer(by), video, tx.videos.owners_in(video_id)):
                raise hidden(video_id)
            if video.creator != by:
                raise ConflictError("only the video's creator may appeal")
            if video.status is not VideoStatus.BLOCKED:
                raise ConflictError(f"only blocked videos can be appealed; this one is {video.status.value}")
            policy = self._policies.by_ref_or_adult(video.policy_ref)
            item = tx.review.open_item(
                video_id,
                source=ReviewSource.APPEAL,
                reason_codes=["appeal"],
                severity=APPEAL_SEVERITY,
                sla_hours=APPEAL_SLA_HOURS,
                policy_ref=policy.ref,
                needs_senior=True,
            )
            tx.review.add_appeal(video_id, by, text.strip()[:APPEAL_MAX_CHARS], item)
        return item

    # the dashboard

    def dashboard(self, by: Reviewer) -> ReviewDashboard:
        """Queue health, decisions per reviewer per hour, the reason mix and blind re-review agreement."""
        now = self._clock.now()
        with self._store.transaction() as tx:
            open_items = tx.review.open_items()
            decided = tx.review.items(decided=True)
        by_id = {i.id: i for i in decided}
        pairs = [(i, by_id.get(i.blind_of or "")) for i in decided if i.blind_of]
        compared = [(q, o) for q, o in pairs if o is not None]
        agree = sum(1 for q, o in compared if q.outcome == o.outcome)
        per_hour: dict[str, dict[str, int]] = {}
        per_day: dict[str, dict[str, int]] = {}
        for item in decided:
            if item.decided_at and item.decided_by:
                for table, stamp in ((per_hour, "%Y-%m-%d %H:00"), (per_day, "%Y-%m-%d")):
                    slot = table.setdefault(item.decided_at.strftime(stamp), {})
                    slot[item.decided_by] = slot.get(item.decided_by, 0) + 1
        pair_rows = [
            {
                "video_id": q.video_id,
                "first": o.decided_by,
                "first_outcome": o.outcome,
                "second": q.decided_by,
                "second_outcome": q.outcome,
                "agree": q.outcome == o.outcome,
            }
            for q, o in compared
        ]
        mix: dict[str, int] = {}
        for item in [*open_items, *decided]:
            for code in item.reason_codes:
                mix[code] = mix.get(code, 0) + 1
        oldest = min((i.created_at for i in open_items if i.created_at), default=None)
        return ReviewDashboard(
            queue_depth=len(open_items),
            oldest_age_hours=round((now - oldest).total_seconds() / 3600, 2) if oldest else 0.0,
            sla_breaches=sum(1 for i in open_items if i.due_at < now),
            decisions_per_reviewer_per_hour=per_hour,
            reason_mix=mix,
            quality_pairs=len(compared),
            quality_agreement=round(agree / len(compared), 3) if compared else None,
            decisions_per_reviewer_per_day=per_day,
            quality_pair_rows=pair_rows,
            reviewers=sorted({i.decided_by for i in decided if i.decided_by}),
        )


@functools.cache
def _dummy_hash() -> str:
    return _HASHER.hash("no reviewer has this password")


def _box(values: Any) -> tuple[int, int, int, int]:
    left, top, right, bottom = (int(v) for v in values)
    return left, top, right, bottom


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise AccessDenied(message)
