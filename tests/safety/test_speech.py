"""What a video says is read and judged: phrase rules, the prompt classifier and owners' restrictions on each
spoken segment, with its time span; a missing speech model holds the video. The real Whisper model hears real
synthetic speech (espeak-ng) muxed into a rendered clip."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from safety import CameoGuard, Settings, Submission, build
from safety.checks.models import Models
from safety.checks.speech import WhisperTranscriber, digits_in, heard_digits
from safety.errors import ModelUnavailable
from safety.faces.fake import FakeFaceAnalyzer
from safety.fakes import FakeTranscriber
from safety.media import AUDIO_RATE as SAMPLE_RATE
from safety.media import read_audio
from tests.conftest import clip_with_sound
from tests.safety.test_restrictions import _world

# These tests judge what the real models hear and read.
pytestmark = pytest.mark.real_models


def _services(settings: Settings, transcriber: FakeTranscriber) -> CameoGuard:
    return build(settings, face_analyzer=FakeFaceAnalyzer(), models=Models(transcriber=lambda: transcriber))


def test_spoken_words_are_judged_with_their_time_span(settings: Settings, clip: Path) -> None:
    heard = FakeTranscriber([(0.2, 1.4, "hello everyone"), (1.5, 3.0, "the election is rigged, do not vote")])
    with _services(settings, heard) as services:
        _world(services)
        result = services.videos.prepublish(Submission("theo", "a calm lake at dawn", clip))
    reason = next(r for r in result.decision.reasons if r.code == "prompt.election_deception")
    assert result.status.value != "published"
    assert reason.check == "speech" and reason.evidence["source"] == "speech"
    assert (reason.evidence["t_start"], reason.evidence["t_end"]) == (1.5, 3.0)
    assert "rigged" in reason.evidence["text"]
    segments = result.decision.facts["speech"]["segments"]
    assert [s["text"] for s in segments] == ["hello everyone", "the election is rigged, do not vote"]


def test_an_owner_is_not_made_to_say_what_they_ruled_out(settings: Settings, clip: Path) -> None:
    heard = FakeTranscriber([(0.5, 1.0, "bazinga, everyone")])
    with _services(settings, heard) as services:
        _world(services)
        services.cameos.restrict("lin", "don't let me say 'bazinga'")
        result = services.videos.prepublish(Submission("theo", "lin waves at the camera", clip, ("lin",)))
    reason = next(r for r in result.decision.reasons if r.code == "likeness.restriction_violated")
    assert result.decision.action.value == "block"
    assert reason.evidence["phrase"] == "bazinga" and reason.evidence["source"] == "speech"


def test_a_missing_speech_model_holds_the_video(settings: Settings, clip: Path) -> None:
    broken = FakeTranscriber(fail_with=ModelUnavailable("the speech model is unavailable: gone"))
    with _services(settings, broken) as services:
        _world(services)
        result = services.videos.prepublish(Submission("theo", "a calm lake at dawn", clip))
    assert result.status.value == "held"
    assert [r.evidence.get("check") for r in result.decision.reasons if r.code == "check.error"] == ["speech"]


def test_a_silent_video_has_nothing_to_say(tmp_path: Path) -> None:
    silent = tmp_path / "silent.mp4"
    with av.open(str(silent), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for _ in range(5):
            out.mux(stream.encode(av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")))
        out.mux(stream.encode(None))
    assert read_audio(silent) is None


def _speaking_clip(clip: Path, text: str, target: Path) -> Path:
    """`clip`'s picture with espeak-ng saying `text` as its sound track."""
    wav = target.with_suffix(".wav")
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(wav), text], check=True, capture_output=True)
    return clip_with_sound(clip, wav, target)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (apt-get install espeak-ng)")
def test_whisper_hears_real_speech_in_a_video(clip: Path, tmp_path: Path) -> None:
    speaking = _speaking_clip(clip, "The election is rigged. Do not vote tomorrow.", tmp_path / "speaking.mp4")
    audio = read_audio(speaking)
    assert audio is not None and audio.size > SAMPLE_RATE
    segments = WhisperTranscriber().transcribe(audio)
    said = " ".join(s.text for s in segments).casefold()
    assert "election" in said and "rigged" in said and "vote" in said, said
    assert segments[0].start < 1.0 and segments[-1].end <= audio.size / SAMPLE_RATE + 0.5


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (apt-get install espeak-ng)")
def test_the_gate_reads_what_a_real_video_says(people: CameoGuard, clip: Path, tmp_path: Path) -> None:
    speaking = _speaking_clip(clip, "The election is rigged. Do not vote tomorrow.", tmp_path / "speaking.mp4")
    result = people.videos.prepublish(Submission("maya", "a calm lake at dawn", speaking))
    assert result.status.value != "published"
    spoken = [r for r in result.decision.reasons if r.check == "speech"]
    assert spoken and spoken[0].evidence["t_end"] > spoken[0].evidence["t_start"]


@pytest.mark.parametrize(
    ("transcript", "digits"),
    [
        ("4729", "4729"),
        ("four, seven, two, nine.", "4729"),
        ("For 7 to nine", "4729"),
        ("oh eight one", "081"),
        ("", ""),
    ],
)
def test_digits_are_read_from_words_and_figures(transcript: str, digits: str) -> None:
    assert digits_in(transcript) == digits


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (apt-get install espeak-ng)")
def test_spoken_digits_are_heard(tmp_path: Path) -> None:
    wav = tmp_path / "digits.wav"
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(wav), "4, 7, 2, 9"], check=True, capture_output=True)
    audio = read_audio(wav)
    assert audio is not None
    assert any("4729" in reading for reading in heard_digits(audio, WhisperTranscriber()))


def test_an_enrollment_challenge_must_be_heard(settings: Settings, clip: Path) -> None:
    """With a fake transcriber: the digits heard decide; a video that says other digits is refused."""
    from safety.enrollment import EnrollmentAssessment

    accepted = EnrollmentAssessment(True, ())
    with _services(settings, FakeTranscriber([(0.1, 1.0, "four, seven, two, nine")])) as services:
        assert services.cameos._hear_challenge(clip, "4729", accepted).accepted
        refused = services.cameos._hear_challenge(clip, "1234", accepted)
    assert not refused.accepted and [r.code for r in refused.reasons] == ["enroll.challenge_mismatch"]
    assert "heard 4 7 2 9" in refused.reasons[0].message, refused.reasons[0].message
    broken = FakeTranscriber(fail_with=ModelUnavailable("the speech model is unavailable: gone"))
    with _services(settings, broken) as services:
        assert not services.cameos._hear_challenge(clip, "4729", accepted).accepted
