"""Files a request brings: a path the server may read (inside the allowed folders, checked on the opened
descriptor) or a multipart upload, each copied to a private scratch folder that is removed when the route is done.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import UploadFile

from safety.edges.http.problems import missing_field
from safety.safe_files import copy_allowed_file
from safety.wiring import CameoGuard


def _inside(path: Path, folders: tuple[Path, ...]) -> bool:
    resolved = path.resolve()
    return any(resolved.is_relative_to(folder) for folder in folders)


class Uploads:
    """The files of requests, for one app."""

    def __init__(self, services: CameoGuard) -> None:
        self._scratch = services.media.area("tmp")
        self._allowed = services.settings.allowed_video_dirs

    def allowed_path(self, raw: str | None) -> Path | None:
        if raw is None:
            return None
        # A cheap first look at the name; the real check is on the opened descriptor (`copy_allowed_file`).
        path = Path(raw)
        if "\x00" in raw or not path.is_absolute() or not _inside(path, self._allowed):
            raise HTTPException(status_code=403, detail="paths must be absolute and inside the allowed folders")
        return path

    @contextmanager
    def opened_once(self, video: str, image: str | None) -> Iterator[tuple[Path, Path | None]]:
        """Private copies of the named files, each opened once and checked on its descriptor."""
        named_video, named_image = self.allowed_path(video) or Path(), self.allowed_path(image)
        scratch = Path(tempfile.mkdtemp(prefix="upload-", dir=self._scratch))
        try:
            video_copy = copy_allowed_file(named_video, self._allowed, scratch / f"video{named_video.suffix.lower()}")
            image_copy = (
                copy_allowed_file(named_image, self._allowed, scratch / f"image{named_image.suffix.lower()}")
                if named_image is not None
                else None
            )
            yield video_copy, image_copy
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    @asynccontextmanager
    async def received(self, request: Request, prefix: str) -> AsyncIterator[tuple[Path, dict[str, str], list[str]]]:
        """The multipart `video` field written to a private scratch file (the body's size is capped by the app's
        middleware), the form's text fields and its `cameos`; the scratch folder is removed afterwards."""
        form = await request.form()
        try:
            video = form.get("video")
            if not isinstance(video, UploadFile):
                raise missing_field("video")
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            cameos = [c for c in form.getlist("cameos") if isinstance(c, str) and c]
            scratch = Path(tempfile.mkdtemp(prefix=prefix, dir=self._scratch))
            try:
                target = scratch / "upload.mp4"
                # No count here: `BodyLimits` already refused a body over the cap while it streamed in.
                with target.open("wb") as handle:
                    shutil.copyfileobj(video.file, handle, 1 << 20)
                yield target, fields, cameos
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
        finally:
            # Parsed by hand, so closed by hand: the upload's spooled file is not left to the garbage collector.
            await form.close()


@asynccontextmanager
async def uploaded_files(
    request: Request, field: str, scratch_root: Path
) -> AsyncIterator[tuple[list[Path], dict[str, str]]]:
    """The multipart files of `field`, saved privately (the body size is capped by the app's middleware), with
    the form's text fields; removed afterwards."""
    form = await request.form()
    try:
        files = [f for f in form.getlist(field) if isinstance(f, UploadFile)]
        if not files:
            raise RequestValidationError([{"loc": ("body", field), "msg": "Field required", "type": "missing"}])
        scratch = Path(tempfile.mkdtemp(prefix="api-", dir=scratch_root))
        try:
            saved = []
            for index, upload in enumerate(files):
                suffix = Path(upload.filename or "").suffix.lower()[:8]
                target = scratch / f"{field}-{index}{suffix}"
                with target.open("wb") as handle:
                    shutil.copyfileobj(upload.file, handle, 1 << 20)
                saved.append(target)
            yield saved, {k: v for k, v in form.items() if isinstance(v, str)}
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    finally:
        # Parsed by hand, so closed by hand: the upload's spooled file is not left to the garbage collector.
        await form.close()
