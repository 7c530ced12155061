"""Case pictures for the page: blurred or grey as the reviewer chose, faces outlined, embedded as data URIs.

Pictures and sounds travel inside the page, never as URLs on Streamlit's public `/media/`, and blurring happens
here on the server: an unblurred frame reaches the browser only after the reviewer asks for it.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter


def softened(picture: Image.Image, *, blur_px: int, grayscale: bool) -> Image.Image:
    """The picture as the reviewer's wellness settings show it (`blur_px` 0: sharp)."""
    if blur_px > 0:
        # A CSS blur of N px on a 720 px player, scaled to this picture's width.
        picture = picture.filter(ImageFilter.GaussianBlur(radius=max(2.0, blur_px * picture.width / 720)))
    return picture.convert("L").convert("RGB") if grayscale else picture.convert("RGB")


def outlined(picture: Image.Image, boxes: Sequence[tuple[tuple[int, int, int, int], str]]) -> Image.Image:
    """A copy of the picture with each (box, label) drawn on it."""
    picture = picture.convert("RGB")
    draw = ImageDraw.Draw(picture)
    width = max(2, picture.width // 200)
    for (left, top, right, bottom), label in boxes:
        draw.rectangle((left, top, right, bottom), outline=(255, 200, 0), width=width)
        draw.text((left + 3, max(0, top - 12)), label, fill=(255, 200, 0))
    return picture


def jpeg_data_uri(picture: Image.Image) -> str:
    buffer = io.BytesIO()
    picture.convert("RGB").save(buffer, format="JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def figure(picture: Image.Image, caption: str, width: int | None = None, alt: str = "") -> str:
    """An image with its caption, as HTML."""
    size = f"width:{width}px;max-width:100%;" if width else "width:100%;"
    return (
        f'<figure style="margin:0"><img alt="{html.escape(alt)}" style="{size}" src="{jpeg_data_uri(picture)}">'
        f"<figcaption style='font-size:0.8em'>{html.escape(caption)}</figcaption></figure>"
    )


def audio_figure(wav: bytes, caption: str) -> str:
    """A sound clip with its caption, as HTML: muted until the reviewer turns the sound up (wellness)."""
    data = base64.b64encode(wav).decode()
    return (
        f'<figure style="margin:0"><audio controls muted preload="none" style="width:100%" '
        f'src="data:audio/wav;base64,{data}"></audio>'
        f"<figcaption style='font-size:0.8em'>{html.escape(caption)}</figcaption></figure>"
    )


def video_player(path: Path, *, blur_px: int, grayscale: bool) -> str:
    """The case's video, muted, blurred and/or grey by CSS until the reviewer changes it, with play/pause and the
    time beside it (outside the blur). Its script runs only where the page allows scripts (`st.html`)."""
    data = base64.b64encode(path.read_bytes()).decode()
    filters = [f"blur({blur_px}px)"] if blur_px > 0 else []
    if grayscale:
        filters.append("grayscale(100%)")
    style = f"width:100%;max-width:720px;filter:{' '.join(filters) or 'none'}"
    video = f'<video id="case-video" controls muted style="{style}" src="data:video/mp4;base64,{data}"></video>'
    # The blur covers the player's own controls too, so play/pause and the time are repeated outside it, sharp.
    controls = (
        "<div style='display:flex;gap:8px;align-items:center;font-size:0.85em;margin-top:4px'>"
        "<button type='button' id='case-play' aria-label='play or pause'>play / pause</button>"
        "<span id='case-time'>0:00.0 / -</span></div>"
    )
    return video + controls + f"<script>{_PLAYER_SCRIPT}</script>"


_PLAYER_SCRIPT = """
(function () {
  var video = document.getElementById('case-video');
  var time = document.getElementById('case-time');
  var play = document.getElementById('case-play');
  if (!video || !time || !play) return;
  function clock(t) {
    if (!isFinite(t)) return '-';
    var m = Math.floor(t / 60), s = t - m * 60;
    return m + ':' + (s < 10 ? '0' : '') + s.toFixed(1);
  }
  function show() { time.textContent = clock(video.currentTime) + ' / ' + clock(video.duration); }
  video.addEventListener('timeupdate', show);
  video.addEventListener('loadedmetadata', show);
  play.addEventListener('click', function () { if (video.paused) { video.play(); } else { video.pause(); } });
  show();
})();
"""


def bar(share: float | None, label: str) -> str:
    """A horizontal bar for a 0-1 value (similarity, a score), with the number written beside it."""
    if share is None:
        return f"<div style='font-size:0.85em'>{html.escape(label)}: -</div>"
    clamped = min(max(float(share), 0.0), 1.0)
    return (
        "<div style='font-size:0.85em;margin:2px 0'>"
        f"<div>{html.escape(label)}: {float(share):.2f}</div>"
        "<div style='background:#ddd;height:8px;border-radius:4px;max-width:240px'>"
        f"<div role='meter' aria-valuenow='{clamped:.2f}' aria-label='{html.escape(label)}' "
        f"style='background:#d9480f;height:8px;border-radius:4px;width:{clamped * 100:.0f}%'></div></div></div>"
    )
