"""Soft bindings: their values, and their `c2pa.soft-binding` assertions as c2pa's own Reader validates them."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import c2pa
import pytest

from provenance import (
    FINGERPRINT_ALG,
    WATERMARK_ALG,
    ManifestSigner,
    Publication,
    SigningError,
    SoftBinding,
    load_credentials,
    make_dev_chain,
    manifest_label,
    read_manifest,
    soft_bindings,
    watermark_token,
    watermark_value,
)
from provenance.softbinding import canonical_value, fingerprint_value

HASHES = ((0.0, b"\x01" * 32, 90), (0.5, b"\x02" * 32, 80), (0.5, b"\x03" * 32, 70))


@pytest.fixture(scope="module")
def signer(tmp_path_factory: pytest.TempPathFactory) -> ManifestSigner:
    _, chain_path, key_path = make_dev_chain(tmp_path_factory.mktemp("keys"))
    return ManifestSigner(load_credentials(chain_path, key_path=key_path), generator="cameoguard", version="9.9")


def test_values_round_trip_and_are_canonical() -> None:
    token = 0xAB_CDEF_0123
    value = watermark_value(token)
    assert watermark_token(value) == token and canonical_value(WATERMARK_ALG, value) == value
    # URL-safe alphabet and missing padding name the same value; other lengths and algorithms name nothing.
    assert canonical_value(WATERMARK_ALG, value.replace("+", "-").replace("/", "_").rstrip("=")) == value
    assert canonical_value(WATERMARK_ALG, "AAAA") is None and canonical_value("com.example", value) is None
    assert canonical_value(FINGERPRINT_ALG, value) is None and watermark_token("%%%") is None
    digest = fingerprint_value(HASHES)
    assert digest is not None and canonical_value(FINGERPRINT_ALG, digest) == digest
    assert fingerprint_value(HASHES[::-1]) == digest, "the order samples arrive in does not matter"
    assert fingerprint_value(HASHES[:2]) != digest and fingerprint_value(()) is None
    label = manifest_label("vid_a", token)
    assert label == manifest_label("vid_a", token) and label != manifest_label("vid_a", token + 1)
    assert label.startswith("urn:c2pa:") and label[9:][14] == "4", "a version-4 UUID, as C2PA requires"


def test_the_manifest_declares_both_bindings_and_the_reader_validates_them(
    signer: ManifestSigner, benign_clip: Path, tmp_path: Path
) -> None:
    bindings = soft_bindings(77, HASHES, duration_ms=2000)
    label = manifest_label("vid_a", 77)
    signed = tmp_path / "signed.mp4"
    publication = Publication("vid_a", "dec_a", "default@1", soft_bindings=bindings, label=label)
    store = signer.sign(benign_clip, signed, publication)
    report = read_manifest(signed)
    assert report.valid and report.label == label
    assert report.soft_bindings == (
        SoftBinding(WATERMARK_ALG, watermark_value(77), 0, 2000),
        SoftBinding(FINGERPRINT_ALG, fingerprint_value(HASHES) or "", 0, 500),
    )
    # The returned store is the manifest repository's copy: it validates against the signed file.
    assert store.startswith(b"\x00") and b"jumb" in store[:16]
    sidecar = read_manifest(signed, manifest_store=store)
    assert sidecar.valid and sidecar.label == label and sidecar.soft_bindings == report.soft_bindings
    with signed.open("rb") as stream, c2pa.Reader("video/mp4", stream, manifest_data=store) as reader:
        codes = [
            entry["code"]
            for entry in reader.get_validation_results()["activeManifest"]["success"]
            if "soft" in entry["url"]
        ]
        assert codes.count("assertion.hashedURI.match") == 2
        labels = [a["label"] for a in json.loads(reader.json())["manifests"][label]["assertions"]]
        assert labels.count("c2pa.soft-binding") == 2


def test_a_malformed_soft_binding_is_refused_by_the_library(
    signer: ManifestSigner, benign_clip: Path, tmp_path: Path
) -> None:
    """c2pa decodes every soft-binding assertion when it validates a claim: the shape we write is checked for
    real, and a block without a scope is not accepted."""

    class Broken(SoftBinding):
        def assertion(self) -> dict[str, object]:
            data = super().assertion()
            data["blocks"] = [{"value": self.value}]
            return data

    broken = Broken(WATERMARK_ALG, watermark_value(1), 0, 1000)
    publication = Publication("vid_b", "dec_b", "default@1", soft_bindings=(broken,))
    with pytest.raises(SigningError, match="soft binding"):
        signer.sign(benign_clip, tmp_path / "broken.mp4", publication)
    assert not (tmp_path / "broken.mp4").exists()
    fine = replace(publication, soft_bindings=(SoftBinding(WATERMARK_ALG, watermark_value(1), 0, 1000),))
    assert signer.sign(benign_clip, tmp_path / "fine.mp4", fine)
