"""The generator writes real H.264/AAC MP4s, composites faces, and derives remixes."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from PIL import Image

from generator import RenderSpec, load_face_image, remix_video, render_video
from generator.render import dub
from safety.media import probe, read_audio


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(container.streams.video[0])]


def test_render_writes_h264_with_audio(tmp_path: Path) -> None:
    out = render_video(RenderSpec("a red kite", seed=3, duration_s=1.5, width=320, height=180), tmp_path / "a.mp4")
    info = probe(out)
    assert (info.video_codec, info.width, info.height, info.has_audio) == ("h264", 320, 180, True)
    assert abs(info.duration_s - 1.5) < 0.1
    assert not list(tmp_path.glob(".rendering-*"))


def test_same_request_same_pictures_different_seed_different(tmp_path: Path) -> None:
    spec = RenderSpec("a red kite", seed=3, duration_s=0.5, width=160, height=96)
    a = _frames(render_video(spec, tmp_path / "a.mp4"))
    b = _frames(render_video(spec, tmp_path / "b.mp4"))
    c = _frames(
        render_video(RenderSpec("a red kite", seed=4, duration_s=0.5, width=160, height=96), tmp_path / "c.mp4")
    )
    # The scene is deterministic; x264's threads may round a few pixels differently, so compare closely, not bitwise.
    same = np.abs(a[0].astype(int) - b[0].astype(int)).mean()
    different = np.abs(a[0].astype(int) - c[0].astype(int)).mean()
    assert same < 1.0 and different > 10 * max(same, 1.0)


def test_faces_are_composited(tmp_path: Path) -> None:
    face_path = tmp_path / "face.png"
    face = np.zeros((120, 100, 4), np.uint8)
    face[..., 1] = 255  # a green RGBA "face": alpha channels must be handled
    face[..., 3] = 255
    Image.fromarray(face, "RGBA").save(face_path)
    rgb = load_face_image(face_path)
    assert rgb.shape == (120, 100, 3)
    plain = _frames(render_video(RenderSpec("x", duration_s=0.5, width=320, height=180), tmp_path / "p.mp4"))[0]
    with_face = _frames(
        render_video(RenderSpec("x", duration_s=0.5, width=320, height=180, faces=(rgb,)), tmp_path / "f.mp4")
    )[0]
    centre = (slice(70, 110), slice(140, 180))
    assert with_face[centre][..., 1].mean() > 200 > plain[centre][..., 1].mean() or not np.array_equal(
        with_face[centre], plain[centre]
    )
    assert with_face[centre][..., 1].mean() - with_face[centre][..., 0].mean() > 100


def test_remix_trims_and_regrades(tmp_path: Path) -> None:
    parent = render_video(RenderSpec("x", duration_s=2.0, width=320, height=180), tmp_path / "p.mp4")
    child = remix_video(parent, tmp_path / "c.mp4", caption="remixed", seed=1)
    assert probe(child).duration_s < probe(parent).duration_s
    assert probe(child).has_audio
    assert not np.array_equal(_frames(parent)[10], _frames(child)[5])


def test_a_voice_becomes_the_sound_track(tmp_path: Path) -> None:
    """A generator that speaks: the voice replaces the tone, and the pictures last as long as the voice."""
    import wave

    rate, seconds = 16000, 2.5
    t = np.arange(int(rate * seconds)) / rate
    voice = tmp_path / "voice.wav"
    with wave.open(str(voice), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2").tobytes())
    picture = render_video(RenderSpec("a red kite", seed=3, duration_s=1.0, width=160, height=96), tmp_path / "a.mp4")
    dubbed = dub(picture, voice, tmp_path / "dubbed.mp4")
    info = probe(dubbed)
    assert info.has_audio and info.duration_s >= seconds
    sound = read_audio(dubbed)
    assert sound is not None and sound.size >= seconds * 16000 * 0.95
    spectrum = np.abs(np.fft.rfft(sound[: 16000 * 2]))
    assert abs(int(np.argmax(spectrum)) * 16000 / (16000 * 2) - 440) < 5, "the voice, not the tone"
