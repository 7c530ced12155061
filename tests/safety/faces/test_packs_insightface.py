"""Model packs install from local zips with checksums, and the InsightFace path loads and runs them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from safety import ConflictError, InvalidMediaError
from safety.errors import ModelUnavailable
from safety.faces.insightface_analyzer import InsightFaceAnalyzer
from safety.faces.packs import install_pack, installed_packs, read_manifest
from tests.safety.faces.onnx_models import build_pack


def test_install_verify_and_load(tmp_path: Path) -> None:
    archive = build_pack(tmp_path / "build")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    models = tmp_path / "models"
    manifest = install_pack(archive, models, digest)
    assert manifest.model_id == "insightface-tiny"
    assert [p.name for p in installed_packs(models)] == ["tiny"]
    with pytest.raises(ConflictError):
        install_pack(archive, models)

    analyzer = InsightFaceAnalyzer(models / "tiny")
    assert analyzer.model_id == "insightface-tiny"
    image = np.full((640, 640, 3), 90, np.uint8)
    faces = analyzer.detect(image)
    assert len(faces) == 1
    box = faces[0].box
    assert abs((box.left + box.right) / 2 - 320) < 4 and abs(box.width - 128) < 6
    assert faces[0].detector == "scrfd" and len(faces[0].landmarks) == 5
    first = analyzer.embed(image, faces[0])
    assert first.shape == (512,) and abs(float(np.linalg.norm(first)) - 1) < 1e-4
    other = analyzer.embed(np.full((640, 640, 3), [200, 30, 30], np.uint8), faces[0])
    assert float(np.linalg.norm(first - other)) > 0.1


def test_wrong_checksum_tampering_and_zip_slip_leave_nothing(tmp_path: Path) -> None:
    models = tmp_path / "models"
    archive = build_pack(tmp_path / "a")
    with pytest.raises(InvalidMediaError, match="expected sha256"):
        install_pack(archive, models, "0" * 64)
    with pytest.raises(InvalidMediaError, match="does not match its manifest"):
        install_pack(build_pack(tmp_path / "b", tamper=True), models)
    with pytest.raises(InvalidMediaError, match="outside the pack"):
        install_pack(build_pack(tmp_path / "c", extra={"../evil.txt": b"x"}), models)
    not_zip = tmp_path / "not.zip"
    not_zip.write_bytes(b"hello")
    with pytest.raises(InvalidMediaError, match="not a zip"):
        install_pack(not_zip, models)
    assert not models.exists() or list(models.iterdir()) == []


def test_missing_pack_is_model_unavailable(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable):
        read_manifest(tmp_path / "nothing")
    with pytest.raises(ModelUnavailable):
        InsightFaceAnalyzer(tmp_path / "nothing")
