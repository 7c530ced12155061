"""A local stand-in for a text-to-video model, and the client every generation publishes through.

`render` writes real H.264/AAC MP4s from a prompt and a seed (a procedural scene with faces composited in);
`remix` derives a new video from a parent; `Studio` renders and then submits through the pre-publish hook, the
only way anything it makes can be published. It uses `safety`'s public API only.
"""

from generator.client import HttpHook, LocalHook, PrepublishHook
from generator.render import RenderSpec, load_face_image, remix_video, render_photo_pan, render_video
from generator.studio import Studio

__all__ = [
    "HttpHook",
    "LocalHook",
    "PrepublishHook",
    "RenderSpec",
    "Studio",
    "load_face_image",
    "remix_video",
    "render_photo_pan",
    "render_video",
]
