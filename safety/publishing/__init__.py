"""Publishing: turning an approved draft into the public file, marked, signed and registered, and the keys it
signs with.

`publisher` re-encodes, signs and fingerprints (`Publisher`); `keys` reads the signing chain, the watermark keys
and the audit keys from their files. Every name is re-exported here.
"""

from __future__ import annotations

from safety.publishing.keys import (
    AUDIT_KEY_BYTES,
    ProvenanceKeys,
    audit_key_file,
    create_key_file,
    ensure_dev_keys,
    key_lines,
    load_audit_key,
    load_audit_keys,
    load_keys,
    load_watermark_keys,
    stage_key_file,
    watermark_key_file,
    write_key_file,
)
from safety.publishing.publisher import (
    Fingerprinter,
    FrameCallback,
    MarkedDraft,
    Marker,
    MarkingCancelled,
    PdqFingerprinter,
    PreparedPublication,
    Publisher,
    Signer,
    WatermarkMarker,
)

__all__ = [
    "AUDIT_KEY_BYTES",
    "Fingerprinter",
    "FrameCallback",
    "MarkedDraft",
    "Marker",
    "MarkingCancelled",
    "PdqFingerprinter",
    "PreparedPublication",
    "ProvenanceKeys",
    "Publisher",
    "Signer",
    "WatermarkMarker",
    "audit_key_file",
    "create_key_file",
    "ensure_dev_keys",
    "key_lines",
    "load_audit_key",
    "load_audit_keys",
    "load_keys",
    "load_watermark_keys",
    "stage_key_file",
    "watermark_key_file",
    "write_key_file",
]
