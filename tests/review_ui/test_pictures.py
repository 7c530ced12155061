"""Case pictures and sounds: sound starts muted, and the player's time and play/pause sit outside its blur."""

from __future__ import annotations

from pathlib import Path

from review_ui import pictures


def test_speech_clips_start_muted() -> None:
    assert "<audio controls muted " in pictures.audio_figure(b"RIFF", "0.0-1.0 s")


def test_the_players_time_and_play_button_are_outside_the_blur(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"not really a video")
    player = pictures.video_player(clip, blur_px=24, grayscale=True)
    video, _, rest = player.partition("</video>")
    assert "filter:blur(24px) grayscale(100%)" in video and " muted " in video
    assert 'id="case-time"' not in video and "id='case-time'" in rest and "id='case-play'" in rest
