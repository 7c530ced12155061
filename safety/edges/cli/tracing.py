"""Commands about provenance and integrity: verify a copy, the hash banks, the audit chain, and the keys (the
development set, and the rotation of the signing, watermark and audit keys)."""

from __future__ import annotations

import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from provenance import load_credentials, make_dev_chain, roots_in
from provenance.errors import ProvenanceError
from provenance.keys import is_development_certificate, issued_by_one_of
from safety.audit import key_id
from safety.edges.cli.app import app, audit_app, bank_app, keys_app
from safety.edges.terminal import JsonOpt, emit, emit_json, err, out, state
from safety.edges.views import bank_entry_json, chain_json, trace_json
from safety.errors import ConfigurationError
from safety.publishing import (
    AUDIT_KEY_BYTES,
    audit_key_file,
    ensure_dev_keys,
    load_audit_key,
    load_audit_keys,
    load_watermark_keys,
    stage_key_file,
    watermark_key_file,
    write_key_file,
)
from safety.settings import Settings

rotate_app = typer.Typer(
    help="Rotate a key: new signatures, marks or audit entries use the new one; what the old one made still verifies.",
    no_args_is_help=True,
)
keys_app.add_typer(rotate_app, name="rotate")

OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Write the new key file here instead of over the configured one (a read-only secret: deploy it, "
        "then restart every process).",
    ),
]


@app.command()
def verify(
    ctx: typer.Context, path: Annotated[Path, typer.Argument(help="A video file.")], as_json: JsonOpt = False
) -> None:
    """Trace a copy to the video it came from (manifest, then watermark, then fingerprint) and its status; every
    segment cut from a registered video is listed, and the most restrictive status of any of them wins."""
    payload = trace_json(state(ctx).guard().tracing.verify(path))
    c2pa, mark, fp = payload["c2pa"], payload["watermark"], payload["fingerprint"]
    lines = [
        f"{path}: {payload['video_id'] or 'not traced'} ({payload['status']}, by {payload['traced_by'] or 'nothing'})",
        f"  C2PA: present={c2pa['present']} valid={c2pa['valid']} trusted={c2pa['trusted']} "
        f"ai_generated={c2pa['ai_generated']} codes={','.join(c2pa['validation_codes']) or '-'}",
        f"  watermark: found={mark['found']} video={mark['video_id']}",
        f"  fingerprint: video={fp['video_id']} distance={fp['distance']}",
        *(
            f"  segment {seg['start_s']:.2f}-{seg['end_s']:.2f} s: {seg['video_id']} ({seg['status']}, "
            f"by {seg['source']})"
            for seg in payload["segments"]
        ),
    ]
    emit(payload, as_json, "\n".join(lines))


@bank_app.command("add")
def bank_add(
    ctx: typer.Context,
    bank: Annotated[str, typer.Option(help="known_bad (or purged).")],
    video: Annotated[Path, typer.Option(help="The video whose frames to bank.")],
    note: Annotated[str, typer.Option(help="Why it is banked.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Bank a video's frame hashes: any copy of it is refused at the gate."""
    payload = bank_entry_json(state(ctx).guard().tracing.bank_add(bank, video, note))
    emit(payload, as_json, f"banked {payload['id']} in {bank} ({payload['hashes']} frame hashes)")


@bank_app.command("list")
def bank_list(
    ctx: typer.Context,
    bank: Annotated[str | None, typer.Option(help="Only this bank.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Bank items."""
    items = [bank_entry_json(e) for e in state(ctx).guard().tracing.bank_list(bank)]
    text = "\n".join(f"{i['id']}  {i['bank']:<9} {i['hashes']:>3} hashes  {i['note']}" for i in items)
    emit({"items": items}, as_json, text or "no items")


@bank_app.command("remove")
def bank_remove(
    ctx: typer.Context, entry: Annotated[str, typer.Argument(help="Item id.")], as_json: JsonOpt = False
) -> None:
    """Remove a bank item."""
    state(ctx).guard().tracing.bank_remove(entry)
    emit({"id": entry, "removed": True}, as_json, f"removed {entry}")


@audit_app.command("verify")
def audit_verify(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Walk the audit log's hash chain, check its signed head and hold it against the checkpoints kept outside the
    database (HOME/audit/checkpoints.log); names the first broken row."""
    result = state(ctx).guard().tracing.verify_audit()
    payload = chain_json(result)
    if as_json:
        emit_json(payload)
    elif result.ok:
        anchored = f", checkpoint at {result.checkpoint}" if result.checkpoint is not None else ", no checkpoint yet"
        out.print(f"[green]audit log intact[/green]: {result.entries} entries{anchored}")
    else:
        err.print(f"audit log broken at entry {result.first_broken_seq}: {result.problem}")
    if not result.ok:
        raise typer.Exit(1)


@keys_app.command("dev")
def keys_dev(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Make (if missing) the development signing chain and watermark key under HOME/keys."""
    settings = state(ctx).settings
    if settings.env == "production":
        raise ConfigurationError("development keys are refused when CAMEOGUARD_ENV=production")
    folder = settings.home / "keys"
    ensure_dev_keys(folder)
    load_audit_key(settings)
    payload = {
        "root": str(folder / "root.pem"),
        "chain": str(folder / "chain.pem"),
        "key": str(folder / "signer.key"),
        "watermark_key": str(folder / "watermark.key"),
        "audit_key": str(folder / "audit.key"),
    }
    emit(payload, as_json, f"development keys in {folder} (root.pem is the trust anchor for verify)")


def _trust_list(settings: Settings) -> tuple[Path, bytes]:
    path = settings.trust_anchors or settings.home / "keys" / "root.pem"
    try:
        return path, path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(
            f"the trust list {path} (CAMEOGUARD_TRUST_ANCHORS) cannot be read: {exc.strerror}"
        ) from None


def _issuer_trusted(chain_pem: bytes, roots: list[x509.Certificate]) -> bool:
    return issued_by_one_of(chain_pem, roots)


@rotate_app.command("signing")
def rotate_signing(
    ctx: typer.Context,
    chain: Annotated[Path | None, typer.Option(help="The new PEM chain, signer first (production).")] = None,
    key: Annotated[Path | None, typer.Option(help="The new signer's PEM private key (production).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Move C2PA signing to a new key. With --chain and --key (production): check the new credentials (key and
    certificate belong together, not the development chain, their root and the current one both in the trust
    list) and say what to set. Without them (development): a new development signer, its root added to the
    development trust list beside the old ones. Files signed before keep verifying as long as their root stays in
    the trust list."""
    settings = state(ctx).settings
    trust_path, trust_pem = _trust_list(settings) if chain is not None or settings.signing_chain else (None, b"")
    if chain is None or key is None:
        if chain is not None or key is not None:
            raise typer.BadParameter("name both --chain and --key")
        if settings.production or settings.signing_chain is not None:
            raise ConfigurationError(
                "name the new credentials: cameoguard keys rotate signing --chain NEW_CHAIN.pem --key NEW_KEY.pem "
                "(from your certificate authority; see the README's C2PA signing certificate section)"
            )
        folder = settings.home / "keys"
        payload = _new_development_signer(folder)
        emit(payload, as_json, f"new development signer in {folder}; the trust list keeps the old roots")
        return
    signer = _checked_credentials(settings, chain, key, trust_path, trust_pem)
    payload = {
        "mode": "checked",
        "signer": signer.subject.rfc4514_string(),
        "not_after": signer.not_valid_after_utc.isoformat(),
        "set": {"CAMEOGUARD_SIGNING_CHAIN": str(chain.resolve()), "CAMEOGUARD_SIGNING_KEY": str(key.resolve())},
        "trust_list": str(trust_path),
    }
    emit(
        payload,
        as_json,
        f"ready: set CAMEOGUARD_SIGNING_CHAIN={chain.resolve()} CAMEOGUARD_SIGNING_KEY={key.resolve()} for every "
        "process and restart them; keep the old root in the trust list",
    )


def _new_development_signer(folder: Path) -> dict[str, object]:
    """A new development chain in `folder`, its root put before the old ones in the development trust list."""
    ensure_dev_keys(folder)
    with tempfile.TemporaryDirectory(dir=folder) as scratch:
        new_root, new_chain, new_key = make_dev_chain(Path(scratch))
        # The new root is trusted before anything can be signed with it: the trust list is written first.
        trust = new_root.read_bytes() + (folder / "root.pem").read_bytes()
        write_key_file_bytes(folder / "root.pem", trust)
        shutil.copyfile(new_chain, folder / ".chain.pem.new")
        (folder / ".chain.pem.new").replace(folder / "chain.pem")
        write_key_file_bytes(folder / "signer.key", new_key.read_bytes(), private=True)
    return {
        "mode": "development",
        "chain": str(folder / "chain.pem"),
        "key": str(folder / "signer.key"),
        "trust_list": str(folder / "root.pem"),
        "trusted_roots": len(roots_in((folder / "root.pem").read_bytes())),
    }


def _checked_credentials(
    settings: Settings, chain: Path, key: Path, trust_path: Path | None, trust_pem: bytes
) -> x509.Certificate:
    """The new signer certificate, once the credentials pass every check; `ConfigurationError` naming the first
    that fails."""
    try:
        credentials = load_credentials(chain, key_path=key)
    except ProvenanceError as exc:
        raise ConfigurationError(str(exc)) from None
    signer = x509.load_pem_x509_certificates(credentials.chain_pem)[0]
    private = serialization.load_pem_private_key(credentials.key_pem, password=None)
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if signer.public_key().public_bytes(serialization.Encoding.PEM, public) != private.public_key().public_bytes(
        serialization.Encoding.PEM, public
    ):
        raise ConfigurationError(f"the key {key} does not belong to the signer certificate of {chain}")
    if settings.production and credentials.is_development:
        raise ConfigurationError(f"{chain} is the development chain: never used in production")
    roots = roots_in(trust_pem)
    if not _issuer_trusted(credentials.chain_pem, roots):
        raise ConfigurationError(f"the trust list {trust_path} does not hold the root of {chain}: add it first")
    current = settings.signing_chain
    # The current chain's root must stay trusted: every file signed so far carries it.
    if current is not None and current.is_file() and not _issuer_trusted(current.read_bytes(), roots):
        raise ConfigurationError(
            f"the trust list {trust_path} no longer holds the current chain's root: files signed so far would "
            "stop verifying; keep it"
        )
    if settings.production and any(is_development_certificate(root) for root in roots):
        raise ConfigurationError(f"the trust list {trust_path} holds the development root: remove it")
    return signer


def write_key_file_bytes(path: Path, data: bytes, *, private: bool = False) -> None:
    """Replace a file at once (written beside it, renamed over it); `private`: readable by its owner only."""
    staged = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    staged.write_bytes(data)
    if private:
        staged.chmod(0o600)
    staged.replace(path)


@rotate_app.command("watermark")
def rotate_watermark(ctx: typer.Context, out_file: OutOpt = None, as_json: JsonOpt = False) -> None:
    """A new invisible watermark key, first in the key file; the old keys stay after it, so marks made with them
    still read. Restart every process to mark with the new key."""
    settings = state(ctx).settings
    keys = load_watermark_keys(settings)
    new = secrets.randbits(63)
    target = out_file or watermark_key_file(settings)
    try:
        write_key_file(target, [str(k) for k in (new, *keys)], "cameoguard watermark keys, the current one first")
    except OSError as exc:
        raise ConfigurationError(f"cannot write the watermark key file {target}: {exc.strerror}; use --out") from None
    payload = {"key_file": str(target), "keys": len(keys) + 1}
    emit(payload, as_json, f"{target}: a new watermark key, and {len(keys)} older one(s) that still read")


@rotate_app.command("audit")
def rotate_audit(ctx: typer.Context, out_file: OutOpt = None, as_json: JsonOpt = False) -> None:
    """A new audit chain key: a rotation entry signed by both keys re-anchors the chain, later entries use the new
    key, and the old key stays in the key file (after the new one) so earlier entries still verify. Every other
    process must be restarted with the new key file: until then their audited writes fail, never fork the chain."""
    settings = state(ctx).settings
    guard = state(ctx).guard()
    keys = load_audit_keys(settings)
    new = secrets.token_bytes(AUDIT_KEY_BYTES)
    target = out_file or audit_key_file(settings)
    lines = [k.hex() for k in (new, *keys)]
    try:
        # The new key file is on disk before the chain depends on it; it replaces the old one once the rotation
        # entry is committed.
        staged = stage_key_file(target, lines, "cameoguard audit keys, the current one first")
    except OSError as exc:
        raise ConfigurationError(f"cannot write the audit key file {target}: {exc.strerror}; use --out") from None
    try:
        with guard.store.transaction() as tx:
            seq = tx.audit.rotate_key("operator", new)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    staged.replace(target)
    payload = {"key_file": str(target), "rotation_entry": seq, "from_key": key_id(keys[0]), "to_key": key_id(new)}
    emit(
        payload,
        as_json,
        f"audit key rotated at entry {seq}; {target} holds the new key and the old; restart every process",
    )
