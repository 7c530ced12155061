"""The real models on real footage: enrollment, replay refusal, consent and protected persons.

These use `../shared/fixtures/faces` and skip with a reason where it is absent. The dlib models come from the
`face_recognition_models` package; nothing is downloaded.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest

from generator import load_face_image, render_photo_pan
from generator.render import write_mp4
from safety import CameoGuard, ConsentLevel, Settings, Submission, build, to_json
from safety.checks.models import Models
from safety.edges.cli import main
from safety.faces.dlib_analyzer import DlibFaceAnalyzer


@pytest.fixture(scope="session")
def dlib_analyzer() -> DlibFaceAnalyzer:
    return DlibFaceAnalyzer()


@pytest.fixture(scope="session")
def hamilton(faces_dir: Path) -> Path:
    return faces_dir / "_video" / "short_hamilton_clip.mp4"


@pytest.fixture(scope="session")
def verification_video(hamilton: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3.6-7.85 s of the clip: Lin-Manuel Miranda alone, talking (the cut to the audience is at 7.89 s)."""
    frames = []
    with av.open(str(hamilton)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            t = frame.time or 0.0
            if 3.6 <= t <= 7.85:
                frames.append(np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8))
    out = tmp_path_factory.mktemp("verification") / "lin.mp4"
    return write_mp4(iter(frames), out, width=640, height=360, fps=30, audio_seed=0)


@pytest.fixture
def real(tmp_path: Path, dlib_analyzer: DlibFaceAnalyzer, models: Models) -> Iterator[CameoGuard]:
    """The real face models; the other models are fakes unless a test is marked `real_models` (each of them has
    its own tests, and the demo runs them all together). The voices are real: the bundled pack has thresholds for
    the real voice encoder only, and the theatre clip has sound."""
    import dataclasses

    with_voices = dataclasses.replace(models, voices=None)
    with build(Settings(home=tmp_path / "home"), face_analyzer=dlib_analyzer, models=with_voices) as services:
        for handle in ("maya", "theo", "jun"):
            services.accounts.add_user(handle)
        yield services


def test_real_verification_video_enrolls(real: CameoGuard, verification_video: Path) -> None:
    result = real.cameos.enroll_cameo("maya", verification_video)
    payload = to_json(result)
    assert payload["status"] == "active", payload["reasons"]
    assert payload["usable_frames"] >= 20
    assert payload["liveness"]["residual_median"] > 0.003 and payload["liveness"]["mouth_std"] > 0.012
    references = real.cameos.cameo_reference_images("maya")
    assert len(references) == 3 and all(p.is_file() for p in references)
    again = real.cameos.enroll_cameo_from_images("jun", references[:1])
    assert [r.code for r in again.assessment.reasons] == ["enroll.matches_other_user"]


def test_panned_still_photo_is_refused_as_a_replay(real: CameoGuard, faces_dir: Path, tmp_path: Path) -> None:
    photo = load_face_image(faces_dir / "obama" / "train1.jpg")
    replay = render_photo_pan(photo, tmp_path / "replay.mp4", duration_s=3.0)
    result = real.cameos.enroll_cameo("jun", replay)
    codes = [r.code for r in result.assessment.reasons]
    assert result.status.value == "rejected" and "enroll.replay_suspected" in codes
    assert real.cameos.cameo_status("jun") is None


@pytest.mark.slow
def test_cameo_owner_in_a_strangers_video_needs_consent(
    real: CameoGuard, verification_video: Path, hamilton: Path
) -> None:
    assert real.cameos.enroll_cameo("maya", verification_video).status.value == "active"
    refused = real.videos.prepublish(Submission("theo", "a night at the theatre", hamilton)).to_json()
    assert refused["decision"] == "block"
    refusal = next(r for r in refused["reasons"] if r["code"] == "likeness.no_consent")
    assert refusal["evidence"]["owner"] == "maya"
    maya_faces = [f for f in refused["faces"] if f["identity"] == "maya"]
    # He is in the mid shot (3.5-8.0 s) and also far away on stage at the start (0-1.5 s): both are him.
    assert any(3.4 <= f["t_start"] <= 8.0 for f in maya_faces)
    assert all(f["t_start"] < 1.6 or 3.4 <= f["t_start"] <= 8.0 for f in maya_faces)
    real.cameos.set_consent_level("maya", ConsentLevel.APPROVED)
    real.cameos.approve("maya", "theo")
    allowed = real.videos.prepublish(Submission("theo", "a night at the theatre", hamilton)).to_json()
    assert not [r for r in allowed["reasons"] if r["action"] != "publish"], allowed["reasons"]
    assert allowed["decision"] == "publish"


@pytest.mark.slow
def test_protected_person_in_real_footage_is_not_published(real: CameoGuard, faces_dir: Path, hamilton: Path) -> None:
    to_json(
        real.protection.protect(
            "Barack Obama", [faces_dir / "obama" / "train1.jpg", faces_dir / "obama" / "train2.jpg"]
        )
    )
    result = real.videos.prepublish(Submission("theo", "a night at the theatre", hamilton)).to_json()
    assert result["decision"] in {"block", "review"} and result["published_path"] is None
    named = [
        r
        for r in result["reasons"]
        if r["code"] in {"likeness.protected_person", "likeness.uncertain"}
        and r["evidence"].get("person") == "Barack Obama"
    ]
    assert named, result["reasons"]
    # He sits in the audience (8.0-9.2 s), three-quarter view, about 80 px: only the slow detector finds him, and
    # his distance sits at the threshold, so a confident block or a held near match are both right answers.
    tracks = [t for r in named for t in r["evidence"]["tracks"]]
    assert any(t["t_start"] >= 7.8 and t["detector"] == "cnn" for t in tracks), tracks


def test_faces_compare_cli(faces_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = ["--home", str(tmp_path / "home")]
    same = [str(faces_dir / "obama" / "train1.jpg"), str(faces_dir / "obama" / "test1.jpg")]
    assert main([*home, "faces", "compare", *same, "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["same_person"] is True and payload["model"] == "dlib-resnet-v1"
    other = [str(faces_dir / "obama" / "train1.jpg"), str(faces_dir / "biden" / "train1.jpg")]
    assert main([*home, "faces", "compare", *other, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["same_person"] is False


def test_dlib_analyzer_is_safe_to_call_from_many_threads(dlib_analyzer: DlibFaceAnalyzer, faces_dir: Path) -> None:
    # dlib's detectors and networks keep buffers inside them: shared between threads they crashed the process.
    from concurrent.futures import ThreadPoolExecutor

    photos = [load_face_image(p) for p in sorted((faces_dir / "_groups").glob("*"))[:2]]

    def analyse(image: np.ndarray) -> tuple[int, list[np.ndarray]]:
        faces = dlib_analyzer.detect(image)
        return len(faces), [dlib_analyzer.embed(image, f) for f in faces]

    serial = [analyse(p) for p in photos]
    assert all(count > 0 for count, _ in serial)
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(analyse, photos * 4))
    for (count, embeddings), (expected_count, expected) in zip(parallel, serial * 4, strict=True):
        assert count == expected_count
        assert all(np.allclose(a, b, atol=1e-5) for a, b in zip(embeddings, expected, strict=True))


def test_dlib_worker_processes_fail_closed_and_are_replaced(tmp_path: Path) -> None:
    from safety.errors import ModelUnavailable
    from safety.faces.dlib_analyzer import models_dir
    from safety.faces.dlib_workers import DlibWorkers

    blank = np.zeros((120, 160, 3), np.uint8)
    workers = DlibWorkers(models_dir(), processes=1)
    try:
        assert workers.detect_cnn(blank, 0) == []
        assert workers.embed(blank, [(10, 10, 90, 90)], 0).shape == (1, 128)
        idle = workers._idle.queue[0]
        idle.kill()
        assert workers.detect_cnn(blank, 0) == []  # a child that died while idle is replaced before the call
        busy = workers._idle.queue[0]
        assert busy is not idle
        # One that dies during a call fails that call (the gate records a failed check), and the next call works.
        threading.Timer(0.3, busy.process.kill).start()
        with pytest.raises(ModelUnavailable, match=r"died|failed"):
            workers.detect_cnn(np.zeros((720, 1280, 3), np.uint8), 1)
        assert workers.detect_cnn(blank, 0) == []
    finally:
        workers.close()
    broken = tmp_path / "models"
    broken.mkdir()
    for name in ("mmod_human_face_detector.dat", "shape_predictor_5_face_landmarks.dat"):
        (broken / name).write_bytes((models_dir() / name).read_bytes())
    (broken / "dlib_face_recognition_resnet_model_v1.dat").write_bytes(b"not a model")
    unusable = DlibWorkers(broken, processes=1)
    try:
        with pytest.raises(ModelUnavailable, match="did not start"):
            unusable.detect_cnn(blank, 0)
    finally:
        unusable.close()


def test_a_dlib_worker_leaves_interrupts_to_its_parent_and_ends_with_its_input() -> None:
    """Ctrl-C reaches every process of the terminal's group: the worker says nothing and ends when its parent
    closes its input (the parent decides what the interrupt means)."""
    import signal
    import sys

    from safety.faces import dlib_worker_child
    from safety.faces.dlib_analyzer import models_dir

    child = subprocess.Popen(
        [sys.executable, "-I", dlib_worker_child.__file__, str(models_dir())],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None and child.stdin is not None and child.stderr is not None
    assert child.stdout.readline().strip() == b"ready"
    child.send_signal(signal.SIGINT)
    child.stdin.close()
    assert child.wait(timeout=60) == 0
    assert child.stderr.read().decode() == ""
    child.stdout.close()
    child.stderr.close()


@pytest.mark.slow
@pytest.mark.real_models
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (apt-get install espeak-ng)")
def test_a_challenge_is_heard_on_a_real_verification_video(
    real: CameoGuard, verification_video: Path, tmp_path: Path
) -> None:
    """The real verification video with the challenge's digits spoken over it: enrolled, with a voice template;
    the same video saying other digits (recorded before the challenge existed) is refused."""
    from datetime import timedelta

    from tests.conftest import clip_with_sound

    def challenge(digits: str) -> str:
        with real.store.transaction() as tx:
            return tx.consent.create_challenge("maya", digits, [], timedelta(minutes=5)).id

    def saying(digits: str) -> Path:
        wav = tmp_path / f"{digits}.wav"
        subprocess.run(["espeak-ng", "-s", "140", "-w", str(wav), ", ".join(digits)], check=True, capture_output=True)
        return clip_with_sound(verification_video, wav, tmp_path / f"{digits}.mp4")

    refused = real.cameos.enroll_cameo("maya", saying("5173"), challenge("2934"))
    assert refused.status.value == "rejected"
    assert "enroll.challenge_mismatch" in [r.code for r in refused.assessment.reasons]
    enrolled = real.cameos.enroll_cameo("maya", saying("2934"), challenge("2934"))
    assert enrolled.status.value == "active", [(r.code, r.message) for r in enrolled.assessment.reasons]
    assert enrolled.voice, "the verification video's voice is kept"
