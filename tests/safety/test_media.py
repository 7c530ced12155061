"""Probing and the media store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from safety import InvalidMediaError, Settings, Submission, build
from safety.faces.fake import FakeFaceAnalyzer
from safety.fakes import fake_models
from safety.media import probe
from safety.mediastore import MediaStore


def test_probe(clip: Path) -> None:
    info = probe(clip)
    assert info.fps == pytest.approx(24.0)
    assert (info.width, info.height) == (640, 360)


def test_probe_refuses_non_videos(tmp_path: Path) -> None:
    image = tmp_path / "image.mp4"
    from PIL import Image

    Image.new("RGB", (8, 8)).save(image, format="PNG")
    with pytest.raises(InvalidMediaError):
        probe(tmp_path / "missing.mp4")
    with pytest.raises(InvalidMediaError):
        probe(tmp_path)
    try:
        info = probe(image)
    except InvalidMediaError:
        return
    assert info.video_codec == "png"  # FFmpeg reads a PNG as a one-frame stream; the media check refuses the codec


def test_drafts_are_content_addressed_and_atomic(tmp_path: Path, clip: Path) -> None:
    store = MediaStore(tmp_path / "media")
    store.ensure()
    first = store.put_draft(clip)
    second = store.put_draft(clip)
    # Same bytes, same digest, but each submission owns its draft: one finishing never removes the other's.
    assert first.sha256 == second.sha256 and first.path != second.path
    assert first.path.is_file() and second.path.is_file()
    assert first.path.parent.name == first.sha256[:2] and first.path.name.startswith(first.sha256)
    store.discard(second.path)
    staged, final = store.stage(first.path, "published", "vid_x")
    assert staged.is_file() and not final.exists() and staged.name.startswith(".staged-")
    store.commit_staged(staged, final)
    assert final.is_file() and not staged.exists()
    store.discard(final)
    assert not final.parent.exists()
    leftovers = [p for p in (tmp_path / "media").rglob("*") if p.is_file() and p.name.startswith(".")]
    assert leftovers == []


def test_failed_copy_leaves_no_temp_file(tmp_path: Path, clip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = MediaStore(tmp_path / "media")
    store.ensure()

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(Exception, match="No space left"):
        store.put_draft(clip)
    assert [p for p in (tmp_path / "media").rglob("*") if p.is_file()] == []


@pytest.fixture(scope="module")
def uhd_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import numpy as np

    from generator.render import write_mp4

    noise = np.random.default_rng(0)
    frames = (noise.integers(0, 255, (2160, 3840, 3), dtype=np.uint8) for _ in range(3))
    return write_mp4(frames, tmp_path_factory.mktemp("uhd") / "uhd.mp4", width=3840, height=2160, fps=24, audio_seed=0)


def test_trial_decode_enforces_the_memory_limit(clip: Path, uhd_clip: Path) -> None:
    from safety.media import trial_decode

    trial_decode(clip, frames=4, memory_mb=1024, timeout_s=30)
    trial_decode(uhd_clip, frames=4, memory_mb=1024, timeout_s=30)
    # A 4K frame is 25 MB as RGB before the decoder's own buffers: 64 MB cannot hold it.
    with pytest.raises(InvalidMediaError, match="max_decode_memory_mb = 64"):
        trial_decode(uhd_clip, frames=4, memory_mb=64, timeout_s=30)


def test_a_video_over_the_decode_memory_limit_is_refused_at_intake(
    settings: Settings, uhd_clip: Path, tmp_path: Path
) -> None:
    import policies

    text = policies.bundled_pack_path("default").read_text()
    tight = tmp_path / "tight.yaml"
    tight.write_text(text.replace("max_decode_memory_mb: 1024", "max_decode_memory_mb: 64"))
    tight_settings = settings.model_copy(update={"adult_policy": str(tight)})
    with build(tight_settings, face_analyzer=FakeFaceAnalyzer(), models=fake_models()) as gate:
        gate.accounts.add_user("maya")
        with pytest.raises(InvalidMediaError, match="does not decode within the policy's limits"):
            gate.videos.prepublish(Submission("maya", "a still life", uhd_clip))
        with gate.store.transaction() as tx:
            assert tx.videos.recent() == []
