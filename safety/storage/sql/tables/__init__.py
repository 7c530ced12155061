"""Database rows. They live apart from the domain types; the stores of `safety.storage.sql` convert between the two.

Rows are never deleted by normal operation: consent grants keep their history (revoked_at), videos move through
statuses, and the audit log is append-only with each row hash-chained to the one before. The rows are split as the
stores are (`content`, `people`, `operations`); importing this package registers every table on
`SQLModel.metadata` (Alembic's environment relies on it), and every row is importable from here.
"""

from __future__ import annotations

from safety.storage.sql.tables.content import (
    NEVER_REUSED_IDS,
    BankEntryRow,
    BankHashRow,
    DecisionRow,
    FrameHashRow,
    LineageEdgeRow,
    ManifestRow,
    PublishedRecordRow,
    PurgeJobRow,
    RetroScanRow,
    SoftBindingRow,
    TombstoneRow,
    TrackEmbeddingRow,
    VideoRow,
)
from safety.storage.sql.tables.operations import (
    AppealRow,
    AuditHeadRow,
    AuditRow,
    CallbackDeliveryRow,
    ReportRow,
    ReviewerRow,
    ReviewItemRow,
    ReviewSessionRow,
    SubmissionRow,
    SweeperLockRow,
    WebhookEventRow,
)
from safety.storage.sql.tables.people import (
    CameoChallengeRow,
    CameoRow,
    ConsentGrantRow,
    FaceTemplateRow,
    FollowRow,
    GuardianshipRow,
    HookClientRow,
    ProtectedPersonRow,
    UseRequestRow,
    UserRow,
)

__all__ = [
    "NEVER_REUSED_IDS",
    "AppealRow",
    "AuditHeadRow",
    "AuditRow",
    "BankEntryRow",
    "BankHashRow",
    "CallbackDeliveryRow",
    "CameoChallengeRow",
    "CameoRow",
    "ConsentGrantRow",
    "DecisionRow",
    "FaceTemplateRow",
    "FollowRow",
    "FrameHashRow",
    "GuardianshipRow",
    "HookClientRow",
    "LineageEdgeRow",
    "ManifestRow",
    "ProtectedPersonRow",
    "PublishedRecordRow",
    "PurgeJobRow",
    "ReportRow",
    "RetroScanRow",
    "ReviewItemRow",
    "ReviewSessionRow",
    "ReviewerRow",
    "SoftBindingRow",
    "SubmissionRow",
    "SweeperLockRow",
    "TombstoneRow",
    "TrackEmbeddingRow",
    "UseRequestRow",
    "UserRow",
    "VideoRow",
    "WebhookEventRow",
]
