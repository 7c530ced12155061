"""The errors of the policies package.

Every failure to load or validate a pack is a `PolicyError`. A validation failure carries every problem found,
each with the file, the line and a hint, so an operator fixes a pack in one pass instead of one error at a time.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ValidationIssue:
    """One problem in a policy pack."""

    source: str
    """The file (or `<inline>`) the problem is in."""
    line: int
    """1-based line of the offending node; 0 when the problem concerns the whole document."""
    message: str
    """What is wrong."""
    hint: str = ""
    """How to fix it, when there is something useful to say."""

    def __str__(self) -> str:
        text = f"{self.source}:{self.line}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text


class PolicyError(Exception):
    """Base of every error raised by `policies`."""


class PolicyValidationError(PolicyError):
    """A pack failed validation; `issues` lists every problem found."""

    def __init__(self, issues: list[ValidationIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(issue) for issue in issues))
