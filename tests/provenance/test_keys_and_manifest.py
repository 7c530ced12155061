"""Signing keys and C2PA manifests, read back by c2pa's own Reader."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from provenance import ManifestSigner, Publication, SigningError, load_credentials, make_dev_chain, read_manifest


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return make_dev_chain(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def signer(chain: tuple[Path, Path, Path]) -> ManifestSigner:
    _, chain_path, key_path = chain
    return ManifestSigner(load_credentials(chain_path, key_path=key_path), generator="cameoguard", version="9.9")


def test_dev_chain_has_the_extensions_c2pa_needs(chain: tuple[Path, Path, Path]) -> None:
    _, chain_path, key_path = chain
    leaf, root = x509.load_pem_x509_certificates(chain_path.read_bytes())
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert leaf.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert load_credentials(chain_path, key_path=key_path).is_development


def test_key_problems_are_reported_without_the_key(
    tmp_path: Path, chain: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, chain_path, key_path = chain
    with pytest.raises(SigningError, match="is not set"):
        load_credentials(chain_path, key_env="CAMEOGUARD_TEST_NO_SUCH_KEY")
    monkeypatch.setenv("CAMEOGUARD_TEST_KEY", "-----BEGIN PRIVATE KEY-----\nsecretsecret\n-----END PRIVATE KEY-----")
    with pytest.raises(SigningError) as caught:
        load_credentials(chain_path, key_env="CAMEOGUARD_TEST_KEY")
    assert "secretsecret" not in str(caught.value)
    monkeypatch.setenv("CAMEOGUARD_TEST_KEY", key_path.read_text())
    assert load_credentials(chain_path, key_env="CAMEOGUARD_TEST_KEY").key_pem.startswith(b"-----BEGIN")
    assert "PRIVATE KEY" not in repr(load_credentials(chain_path, key_path=key_path))


def test_signed_generation_validates_and_is_trusted_with_the_root(
    signer: ManifestSigner, chain: tuple[Path, Path, Path], benign_clip: Path, tmp_path: Path
) -> None:
    signed = tmp_path / "signed.mp4"
    signer.sign(benign_clip, signed, Publication("vid_a", "dec_a", "default@1", ("cam_1",)))
    untrusted = read_manifest(signed)
    assert untrusted.present and untrusted.valid and not untrusted.trusted
    assert untrusted.state == "Valid" and "signingCredential.untrusted" in untrusted.validation_codes
    trusted = read_manifest(signed, trust_anchors_pem=chain[0].read_text())
    assert trusted.trusted and trusted.state == "Trusted" and trusted.validation_codes == ()
    assert trusted.ai_generated and trusted.video_id == "vid_a"
    assert trusted.assertion == {
        "video_id": "vid_a",
        "decision_id": "dec_a",
        "policy": "default@1",
        "cameos": ["cam_1"],
    }
    assert trusted.claim_generator == "cameoguard/9.9"

    flipped = tmp_path / "flipped.mp4"
    data = bytearray(signed.read_bytes())
    data[len(data) // 2] ^= 0x01
    flipped.write_bytes(bytes(data))
    broken = read_manifest(flipped, trust_anchors_pem=chain[0].read_text())
    assert broken.present and not broken.valid and broken.state == "Invalid"
    assert "assertion.bmffHash.mismatch" in broken.validation_codes


def test_remix_names_its_parent(signer: ManifestSigner, benign_clip: Path, tmp_path: Path) -> None:
    parent = tmp_path / "parent.mp4"
    signer.sign(benign_clip, parent, Publication("vid_p", "dec_p", "default@1"))
    child = tmp_path / "child.mp4"
    signer.sign(
        benign_clip, child, Publication("vid_c", "dec_c", "default@1", parent_video_id="vid_p"), parent_file=parent
    )
    report = read_manifest(child)
    assert report.parent_video_id == "vid_p" and report.parent_title == "vid_p.mp4"
    assert report.ai_generated


def test_unsigned_file_has_no_manifest(benign_clip: Path) -> None:
    report = read_manifest(benign_clip)
    assert not report.present and not report.valid
    assert json.dumps(report.to_json())
