"""C2PA soft bindings: what identifies a published video once its metadata is stripped, as manifest assertions.

A soft binding (`c2pa.soft-binding`) names an algorithm (`alg`), a value computed over the content and the part of
the content it covers (a time span in milliseconds). A manifest repository indexes the values, so a copy without
its manifest leads back to it: `GET /matches/byBinding?alg=…&value=…` of the Soft Binding Resolution API.

Two bindings are declared per published video. Neither algorithm is on the C2PA soft binding algorithm list (the
list has no entry for this watermark or for PDQ), so both carry namespaced identifiers of ours:

- `com.cameoguard.wm.v1`: the invisible watermark (`provenance.watermark`); the value is its 40-bit token, five
  bytes big-endian, in base64. Whoever holds the watermark key reads it from any frame of the video.
- `com.cameoguard.pdq-segments.v1`: the staydown fingerprints (`provenance.segments`: PDQ twice a second, crop
  variants once a second); the value is a compact digest of them, SHA-256 over each sample's time in milliseconds
  and its 32-byte hash, sorted, in base64. It names the exact fingerprint set the repository holds; a copy is
  matched against the fingerprints themselves by content (`POST /matches/byContent`).

Values are base64 text (the C2PA reference reader types a block's value as text). Everything here is pure.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

SOFT_BINDING_LABEL = "c2pa.soft-binding"
WATERMARK_ALG = "com.cameoguard.wm.v1"
FINGERPRINT_ALG = "com.cameoguard.pdq-segments.v1"
WATERMARK_KIND = "watermark"
FINGERPRINT_KIND = "fingerprint"
ALGORITHMS: dict[str, str] = {WATERMARK_ALG: WATERMARK_KIND, FINGERPRINT_ALG: FINGERPRINT_KIND}
"""Every algorithm we declare, with its kind as the resolution API lists it."""

_TOKEN_BYTES = 5
# Manifest labels are UUIDs derived from the video and its watermark token, so the registry that records a
# publication names its manifest without being handed it (and a re-publication, with a new token, gets a new one).
# They are shaped as version-4 UUIDs: the C2PA library refuses any other claim GUID.
_LABEL_SALT = b"cameoguard manifest label v1\x00"


@dataclass(frozen=True)
class SoftBinding:
    """One soft binding of a video: an algorithm, its value and the time span it covers."""

    alg: str
    """Algorithm identifier (`WATERMARK_ALG` or `FINGERPRINT_ALG`)."""
    value: str
    """The value, base64."""
    start_ms: int
    """Start of the span it was computed over, milliseconds from the start of the video."""
    end_ms: int
    """End of that span."""

    def assertion(self) -> dict[str, Any]:
        """The data of its `c2pa.soft-binding` assertion (the fields of the specification's soft-binding-map)."""
        return {
            "alg": self.alg,
            "name": _NAMES[self.alg],
            "blocks": [{"scope": {"timespan": {"start": self.start_ms, "end": self.end_ms}}, "value": self.value}],
            "pad": [],
        }


_NAMES = {
    WATERMARK_ALG: "cameoguard invisible watermark: 40-bit token, CRC-16, rate-1/2 convolutional code, every frame",
    FINGERPRINT_ALG: "cameoguard staydown fingerprints: SHA-256 over PDQ hashes sampled twice a second, with crops",
}


def watermark_value(token: int) -> str:
    """The binding value of a watermark token."""
    return base64.b64encode(token.to_bytes(_TOKEN_BYTES, "big")).decode("ascii")


def watermark_token(value: str) -> int | None:
    """The token a watermark binding value carries, or None when it is not one."""
    raw = decode_value(value)
    return int.from_bytes(raw, "big") if raw is not None and len(raw) == _TOKEN_BYTES else None


def fingerprint_value(frame_hashes: Iterable[tuple[float, bytes, int]]) -> str | None:
    """The compact digest of a video's fingerprint samples (None without any)."""
    samples = sorted((round(t * 1000), bytes(digest)) for t, digest, _quality in frame_hashes)
    if not samples:
        return None
    digest = hashlib.sha256()
    for millis, hashed in samples:
        digest.update(millis.to_bytes(8, "big"))
        digest.update(hashed)
    return base64.b64encode(digest.digest()).decode("ascii")


def decode_value(value: str) -> bytes | None:
    """The bytes of a base64 value (standard or URL-safe alphabet, padding optional), or None."""
    text = value.strip().replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def canonical_value(alg: str, value: str) -> str | None:
    """A value as the repository indexes it (standard base64, padded), or None when it cannot be one of `alg`'s."""
    raw = decode_value(value)
    if raw is None or alg not in ALGORITHMS:
        return None
    if alg == WATERMARK_ALG and len(raw) != _TOKEN_BYTES:
        return None
    if alg == FINGERPRINT_ALG and len(raw) != hashlib.sha256().digest_size:
        return None
    return base64.b64encode(raw).decode("ascii")


def bindings_of(token: int, frame_hashes: Sequence[tuple[float, bytes, int]]) -> tuple[tuple[str, str], ...]:
    """(alg, value) of every binding a publication with this token and these fingerprints declares."""
    found = [(WATERMARK_ALG, watermark_value(token))]
    fingerprint = fingerprint_value(frame_hashes)
    if fingerprint is not None:
        found.append((FINGERPRINT_ALG, fingerprint))
    return tuple(found)


def soft_bindings(
    token: int, frame_hashes: Sequence[tuple[float, bytes, int]], *, duration_ms: int
) -> tuple[SoftBinding, ...]:
    """The bindings a publication declares in its manifest: the watermark over the whole video, the fingerprints
    over the span their samples cover."""
    out = [SoftBinding(WATERMARK_ALG, watermark_value(token), 0, max(duration_ms, 0))]
    fingerprint = fingerprint_value(frame_hashes)
    if fingerprint is not None:
        times = [round(t * 1000) for t, _digest, _quality in frame_hashes]
        out.append(SoftBinding(FINGERPRINT_ALG, fingerprint, min(times), max(times)))
    return tuple(out)


def manifest_label(video_id: str, token: int) -> str:
    """The label (and repository id) of the manifest that publishes `video_id` with watermark `token`."""
    digest = hashlib.sha256(_LABEL_SALT + f"{video_id}/{token}".encode()).digest()
    return f"urn:c2pa:{uuid.UUID(bytes=digest[:16], version=4)}"


def bindings_in(manifest: dict[str, Any]) -> list[SoftBinding]:
    """The soft bindings a manifest (as c2pa-python's Reader reports it) declares."""
    found = []
    for assertion in manifest.get("assertions", []):
        if assertion.get("label") != SOFT_BINDING_LABEL:
            continue
        data = assertion.get("data", {})
        for block in data.get("blocks", []):
            span = block.get("scope", {}).get("timespan", {})
            start, end = int(span.get("start", 0)), int(span.get("end", 0))
            found.append(SoftBinding(str(data.get("alg")), str(block.get("value")), start, end))
    return found
