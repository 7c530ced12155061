"""Face model packs: installed from a local zip file, checksum-verified, never downloaded.

A pack is a zip holding `cameoguard-pack.json` and the model files it names:

    {"name": "buffalo_l", "model_id": "insightface-buffalo_l", "detector": "det_10g.onnx",
     "recognizer": "w600k_r50.onnx", "files": {"det_10g.onnx": "<sha256>", "w600k_r50.onnx": "<sha256>"}}

Installing checks the zip's own sha256 when one is given, refuses paths that escape the pack, verifies every file
against the manifest, and only then renames the unpacked folder into HOME/models/NAME, so a bad pack leaves
nothing behind.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from safety.errors import ConflictError, InvalidMediaError, ModelUnavailable

MANIFEST = "cameoguard-pack.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# 4 GiB unpacked, far above a face model pack's size: a zip bomb (a small archive that declares huge members) is
# refused before anything is written.
_MAX_UNPACKED = 4 << 30


@dataclass(frozen=True)
class PackManifest:
    """What a pack contains."""

    name: str
    """Folder name under HOME/models."""
    model_id: str
    """Recorded with every template made by this pack's recognizer."""
    detector: str
    """Detector file name."""
    recognizer: str
    """Recognizer file name."""
    files: dict[str, str]
    """File name → sha256."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _parse_manifest(text: str, where: str) -> PackManifest:
    try:
        data = json.loads(text)
        manifest = PackManifest(
            name=str(data["name"]),
            model_id=str(data["model_id"]),
            detector=str(data["detector"]),
            recognizer=str(data["recognizer"]),
            files={str(k): str(v).lower() for k, v in dict(data["files"]).items()},
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidMediaError(f"{where}: not a valid pack manifest: {exc}") from None
    if not _NAME.match(manifest.name):
        raise InvalidMediaError(f"{where}: pack name `{manifest.name}` is not a safe folder name")
    for needed in (manifest.detector, manifest.recognizer):
        if needed not in manifest.files:
            raise InvalidMediaError(f"{where}: `{needed}` has no checksum in the manifest")
    return manifest


def read_manifest(pack_dir: Path) -> PackManifest:
    """The manifest of an installed pack; `ModelUnavailable` when it is missing or broken."""
    path = pack_dir / MANIFEST
    if not path.is_file():
        raise ModelUnavailable(f"no face model pack at {pack_dir} (install one with `cameoguard models install`)")
    try:
        return _parse_manifest(path.read_text(encoding="utf-8"), str(path))
    except InvalidMediaError as exc:
        raise ModelUnavailable(str(exc)) from None


def install_pack(archive: Path, models_root: Path, expected_sha256: str | None = None) -> PackManifest:
    """Verify and unpack a pack zip into `models_root/NAME`."""
    if not archive.is_file():
        raise InvalidMediaError(f"no such pack file (or not a regular file): {archive}")
    if expected_sha256 is not None and _sha256(archive) != expected_sha256.lower():
        raise InvalidMediaError(f"{archive} does not match the expected sha256")
    try:
        bundle = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as exc:
        raise InvalidMediaError(f"{archive} is not a zip file: {exc}") from None
    with bundle:
        names = bundle.namelist()
        if MANIFEST not in names:
            raise InvalidMediaError(f"{archive} has no {MANIFEST}")
        try:
            text = bundle.read(MANIFEST).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidMediaError(f"{archive}:{MANIFEST} is not UTF-8 text") from None
        manifest = _parse_manifest(text, f"{archive}:{MANIFEST}")
        if sum(info.file_size for info in bundle.infolist()) > _MAX_UNPACKED:
            raise InvalidMediaError(f"{archive} unpacks to more than 4 GiB")
        for name in names:
            pure = PurePosixPath(name)
            if pure.is_absolute() or ".." in pure.parts or "/" in name.strip("/"):
                raise InvalidMediaError(f"{archive} holds a path outside the pack: {name}")
        missing = [name for name in manifest.files if name not in names]
        if missing:
            raise InvalidMediaError(f"{archive} lacks files its manifest names: {', '.join(missing)}")
        target = models_root / manifest.name
        if target.exists():
            raise ConflictError(f"a pack named `{manifest.name}` is already installed at {target}")
        models_root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".installing-", dir=models_root))
        try:
            for name in [MANIFEST, *manifest.files]:
                with bundle.open(name) as source, (staging / name).open("wb") as out:
                    shutil.copyfileobj(source, out, 1 << 20)
            for name, checksum in manifest.files.items():
                if _sha256(staging / name) != checksum:
                    raise InvalidMediaError(f"{name} in {archive} does not match its manifest checksum")
            staging.rename(target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return manifest


def installed_packs(models_root: Path) -> list[PackManifest]:
    if not models_root.is_dir():
        return []
    return [read_manifest(d) for d in sorted(models_root.iterdir()) if (d / MANIFEST).is_file()]
