"""What a video says is read and judged: phrase rules, the prompt classifier and owners' restrictions on each
spoken segment, with its time span; a missing speech model holds the video. The real Whisper model hears real
synthetic speech (espeak-ng) muxed into a rendered clip."""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from safety import CameoGuard, Settings, Submission, build
from safety.checks.models import Models
from safety.checks.speech import (
    MultilingualTranscriber,
    Transcriber,
    WhisperTranscriber,
    choose_language,
    digits_in,
    heard_digits,
)
from safety.errors import ModelUnavailable
from safety.faces.fake import FakeFaceAnalyzer
from safety.fakes import FakeTranscriber
from safety.media import AUDIO_RATE as SAMPLE_RATE
from safety.media import read_audio
from safety.speech_models import (
    MODEL_BIN_SHA256,
    MODEL_HALVES,
    ModelFile,
    install_multilingual_model,
    multilingual_model_dir,
)
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


# Speech in every language: the multilingual model, one per test session.

_HALVES_INSTALLED = all(importlib.util.find_spec(part.package) is not None for part in MODEL_HALVES)
needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (apt-get install espeak-ng)"
)
needs_multilingual = pytest.mark.skipif(
    not _HALVES_INSTALLED, reason="the Whisper base packages are not installed (run `make install`)"
)


@pytest.fixture(scope="session")
def multilingual(tmp_path_factory: pytest.TempPathFactory) -> MultilingualTranscriber:
    """Whisper base joined once under a session cache, loaded on first use, shared by every test here."""
    return MultilingualTranscriber(tmp_path_factory.mktemp("speech-cache"))


def _said_in(voice: str, text: str, clip: Path, target: Path) -> Path:
    wav = target.with_suffix(".wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", "140", "-w", str(wav), text], check=True, capture_output=True)
    return clip_with_sound(clip, wav, target)


def _heard_by(settings: Settings, transcriber: Transcriber) -> CameoGuard:
    return build(settings, face_analyzer=FakeFaceAnalyzer(), models=Models(transcriber=lambda: transcriber))


@needs_espeak
@needs_multilingual
@pytest.mark.parametrize(
    ("voice", "text"),
    [
        # espeak-ng's French is hard for Whisper base to read (bench/speech.py); this sentence survives it.
        ("fr", "Je vais te tuer. Je te le jure."),
        ("pt", "Eu vou matar você e toda a sua família esta noite."),
    ],
)
def test_a_threat_spoken_in_another_language_is_held_in_that_language(
    settings: Settings, multilingual: MultilingualTranscriber, clip: Path, tmp_path: Path, voice: str, text: str
) -> None:
    speaking = _said_in(voice, text, clip, tmp_path / f"{voice}.mp4")
    with _heard_by(settings, multilingual) as services:
        _world(services)
        result = services.videos.prepublish(Submission("theo", "a calm lake at dawn", speaking))
    assert result.status.value != "published"
    threat = next(r for r in result.decision.reasons if r.code == "speech.threat")
    assert threat.evidence["language"] == voice and threat.evidence["source"] == "speech"
    assert threat.evidence["t_end"] > threat.evidence["t_start"]
    segments = result.decision.facts["speech"]["segments"]
    assert {s["language"] for s in segments} == {voice}, segments
    assert all(s["model"] == "whisper-base" for s in segments)


@needs_espeak
@needs_multilingual
def test_the_spoken_death_threat_is_held(
    settings: Settings, multilingual: MultilingualTranscriber, clip: Path, tmp_path: Path
) -> None:
    said = "I am going to kill you and your whole family tonight. Nobody will ever find your bodies."
    speaking = _said_in("en-us", said, clip, tmp_path / "threat.mp4")
    with _heard_by(settings, multilingual) as services:
        _world(services)
        result = services.videos.prepublish(Submission("theo", "a calm lake at dawn", speaking))
    assert result.status.value != "published"
    threat = next(r for r in result.decision.reasons if r.code == "speech.threat")
    assert threat.evidence["language"] == "en" and "kill" in threat.evidence["text"].casefold()
    assert threat.evidence["model"] == "whisper-base"


@needs_espeak
@needs_multilingual
def test_i_could_kill_for_a_coffee_is_not_a_threat(
    settings: Settings, multilingual: MultilingualTranscriber, clip: Path, tmp_path: Path
) -> None:
    speaking = _said_in("en-us", "I could kill for a coffee.", clip, tmp_path / "coffee.mp4")
    with _heard_by(settings, multilingual) as services:
        _world(services)
        result = services.videos.prepublish(Submission("theo", "a calm lake at dawn", speaking))
    said = " ".join(s["text"] for s in result.decision.facts["speech"]["segments"]).casefold()
    assert "kill" in said and "coffee" in said, said
    assert not [r for r in result.decision.reasons if r.check == "speech"], result.decision.reasons
    assert result.status.value == "published"


def test_the_threat_category_reads_its_own_language_and_not_idioms() -> None:
    """The classifier alone, on sentences never in its examples: threats in six languages score above the speech
    band, look-alikes below it."""
    from policies import load_bundled_pack
    from safety.checks.prompt_classifier import examples_path
    from safety.classifiers.prompt import shared_prompt_classifiers

    policy = load_bundled_pack("default")
    assert policy.prompt_classifier is not None
    band = policy.thresholds["speech.threat"].review
    assert band is not None
    classifier = shared_prompt_classifiers().get(
        examples_path(policy.prompt_classifier.examples), policy.prompt_classifier.held_out_share
    )
    threats = [
        "I am going to kill you and your whole family tonight. Nobody will ever find your bodies.",
        "Je vais vous tuer, vous et toute votre famille.",
        "Te voy a matar esta noche.",
        "Ich werde dich heute Nacht umbringen, dich und deine ganze Familie.",
        "Eu vou matar você e toda a sua família esta noite.",
        "Ti ammazzo stanotte, te e tutta la tua famiglia.",
    ]
    idioms = ["I could kill for a coffee", "my sister is going to kill me, I broke her phone", "I'll be back"]
    scores = classifier.score(threats + idioms)
    assert all(s.scores["threat"] >= band for s in scores[: len(threats)]), [s.scores["threat"] for s in scores]
    assert all(s.scores["threat"] < band for s in scores[len(threats) :]), [s.scores["threat"] for s in scores]


def test_a_missing_multilingual_model_holds_the_video(settings: Settings, clip: Path, tmp_path: Path) -> None:
    """A half of the model whose package is not installed: nothing is downloaded, the video is held and the
    check's error names the package."""
    gone = ModelFile("cameoguard_no_such_model_part", "model.bin.part2", "0" * 64)
    missing = MultilingualTranscriber(
        tmp_path / "cache",
        model_folder=lambda: install_multilingual_model(tmp_path / "cache", halves=(MODEL_HALVES[0], gone)),
    )
    with _heard_by(settings, missing) as services:
        _world(services)
        result = services.videos.prepublish(Submission("theo", "a calm lake at dawn", clip))
    assert result.status.value == "held"
    errors = [r for r in result.decision.reasons if r.code == "check.error"]
    assert [r.evidence.get("check") for r in errors] == ["speech"]
    assert not (tmp_path / "cache" / "models" / "whisper-base").exists()


@needs_multilingual
def test_a_half_that_does_not_match_its_checksum_is_refused(tmp_path: Path) -> None:
    wrong = ModelFile(MODEL_HALVES[1].package, MODEL_HALVES[1].name, "f" * 64)
    with pytest.raises(ModelUnavailable, match="checksum"):
        install_multilingual_model(tmp_path, halves=(MODEL_HALVES[0], wrong))
    assert not multilingual_model_dir(tmp_path).exists()


@needs_multilingual
def test_the_model_is_joined_once_and_a_damaged_copy_is_joined_again(tmp_path: Path) -> None:
    folder = install_multilingual_model(tmp_path)
    joined = folder / "model.bin"
    assert joined.stat().st_size == 145_217_532
    stamp = joined.stat().st_mtime_ns
    assert install_multilingual_model(tmp_path) == folder and joined.stat().st_mtime_ns == stamp
    with joined.open("r+b") as handle:
        handle.seek(1000)
        handle.write(b"\0" * 16)
    install_multilingual_model(tmp_path)
    digest = hashlib.sha256(joined.read_bytes()).hexdigest()
    assert digest == MODEL_BIN_SHA256


@pytest.mark.parametrize(
    ("probabilities", "chosen"),
    [
        ([("fr", 0.41), ("th", 0.2)], ("fr", 0.41)),
        ([("cs", 0.45), ("hu", 0.1), ("fr", 0.04)], ("fr", 0.04)),
        ([("th", 0.6), ("pt", 0.2)], ("pt", 0.2)),
        ([("ja", 0.9), ("en", 0.05)], ("ja", 0.9)),
        ([], ("de", 0.0)),
    ],
)
def test_an_unsure_language_is_read_as_the_likeliest_pack_language(
    probabilities: list[tuple[str, float]], chosen: tuple[str, float]
) -> None:
    assert choose_language(probabilities) == chosen


def test_spoken_findings_carry_their_language(settings: Settings, clip: Path) -> None:
    heard = FakeTranscriber([(0.5, 2.0, "les élections sont truquées, ne votez pas", "fr")])
    with _services(settings, heard) as services:
        _world(services)
        result = services.videos.prepublish(Submission("theo", "a calm lake at dawn", clip))
    reason = next(r for r in result.decision.reasons if r.code == "prompt.election_deception")
    assert reason.evidence["language"] == "fr"
    assert result.decision.facts["speech"]["languages"] == ["fr"]
