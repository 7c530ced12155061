"""Provenance: content digests now; C2PA signing, watermarks and fingerprints as they land.

This package depends on nothing else in cameoguard, so that anyone verifying a file can use it alone.
"""

from provenance.digest import ContentDigest, sha256_file
from provenance.errors import ProvenanceError

__all__ = ["ContentDigest", "ProvenanceError", "sha256_file"]
