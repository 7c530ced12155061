"""Videos and decisions in memory: rows, compare-and-set status moves, remix and likeness edges, the derived set
(`lineage.derived_videos`, the pure definition the SQL store's recursive query implements), and decisions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from safety.audit import is_personal_digest, personal_digest
from safety.domain import Decision, LineageKind, VideoStatus, may_move
from safety.errors import ConflictError, StatusChanged, UnknownVideoError
from safety.lineage import derived_videos
from safety.records import DecisionRecord, NewVideo, OwnerAppearance, StatusEffects, VideoRecord
from safety.storage.memory.rows import DecisionRow, EdgeRow, VideoRow
from safety.storage.memory.state import MemoryContext, as_json, new_id, require

_REMIX = LineageKind.REMIX_OF.value
_CAMEO = LineageKind.CONTAINS_CAMEO_OF.value
# Once decided, the draft is the gate's to delete; a row that still named it would keep it forever.
_DECIDED = (VideoStatus.PUBLISHED, VideoStatus.HELD, VideoStatus.BLOCKED, VideoStatus.PURGED)


def _to_video(row: VideoRow, remix_of: str | None) -> VideoRecord:
    return VideoRecord(
        id=row.id,
        creator=row.creator,
        prompt=row.prompt,
        status=VideoStatus(row.status),
        content_sha256=row.content_sha256,
        duration_s=row.duration_s,
        width=row.width,
        height=row.height,
        declared_cameos=tuple(row.declared_cameos),
        remix_of=remix_of,
        draft_path=Path(row.draft_path) if row.draft_path else None,
        published_path=Path(row.published_path) if row.published_path else None,
        quarantine_path=Path(row.quarantine_path) if row.quarantine_path else None,
        policy_ref=row.policy_ref,
        created_at=row.created_at,
    )


class MemoryVideoStore:
    """`VideoStore` in memory."""

    def __init__(self, ctx: MemoryContext) -> None:
        self._ctx = ctx

    def _edge(self, child: str, kind: str, *, parent: str | None = None, owner: str | None = None) -> None:
        state = self._ctx.state
        edge_id = state.serial("edges")
        state.edges[edge_id] = EdgeRow(edge_id, child, kind, self._ctx.now(), parent, owner)

    def create(self, video: NewVideo) -> str:
        state, now = self._ctx.state, self._ctx.now()
        video_id = video.video_id or new_id("vid")
        if video_id in state.videos:
            raise ConflictError(f"conflicting write: video `{video_id}` exists")
        require(state.users, video.creator, "user")
        if video.remix_of is not None:
            require(state.videos, video.remix_of, "video")
        state.videos[video_id] = VideoRow(
            video_id, video.creator, video.prompt, VideoStatus.CHECKING.value, video.content_sha256, video.size_bytes,
            video.duration_s, video.width, video.height, list(video.declared_cameos), str(video.draft_path),
            video.policy_ref, now, now,
        )  # fmt: skip
        if video.remix_of is not None:
            self._edge(video_id, _REMIX, parent=video.remix_of)
        for owner in sorted(set(video.declared_cameos)):
            self.add_cameo_edge(video_id, owner)
        self._ctx.audit(
            video.creator,
            "video.submitted",
            video_id,
            {"sha256": video.content_sha256, "remix_of": video.remix_of, "cameos": sorted(set(video.declared_cameos))},
        )
        return video_id

    def add_cameo_edge(self, video_id: str, owner: str) -> None:
        state = self._ctx.state
        if not any(e.child_video_id == video_id and e.cameo_owner == owner for e in state.edges.values()):
            require(state.videos, video_id, "video")
            self._edge(video_id, _CAMEO, owner=owner)

    def _row(self, video_id: str) -> VideoRow:
        row = self._ctx.state.videos.get(video_id)
        if row is None:
            raise UnknownVideoError(f"unknown video `{video_id}`")
        return row

    def _parent_of(self, video_id: str) -> str | None:
        edges = self._ctx.state.edges.values()
        return next((e.parent_video_id for e in edges if e.child_video_id == video_id and e.kind == _REMIX), None)

    def _record(self, row: VideoRow) -> VideoRecord:
        return _to_video(row, self._parent_of(row.id))

    def get(self, video_id: str, *, lock: bool = False) -> VideoRecord:
        # `lock` needs nothing here: a memory transaction already excludes every other writer.
        return self._record(self._row(video_id))

    def find(self, video_id: str) -> VideoRecord | None:
        row = self._ctx.state.videos.get(video_id)
        return self._record(row) if row is not None else None

    def recent(self, creator: str | None = None, limit: int = 100) -> list[VideoRecord]:
        rows = [v for v in self._ctx.state.videos.values() if creator is None or v.creator == creator]
        return [self._record(v) for v in sorted(rows, key=lambda v: v.created_at, reverse=True)[:limit]]

    def remixes_of(self, video_id: str) -> list[str]:
        edges = self._ctx.state.edges.values()
        return [e.child_video_id for e in edges if e.parent_video_id == video_id and e.kind == _REMIX]

    def set_status(
        self,
        video_id: str,
        status: VideoStatus,
        *,
        expected: VideoStatus | frozenset[VideoStatus],
        actor: str,
        effects: StatusEffects = StatusEffects(),
    ) -> VideoStatus:
        row = self._row(video_id)
        previous = VideoStatus(row.status)
        allowed = frozenset({expected}) if isinstance(expected, VideoStatus) else expected
        if previous not in allowed:
            raise StatusChanged(video_id, previous.value, [s.value for s in allowed])
        if not may_move(previous, status):
            raise ConflictError(f"video `{video_id}` cannot move from {previous.value} to {status.value}")
        row.status = status.value
        row.published_path = str(effects.published_path) if effects.published_path else None
        if effects.clear_quarantine:
            row.quarantine_path = None
        elif effects.quarantine_path:
            row.quarantine_path = str(effects.quarantine_path)
        if status in _DECIDED:
            row.draft_path = None
        if effects.policy_ref is not None:
            row.policy_ref = effects.policy_ref
        row.updated_at = self._ctx.now()
        self._ctx.audit(
            actor,
            effects.action or f"video.{status.value}",
            video_id,
            {"from": previous.value, "to": status.value, **(effects.details or {})},
        )
        return previous

    def mark_purged(self, video_id: str) -> tuple[VideoStatus, tuple[str, ...]] | None:
        row = self._row(video_id)
        if row.status == VideoStatus.PURGED.value:
            return None
        previous = VideoStatus(row.status)
        # A `checking` video's draft is its gate's to remove: a purge never deletes a file under a running check.
        owned = (row.published_path, row.quarantine_path) + (
            (row.draft_path,) if previous is not VideoStatus.CHECKING else ()
        )
        row.status = VideoStatus.PURGED.value
        row.published_path = row.quarantine_path = row.draft_path = None
        row.updated_at = self._ctx.now()
        return previous, tuple(p for p in owned if p)

    def scrub(self, video_id: str) -> None:
        row = self._row(video_id)
        key = self._ctx.audit_key
        row.prompt = row.prompt if is_personal_digest(row.prompt) else personal_digest(row.prompt, key)
        row.declared_cameos = [h if is_personal_digest(h) else personal_digest(h, key) for h in row.declared_cameos]

    def with_owner(self, owner: str) -> list[OwnerAppearance]:
        state = self._ctx.state
        ids = {e.child_video_id for e in state.edges.values() if e.kind == _CAMEO and e.cameo_owner == owner}
        rows = sorted((state.videos[i] for i in ids), key=lambda v: v.created_at, reverse=True)
        return [OwnerAppearance(self._record(v), owner in v.declared_cameos) for v in rows]

    def owners_in(self, video_id: str) -> list[str]:
        edges = self._ctx.state.edges.values()
        return [e.cameo_owner for e in edges if e.child_video_id == video_id and e.kind == _CAMEO and e.cameo_owner]

    def owners_with_videos(self) -> list[str]:
        state = self._ctx.state
        live = {v.id for v in state.videos.values() if v.status != VideoStatus.PURGED.value}
        return sorted(
            {
                e.cameo_owner
                for e in state.edges.values()
                if e.kind == _CAMEO and e.cameo_owner and e.child_video_id in live
            }
        )

    def descendants(self, video_ids: Sequence[str]) -> list[str]:
        children: dict[str, list[str]] = {}
        for e in self._ctx.state.edges.values():
            if e.kind == _REMIX and e.parent_video_id is not None:
                children.setdefault(e.parent_video_id, []).append(e.child_video_id)
        return derived_videos(video_ids, children)

    def in_status(self, *statuses: VideoStatus) -> list[VideoRecord]:
        wanted = {s.value for s in statuses}
        rows = sorted((v for v in self._ctx.state.videos.values() if v.status in wanted), key=lambda v: v.created_at)
        return [self._record(v) for v in rows]

    def file_paths(self) -> set[str]:
        rows = self._ctx.state.videos.values()
        return {p for v in rows for p in (v.published_path, v.quarantine_path, v.draft_path) if p}

    def published_paths(self) -> list[tuple[str, str]]:
        rows = self._ctx.state.videos.values()
        return [(v.id, v.published_path) for v in rows if v.status == VideoStatus.PUBLISHED.value and v.published_path]

    def checking_before(self, older_than: datetime) -> list[str]:
        return self._untouched(VideoStatus.CHECKING, older_than)

    def held_before(self, older_than: datetime) -> list[str]:
        return self._untouched(VideoStatus.HELD, older_than)

    def _untouched(self, status: VideoStatus, older_than: datetime) -> list[str]:
        rows = self._ctx.state.videos.values()
        return [v.id for v in rows if v.status == status.value and v.updated_at < older_than]


def _to_decision(row: DecisionRow) -> DecisionRecord:
    return DecisionRecord(
        id=row.id,
        video_id=row.video_id,
        action=row.action,
        decided_by=row.decided_by,
        policy_ref=row.policy_ref,
        reasons=tuple(as_json(row.reasons)),
        checks_run=tuple(row.checks_run),
        scores=dict(row.scores),
        timings_ms=dict(row.timings_ms),
        created_at=row.created_at,
    )


class MemoryDecisionStore:
    """`DecisionStore` in memory."""

    def __init__(self, ctx: MemoryContext) -> None:
        self._ctx = ctx

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for row in self._ctx.state.decisions.values():
            found[row.action] = found.get(row.action, 0) + 1
        return found

    def save(self, video_id: str, decision: Decision, decided_by: str, note: str = "") -> str:
        state = self._ctx.state
        require(state.videos, video_id, "video")
        decision_id = new_id("dec")
        state.decisions[decision_id] = DecisionRow(
            id=decision_id,
            video_id=video_id,
            action=decision.action.value,
            decided_by=decided_by,
            policy_ref=decision.policy_ref,
            reasons=as_json([r.to_json() for r in decision.reasons]),
            scores=as_json(dict(decision.scores)),
            checks_run=list(decision.checks_run),
            timings_ms={k: round(v, 3) for k, v in decision.timings_ms.items()},
            facts=as_json(dict(decision.facts)),
            note=note,
            created_at=self._ctx.now(),
        )
        self._ctx.audit(
            decided_by,
            "decision.recorded",
            video_id,
            {
                "decision_id": decision_id,
                "action": decision.action.value,
                "codes": [r.code for r in decision.reasons],
                "policy": decision.policy_ref,
            },
        )
        return decision_id

    def for_video(self, video_id: str) -> list[DecisionRecord]:
        rows = [d for d in self._ctx.state.decisions.values() if d.video_id == video_id]
        return [_to_decision(d) for d in sorted(rows, key=lambda d: d.created_at)]

    def scrub(self, video_id: str) -> None:
        for row in self._ctx.state.decisions.values():
            if row.video_id == video_id:
                row.reasons = [{k: r.get(k) for k in ("code", "action", "severity", "check")} for r in row.reasons]
                row.facts = {}
                row.note = ""

    def facts(self, decision_id: str) -> dict[str, Any]:
        row = self._ctx.state.decisions.get(decision_id)
        return as_json(row.facts) if row else {}
