"""Keys in production and their rotation: production never makes a key; a development chain is never trusted
outside development; the signing, watermark and audit keys and the hook tokens rotate without breaking what the
old ones made (`cameoguard keys rotate signing|watermark|audit`, `cameoguard hook rotate`)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from provenance import InvisibleWatermark, read_manifest, roots_in, sampled_frames
from provenance.keys import make_dev_chain
from safety import CameoGuard, ConfigurationError, Settings, StorageError, build, to_json
from safety.audit import KEY_ROTATED, verify_chain
from safety.clock import FakeClock
from safety.edges.cli import main
from safety.edges.http import create_app
from safety.faces.fake import FakeFaceAnalyzer
from safety.fakes import fake_models
from safety.records import Scope
from tests.safety.gate.test_provenance_gate import generate

# On PostgreSQL too: what this tests is the database's part (locks, claims, transactions, SQL).
pytestmark = pytest.mark.dialects


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    """`cameoguard …` against the test's home and database; (exit code, JSON or stdout, stderr)."""
    monkeypatch.setenv("CAMEOGUARD_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("CAMEOGUARD_ADULT_POLICY", settings.adult_policy)
    monkeypatch.setenv("CAMEOGUARD_TEEN_POLICY", settings.teen_policy)

    def run(*args: str) -> tuple[int, Any, str]:
        capsys.readouterr()
        code = main(["--home", str(settings.home), *args])
        captured = capsys.readouterr()
        try:
            return code, json.loads(captured.out), captured.err
        except ValueError:
            return code, captured.out, captured.err

    yield run


def _private_chain(folder: Path) -> tuple[Path, Path, Path]:
    """A chain from a private certificate authority (not the development one): root, chain, key."""
    return make_dev_chain(folder, organisation="Example Studio")


def _production(settings: Settings, tmp_path: Path) -> Settings:
    """Production settings with every key file an operator provides."""
    root, chain, key = _private_chain(tmp_path / "ca")
    watermark = tmp_path / "secrets" / "watermark.key"
    audit = tmp_path / "secrets" / "audit.key"
    watermark.parent.mkdir(exist_ok=True)
    watermark.write_text(f"{secrets.randbits(63)}\n")
    audit.write_text(secrets.token_hex(32) + "\n")
    return settings.model_copy(
        update={
            "env": "production",
            "signing_chain": chain,
            "signing_key": key,
            "trust_anchors": root,
            "watermark_key_file": watermark,
            "audit_key_file": audit,
        }
    )


def _guard(settings: Settings, **kwargs: Any) -> CameoGuard:
    return build(settings, face_analyzer=FakeFaceAnalyzer(), models=fake_models(), **kwargs)


def test_production_never_makes_a_key_and_names_each_missing_one(settings: Settings, tmp_path: Path) -> None:
    complete = _production(settings, tmp_path)
    missing = {
        "signing_chain": "CAMEOGUARD_SIGNING_CHAIN",
        "trust_anchors": "CAMEOGUARD_TRUST_ANCHORS",
        "watermark_key_file": "CAMEOGUARD_WATERMARK_KEY_FILE",
        "audit_key_file": "CAMEOGUARD_AUDIT_KEY_FILE",
    }
    for field, variable in missing.items():
        with pytest.raises(ConfigurationError, match=variable):
            _guard(complete.model_copy(update={field: None}))
    gone = tmp_path / "nowhere" / "watermark.key"
    with pytest.raises(ConfigurationError, match=str(gone)):
        _guard(complete.model_copy(update={"watermark_key_file": gone}))
    with pytest.raises(ConfigurationError, match="CAMEOGUARD_SIGNING"):
        _guard(complete.model_copy(update={"signing_key": tmp_path / "no-such.key"}))
    assert not (settings.home / "keys").exists(), "production made a key"
    # The development root in the trust list, or a trust list without the signing root: refused.
    dev_root, _chain, _key = make_dev_chain(tmp_path / "dev")
    both = tmp_path / "both.pem"
    both.write_bytes(Path(str(complete.trust_anchors)).read_bytes() + dev_root.read_bytes())
    with pytest.raises(ConfigurationError, match="development root"):
        _guard(complete.model_copy(update={"trust_anchors": both}))
    other_root, _chain, _key = _private_chain(tmp_path / "other-ca")
    with pytest.raises(ConfigurationError, match="does not hold the root"):
        _guard(complete.model_copy(update={"trust_anchors": other_root}))
    with _guard(complete) as guard:
        assert guard.keys.trust_anchors_pem and not guard.keys.credentials.is_development
    assert not (settings.home / "keys").exists()


def test_a_development_chain_is_never_trusted_outside_development(settings: Settings, tmp_path: Path) -> None:
    with _guard(settings) as development:
        development.accounts.add_user("maya")
        dev_signed = Path(generate(development)["published_path"])
        # In development the trust list is the development root: its own files verify as trusted.
        assert to_json(development.tracing.verify(dev_signed))["c2pa"]["trusted"] is True
    saved = tmp_path / "dev-signed.mp4"
    saved.write_bytes(dev_signed.read_bytes())
    production_settings = _production(settings, tmp_path)
    # One database, one audit chain, one audit key: the production process takes over the development one's.
    Path(str(production_settings.audit_key_file)).write_bytes((settings.home / "keys" / "audit.key").read_bytes())
    with _guard(production_settings) as production:
        report = to_json(production.tracing.verify(saved))
        assert report["c2pa"]["present"] and report["c2pa"]["trusted"] is False
        claimed = next(e for e in report["evidence"] if e["source"] == "c2pa")
        assert claimed["believed"] is False and report["traced_by"] != "c2pa"
        own = Path(generate(production, prompt="a quiet harbour", seed=5)["published_path"])
        assert to_json(production.tracing.verify(own))["c2pa"]["trusted"] is True


def test_signing_key_rotation_signs_new_files_with_the_new_key_and_old_ones_still_verify(
    settings: Settings, cli: Any
) -> None:
    with _guard(settings) as before:
        before.accounts.add_user("maya")
        old = Path(generate(before)["published_path"])
    code, rotated, err = cli("keys", "rotate", "signing", "--json")
    assert code == 0, err
    assert rotated["mode"] == "development" and rotated["trusted_roots"] == 2
    new_root = roots_in((settings.home / "keys" / "root.pem").read_bytes())[0]
    from cryptography.hazmat.primitives.serialization import Encoding

    only_new = new_root.public_bytes(Encoding.PEM).decode()
    with _guard(settings) as after:
        new = Path(generate(after, prompt="a quiet harbour", seed=5)["published_path"])
        assert read_manifest(new, trust_anchors_pem=only_new).trusted, "signed with the new key"
        assert not read_manifest(old, trust_anchors_pem=only_new).trusted, "the old file was signed with the old key"
        for path in (old, new):
            assert to_json(after.tracing.verify(path))["c2pa"]["trusted"] is True, path


def test_checking_production_signing_credentials_before_a_rotation(
    settings: Settings, tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    production = _production(settings, tmp_path)
    old_root = Path(str(production.trust_anchors))
    new_root, new_chain, new_key = _private_chain(tmp_path / "next-ca")
    trust = tmp_path / "trust.pem"
    for name, value in {
        "CAMEOGUARD_ENV": "production",
        "CAMEOGUARD_SIGNING_CHAIN": str(production.signing_chain),
        "CAMEOGUARD_SIGNING_KEY": str(production.signing_key),
        "CAMEOGUARD_TRUST_ANCHORS": str(trust),
        "CAMEOGUARD_WATERMARK_KEY_FILE": str(production.watermark_key_file),
        "CAMEOGUARD_AUDIT_KEY_FILE": str(production.audit_key_file),
    }.items():
        monkeypatch.setenv(name, value)
    trust.write_bytes(old_root.read_bytes())
    code, _, err = cli("keys", "rotate", "signing", "--chain", str(new_chain), "--key", str(new_key), "--json")
    assert code == 5 and "does not hold the root" in err
    trust.write_bytes(new_root.read_bytes())
    code, _, err = cli("keys", "rotate", "signing", "--chain", str(new_chain), "--key", str(new_key), "--json")
    assert code == 5 and "current chain's root" in err, "dropping the old root would untrust every file signed so far"
    trust.write_bytes(old_root.read_bytes() + new_root.read_bytes())
    code, _, err = cli("keys", "rotate", "signing", "--chain", str(new_chain), "--key", str(production.signing_key))
    assert code == 5 and "does not belong" in err
    code, checked, err = cli("keys", "rotate", "signing", "--chain", str(new_chain), "--key", str(new_key), "--json")
    assert code == 0, err
    assert checked["set"]["CAMEOGUARD_SIGNING_CHAIN"] == str(new_chain.resolve())
    code, _, err = cli("keys", "rotate", "signing")
    assert code == 5 and "--chain" in err, "production never makes a signing key"


def test_watermark_key_rotation_keeps_old_marks_readable(settings: Settings, cli: Any) -> None:
    with _guard(settings) as before:
        before.accounts.add_user("maya")
        old = generate(before)
        old_key = before.keys.watermark_key
    code, rotated, err = cli("keys", "rotate", "watermark", "--json")
    assert code == 0 and rotated["keys"] == 2, err
    with _guard(settings) as after:
        assert after.keys.watermark_key != old_key and after.keys.watermark_ring[1] == old_key
        new = generate(after, prompt="a quiet harbour", seed=5)
        for made in (old, new):
            assert (
                to_json(after.tracing.verify(Path(made["published_path"])))["watermark"]["video_id"] == made["video_id"]
            )
        frames = [frame for _, frame in sampled_frames(str(new["published_path"]), every_s=0.25, max_frames=80)]
        assert InvisibleWatermark(after.keys.watermark_key).read(frames).found
        assert not InvisibleWatermark(old_key).read(frames).found, "new marks are made with the new key"


def test_audit_key_rotation_reanchors_the_chain(settings: Settings, cli: Any) -> None:
    old_guard = _guard(settings)
    try:
        old_guard.accounts.add_user("maya")
        old_key = old_guard.store.audit_key
        code, rotated, err = cli("keys", "rotate", "audit", "--json")
        assert code == 0, err
        # A process still holding the retired key may not write on: it would fork the chain.
        with pytest.raises(StorageError, match="audit key"):
            old_guard.accounts.add_user("theo")
    finally:
        old_guard.close()
    with _guard(settings) as guard:
        assert guard.store.audit_key != old_key and guard.store.retired_audit_keys == (old_key,)
        guard.accounts.add_user("theo")
        assert guard.tracing.verify_audit().ok
        with guard.store.transaction() as tx:
            entries, head = list(tx.audit.entries()), tx.audit.head()
        rotation = next(e for e in entries if e.action == KEY_ROTATED)
        assert rotation.seq == rotated["rotation_entry"] and rotation.details["to_key"] == rotated["to_key"]
        # Entries before the rotation need the old key, those after it the new one.
        assert not verify_chain(entries, guard.store.audit_key, head=head).ok
        assert verify_chain(entries, guard.store.audit_key, head=head, retired=(old_key,)).ok
        forged = [
            e if e.seq != rotation.seq else type(e)(**{**e.__dict__, "details": {**e.details, "cosignature": "0" * 64}})
            for e in entries
        ]
        broken = verify_chain(forged, guard.store.audit_key, head=head, retired=(old_key,))
        assert not broken.ok and broken.first_broken_seq == rotation.seq and "retires" in broken.problem


def test_a_rotated_hook_token_keeps_working_through_its_grace_period(settings: Settings, cli: Any) -> None:
    clock = FakeClock()
    with _guard(settings, clock=clock) as guard:
        issued = guard.accounts.issue_client("pipeline", [Scope.GENERATE])
        rotated = guard.accounts.rotate_token("pipeline", timedelta(hours=1))
        api = TestClient(create_app(guard))

        def status(token: str) -> int:
            return api.get("/v1/checks", headers={"Authorization": f"Bearer {token}"}).status_code

        assert status(issued.token) == 200 and status(rotated.token) == 200
        assert guard.accounts.webhook_secret("pipeline") == issued.webhook_secret, "receivers need not change"
        clock.advance(timedelta(minutes=61))
        assert status(issued.token) == 401 and status(rotated.token) == 200
        # Rotating at once (`hook token`) or revoking ends a grace period too.
        again = guard.accounts.rotate_token("pipeline", timedelta(hours=1))
        guard.accounts.revoke_client("pipeline")
        assert status(again.token) == 401 and status(rotated.token) == 401
    code, payload, err = cli("hook", "token", "studio", "--json")
    assert code == 0, err
    code, grace, err = cli("hook", "rotate", "studio", "--grace", "24h", "--json")
    assert code == 0, err
    assert set(grace) == {"client", "token", "old_token_valid_until"} and grace["token"] != payload["token"]
    with _guard(settings) as guard:
        assert guard.accounts.api_client(payload["token"]) is not None
        assert guard.accounts.api_client(grace["token"]) is not None
    code, _, err = cli("hook", "rotate", "studio", "--grace", "soon")
    assert code == 2 and "duration" in err
