"""The one decode per submission: what each reader gets, what the media check learns, and that nothing else in
the gate opens the draft."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest

from provenance import sampled_frames
from safety import CameoGuard, Settings, Submission, build
from safety.errors import FrameFeedError
from safety.faces.fake import FakeFaceAnalyzer
from safety.frames import FrameFeed, FrameNeed, decoded_frames


def test_each_reader_gets_what_it_would_have_decoded_alone(clip: Path) -> None:
    needs = {
        "half": FrameNeed(0.5, 24),
        "eighth": FrameNeed(0.125, 4800),
        "few": FrameNeed(0.25, 3),
        "half in quarters": FrameNeed(0.5, 4800, within=4),
    }
    got: dict[str, list[tuple[float, np.ndarray]]] = {}
    with FrameFeed(clip) as feed:
        for name, need in needs.items():
            feed.subscribe(name, need)
        feed.start()
        # Read side by side, as the checks do: each reader on its own thread.
        threads = [
            threading.Thread(target=lambda n=name: got.__setitem__(n, [(f.t, f.image) for f in feed.frames(n)]))
            for name in needs
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        report = feed.report(timeout_s=30)
    for name, need in needs.items():
        alone = list(sampled_frames(str(clip), need.every_s, need.max_frames, within=need.within))
        assert [round(t, 4) for t, _ in got[name]] == [round(t, 4) for t, _ in alone], name
        assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(got[name], alone, strict=True)), name
    assert report.error is None and report.frames == 48 and report.packets == 48 and report.keyframes >= 1


def test_shared_frames_are_read_only(clip: Path) -> None:
    frame = next(decoded_frames(clip, FrameNeed(1.0, 1)))
    with pytest.raises(ValueError):
        frame.image[0, 0, 0] = 1


def test_a_reader_that_stops_reading_does_not_stall_the_others(clip: Path) -> None:
    with FrameFeed(clip) as feed:
        feed.subscribe("idle", FrameNeed(0.04, 100))  # more frames than its queue holds, never read
        feed.subscribe("busy", FrameNeed(0.04, 100))
        feed.start()
        feed.release("idle")  # what the runner does when a check ends or times out without reading
        assert len(list(feed.frames("busy"))) == 48
        assert feed.report(timeout_s=30).frames == 48


def test_a_file_that_stops_decoding_fails_every_reader(clip: Path, tmp_path: Path) -> None:
    data = clip.read_bytes()
    broken = tmp_path / "broken.mp4"
    # The header and index survive; the media data is overwritten with garbage part way through.
    cut = len(data) // 3
    broken.write_bytes(data[:cut] + bytes(range(256)) * ((len(data) - cut) // 256 + 1))
    with FrameFeed(broken) as feed:
        feed.subscribe("reader", FrameNeed(0.04, 100))
        feed.start()
        try:
            frames = list(feed.frames("reader"))
        except FrameFeedError:
            frames = None
        report = feed.report(timeout_s=30)
    # Either the decoder stops with an error that every reader sees, or FFmpeg conceals the damage and decodes on:
    # what it must never do is end quietly with frames missing and no error.
    if report.error is not None:
        assert frames is None
    else:
        assert frames is not None and len(frames) == report.frames


def test_a_reader_that_did_not_subscribe_gets_an_error(clip: Path) -> None:
    with FrameFeed(clip) as feed:
        feed.start()
        with pytest.raises(FrameFeedError):
            next(feed.frames("late"))


@pytest.fixture
def marking(settings: Settings, fake_faces: FakeFaceAnalyzer) -> Iterator[CameoGuard]:
    """The gate as it runs in production: the publish re-encode starts beside the checks."""
    with build(settings.model_copy(update={"mark_during_checks": True}), face_analyzer=fake_faces) as guard:
        guard.accounts.add_user("maya")
        guard.accounts.add_user("theo")
        yield guard


def test_the_checks_never_open_the_draft_themselves(
    marking: CameoGuard, clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = marking
    opened: list[tuple[str, str]] = []
    real_open = av.open

    def counting_open(file: object, *args: object, **kwargs: object) -> object:
        opened.append((str(file), str(kwargs.get("mode", args[0] if args else "r"))))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(av, "open", counting_open)
    result = people.videos.prepublish(Submission("maya", "a calm lake at dawn", clip))
    assert result.status.value == "published"
    drafts = [path for path, mode in opened if "/drafts/" in path and mode == "r"]
    # probe and the trial decode read the caller's file; then the draft is read by the shared decode and the
    # publish re-encode, and by nothing else.
    assert len(drafts) == 2, opened
    assert not any(Path(p).name.startswith(".marking-") for p, _ in opened if "/drafts/" in p)


def test_a_video_that_is_not_published_leaves_no_marked_copy(marking: CameoGuard, clip: Path) -> None:
    people = marking
    # maya has no cameo, so theo may not put her in a video: refused, never published.
    result = people.videos.prepublish(Submission("theo", "maya on a beach", clip, cameos=("maya",)))
    assert result.status.value in ("blocked", "held")
    published = people.media.area("published")
    leftovers = [p for p in published.rglob("*") if p.is_file()] if published.exists() else []
    assert leftovers == []


def test_warm_up_loads_every_model_before_the_first_submission(services: CameoGuard) -> None:
    spent = services.warm_up()
    assert {"likeness", "prompt_classifier", "frames_nsfw", "hash_bank", "inputs"} <= set(spent)
    assert all(seconds >= 0 for seconds in spent.values())


def test_without_marking_beside_the_checks_the_gate_publishes_the_same_way(
    settings: Settings, fake_faces: FakeFaceAnalyzer, clip: Path
) -> None:
    assert settings.mark_during_checks is False  # the suite's default; `marking` above turns it on
    with build(settings, face_analyzer=fake_faces) as guard:
        guard.accounts.add_user("maya")
        result = guard.videos.prepublish(Submission("maya", "a calm lake at dawn", clip))
        assert result.status.value == "published" and result.published_path is not None
        assert guard.tracing.verify(result.published_path).manifest.valid
