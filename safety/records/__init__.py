"""Records: what the stores hand back, as small frozen values, and the states a stored thing can be in; and what
a store is handed where one call would otherwise take a dozen arguments (`NewVideo`, `StatusEffects`, `NewSubmission`,
`NewReviewItem`), frozen the same way.

The stores convert their rows into these explicitly; nothing outside `safety.storage.sql` sees a row. Every state a
column can hold is an enum here (a `StrEnum`, so it compares equal to the text stored), never a string literal
scattered through the code. Importing this package loads no database or media library. The records are split as the
stores are (`content`, `people`, `operations`); every name is re-exported here, the one import path the rest of
`safety` uses.
"""

from __future__ import annotations

from safety.records.content import (
    MANIFESTS_AREA,
    BankEntryRecord,
    BankName,
    BindingMatch,
    DecisionRecord,
    ManifestRecord,
    NewVideo,
    OwnerAppearance,
    PurgeJobRecord,
    PurgeJobState,
    RegistryStatus,
    RetroScanRecord,
    RetroScanState,
    StatusEffects,
    StoredFrameHash,
    VideoRecord,
    manifest_store_name,
)
from safety.records.operations import (
    AppealRecord,
    AppealState,
    CallbackDelivery,
    NewReviewItem,
    NewSubmission,
    ReportRecord,
    ReviewerRecord,
    ReviewItemRecord,
    ReviewSource,
    ReviewState,
    SubmissionRecord,
    SubmissionState,
)
from safety.records.people import (
    ApiClient,
    CameoRecord,
    ChallengeRecord,
    GrantKind,
    ProtectedPersonRecord,
    ProtectionKind,
    Scope,
    TemplateRecord,
    TemplateSubject,
    UseRequestRecord,
    UseRequestState,
)

__all__ = [
    "MANIFESTS_AREA",
    "ApiClient",
    "AppealRecord",
    "AppealState",
    "BankEntryRecord",
    "BankName",
    "BindingMatch",
    "CallbackDelivery",
    "CameoRecord",
    "ChallengeRecord",
    "DecisionRecord",
    "GrantKind",
    "ManifestRecord",
    "NewReviewItem",
    "NewSubmission",
    "NewVideo",
    "OwnerAppearance",
    "ProtectedPersonRecord",
    "ProtectionKind",
    "PurgeJobRecord",
    "PurgeJobState",
    "RegistryStatus",
    "ReportRecord",
    "RetroScanRecord",
    "RetroScanState",
    "ReviewItemRecord",
    "ReviewSource",
    "ReviewState",
    "ReviewerRecord",
    "Scope",
    "StatusEffects",
    "StoredFrameHash",
    "SubmissionRecord",
    "SubmissionState",
    "TemplateRecord",
    "TemplateSubject",
    "UseRequestRecord",
    "UseRequestState",
    "VideoRecord",
    "manifest_store_name",
]
