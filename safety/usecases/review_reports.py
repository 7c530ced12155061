"""What the console reports about review work: the decisions export, the investigation of one user, the dashboard.

Exports and investigations are audited (who looked at what). Values only: the console turns them into tables and
charts, and `safety.edges.views` into JSON.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from safety.audit import is_personal_digest
from safety.clock import SYSTEM_CLOCK, Clock
from safety.handles import normalise_handle
from safety.records import ReviewItemRecord
from safety.storage import Store, Transaction
from safety.usecases.review_rules import require
from safety.usecases.review_values import ReviewDashboard, Reviewer, UserHistory

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


class ReviewReports:
    """The decisions export, user investigations and the dashboard."""

    def __init__(self, store: Store, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self._store = store
        self._clock = clock

    def decisions_csv(self, by: Reviewer, *, since: datetime | None = None, until: datetime | None = None) -> str:
        """Every decided item in a period as CSV (for transparency reports); seniors and admins."""
        require(by.senior, "exports are for seniors")
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
            videos = _videos_by(tx, handle)
            uses = [
                {
                    "video_id": use.video.id,
                    "creator": use.video.creator,
                    "status": use.video.status.value,
                    "prompt": _prompt(use.video.prompt),
                    "declared": use.declared,
                    "at": when(use.video.created_at),
                }
                for use in tx.videos.with_owner(handle)
            ]
            filed = tx.review.reports_by(handle)
            received = tx.review.reports_against(handle)
            tx.audit.append(by.name, "review.investigated", handle, {})
        return UserHistory(handle, videos, filed, received, uses)

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
        per_hour, per_day = _decisions_per_reviewer(decided)
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
            quality_pair_rows=[_pair_row(q, o) for q, o in compared],
            reviewers=sorted({i.decided_by for i in decided if i.decided_by}),
        )


def when(at: datetime) -> str:
    """A time as a reviewer reads it: `2026-12-04 10:40 UTC`."""
    return f"{at:%Y-%m-%d %H:%M} UTC"


def _prompt(prompt: str) -> str:
    """A prompt as the investigation shows it: a purged one is kept only as a keyed digest, which means nothing to a
    reviewer."""
    return "(purged)" if is_personal_digest(prompt) else prompt


def _videos_by(tx: Transaction, handle: str) -> list[dict[str, Any]]:
    """A creator's recent videos, each with its latest decision."""
    videos = []
    # The case of each video (its latest review item), for a link back from the investigation.
    cases = {i.video_id: i.id for i in reversed(tx.review.items(limit=5000))}
    for video in tx.videos.recent(creator=handle, limit=200):
        decisions = tx.decisions.for_video(video.id)
        latest = decisions[-1] if decisions else None
        videos.append(
            {
                "video_id": video.id,
                "status": video.status.value,
                "prompt": _prompt(video.prompt),
                "at": when(video.created_at),
                "decision": latest.action if latest else "",
                "decided_by": latest.decided_by if latest else "",
                "reasons": " ".join(dict.fromkeys(str(r["code"]) for r in latest.reasons)) if latest else "",
                "case": cases.get(video.id, ""),
            }
        )
    return videos


def _decisions_per_reviewer(
    decided: list[ReviewItemRecord],
) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """hour → reviewer → decisions, and day → reviewer → decisions."""
    per_hour: dict[str, dict[str, int]] = {}
    per_day: dict[str, dict[str, int]] = {}
    for item in decided:
        if item.decided_at and item.decided_by:
            for table, stamp in ((per_hour, "%Y-%m-%d %H:00"), (per_day, "%Y-%m-%d")):
                slot = table.setdefault(item.decided_at.strftime(stamp), {})
                slot[item.decided_by] = slot.get(item.decided_by, 0) + 1
    return per_hour, per_day


def _pair_row(quality: ReviewItemRecord, original: ReviewItemRecord) -> dict[str, Any]:
    """A blind re-review beside its original."""
    return {
        "video_id": quality.video_id,
        "first": original.decided_by,
        "first_outcome": original.outcome,
        "second": quality.decided_by,
        "second_outcome": quality.outcome,
        "agree": quality.outcome == original.outcome,
    }
