"""Probing and the media store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from safety import InvalidMediaError
from safety.media import demux, probe, sample_keyframes
from safety.mediastore import MediaStore


def test_probe_and_keyframes(clip: Path) -> None:
    info = probe(clip)
    assert info.fps == pytest.approx(24.0)
    report = demux(clip)
    assert report.error is None and report.packets == 48 and report.keyframes >= 1
    frames = list(sample_keyframes(clip, 4, report.keyframes))
    assert frames and frames[0][1].shape == (360, 640, 3)


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
