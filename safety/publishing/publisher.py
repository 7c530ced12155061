"""Publishing: turning an approved draft into the public file, marked, signed and registered.

The last step before a video is marked published, shared by the gate and (later) reviewers' approvals:
re-encode with the visible label and the invisible watermark token, sign the result with a C2PA manifest
(created, or an edit whose parent video is its `parentOf` ingredient), fingerprint its frames, and hand back a
staged file next to its final place. The caller registers it and renames it inside the transaction that marks the
video published. The manifest declares the video's soft bindings (the watermark token and a digest of the
fingerprints, `provenance.softbinding`) under a label derived from the video and its token, and its manifest store
is kept in the media store's manifest repository (`manifests/<video_id>/<uuid>.c2pa`), where the registry's record
of the publication points. Any failure here raises `ProvenanceError`: the video is not published.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from provenance import (
    EncoderSettings,
    InvisibleWatermark,
    ManifestSigner,
    Publication,
    WatermarkKeyRing,
    manifest_label,
    mark_video,
    new_token,
    sha256_file,
    soft_bindings,
)
from provenance.errors import SigningError
from provenance.segments import bank_hashes_of_frame
from safety.mediastore import write_atomically
from safety.publishing.keys import ProvenanceKeys
from safety.records import manifest_store_name


@dataclass(frozen=True)
class PreparedPublication:
    """A marked, signed file staged beside its final path, with what the registry keeps about it."""

    staged: Path
    """The file, under a temporary name in the destination folder."""
    final: Path
    """Where it goes when the publishing transaction commits."""
    sha256: str
    """Digest of the signed file."""
    watermark_token: int
    """The invisible watermark's token."""
    frame_hashes: tuple[tuple[float, bytes, int], ...]
    """(t, PDQ digest, quality) of sampled frames."""
    manifest_id: str | None = None
    """The signed manifest's label, its id in the manifest repository."""
    manifest_store: Path | None = None
    """The kept manifest store (removed with `Publisher.discard_store` when the video is not published)."""


@dataclass(frozen=True)
class MarkedDraft:
    """A draft re-encoded with its marks and fingerprinted, not yet signed."""

    scratch: Path
    """Its private folder beside the published files (removed when it is finished or discarded)."""
    path: Path
    """The marked file."""
    token: int
    """The invisible watermark's token."""
    frame_hashes: tuple[tuple[float, bytes, int], ...]
    """(t, PDQ digest, quality) of sampled frames."""
    last_frame_s: float = 0.0
    """When its last frame shows (the watermark's span)."""


class MarkingCancelled(Exception):
    """Marking was stopped because the video will not be published (not a failure)."""


def _version() -> str:
    try:
        return metadata.version("cameoguard")
    except metadata.PackageNotFoundError:
        return "0"


FrameCallback = Callable[[float, Callable[[], Any]], None]


class Marker(Protocol):
    """Burns the visible label and the invisible token into a video, re-encoding it."""

    def mark(self, source: Path, dest: Path, *, label: str, token: int, on_frame: FrameCallback) -> Path:
        """Write the marked video to `dest`; `on_frame` sees every marked frame as (t, RGB getter)."""
        ...


class Signer(Protocol):
    """Embeds a signed C2PA manifest."""

    def sign(self, source: Path, dest: Path, publication: Publication, *, parent_file: Path | None = None) -> bytes:
        """Write `source` with its manifest to `dest`; the manifest store's bytes."""
        ...


class Fingerprinter(Protocol):
    """Hashes frames for tracing and staydown."""

    def frame_hashes(self, t: float, frame: NDArray[np.uint8], *, crops: bool) -> list[tuple[float, bytes, int]]:
        """(t, digest, quality) of an RGB frame: whole, and with `crops` its crop variants (for staydown)."""
        ...


class WatermarkMarker:
    """`Marker` with the real visible label and invisible watermark (FFmpeg through PyAV)."""

    def __init__(self, watermark: InvisibleWatermark, encoder: EncoderSettings | None = None) -> None:
        self._watermark = watermark
        self._encoder = encoder or EncoderSettings()

    def mark(self, source: Path, dest: Path, *, label: str, token: int, on_frame: FrameCallback) -> Path:
        return mark_video(
            source, dest, label=label, watermark=self._watermark, token=token, encoder=self._encoder, on_frame=on_frame
        )


class PdqFingerprinter:
    """`Fingerprinter` with PDQ, as the hash banks store frames (`provenance.segments`)."""

    def frame_hashes(self, t: float, frame: NDArray[np.uint8], *, crops: bool) -> list[tuple[float, bytes, int]]:
        return [(h.t, h.digest, h.quality) for h in bank_hashes_of_frame(t, frame, crops=crops)]


# At most one sample every half second (see below) and 3,600 of them: half an hour of video is covered, and the
# hashes kept per published video stay bounded however long it is.
_MAX_FINGERPRINT_SAMPLES = 3600


class Publisher:
    """Marks, signs and fingerprints files for publication."""

    def __init__(
        self,
        keys: ProvenanceKeys,
        tsa_url: str | None = None,
        *,
        marker: Marker | None = None,
        signer: Signer | None = None,
        fingerprinter: Fingerprinter | None = None,
        encoder: EncoderSettings | None = None,
    ) -> None:
        self.keys = keys
        # Marks are made with the current key; every key of the ring reads (a rotation keeps old marks readable).
        self.watermark: InvisibleWatermark = WatermarkKeyRing(keys.watermark_ring)
        self.marker = marker or WatermarkMarker(self.watermark, encoder)
        self.signer: Signer = signer or ManifestSigner(
            keys.credentials, generator="cameoguard", version=_version(), tsa_url=tsa_url
        )
        self.fingerprinter = fingerprinter or PdqFingerprinter()

    def mark(
        self,
        source: Path,
        destination_dir: Path,
        *,
        label: str,
        token: int | None = None,
        cancelled: threading.Event | None = None,
    ) -> MarkedDraft:
        """Re-encode `source` with the visible label and an invisible token, fingerprinting it on the way, into a
        scratch folder beside `destination_dir`. Setting `cancelled` stops the encode at the next frame
        (`MarkingCancelled`) and leaves nothing behind."""
        destination_dir.mkdir(parents=True, exist_ok=True)
        # A fresh random token per publication: the watermark then names this copy, and a leak traces to one video, not
        # to its creator's every video.
        token = new_token() if token is None else token
        scratch = Path(tempfile.mkdtemp(prefix=".publishing-", dir=destination_dir))
        hashes: list[tuple[float, bytes, int]] = []
        sampled: list[float] = []
        last = [0.0]

        def fingerprint(t: float, rgb: Callable[[], Any]) -> None:
            # Checked on every frame: a premark started while the checks ran is stopped within a frame of a decision not
            # to publish, instead of encoding the rest of the video for nothing.
            if cancelled is not None and cancelled.is_set():
                raise MarkingCancelled("the decision was not to publish")
            last[0] = max(last[0], t)
            # The whole video, without decoding the output a second time: twice a second for tracing, and the
            # crop variants once a second, so a purge banks this video as `bank add` would have.
            # The 1e-6 absorbs timestamps that are a rounding error short of the half second (29.97 fps), which would
            # otherwise skip a sample.
            if len(sampled) < _MAX_FINGERPRINT_SAMPLES and (not sampled or t + 1e-6 >= sampled[-1] + 0.5):
                hashes.extend(self.fingerprinter.frame_hashes(t, rgb(), crops=len(sampled) % 2 == 0))
                sampled.append(t)

        try:
            marked = self.marker.mark(source, scratch / "marked.mp4", label=label, token=token, on_frame=fingerprint)
        except BaseException:
            _remove_scratch(scratch)
            raise
        return MarkedDraft(scratch, marked, token, tuple(hashes), last[0])

    def finish(
        self, marked: MarkedDraft, publication: Publication, *, parent_file: Path | None = None
    ) -> PreparedPublication:
        """Sign a marked draft and stage it beside its final, content-addressed name; the scratch folder goes. The
        manifest store is kept in the repository beside the published files (`manifests/` of the media store)."""
        destination_dir = marked.scratch.parent
        label = manifest_label(publication.video_id, marked.token)
        duration_ms = round(marked.last_frame_s * 1000)
        bindings = soft_bindings(marked.token, marked.frame_hashes, duration_ms=duration_ms)
        publication = replace(publication, label=label, soft_bindings=bindings)
        # The media store's root is two levels up from `published/<video_id>`.
        store_path = destination_dir.parent.parent / manifest_store_name(publication.video_id, label)
        try:
            # Signed after marking: the manifest's hash must cover the bytes people will actually receive.
            signed = marked.scratch / "signed.mp4"
            manifest_store = self.signer.sign(marked.path, signed, publication, parent_file=parent_file)
            if not manifest_store:
                raise SigningError("signing returned no manifest store")
            digest = sha256_file(signed)
            # Kept before the publishing transaction records it; a video that is not published leaves it to the
            # sweeper (no row refers to it), as it does a staged file a killed process left.
            try:
                write_atomically(manifest_store, store_path)
            except OSError as exc:
                raise SigningError(f"cannot keep the manifest store: {exc}") from None
            # Named by digest beside its final place, so the rename that publishes it is atomic (same folder).
            final = destination_dir / f"{digest.sha256}.mp4"
            staged = destination_dir / f".staged-{digest.sha256}.mp4"
            signed.replace(staged)
        finally:
            self.discard(marked)
        return PreparedPublication(staged, final, digest.sha256, marked.token, marked.frame_hashes, label, store_path)

    @staticmethod
    def discard(marked: MarkedDraft) -> None:
        """Remove a marked draft that will not be published (and its video's folder, when nothing else is in it)."""
        _remove_scratch(marked.scratch)

    def prepare(
        self,
        source: Path,
        destination_dir: Path,
        publication: Publication,
        *,
        label: str,
        parent_file: Path | None = None,
        token: int | None = None,
    ) -> PreparedPublication:
        """Mark, sign and fingerprint in one go (a reviewer's approval; the gate marks while its checks run)."""
        marked = self.mark(source, destination_dir, label=label, token=token)
        return self.finish(marked, publication, parent_file=parent_file)


def _remove_scratch(scratch: Path) -> None:
    """Remove a scratch folder, and the video's folder around it when that is left empty: `published/<video_id>`
    exists only while it holds the video's file (a held or blocked video, whose publish re-encode was dropped,
    must leave no folder named after it)."""
    shutil.rmtree(scratch, ignore_errors=True)
    if not scratch.parent.name.startswith("vid_"):
        return  # not a video's own folder (as `MediaStore.discard` decides): never an area's
    # Not empty (the staged or published file is there): it stays.
    with contextlib.suppress(OSError):
        scratch.parent.rmdir()
