"""Builds revocation scenarios directly in the store (no models): owners, creators, videos, remix chains, files."""

from __future__ import annotations

import os
from pathlib import Path

from safety import CameoGuard
from safety.domain import CameoStatus, ConsentLevel, VideoStatus
from safety.records import GrantKind, NewVideo, StatusEffects


def checking_video(services: CameoGuard, creator: str, *, prompt: str = "a calm lake") -> str:
    """A video row as the gate's ingest leaves it (`checking`), without a file."""
    with services.store.transaction() as tx:
        return tx.videos.create(
            NewVideo(
                creator=creator,
                prompt=prompt,
                content_sha256="0" * 64,
                size_bytes=1,
                duration_s=1.0,
                width=8,
                height=8,
                draft_path=Path("/nonexistent"),
                declared_cameos=(),
                remix_of=None,
                policy_ref="default@test",
            )
        )


def published_video(
    services: CameoGuard, creator: str, *, owner: str | None = None, parent: str | None = None, tag: str = ""
) -> str:
    """A published video row with a real file, registry entry, one frame hash and its kept manifest store."""
    digest = os.urandom(32)
    with services.store.transaction() as tx:
        video_id = tx.videos.create(
            NewVideo(
                creator=creator,
                prompt=f"scene {tag}",
                content_sha256=digest.hex(),
                size_bytes=10,
                duration_s=1.0,
                width=64,
                height=64,
                draft_path=Path("/nonexistent"),
                declared_cameos=(owner,) if owner else (),
                remix_of=parent,
                policy_ref="default@test",
            )
        )
        path = services.media.area("published") / video_id / f"{digest.hex()}.mp4"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"video bytes " + digest)
        tx.videos.set_status(
            video_id,
            VideoStatus.PUBLISHED,
            expected=VideoStatus.CHECKING,
            actor="test",
            effects=StatusEffects(published_path=path),
        )
        tx.registry.record_publication(
            video_id,
            sha256=digest.hex(),
            watermark_token=int.from_bytes(digest[:5], "big"),
            frame_hashes=[(0.0, digest, 100)],
        )
        # The manifest store where the registry says the publisher kept it.
        manifest = tx.registry.manifest_of(video_id)
        assert manifest is not None and manifest.store_path is not None
        store = services.media.root / manifest.store_path
        store.parent.mkdir(parents=True, exist_ok=True)
        store.write_bytes(b"manifest store " + digest)
    return video_id


def scenario(services: CameoGuard, chain_length: int = 3, fan_out: int = 1) -> dict[str, list[str]]:
    """maya approves theo; theo's video of maya is remixed down a chain by others; theo has an unrelated video."""
    for handle in ("maya", "theo", "jun", "kim"):
        services.accounts.ensure_user(handle)
    with services.store.transaction() as tx:
        tx.consent.create_cameo("maya", face_model="test", status=CameoStatus.ACTIVE)
        tx.consent.set_level("maya", ConsentLevel.APPROVED)
        tx.consent.set_grant("maya", "theo", GrantKind.APPROVE)
    root = published_video(services, "theo", owner="maya", tag="root")
    derived: list[str] = []
    frontier = [root]
    for depth in range(chain_length - 1):
        next_frontier = []
        for parent in frontier:
            for k in range(fan_out):
                creator = "jun" if depth % 2 == 0 else "kim"
                next_frontier.append(published_video(services, creator, parent=parent, tag=f"{depth}-{k}"))
        derived += next_frontier
        frontier = next_frontier
    unrelated = published_video(services, "theo", tag="unrelated")
    own = published_video(services, "maya", owner="maya", tag="own")
    return {"chain": [root, *derived], "unrelated": [unrelated, own]}
