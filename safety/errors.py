"""Every error `safety` raises, in one place.

    SafetyError                  base; the CLI maps it to exit code 1
    ├── SubmissionError          input that cannot be decided on (exit 3, HTTP 422)
    │   ├── UnknownUserError     a handle that is not registered
    │   ├── UnknownVideoError    a video id that does not exist (HTTP 404)
    │   ├── UnknownSubjectError  a cameo, protected person or model pack that does not exist
    │   └── InvalidMediaError    missing, unreadable, empty or not a video
    ├── ConflictError            the request contradicts stored state (exit 4, HTTP 409)
    │   └── StatusChanged        a video was no longer in the status a move expected (another process moved it)
    ├── ConfigurationError       settings or policy that cannot work (exit 5, HTTP 500)
    ├── StorageError             the database or the file store failed (exit 6, HTTP 503)
    └── CheckFailure             raised inside a check; the gate turns it into a `check.error` finding
        ├── CheckTimeout         the check ran past its budget
        ├── ModelUnavailable     the check's model is missing or failed to load
        ├── FrameFeedError       the shared decode of the video failed or was closed under the check
        └── InjectedFault        CAMEOGUARD_FAIL_CHECKS named the check (drills and tests)

A check failure never escapes the gate: it becomes a finding that the policy turns into review or block.
"""

from __future__ import annotations

from collections.abc import Iterable


class SafetyError(Exception):
    """Base of every error raised by `safety`."""

    exit_code = 1


class SubmissionError(SafetyError):
    """The submission cannot be decided on as given."""

    exit_code = 3


class UnknownUserError(SubmissionError):
    """A handle that is not registered."""


class UnknownVideoError(SubmissionError):
    """A video id that does not exist."""


class UnknownSubjectError(SubmissionError):
    """A cameo, protected person or model pack that does not exist."""


class InvalidMediaError(SubmissionError):
    """A file that is missing, unreadable, empty or not a video."""


class ConflictError(SafetyError):
    """The request contradicts stored state (a handle taken, a video already decided)."""

    exit_code = 4


class StatusChanged(ConflictError):
    """A video's status was not the one a move expected: another process (a purge, the sweeper, a reviewer) moved
    it first. The gate turns this into a decision; elsewhere it is a 409."""

    def __init__(self, video_id: str, current: str, expected: Iterable[str]) -> None:
        wanted = " or ".join(sorted(expected))
        super().__init__(f"video `{video_id}` is {current}, not {wanted}")
        self.video_id = video_id
        self.current = current


class ConfigurationError(SafetyError):
    """Settings or policy that cannot work."""

    exit_code = 5


class StorageError(SafetyError):
    """The database or the file store failed."""

    exit_code = 6


class CheckFailure(SafetyError):
    """Raised inside a check; the gate records it as a `check.error` finding."""


class CheckTimeout(CheckFailure):
    """The check ran past its time budget."""


class ModelUnavailable(CheckFailure):
    """The check's model is missing or failed to load."""


class FrameFeedError(CheckFailure):
    """The shared decode of the video stopped, or was closed before the check had its frames."""


class InjectedFault(CheckFailure):
    """CAMEOGUARD_FAIL_CHECKS named this check."""
