"""The case file: everything a reviewer sees about one item, and the pictures and sounds that go with it.

A case gathers the video, the latest decision's reasons with the policy's own text, the faces found beside the
person each resembles, the frames worth looking at, the creator's recent videos, reports and the appeal. A blind
re-review sees what the gate saw and nothing of what the first reviewer decided. Frames are decoded here, once per
case, for the strip and the face crops; the console only blurs and embeds them.
"""

from __future__ import annotations

import io
import wave
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from policies import PolicyBook
from provenance import sampled_frames
from safety.faces.analyzer import FaceBox
from safety.faces.photos import face_crop
from safety.media import AUDIO_RATE, read_audio
from safety.records import AppealRecord, DecisionRecord, ReportRecord, ReviewItemRecord, ReviewSource
from safety.storage import Store, Transaction
from safety.usecases.review_rules import media_of, reason_codes, refuse_own_blind_review, require
from safety.usecases.review_values import CaseFile, FaceEvidence, Reviewer, StripFrame
from safety.usecases.videos import Videos

_Decoded = dict[float, Any]


@dataclass(frozen=True)
class _OnRecord:
    """What one transaction reads for a case, before the decisions are chosen."""

    item: ReviewItemRecord
    media_path: Path | None
    creator: str
    video_id: str
    history: list[dict[str, Any]]
    reports: list[ReportRecord]
    appeal: AppealRecord | None
    references: dict[tuple[str, str], list[str]]
    creator_videos: dict[str, int]
    reports_received: int


class CaseFiles:
    """Cases, their face evidence and frame strip, queue thumbnails and the sound of speech findings."""

    def __init__(self, store: Store, policies: PolicyBook, videos: Videos) -> None:
        self._store = store
        self._policies = policies
        self._videos = videos
        self._decoded: dict[tuple[str, int, tuple[float, ...]], _Decoded] = {}

    def case(self, by: Reviewer, item_id: str) -> CaseFile:
        """Everything a reviewer sees about an item; a blind re-review hides the first reviewer's decision."""
        with self._store.transaction() as tx:
            found = _on_record(tx, item_id, by)
        item = found.item
        shown = self._videos.show(found.video_id)
        decisions = shown.decisions
        if item.blind_of:
            # A blind re-review sees what the gate saw, not what the first reviewer decided.
            decisions = tuple(d for d in decisions if not d.decided_by.startswith("reviewer:"))
            shown = replace(shown, decisions=())
        latest = decisions[-1] if decisions else None
        reasons = self._reasons(item, latest)
        with self._store.transaction() as tx:
            facts = tx.decisions.facts(latest.id) if latest else {}
        faces = _faces(facts, found.references)
        frames = sorted(
            {round(float(f["frame_t"]), 2) for f in faces}
            | {round(float(w["t"]), 2) for r in reasons for w in r.get("evidence", {}).get("worst_frames", [])}
        )
        outcomes = ("uphold", "overturn") if item.source is ReviewSource.APPEAL else ("approve", "reject")
        # The item's own codes first, then those of the reasons shown (for an appeal: the decision appealed).
        cited = {str(r["code"]) for r in reasons}

        def first(code: str) -> int:
            return 0 if code in item.reason_codes else 1 if code in cited else 2

        history = found.history
        if item.blind_of:  # the video's own line there would tell its status, so the first decision
            history = [h for h in history if h["video_id"] != found.video_id]
        return CaseFile(
            item=item,
            video=shown,
            media_path=found.media_path,
            reasons=reasons,
            faces=faces,
            frames=[{"t": t} for t in frames] or [{"t": 0.0}],
            history=history,
            reports=found.reports,
            appeal=found.appeal,
            codes_by_outcome={
                outcome: sorted(reason_codes(self._policies, item, outcome), key=first) for outcome in outcomes
            },
            creator_videos=found.creator_videos,
            reports_received=found.reports_received,
            scores=next((dict(d.scores) for d in reversed(decisions) if d.scores), {}),
        )

    def _reasons(self, item: ReviewItemRecord, latest: DecisionRecord | None) -> list[dict[str, Any]]:
        """The latest decision's reasons, each with the text of the policy rule it cites."""
        policy = self._policies.by_ref_or_adult(item.policy_ref)
        reasons = []
        for reason in latest.reasons if latest else ():
            rule = policy.reason(str(reason["code"]))
            reasons.append({**reason, "policy_text": rule.text if rule else ""})
        return reasons

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


def _on_record(tx: Transaction, item_id: str, by: Reviewer) -> _OnRecord:
    """The item, its video's file, the creator's recent videos, reports, the appeal, and the reference photos of
    everyone whose likeness the video may carry (cameo owners and protected people)."""
    item = tx.review.item(item_id)
    require(not item.needs_senior or by.senior, "seniors only")
    refuse_own_blind_review(tx.review, item, by)
    video = tx.videos.get(item.video_id)
    theirs = tx.videos.recent(creator=video.creator, limit=500)
    history = [
        {"video_id": v.id, "status": v.status.value, "prompt": v.prompt, "at": f"{v.created_at:%Y-%m-%d %H:%M} UTC"}
        for v in theirs[:10]
    ]
    # The creator's record for the case header; this video's own status is left out (a blind re-review's would
    # tell the first decision).
    statuses = Counter(v.status.value for v in theirs if v.id != video.id)
    references: dict[tuple[str, str], list[str]] = {}
    for owner in tx.videos.owners_in(video.id):
        cameo = tx.consent.active_cameo(owner)
        references[("cameo", owner)] = [str(p) for p in cameo.reference_paths] if cameo else []
    for person in tx.templates.list_protected():
        references[("protected", person.name)] = [str(p) for p in person.photo_paths]
    return _OnRecord(
        item=item,
        media_path=media_of(video),
        creator=video.creator,
        video_id=video.id,
        history=history,
        reports=tx.review.reports_for(video.id),
        appeal=tx.review.appeal_for_item(item_id),
        references=references,
        creator_videos=dict(statuses),
        reports_received=len(tx.review.reports_against(video.creator)),
    )


def _faces(facts: dict[str, Any], references: dict[tuple[str, str], list[str]]) -> list[dict[str, Any]]:
    """The faces the likeness check recorded, each with the reference photos of the person it is nearest to."""
    faces = []
    for face in facts.get("likeness", {}).get("faces", []):
        subject = face.get("nearest") or ""
        kind = face.get("nearest_kind") or face.get("identity_kind")
        found = references.get((kind, subject)) if kind else None
        if found is None:  # decided before faces recorded the nearest subject's kind
            found = references.get(("cameo", subject)) or references.get(("protected", subject)) or []
        faces.append({**face, "references": found})
    return faces


def _box(values: Any) -> tuple[int, int, int, int]:
    left, top, right, bottom = (int(v) for v in values)
    return left, top, right, bottom
