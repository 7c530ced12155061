"""Provenance: C2PA manifests, visible and invisible watermarks, perceptual fingerprints and content digests.

This package depends on nothing else in cameoguard, so anyone verifying a file can use it alone. Errors are
`ProvenanceError` and its subclasses (see `provenance.errors`).
"""

from provenance.c2pa_manifest import ManifestReport, ManifestSigner, Publication, read_manifest
from provenance.digest import ContentDigest, sha256_file
from provenance.errors import MarkingError, ProvenanceError, SigningError
from provenance.fingerprint import FingerprintIndex, FrameHash, VideoMatch, pdq, sampled_frames, video_hashes
from provenance.keys import DEV_ORGANISATION, SigningCredentials, load_credentials, make_dev_chain, roots_in
from provenance.marking import EncoderSettings, mark_video
from provenance.segments import SegmentHash, SegmentIndex, SegmentMatch, bank_hashes, query_frames, query_hashes
from provenance.softbinding import (
    FINGERPRINT_ALG,
    WATERMARK_ALG,
    SoftBinding,
    manifest_label,
    soft_bindings,
    watermark_token,
    watermark_value,
)
from provenance.watermark import InvisibleWatermark, WatermarkKeyRing, WatermarkReading, new_token

__all__ = [
    "DEV_ORGANISATION",
    "FINGERPRINT_ALG",
    "WATERMARK_ALG",
    "ContentDigest",
    "EncoderSettings",
    "FingerprintIndex",
    "FrameHash",
    "InvisibleWatermark",
    "ManifestReport",
    "ManifestSigner",
    "MarkingError",
    "ProvenanceError",
    "Publication",
    "SegmentHash",
    "SegmentIndex",
    "SegmentMatch",
    "SigningCredentials",
    "SigningError",
    "SoftBinding",
    "VideoMatch",
    "WatermarkKeyRing",
    "WatermarkReading",
    "bank_hashes",
    "load_credentials",
    "make_dev_chain",
    "manifest_label",
    "mark_video",
    "new_token",
    "pdq",
    "query_frames",
    "query_hashes",
    "read_manifest",
    "roots_in",
    "sampled_frames",
    "sha256_file",
    "soft_bindings",
    "video_hashes",
    "watermark_token",
    "watermark_value",
]
