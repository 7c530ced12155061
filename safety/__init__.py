"""cameoguard's domain and gate.

The public API is what this module exports: `Settings`, `build` → `CameoGuard` (every use case, built once and
held by every edge), `Submission` → `CameoGuard.videos.prepublish` → `GateResult`, the domain values, the JSON
views (`to_json`) and the error tree of `safety.errors`. `generator` and `review_ui` use nothing else.

Importing it loads no model, opens nothing and imports no media or database library: names that need them are
resolved on first access, so `import safety.domain` stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from safety.domain import (
    AgeBand,
    CameoStatus,
    ConsentLevel,
    Decision,
    Finding,
    GateResult,
    Reason,
    Submission,
    User,
    VideoStatus,
)
from safety.errors import (
    CheckFailure,
    ConfigurationError,
    ConflictError,
    InvalidMediaError,
    SafetyError,
    StorageError,
    SubmissionError,
    UnknownUserError,
    UnknownVideoError,
)
from safety.handles import normalise_handle
from safety.records import RetroScanRecord, RetroScanState, UseRequestRecord, UseRequestState

if TYPE_CHECKING:
    from safety.edges.views import to_json
    from safety.settings import Settings
    from safety.usecases.review import ReviewService
    from safety.usecases.review_values import (
        AccessDenied,
        AppealCase,
        CaseFile,
        FaceEvidence,
        Lease,
        QueueEntry,
        Reviewer,
        ReviewerPreferences,
        StripFrame,
        UserHistory,
    )
    from safety.usecases.videos import VideoView
    from safety.wiring import CameoGuard, build

_LAZY = {
    "Settings": "safety.settings",
    "AccessDenied": "safety.usecases.review_values",
    "CaseFile": "safety.usecases.review_values",
    "Reviewer": "safety.usecases.review_values",
    "FaceEvidence": "safety.usecases.review_values",
    "Lease": "safety.usecases.review_values",
    "QueueEntry": "safety.usecases.review_values",
    "ReviewerPreferences": "safety.usecases.review_values",
    "StripFrame": "safety.usecases.review_values",
    "UserHistory": "safety.usecases.review_values",
    "AppealCase": "safety.usecases.review_values",
    "ReviewService": "safety.usecases.review",
    "VideoView": "safety.usecases.videos",
    "to_json": "safety.edges.views",
    "CameoGuard": "safety.wiring",
    "build": "safety.wiring",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'safety' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "AccessDenied",
    "AgeBand",
    "AppealCase",
    "CameoGuard",
    "CameoStatus",
    "CaseFile",
    "CheckFailure",
    "ConfigurationError",
    "ConflictError",
    "ConsentLevel",
    "Decision",
    "FaceEvidence",
    "Finding",
    "GateResult",
    "InvalidMediaError",
    "Lease",
    "QueueEntry",
    "Reason",
    "RetroScanRecord",
    "RetroScanState",
    "ReviewService",
    "Reviewer",
    "ReviewerPreferences",
    "SafetyError",
    "Settings",
    "StorageError",
    "StripFrame",
    "Submission",
    "SubmissionError",
    "UnknownUserError",
    "UnknownVideoError",
    "UseRequestRecord",
    "UseRequestState",
    "User",
    "UserHistory",
    "VideoStatus",
    "VideoView",
    "build",
    "normalise_handle",
    "to_json",
]
