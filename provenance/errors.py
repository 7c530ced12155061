"""The errors of the provenance package.

ProvenanceError        base
├── SigningError       credentials missing or unusable, or signing failed
└── MarkingError       a video could not be read or re-encoded with its watermarks
"""


class ProvenanceError(Exception):
    """Base of every error raised by `provenance`."""


class SigningError(ProvenanceError):
    """Credentials missing or unusable, or C2PA signing failed."""


class MarkingError(ProvenanceError):
    """A video could not be read or re-encoded with its watermarks."""
