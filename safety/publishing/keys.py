"""Provenance keys: the signing chain, the watermark keys and the audit keys, read from their files at start.

A production service with a missing or development key refuses to start rather than to sign; key files are written
whole or not at all (staged beside their final name, then renamed), so a crash never leaves half a key ring.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from provenance import (
    ProvenanceError,
    SigningCredentials,
    load_credentials,
    make_dev_chain,
    roots_in,
)
from provenance.keys import is_development_certificate, issued_by_one_of
from safety.errors import ConfigurationError
from safety.settings import Settings


@dataclass(frozen=True)
class ProvenanceKeys:
    """Where the signing material comes from."""

    credentials: SigningCredentials
    """Chain and key."""
    trust_anchors_pem: str | None
    """Roots a reader should trust (the dev root in development)."""
    watermark_key: int
    """Seed of the invisible watermark's patterns (the current key: new marks are made with it)."""
    watermark_keys: tuple[int, ...] = ()
    """Every watermark key, the current one first; marks made with a retired key still read."""

    @property
    def watermark_ring(self) -> tuple[int, ...]:
        return self.watermark_keys or (self.watermark_key,)


def ensure_dev_keys(folder: Path) -> None:
    """Create the development chain and watermark key under `folder` when missing."""
    if not (folder / "chain.pem").is_file() or not (folder / "signer.key").is_file():
        make_dev_chain(folder)
    key_file = folder / "watermark.key"
    if not key_file.is_file():
        key_file.write_text(str(secrets.randbits(63)))
        key_file.chmod(0o600)


# 256 bits, as HMAC-SHA256 uses them all; keys given by an operator may be shorter down to 16 bytes (128 bits), below
# which a key could be searched for.
AUDIT_KEY_BYTES = 32


def key_lines(path: Path) -> list[str]:
    """A key file's keys: one a line, the current one first; blank lines and `#` comments are skipped."""
    lines = path.read_text(encoding="ascii").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def stage_key_file(path: Path, keys: list[str], comment: str) -> Path:
    """A key file's new contents written beside it (fsynced, readable by its owner only), to be renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"# {comment}\n" + "".join(f"{key}\n" for key in keys))
        handle.flush()
        os.fsync(handle.fileno())
    return staged


def create_key_file(path: Path, keys: list[str], comment: str) -> None:
    """Create a key file unless it exists: two processes starting at once must not both write a key (one chain, two
    keys); the file appears whole (a hard link of a staged copy, which fails if the name is taken)."""
    staged = stage_key_file(path, keys, comment)
    try:
        os.link(staged, path)
    except FileExistsError:
        pass
    finally:
        staged.unlink(missing_ok=True)


def write_key_file(path: Path, keys: list[str], comment: str) -> None:
    """Replace a key file at once (staged beside it, renamed over it)."""
    stage_key_file(path, keys, comment).replace(path)


def audit_key_file(settings: Settings) -> Path:
    return settings.audit_key_file or settings.home / "keys" / "audit.key"


def load_audit_keys(settings: Settings) -> tuple[bytes, ...]:
    """The audit chain's HMAC keys, the current one first (older ones verify the entries made before a rotation).
    They live in a file, never in the database: whoever can rewrite rows still cannot recompute the chain. In
    development the file is made under HOME/keys if absent; production must name one and never gets one made."""
    key_file = audit_key_file(settings)
    if not key_file.is_file():
        # A named file that is missing is a mistake (a wrong path, an unmounted volume), not a first start: making a new
        # key there would fork the chain silently.
        if settings.production or settings.audit_key_file is not None:
            raise ConfigurationError(
                f"the audit key file {key_file} does not exist: CAMEOGUARD_AUDIT_KEY_FILE must name it "
                "(make one with `python -c 'import secrets; print(secrets.token_hex(32))'`)"
            )
        create_key_file(key_file, [secrets.token_hex(AUDIT_KEY_BYTES)], "cameoguard development audit key")
    try:
        keys = tuple(bytes.fromhex(line) for line in key_lines(key_file))
    except (ValueError, UnicodeDecodeError):
        raise ConfigurationError(f"the audit key file {key_file} does not hold hex keys, one a line") from None
    except OSError as exc:
        raise ConfigurationError(f"the audit key file {key_file} cannot be read: {exc.strerror}") from None
    if not keys or any(len(key) < 16 for key in keys):
        raise ConfigurationError(f"the audit key file {key_file} needs keys of at least 16 bytes")
    return keys


def load_audit_key(settings: Settings) -> bytes:
    """The current audit key (new entries are made with it)."""
    return load_audit_keys(settings)[0]


def watermark_key_file(settings: Settings) -> Path:
    return settings.watermark_key_file or settings.home / "keys" / "watermark.key"


def _production_trust_list(settings: Settings, credentials: SigningCredentials) -> str:
    """The trust list of a production process: named, readable, free of development roots, and holding the root
    the signing chain leads to (or the process's own files would verify as untrusted)."""
    if settings.trust_anchors is None:
        raise ConfigurationError(
            "CAMEOGUARD_TRUST_ANCHORS must name the trust list (PEM roots `verify` trusts, your signing chain's "
            "root among them)"
        )
    try:
        pem = settings.trust_anchors.read_bytes()
        roots = roots_in(pem)
    except OSError as exc:
        raise ConfigurationError(f"CAMEOGUARD_TRUST_ANCHORS {settings.trust_anchors}: {exc.strerror}") from None
    except ValueError:
        raise ConfigurationError(
            f"CAMEOGUARD_TRUST_ANCHORS {settings.trust_anchors} holds no PEM certificates"
        ) from None
    if any(is_development_certificate(root) for root in roots):
        raise ConfigurationError(
            f"CAMEOGUARD_TRUST_ANCHORS {settings.trust_anchors} holds the development root: a development chain is "
            "never trusted in production; remove it"
        )
    if not issued_by_one_of(credentials.chain_pem, roots):
        last = x509.load_pem_x509_certificates(credentials.chain_pem)[-1]
        raise ConfigurationError(
            f"CAMEOGUARD_TRUST_ANCHORS {settings.trust_anchors} does not hold the root of CAMEOGUARD_SIGNING_CHAIN "
            f"({last.issuer.rfc4514_string()}): add it (and keep retired roots, so older files still verify)"
        )
    return pem.decode("ascii")


def load_watermark_keys(settings: Settings) -> tuple[int, ...]:
    """The watermark keys, the current one first; in development made under HOME/keys if absent."""
    key_file = watermark_key_file(settings)
    if not key_file.is_file():
        if settings.production or settings.watermark_key_file is not None:
            raise ConfigurationError(
                f"the watermark key file {key_file} does not exist: CAMEOGUARD_WATERMARK_KEY_FILE must name it "
                "(make one with `python -c 'import secrets; print(secrets.randbits(63))'`)"
            )
        ensure_dev_keys(key_file.parent)
    try:
        keys = tuple(int(line) for line in key_lines(key_file))
    except (ValueError, UnicodeDecodeError):
        raise ConfigurationError(f"the watermark key file {key_file} does not hold integers, one a line") from None
    except OSError as exc:
        raise ConfigurationError(f"the watermark key file {key_file} cannot be read: {exc.strerror}") from None
    if not keys:
        raise ConfigurationError(f"the watermark key file {key_file} holds no key")
    return keys


def load_keys(settings: Settings) -> ProvenanceKeys:
    """Signing credentials, trust list and watermark keys from settings. In development, what is missing is made
    under HOME/keys; in production nothing is ever made: a missing file is named, with its setting."""
    production = settings.production
    dev_folder = settings.home / "keys"
    anchors_pem: str | None
    try:
        if settings.signing_chain is None:
            if production:
                raise ConfigurationError(
                    "CAMEOGUARD_SIGNING_CHAIN must name the production certificate chain (with CAMEOGUARD_SIGNING_KEY "
                    "or CAMEOGUARD_SIGNING_KEY_ENV)"
                )
            ensure_dev_keys(dev_folder)
            chain, key = dev_folder / "chain.pem", dev_folder / "signer.key"
            credentials = load_credentials(chain, key_path=key)
            anchors = dev_folder / "root.pem"
            anchors_pem = anchors.read_text() if anchors.is_file() else None
        else:
            credentials = load_credentials(
                settings.signing_chain, key_path=settings.signing_key, key_env=settings.signing_key_env
            )
            anchors_pem = None
            if settings.trust_anchors is not None and settings.trust_anchors.is_file():
                anchors_pem = settings.trust_anchors.read_text()
    except ProvenanceError as exc:
        raise ConfigurationError(f"signing credentials (CAMEOGUARD_SIGNING_*): {exc}") from None
    if production:
        # The development chain is made on the spot and vouched for by no one: content signed with it in production
        # would claim a provenance no verifier should trust.
        if credentials.is_development:
            raise ConfigurationError(
                "refusing to start in production with the development signing chain (CAMEOGUARD_SIGNING_CHAIN)"
            )
        anchors_pem = _production_trust_list(settings, credentials)
    watermark_keys = load_watermark_keys(settings)
    return ProvenanceKeys(credentials, anchors_pem, watermark_keys[0], watermark_keys)
