"""Staydown through the gate: a purged video cannot come back altered, and unrelated videos are not stopped."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from generator import RenderSpec, Studio, render_video
from provenance import SegmentIndex, bank_hashes, query_frames, query_hashes
from provenance.segments import insets, trim_borders
from safety import CameoGuard, ConsentLevel, Submission, to_json
from tests.safety.gate.test_likeness_gate import card_image


@pytest.fixture
def services(memory_services: CameoGuard) -> CameoGuard:
    """These tests need no SQL: the whole gate runs on the in-memory store (the SQL stores keep their own contract
    tests in tests/safety/storage)."""
    return memory_services


def _frames(path: Path) -> tuple[list[np.ndarray], float]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or 25)
        return [f.to_ndarray(format="rgb24") for f in container.decode(stream)], fps


def _write(frames: list[np.ndarray], fps: float, out: Path) -> Path:
    height, width = frames[0].shape[:2]
    with av.open(str(out), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=round(fps))
        stream.width, stream.height, stream.pix_fmt = width // 2 * 2, height // 2 * 2, "yuv420p"
        for frame in frames:
            image = np.ascontiguousarray(frame[: stream.height, : stream.width])
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode(None))
    return out


def test_a_purged_video_mirrored_and_buried_in_other_footage_stays_down(people: CameoGuard, tmp_path: Path) -> None:
    assert people.cameos.enroll_cameo_from_images("maya", [card_image(tmp_path, 20, "maya")]).status.value == "active"
    people.cameos.set_consent_level("maya", ConsentLevel.EVERYONE)
    made = Studio(people).generate("theo", "maya juggling in a park", cameos=["maya"], duration_s=3.0, seed=41)
    assert made["decision"] == "publish"
    saved, fps = _frames(Path(made["published_path"]))
    people.cameos.set_consent_level("maya", ConsentLevel.ONLY_ME)  # purged, its fingerprints banked
    filler = render_video(RenderSpec("clouds over a field", seed=42, duration_s=3.0), tmp_path / "filler.mp4")
    other, _ = _frames(filler)
    height, width = saved[0].shape[:2]
    prepended = [cv2.resize(f, (width, height)) for f in other] + [np.ascontiguousarray(f[:, ::-1]) for f in saved]
    disguised = _write(prepended, fps, tmp_path / "disguised.mp4")
    result = to_json(people.videos.prepublish(Submission("jun", "my own clouds and juggling", disguised)))
    purged = [r for r in result["reasons"] if r["code"] == "hash.purged"]
    assert result["decision"] == "block" and purged, result["reasons"]
    assert purged[0]["evidence"]["segment"][0] >= 2.5, "the match is the buried segment, after the filler"
    unrelated = render_video(RenderSpec("a quiet library", seed=43, duration_s=3.0), tmp_path / "unrelated.mp4")
    assert "hash.purged" not in {
        r["code"] for r in to_json(people.videos.prepublish_file("jun", "books", unrelated))["reasons"]
    }


def test_segments_survive_letterbox_and_picture_in_picture(tmp_path: Path) -> None:
    source = render_video(RenderSpec("a red kite over green hills", seed=31, duration_s=4.0), tmp_path / "item.mp4")
    background = render_video(RenderSpec("waves on a rocky shore", seed=33, duration_s=4.0), tmp_path / "bg.mp4")
    index = SegmentIndex([("item", h.digest, h.t) for h in bank_hashes(str(source))])
    frames, fps = _frames(source)
    back, _ = _frames(background)
    height, width = frames[0].shape[:2]
    boxed = [
        cv2.copyMakeBorder(f, height // 3, height // 3, 0, 0, cv2.BORDER_CONSTANT, value=(0, 0, 0)) for f in frames
    ]
    assert trim_borders(np.asarray(boxed[0], np.uint8)).shape == frames[0].shape
    inset = []
    for f, b in zip(frames, back, strict=False):
        canvas = cv2.resize(b, (width, height)).copy()
        canvas[20 : 20 + height // 2, 30 : 30 + width // 2] = cv2.resize(f, (width // 2, height // 2))
        inset.append(canvas)
    assert insets(np.asarray(inset[0], np.uint8)), "the inset rectangle is found"
    for name, altered in (("letterbox", boxed), ("pip", inset)):
        copy = _write(altered, fps, tmp_path / f"{name}.mp4")
        assert [m.key for m in index.match(query_hashes(query_frames(str(copy))))] == ["item"], name
    assert index.match(query_hashes(query_frames(str(background)))) == []


def test_a_known_bad_clip_tilted_or_split_screened_is_blocked_by_the_gate(people: CameoGuard, tmp_path: Path) -> None:
    bad = render_video(RenderSpec("a red kite over green hills", seed=31, duration_s=4.0), tmp_path / "bad.mp4")
    entry = people.tracing.bank_add("known_bad", bad, "attacker drill")
    frames, fps = _frames(bad)
    filler, _ = _frames(render_video(RenderSpec("waves on a rocky shore", seed=33), tmp_path / "filler.mp4"))
    height, width = frames[0].shape[:2]
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), -4, 1.0)
    tilted = [np.asarray(cv2.warpAffine(f, turn, (width, height)), np.uint8) for f in frames]
    split = [
        np.hstack([cv2.resize(o, (width // 2, height)), cv2.resize(f, (width // 2, height))])
        for f, o in zip(frames, filler, strict=False)
    ]
    for name, altered in (("tilted", tilted), ("split screen", split)):
        copy = _write(altered, fps, tmp_path / f"{name}.mp4")
        result = to_json(people.videos.prepublish_file("theo", "my own clip", copy))
        found = [r for r in result["reasons"] if r["code"] == "hash.known_bad"]
        assert result["decision"] == "block" and found, (name, result["reasons"])
        assert found[0]["evidence"]["entry_id"] == entry.id, name
