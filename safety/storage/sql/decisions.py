"""Decisions: every decision about a video with its reasons, scores, checks and timings, kept forever."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, func, select

from safety.domain import Decision
from safety.records import DecisionRecord
from safety.storage.sql.base import SqlContext, new_id
from safety.storage.sql.tables import DecisionRow


def _to_decision(row: DecisionRow) -> DecisionRecord:
    return DecisionRecord(
        id=row.id,
        video_id=row.video_id,
        action=row.action,
        decided_by=row.decided_by,
        policy_ref=row.policy_ref,
        reasons=tuple(row.reasons),
        checks_run=tuple(row.checks_run),
        scores=dict(row.scores),
        timings_ms=dict(row.timings_ms),
        created_at=row.created_at,
    )


class SqlDecisionStore:
    """`DecisionStore` on SQL."""

    def __init__(self, ctx: SqlContext) -> None:
        self._ctx = ctx
        self._s = ctx.session

    def counts(self) -> dict[str, int]:
        rows = self._s.exec(select(DecisionRow.action, func.count()).group_by(DecisionRow.action)).all()
        return {str(action): int(count) for action, count in rows}

    def save(self, video_id: str, decision: Decision, decided_by: str, note: str = "") -> str:
        decision_id = new_id("dec")
        self._s.add(
            DecisionRow(
                id=decision_id,
                video_id=video_id,
                action=decision.action.value,
                decided_by=decided_by,
                policy_ref=decision.policy_ref,
                reasons=[r.to_json() for r in decision.reasons],
                scores=dict(decision.scores),
                checks_run=list(decision.checks_run),
                timings_ms={k: round(v, 3) for k, v in decision.timings_ms.items()},
                facts=dict(decision.facts),
                note=note,
                created_at=self._ctx.now(),
            )
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
        stmt = select(DecisionRow).where(DecisionRow.video_id == video_id).order_by(col(DecisionRow.created_at))
        return [_to_decision(r) for r in self._s.exec(stmt).all()]

    def scrub(self, video_id: str) -> None:
        for row in self._s.exec(select(DecisionRow).where(DecisionRow.video_id == video_id)).all():
            row.reasons = [{k: r.get(k) for k in ("code", "action", "severity", "check")} for r in row.reasons]
            row.facts = {}
            row.note = ""
            self._s.add(row)

    def facts(self, decision_id: str) -> dict[str, Any]:
        row = self._s.get(DecisionRow, decision_id)
        return dict(row.facts) if row else {}
