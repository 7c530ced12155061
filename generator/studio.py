"""The studio: render a generation or a remix, then submit it through the hook. Nothing bypasses the gate.

Renders go to a scratch folder and are removed once the gate has taken its own copy; the only way a video the
studio makes reaches the public is the gate's decision.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from generator.client import LocalHook, PrepublishHook
from generator.render import RGB, RenderSpec, dub, load_face_image, remix_video, render_video
from safety import CameoGuard, ConflictError, Submission, SubmissionError


class Studio:
    """Generates videos for creators and hands each one to the pre-publish hook."""

    def __init__(self, services: CameoGuard, hook: PrepublishHook | None = None) -> None:
        self.services = services
        self.hook = hook or LocalHook(services)

    def generate(
        self,
        creator: str,
        prompt: str,
        *,
        cameos: Sequence[str] = (),
        seed: int = 0,
        remix_of: str | None = None,
        face_images: Sequence[Path] = (),
        duration_s: float = 4.0,
        size: tuple[int, int] = (640, 360),
        voice: Path | None = None,
    ) -> dict[str, Any]:
        """Render (or remix) and submit; returns the gate's decision JSON. `voice` (a sound file) becomes the
        video's sound track, as a generator that speaks would make it."""
        if not prompt.strip():
            raise SubmissionError("a prompt is required")
        faces: list[RGB] = []
        for owner in cameos:
            # The cameo's reference crop goes into the video; a cameo that does not exist is still declared, so
            # the gate can refuse it with a reason.
            try:
                references = self.services.cameos.cameo_reference_images(owner)
            except ConflictError:
                references = []
            if references:
                faces.append(load_face_image(references[0]))
        for path in face_images:
            if not path.is_file():
                raise SubmissionError(f"no such face image: {path}")
            faces.append(load_face_image(path))
        # Renders land in HOME/incoming: the one folder the HTTP hook accepts paths from by default.
        incoming = self.services.settings.home / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="render-", dir=incoming) as scratch:
            out = Path(scratch) / f"{uuid.uuid4().hex}.mp4"
            if remix_of is not None:
                parent = self.services.videos.published_file(remix_of)
                remix_video(parent, out, caption=prompt, seed=seed)
            else:
                spec = RenderSpec(prompt, seed, duration_s, size[0], size[1], faces=tuple(faces))
                render_video(spec, out)
            if voice is not None:
                silent = out.with_name(f"picture-{out.name}")
                os.replace(out, silent)
                dub(silent, voice, out)
                silent.unlink()
            submission = Submission(
                creator=creator, prompt=prompt, video_path=out, cameos=tuple(cameos), remix_of=remix_of
            )
            return self.hook.check(submission)
