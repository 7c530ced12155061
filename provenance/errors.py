"""The errors of the provenance package: every failure here is a `ProvenanceError`."""


class ProvenanceError(Exception):
    """Base of every error raised by `provenance`."""
