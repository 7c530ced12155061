"""Publishing: turning an approved draft into the public file, marked, signed and registered.

The last step before a video is marked published, shared by the gate and (later) reviewers' approvals:
re-encode with the visible label and the invisible watermark token, sign the result with a C2PA manifest
(created, or an edit whose parent video is its `parentOf` ingredient), fingerprint its frames, and hand back a
staged file next to its final place. The caller registers it and renames it inside the transaction that marks the
video published. Any failure here raises `ProvenanceError`: the video is not published.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
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
    SigningCredentials,
    load_credentials,
    make_dev_chain,
    mark_video,
    new_token,
    sha256_file,
)
from provenance.segments import bank_hashes_of_frame
from safety.errors import ConfigurationError
from safety.settings import Settings


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


class MarkingCancelled(Exception):
    """Marking was stopped because the video will not be published (not a failure)."""


@dataclass(frozen=True)
class ProvenanceKeys:
    """Where the signing material comes from."""

    credentials: SigningCredentials
    """Chain and key."""
    trust_anchors_pem: str | None
    """Roots a reader should trust (the dev root in development)."""
    watermark_key: int
    """Seed of the invisible watermark's patterns."""


def _version() -> str:
    try:
        return metadata.version("cameoguard")
    except metadata.PackageNotFoundError:
        return "0"


def ensure_dev_keys(folder: Path) -> None:
    """Create the development chain and watermark key under `folder` when missing."""
    if not (folder / "chain.pem").is_file() or not (folder / "signer.key").is_file():
        make_dev_chain(folder)
    key_file = folder / "watermark.key"
    if not key_file.is_file():
        key_file.write_text(str(secrets.randbits(63)))
        key_file.chmod(0o600)


# 256 bits, as HMAC-SHA256 uses them all; keys given by an operator may be shorter down to 16 bytes (128 bits), below
# which a key could be searched for.
AUDIT_KEY_BYTES = 32


def load_audit_key(settings: Settings) -> bytes:
    """The audit chain's HMAC key. It lives in a file, never in the database: whoever can rewrite rows still cannot
    recompute the chain. In development it is made under HOME/keys if absent; production must name one."""
    key_file = settings.audit_key_file or settings.home / "keys" / "audit.key"
    if not key_file.is_file():
        # A named file that is missing is a mistake (a wrong path, an unmounted volume), not a first start: making a new
        # key there would fork the chain silently.
        if settings.env == "production" or settings.audit_key_file is not None:
            raise ConfigurationError(f"the audit key file {key_file} does not exist (CAMEOGUARD_AUDIT_KEY_FILE)")
        key_file.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting at once must not both write a key (one chain, two keys); the loser fails here
        # rather than overwriting the winner's. Mode 0600 from the start, never readable by others even for a moment.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(AUDIT_KEY_BYTES))
    try:
        key = bytes.fromhex(key_file.read_text(encoding="ascii").strip())
    except (ValueError, UnicodeDecodeError):
        raise ConfigurationError(f"the audit key file {key_file} does not hold a hex key") from None
    if len(key) < 16:
        raise ConfigurationError(f"the audit key in {key_file} is shorter than 16 bytes")
    return key


def load_keys(settings: Settings) -> ProvenanceKeys:
    """Signing credentials and watermark key from settings; in development, made under HOME/keys if absent."""
    production = settings.env == "production"
    dev_folder = settings.home / "keys"
    anchors: Path | None
    if settings.signing_chain is None:
        if production:
            raise ConfigurationError("CAMEOGUARD_SIGNING_CHAIN must name the production certificate chain")
        ensure_dev_keys(dev_folder)
        chain, key, anchors = dev_folder / "chain.pem", dev_folder / "signer.key", dev_folder / "root.pem"
        credentials = load_credentials(chain, key_path=key)
    else:
        credentials = load_credentials(
            settings.signing_chain, key_path=settings.signing_key, key_env=settings.signing_key_env
        )
        anchors = settings.trust_anchors
    # The development chain is made on the spot and vouched for by no one: content signed with it in production would
    # claim a provenance no verifier should trust.
    if production and credentials.is_development:
        raise ConfigurationError("refusing to start in production with the development signing chain")
    key_file = settings.watermark_key_file or dev_folder / "watermark.key"
    if not key_file.is_file():
        if production:
            raise ConfigurationError(f"the watermark key file {key_file} does not exist")
        ensure_dev_keys(dev_folder)
    try:
        watermark_key = int(key_file.read_text().strip())
    except ValueError:
        raise ConfigurationError(f"the watermark key file {key_file} does not hold an integer") from None
    anchors_pem = anchors.read_text() if anchors is not None and anchors.is_file() else None
    return ProvenanceKeys(credentials, anchors_pem, watermark_key)


FrameCallback = Callable[[float, Callable[[], Any]], None]


class Marker(Protocol):
    """Burns the visible label and the invisible token into a video, re-encoding it."""

    def mark(self, source: Path, dest: Path, *, label: str, token: int, on_frame: FrameCallback) -> Path:
        """Write the marked video to `dest`; `on_frame` sees every marked frame as (t, RGB getter)."""
        ...


class Signer(Protocol):
    """Embeds a signed C2PA manifest."""

    def sign(self, source: Path, dest: Path, publication: Publication, *, parent_file: Path | None = None) -> None:
        """Write `source` with its manifest to `dest`."""
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
        self.watermark = InvisibleWatermark(keys.watermark_key)
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

        def fingerprint(t: float, rgb: Callable[[], Any]) -> None:
            # Checked on every frame: a premark started while the checks ran is stopped within a frame of a decision not
            # to publish, instead of encoding the rest of the video for nothing.
            if cancelled is not None and cancelled.is_set():
                raise MarkingCancelled("the decision was not to publish")
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
        return MarkedDraft(scratch, marked, token, tuple(hashes))

    def finish(
        self, marked: MarkedDraft, publication: Publication, *, parent_file: Path | None = None
    ) -> PreparedPublication:
        """Sign a marked draft and stage it beside its final, content-addressed name; the scratch folder goes."""
        destination_dir = marked.scratch.parent
        try:
            # Signed after marking: the manifest's hash must cover the bytes people will actually receive.
            signed = marked.scratch / "signed.mp4"
            self.signer.sign(marked.path, signed, publication, parent_file=parent_file)
            digest = sha256_file(signed)
            # Named by digest beside its final place, so the rename that publishes it is atomic (same folder).
            final = destination_dir / f"{digest.sha256}.mp4"
            staged = destination_dir / f".staged-{digest.sha256}.mp4"
            signed.replace(staged)
        finally:
            self.discard(marked)
        return PreparedPublication(staged, final, digest.sha256, marked.token, marked.frame_hashes)

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
