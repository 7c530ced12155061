"""cameoguard's domain and gate.

The public API is what this module exports: `Settings`, `Services` (built once, held by every edge),
`Submission` → `Services.prepublish` → `GateResult`, the domain values and the error tree of `safety.errors`.
`generator` and `review_ui` use nothing else. Importing it loads no model and opens nothing.
"""

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
from safety.review import AccessDenied, CaseFile, Reviewer, ReviewService
from safety.services import Services, VideoView, normalise_handle
from safety.settings import Settings


def prepublish(submission: Submission, *, services: Services) -> GateResult:
    """Run one submission through the gate: the function form of the pre-publish hook."""
    return services.prepublish(submission)


__all__ = [
    "AccessDenied",
    "AgeBand",
    "CameoStatus",
    "CaseFile",
    "CheckFailure",
    "ConfigurationError",
    "ConflictError",
    "ConsentLevel",
    "Decision",
    "Finding",
    "GateResult",
    "InvalidMediaError",
    "Reason",
    "ReviewService",
    "Reviewer",
    "SafetyError",
    "Services",
    "Settings",
    "StorageError",
    "Submission",
    "SubmissionError",
    "UnknownUserError",
    "UnknownVideoError",
    "User",
    "VideoStatus",
    "VideoView",
    "normalise_handle",
    "prepublish",
]
