"""Signing credentials: a development chain made here, or a production chain the operator provides.

The C2PA signing certificate must be an end-entity certificate (not a CA) with the digitalSignature key usage
and the emailProtection extended key usage; the C2PA library refuses others unless their OIDs are configured as
trusted. `make_dev_chain` writes an ES256 root and such a signer under a folder; its certificates carry the
organisation `cameoguard development`, which is how production start-up recognises and refuses them.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from provenance.errors import SigningError

DEV_ORGANISATION = "cameoguard development"


@dataclass(frozen=True)
class SigningCredentials:
    """A certificate chain (signer first) and its private key, both PEM."""

    chain_pem: bytes
    """Signer certificate followed by its issuers."""
    key_pem: bytes = field(repr=False)
    """The signer's private key; never logged."""

    @property
    def is_development(self) -> bool:
        return any(_organisation(cert) == DEV_ORGANISATION for cert in x509.load_pem_x509_certificates(self.chain_pem))


def _organisation(cert: x509.Certificate) -> str | None:
    values = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return str(values[0].value) if values else None


def _name(common_name: str, organisation: str = DEV_ORGANISATION) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        ]
    )


def roots_in(pem: bytes) -> list[x509.Certificate]:
    """The self-signed certificates of a PEM bundle (a trust list, or the end of a chain)."""
    return [cert for cert in x509.load_pem_x509_certificates(pem) if cert.issuer == cert.subject]


def issued_by_one_of(chain_pem: bytes, roots: list[x509.Certificate]) -> bool:
    """The chain's last certificate is one of `roots` or signed by one of them (name and signature)."""
    last = x509.load_pem_x509_certificates(chain_pem)[-1]
    for root in roots:
        if root.subject != last.issuer:
            continue
        try:
            last.verify_directly_issued_by(root)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return True
    return False


def is_development_certificate(cert: x509.Certificate) -> bool:
    """Made by `make_dev_chain` (its organisation says so)."""
    return _organisation(cert) == DEV_ORGANISATION


def _usage(*, sign: bool, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def make_dev_chain(folder: Path, *, days: int = 825, organisation: str = DEV_ORGANISATION) -> tuple[Path, Path, Path]:
    """Write `root.pem`, `chain.pem` (signer + root) and `signer.key` (mode 0600); returns their paths. Another
    `organisation` makes a private chain that is not recognised as the development one (tests of production)."""
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name(f"{organisation} root", organisation)
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=days * 4))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(sign=False, ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{organisation} signer", organisation))
        .issuer_name(root_name)
        .public_key(signer_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(sign=True, ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(signer_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    root_path, chain_path, key_path = folder / "root.pem", folder / "chain.pem", folder / "signer.key"
    root_path.write_bytes(root.public_bytes(pem))
    chain_path.write_bytes(signer.public_bytes(pem) + root.public_bytes(pem))
    key = signer_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    _write_private(key_path, key)
    return root_path, chain_path, key_path


def load_credentials(
    chain_path: Path, *, key_path: Path | None = None, key_env: str | None = None
) -> SigningCredentials:
    """Read a chain and its key (from a file, or from an environment variable holding the PEM)."""
    try:
        chain = chain_path.read_bytes()
        x509.load_pem_x509_certificates(chain)
    except (OSError, ValueError) as exc:
        raise SigningError(f"cannot read the signing certificate chain {chain_path}: {exc}") from None
    if key_env:
        value = os.environ.get(key_env)
        if not value:
            raise SigningError(f"the signing key variable {key_env} is not set")
        key = value.encode()
    elif key_path is not None:
        try:
            key = key_path.read_bytes()
        except OSError as exc:
            raise SigningError(f"cannot read the signing key {key_path}: {exc.strerror}") from None
    else:
        raise SigningError("no signing key configured (a key file or a key environment variable)")
    try:
        serialization.load_pem_private_key(key, password=None)
    except (ValueError, TypeError):
        # The message names the source, never the key's contents.
        raise SigningError(
            f"the signing key from {key_env or key_path} is not an unencrypted PEM private key"
        ) from None
    return SigningCredentials(chain, key)
